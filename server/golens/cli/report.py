"""`golens report TRACE -o report.html`: what the runtime saw, as pictures in one HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from golens.cli.files import display_path
from golens.cli.trace import _error, _trace_error, located_trace_findings, thresholds_from
from golens.config import Config, ConfigError, find_config_file
from golens.evidence import Workspace
from golens.evidence.load import load_trace_and_evidence
from golens.export.aggregate import aggregate
from golens.registry import default_registry
from golens.report.html import render_html, report_data
from golens.safeio import atomic_output
from golens.trace import TraceError, read_trace


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "report",
        help="an HTML report of a Go execution trace: flame graphs, goroutine timeline, findings",
        description="Write one self-contained HTML file (no network needed to view it) showing where "
        "goroutines spent their time blocked and on CPU (flame graphs by stack), how the goroutines each "
        "go statement started lived over the trace (leaked groups first), and the trace findings (GT rules) "
        "linked to their lines. With --baseline, also the difference in blocked time against an earlier trace. "
        "Exit status: 0 report written, 2 unreadable trace or usage error.",
    )
    p.add_argument("trace", metavar="TRACE", help="trace file (runtime/trace, go test -trace, /debug/pprof/trace)")
    p.add_argument("--baseline", metavar="BEFORE", help="an earlier trace of the same program to compare with")
    p.add_argument("--root", type=Path, default=None,
                   help="workspace the trace's frames are mapped onto (default: current directory)")
    p.add_argument("--config", type=Path, help="golens.toml to use (default: nearest above the root)")
    p.add_argument("--links", choices=("file", "vscode"), default="file",
                   help="what a line link opens: the file (file://, default) or VS Code (vscode://file/…)")
    p.add_argument("--output", "-o", type=Path, default=Path("golens-report.html"),
                   help="the HTML file to write (default: golens-report.html)")


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    root = (args.root or Path.cwd()).resolve()
    if not root.is_dir():
        return _error(f"--root {args.root}: not a directory")
    try:
        config_path = args.config or find_config_file(root)
        config = Config.from_file(config_path, registry) if config_path else Config()
        thresholds = thresholds_from(config_path)
    except ConfigError as exc:
        return _error(str(exc))
    workspace = Workspace.scan(root)
    try:
        trace, te = load_trace_and_evidence(args.trace, thresholds=thresholds, workspace=workspace)
    except (TraceError, OSError, ValueError) as exc:
        return _error(_trace_error(args.trace, exc))
    baseline = None
    if args.baseline:
        try:
            baseline = aggregate(read_trace(args.baseline), workspace)
        except (TraceError, OSError, ValueError) as exc:
            return _error(_trace_error(args.baseline, exc))
    cwd = Path.cwd().resolve()

    def display(p: str | Path) -> str:
        return display_path(Path(p), cwd)

    findings = located_trace_findings(te, config, registry, display)
    data = report_data(aggregate(trace, workspace), te, findings, workspace, trace_name=display(args.trace),
                       display=display, baseline=baseline, baseline_name=display(args.baseline) if args.baseline else "",
                       links=args.links)
    try:
        with atomic_output(args.output) as out:
            out.write(render_html(data).encode())
    except OSError as exc:
        return _error(f"{args.output}: {exc.strerror or exc}")
    print(f"golens: wrote {display(args.output)}", file=sys.stderr)
    return 0
