"""The `golens` command: one module per subcommand, each exposing register(subparsers) and
run(args) -> exit code (0 clean, 1 findings, 2 usage or input error)."""

import argparse
import importlib
import sys
from typing import TypeAlias

from golens import __version__

# What each subcommand module's register() receives (generic only to the type checker).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

# One line per subcommand: the module golens.cli.<name>, in the order `golens --help` lists them.
SUBCOMMANDS = (
    "check",
    "rules",
    "explain",
    "serve",
    "trace_info",
    "trace",
    "report",
    "profile",
    "diff",
)


def exit_status(errors: list[str], found: bool) -> int:
    """The end of every reporting command: each error on stderr as `golens: ...`, then exit 2 if
    there was any, else 1 when something was found, 0 when nothing was."""
    for error in errors:
        print(f"golens: {error}", file=sys.stderr)
    if errors:
        return 2
    return 1 if found else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="golens",
        description="Go concurrency anti-patterns, checked statically and backed by runtime traces.",
    )
    parser.add_argument("--version", action="version", version=f"golens {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"golens.cli.{name}")  # a missing module is a packaging error: fail
        before = set(subparsers.choices)
        module.register(subparsers)
        for added in set(subparsers.choices) - before:
            subparsers.choices[added].set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    module = getattr(args, "_module", None)
    if module is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = module.run(args)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
