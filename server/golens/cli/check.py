"""`golens check PATH...`: the command line of golens.pipeline, written by golens.report."""

import argparse
import sys
from pathlib import Path

from golens.cli import Subparsers
from golens.cli.trace import TraceLoadError, load_trace_evidence, trace_header
from golens.config import Config, ConfigError
from golens.pipeline import CheckOptions, FixMode, check_paths
from golens.registry import default_registry
from golens.report.output import FORMATS, TraceHeader, output, write_patch, write_report


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check Go files for concurrency anti-patterns",
        description="Check Go files (directories recursively, skipping vendor/, testdata/ and hidden "
        "directories). Exit status: 0 no findings, 1 findings, 2 usage or input error.",
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--config", type=Path, help="golens.toml to use (default: nearest above each file)")
    parser.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: CPU count)")
    parser.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--fix", action="store_true",
                        help="apply the preferred quick fixes to the files, then report what is left")
    parser.add_argument("--diff", action="store_true",
                        help="with --fix: print the fixes as a unified diff instead of writing files")
    parser.add_argument("--trace", metavar="TRACE",
                        help="a Go execution trace of the program: fold what it saw into the findings "
                        "(see golens trace)")
    parser.add_argument("--trace-root", type=Path, metavar="DIR",
                        help="with --trace: the workspace the trace's frames are mapped onto (default: the first PATH)")


def _error(message: str) -> int:
    print(f"golens: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    if args.diff and not args.fix:
        return _error("--diff only makes sense with --fix")
    if args.fix and args.trace:
        return _error("--fix and --trace cannot be combined")
    fix_mode: FixMode | None = ("diff" if args.diff else "write") if args.fix else None
    header: TraceHeader | None = None
    try:
        if args.config is not None:
            Config.from_file(args.config, registry)  # fail fast on a bad config
        evidence = None
        if args.trace:
            first = Path(args.paths[0]) if args.paths else Path(".")
            root = (args.trace_root or (first if first.is_dir() else first.parent)).resolve()
            evidence = load_trace_evidence(args.trace, root, args.config)
            header = trace_header(evidence)
        options = CheckOptions(config=args.config, fix_mode=fix_mode, with_fixes=args.format != "text",
                               trace=evidence)
        result = check_paths(args.paths, options, args.jobs)
    except FileNotFoundError as exc:
        return _error(f"no such file or directory: {exc.args[0]}")
    except (ConfigError, TraceLoadError) as exc:
        return _error(str(exc))
    with output(args.output) as out:
        if fix_mode == "diff":
            write_patch(result.diffs, out)
        else:
            write_report(result.findings, args.format, out, registry, trace=header)
    for error in result.errors:
        print(f"golens: {error}", file=sys.stderr)
    if result.errors:
        return 2
    if fix_mode == "diff":
        return 1 if result.diffs else 0
    return 1 if result.findings else 0
