"""`golens trace TRACE`: what the runtime saw, at the workspace lines that caused it; and the
loading of a trace that `golens check --trace` merges with the static findings."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from golens.cli import Subparsers
from golens.cli.files import display_path
from golens.config import Config, ConfigError, find_config_file
from golens.document import Document, find_module_go_version
from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.evidence import Thresholds, TraceEvidence, Workspace, load_evidence
from golens.evidence.merge import evidence_findings, summary_lines
from golens.registry import default_registry
from golens.report import locate
from golens.report.output import FORMATS, TraceHeader, output, write_report
from golens.safeio import read_regular, read_regular_text
from golens.trace import TraceError


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


class TraceLoadError(Exception):
    """The trace (or the config its thresholds come from) could not be read: the message says why."""


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


def load_trace_evidence(trace: str, root: Path, config: Path | None) -> TraceEvidence:
    """The evidence of `trace` mapped onto the workspace `root`, with the thresholds of `config`
    (default: the golens.toml nearest above the root). Raises ConfigError or TraceLoadError."""
    thresholds = thresholds_from(config or find_config_file(root))
    try:
        return load_evidence(trace, workspace=Workspace.scan(root), thresholds=thresholds)
    except TraceError as exc:
        raise TraceLoadError(f"{trace}: not a readable Go execution trace: {exc}") from None
    except OSError as exc:
        raise TraceLoadError(f"{trace}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise TraceLoadError(f"{trace}: {exc}") from None


def trace_header(evidence: TraceEvidence) -> TraceHeader:
    cwd = Path.cwd().resolve()

    def display(path: Path | str) -> str:
        return display_path(Path(path), cwd)

    return TraceHeader(display(evidence.source), evidence.summary.as_dict(), summary_lines(evidence, display))


def _error(msg: str) -> int:
    print(f"golens: {msg}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    root = (args.root or Path.cwd()).resolve()
    if not root.is_dir():
        return _error(f"--root {args.root}: not a directory")
    try:
        config_path = args.config or find_config_file(root)
        config = Config.from_file(config_path, registry) if config_path else Config()
        evidence = load_trace_evidence(args.trace, root, config_path)
    except (ConfigError, TraceLoadError) as exc:
        return _error(str(exc))
    cwd = Path.cwd().resolve()

    def display(path: Path) -> str:
        return display_path(path, cwd)

    located = []
    for path in sorted({e.site.path for e in evidence.evidence}):
        try:
            source = read_regular(path, DEFAULT_MAX_FILE_BYTES)
        except OSError:
            continue
        doc = Document(source, str(path), module_go_version=find_module_go_version(str(path)))
        for f in evidence_findings(doc, path, evidence, config=config, registry=registry):
            located.append(locate(doc, display(Path(path)), f, registry, display=display))
    with output(args.output) as out:
        write_report(located, args.format, out, registry, trace=trace_header(evidence), json_envelope=True)
    return 1 if located else 0
