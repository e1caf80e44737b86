"""`golens report TRACE -o report.html`: what the runtime saw, as pictures in one HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from golens.cli.profile import load_profiles, profile_thresholds_from
from golens.cli.trace import _error, _trace_error, located_trace_findings, thresholds_from, workspace_settings
from golens.config import ConfigError
from golens.evidence import Workspace
from golens.evidence.analysis import analyze
from golens.evidence.load import load_trace_and_evidence
from golens.evidence.merge import PROFILE_SOURCE
from golens.export.aggregate import aggregate
from golens.registry import default_registry
from golens.report.html import render_html, report_data
from golens.safeio import atomic_output
from golens.trace import EmptyTraceError, Trace, TraceError, read_trace
from golens.workspace_files import display_path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "report",
        help="an HTML report of a Go execution trace: flame graphs, goroutine timeline, findings",
        description="Write one self-contained HTML file (no network needed to view it) showing where "
        "goroutines spent their time blocked and on CPU (flame graphs by stack), how the goroutines each "
        "go statement started lived over the trace (leaked groups first), and the trace findings (GT rules) "
        "linked to their lines. With --baseline, also the difference in blocked time against an earlier trace. "
        "Exit status: 0 report written, 2 unreadable trace or profile, or usage error.",
    )
    p.add_argument("trace", metavar="TRACE", help="trace file (runtime/trace, go test -trace, /debug/pprof/trace)")
    p.add_argument("--baseline", metavar="BEFORE", help="an earlier trace of the same program to compare with")
    p.add_argument("--profile", dest="profiles", metavar="P", action="append", default=[],
                   help="a pprof profile (goroutineleak, goroutine, mutex, block) whose GP findings join the "
                        "table; repeatable")
    p.add_argument("--root", type=Path, default=None,
                   help="workspace the trace's frames are mapped onto (default: current directory)")
    p.add_argument("--config", type=Path, help="golens.toml to use (default: nearest above the root)")
    p.add_argument("--links", choices=("file", "vscode"), default="file",
                   help="what a line link opens: the file (file://, default) or VS Code (vscode://file/…)")
    p.add_argument("--output", "-o", type=Path, default=Path("golens-report.html"),
                   help="the HTML file to write (default: golens-report.html)")


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    try:
        root, config_path, config = workspace_settings(args, registry)
        thresholds = thresholds_from(config_path)
        profile_thresholds = profile_thresholds_from(config_path)
    except ConfigError as exc:
        return _error(str(exc))
    workspace = Workspace.scan(root)
    try:
        trace, te = load_trace_and_evidence(args.trace, thresholds=thresholds, workspace=workspace)
    except EmptyTraceError as exc:
        # Stopped before anything was recorded: the page says there is nothing to show.
        trace = Trace(format_version=exc.format_version)
        te = analyze(trace, workspace, thresholds, source=str(args.trace))
    except (TraceError, OSError, ValueError) as exc:
        return _error(_trace_error(args.trace, exc))
    baseline = None
    if args.baseline:
        try:
            baseline = aggregate(read_trace(args.baseline), workspace)
        except (TraceError, OSError, ValueError) as exc:
            return _error(_trace_error(args.baseline, exc))
    cwd = Path.cwd().resolve()
    # Paths as golens trace prints them (from the current directory) when the workspace is below
    # it; from the workspace otherwise (an editor runs golens from a directory of its own).
    base = cwd if root == cwd or cwd in root.parents else root

    def display(p: str | Path) -> str:
        return display_path(Path(p), base)

    findings = located_trace_findings(te, config, registry, display)
    # A profile that cannot be read is named on stderr (exit 2); the report still has the rest.
    profiles, profile_errors = load_profiles(args.profiles, root, profile_thresholds)
    findings += located_trace_findings(profiles, config, registry, display,  # type: ignore[arg-type]
                                       evidence_source=PROFILE_SOURCE)
    data = report_data(aggregate(trace, workspace), te, findings, workspace, trace_name=display(args.trace),
                       display=display, base=base, baseline=baseline,
                       baseline_name=display(args.baseline) if args.baseline else "", links=args.links)
    try:
        with atomic_output(args.output) as out:
            out.write(render_html(data).encode())
    except OSError as exc:
        return _error(f"{args.output}: {exc.strerror or exc}")
    print(f"golens: wrote {display(args.output)}", file=sys.stderr)
    for error in profile_errors:
        print(f"golens: {error}", file=sys.stderr)
    return 2 if profile_errors else 0
