"""`golens check PATH...`: the command line of golens.pipeline; reports written by golens.report."""

import argparse
import sys
from pathlib import Path

from golens.cli import Subparsers, exit_status
from golens.cli.files import write_report
from golens.cli.profile import load_profiles, profile_thresholds_from
from golens.cli.profile import summary_lines as profile_summary_lines
from golens.cli.trace import TraceLoadError, load_trace_evidence, trace_display
from golens.config import Config, ConfigError, find_config_file
from golens.evidence import TraceEvidence
from golens.evidence.merge import PROFILE_SOURCE, SOURCE, summary_lines
from golens.pipeline import CheckOptions, FixMode, check_paths
from golens.registry import default_registry
from golens.report.output import FORMATS, render, write_patch
from golens.workspace_files import printable

MAX_JOBS = 256


def job_count(text: str) -> int:
    """--jobs: 0 (one per CPU) up to MAX_JOBS worker processes."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= jobs <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"{jobs} is not between 0 (one per CPU) and {MAX_JOBS}")
    return jobs


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
    parser.add_argument("--jobs", "-j", type=job_count, default=0,
                        help=f"worker processes, at most {MAX_JOBS} (default: CPU count)")
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
    parser.add_argument("--profile", action="append", default=[], metavar="PROFILE",
                        help="a pprof profile of the program (goroutineleak, goroutine, mutex, block; repeatable): "
                        "fold what it saw into the findings (see golens profile)")


def _error(message: str) -> int:
    print(f"golens: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    if args.diff and not args.fix:
        return _error("--diff only makes sense with --fix")
    if args.fix and (args.trace or args.profile):
        return _error("--fix cannot be combined with --trace or --profile")
    fix_mode: FixMode | None = ("diff" if args.diff else "write") if args.fix else None
    first = Path(args.paths[0]) if args.paths else Path(".")
    root = (args.trace_root or (first if first.is_dir() else first.parent)).resolve()
    # Problems of the runtime evidence: reported, but the static findings do not depend on it.
    errors: list[str] = []
    evidence: list[tuple[TraceEvidence, str]] = []
    summary: list[str] = []
    trace: TraceEvidence | None = None
    try:
        if args.config is not None:
            Config.from_file(args.config, registry)  # fail fast on an unreadable config
        config_path = args.config or find_config_file(root)
        if args.trace:
            try:
                trace = load_trace_evidence(args.trace, root, config_path)
            except TraceLoadError as exc:
                errors.append(str(exc))
            else:
                evidence.append((trace, SOURCE))
                summary += summary_lines(trace, trace_display())
        if args.profile:
            profiles, profile_errors = load_profiles(args.profile, root, profile_thresholds_from(config_path))
            errors += profile_errors
            evidence.append((profiles, PROFILE_SOURCE))  # type: ignore[arg-type]  # read like a trace's
            summary += [line for pe in profiles.profiles for line in profile_summary_lines(pe, trace_display())]
        options = CheckOptions(config=args.config, fix_mode=fix_mode, with_fixes=args.format != "text",
                               evidence=tuple(evidence))
        result = check_paths(args.paths, options, args.jobs)
    except FileNotFoundError as exc:
        return _error(f"no such file or directory: {printable(exc.args[0])}")
    except ConfigError as exc:
        return _error(str(exc))
    errors[:0] = result.errors
    sarif_properties = None
    if trace is not None:
        sarif_properties = {"trace": trace_display()(trace.source), "traceSummary": trace.summary.as_dict()}
    if fix_mode == "diff":
        unwritten = write_report(args.output, lambda out: write_patch(out, result.diffs))
    else:
        unwritten = write_report(args.output, lambda out: render(
            out, args.format, result.findings, registry, summary=summary, sarif_properties=sarif_properties))
    if unwritten is not None:
        errors.append(unwritten)
    return exit_status(errors, bool(result.diffs if fix_mode == "diff" else result.findings))
