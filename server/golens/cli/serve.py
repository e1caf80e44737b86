"""`golens serve`: run the language server on stdio."""

import argparse

from golens.cli import Subparsers


def register(subparsers: Subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "serve",
        help="run the language server (LSP over stdio)",
        description="Run the golens language server, speaking LSP over stdin/stdout.",
    )
    parser.add_argument("--stdio", action="store_true",
                        help="accepted for editors that pass it; stdio is the only transport")
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here so that `golens check` does not pay for pygls and lsprotocol at startup.
    from golens.lsp.server import main

    return main()
