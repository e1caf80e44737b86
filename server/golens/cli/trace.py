"""`golens trace TRACE`: what the runtime saw, at the workspace lines that caused it; and the
loading of the trace that `golens check --trace` merges with the static findings."""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

from golens.cli import Subparsers, exit_status
from golens.cli.files import write_report
from golens.config import Config, ConfigError, find_config_file
from golens.document import Document, find_module_go_version
from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.evidence import Thresholds, TraceEvidence, Workspace, load_evidence
from golens.evidence.load import load_trace_and_evidence
from golens.evidence.merge import SOURCE, evidence_findings, summary_lines
from golens.export import export_trace
from golens.registry import Registry, default_registry
from golens.report import LocatedFinding, locate
from golens.report.output import FORMATS, render
from golens.safeio import read_regular, read_regular_text
from golens.trace import TraceError
from golens.workspace_files import display_path

EXPORT_FORMATS = {
    "pprof": "blocked-time (default sample type) and on-CPU profiles, gzipped profile.proto "
             "(go tool pprof, speedscope)",
    "perfetto": "goroutine states as Chrome trace-event JSON (ui.perfetto.dev)",
}


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "trace",
        help="trace evidence (GT rules) from a Go execution trace, mapped to source",
        description="Analyse a Go execution trace (runtime/trace, Go 1.22+) and report what it saw — "
        "goroutines still blocked at the end, blocking and syscall hot spots, scheduling latency, long "
        "running stretches — at the workspace lines that caused it. Exit status: 0 nothing found, "
        "1 findings, 2 unreadable trace or usage error.",
    )
    p.add_argument("trace", metavar="TRACE", help="trace file (runtime/trace, go test -trace, /debug/pprof/trace)")
    p.add_argument("--root", type=Path, default=None,
                   help="workspace the trace's frames are mapped onto (default: current directory)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--config", type=Path, help="golens.toml to use (default: nearest above the root)")
    p.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    p.add_argument("--export", nargs=2, action="append", default=[], metavar=("FORMAT", "FILE"),
                   help="also write the trace for other viewers (repeatable): " + "; ".join(
                       f"{name}: {what}" for name, what in EXPORT_FORMATS.items()))


def thresholds_from(config_path: Path | None) -> Thresholds:
    """The `[trace]` table of golens.toml (keys as in Thresholds, dashes allowed)."""
    if config_path is None:
        return Thresholds()
    try:
        data = tomllib.loads(read_regular_text(config_path))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config_path}: {exc}") from None
    table = data.get("trace")
    return Thresholds.from_mapping(table if isinstance(table, dict) else None)


class TraceLoadError(Exception):
    """The trace could not be read; the message names it and says why."""


def load_trace_evidence(trace: str, root: Path, config_path: Path | None) -> TraceEvidence:
    """The evidence of `trace` mapped onto the workspace `root`, with the thresholds of the
    golens.toml at `config_path`. Raises ConfigError or TraceLoadError."""
    thresholds = thresholds_from(config_path)
    try:
        return load_evidence(trace, workspace=Workspace.scan(root), thresholds=thresholds)
    except (TraceError, OSError, ValueError) as exc:
        raise TraceLoadError(_trace_error(trace, exc)) from None


def trace_display() -> Callable[[str | Path], str]:
    """How reports show a path: relative to the current directory when under it."""
    cwd = Path.cwd().resolve()
    return lambda path: display_path(Path(path), cwd)


def _error(msg: str) -> int:
    print(f"golens: {msg}", file=sys.stderr)
    return 2


def _trace_error(trace: str, exc: Exception) -> str:
    if isinstance(exc, TraceError):
        return f"{trace}: not a readable Go execution trace: {exc}"
    if isinstance(exc, OSError):
        return f"{trace}: {exc.strerror or exc}"
    return f"{trace}: {exc}"


def workspace_settings(args: argparse.Namespace, registry: Registry) -> tuple[Path, Path | None, Config]:
    """--root (default: the current directory) and its golens.toml (--config, else the nearest
    above it) of a command that reads a trace; ConfigError with the message to print."""
    root = (args.root or Path.cwd()).resolve()
    if not root.is_dir():
        raise ConfigError(f"--root {args.root}: not a directory")
    config_path = args.config or find_config_file(root)
    return root, config_path, Config.from_file(config_path, registry) if config_path else Config()


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    try:
        root, config_path, config = workspace_settings(args, registry)
        thresholds = thresholds_from(config_path)
    except ConfigError as exc:
        return _error(str(exc))
    unknown = [fmt for fmt, _ in args.export if fmt not in EXPORT_FORMATS]
    if unknown:
        return _error(f"--export {unknown[0]}: unknown format (known: {', '.join(EXPORT_FORMATS)})")
    workspace = Workspace.scan(root)
    try:
        if args.export:
            trace, te = load_trace_and_evidence(args.trace, thresholds=thresholds, workspace=workspace)
        else:  # no model kept: its records are released as they are analysed
            te = load_evidence(args.trace, thresholds=thresholds, workspace=workspace)
    except (TraceError, OSError, ValueError) as exc:
        return _error(_trace_error(args.trace, exc))
    display = trace_display()
    for fmt, dest in args.export:
        try:
            note = export_trace(fmt, trace, workspace, Path(dest))
        except OSError as exc:
            return _error(f"{dest}: {exc.strerror or exc}")
        if note:
            print(f"golens: {note}", file=sys.stderr)
    located = located_trace_findings(te, config, registry, display)
    unwritten = write_report(args.output, lambda out: render(
        out, args.format, located, registry, summary=summary_lines(te, display),
        json_properties={"trace": display(te.source), "summary": te.summary.as_dict()},
        sarif_properties={"trace": display(te.source), "traceSummary": te.summary.as_dict()}))
    return exit_status([*config.problems, *([unwritten] if unwritten else [])], bool(located))


def located_trace_findings(te: TraceEvidence, config: Config, registry: Registry, display: Callable[[Path], str],
                           evidence_source: str = SOURCE) -> list[LocatedFinding]:
    """The trace's findings (GT rules; or a ProfileSet's GP rules, with their source) at the lines
    of the files they point into, as the reports print them; files that cannot be read now are
    left out."""
    located = []
    for path in sorted({e.site.path for e in te.evidence}):
        try:
            source = read_regular(path, DEFAULT_MAX_FILE_BYTES)
        except OSError:
            continue
        doc = Document(source, str(path), module_go_version=find_module_go_version(str(path)))
        for f in evidence_findings(doc, path, te, config=config, registry=registry, source=evidence_source):
            located.append(locate(doc, display(path), f, registry, display=display))
    return located
