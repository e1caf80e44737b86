"""`golens trace TRACE`: what the runtime saw, at the workspace lines that caused it; and the
`--trace` half of `golens check` (static and trace findings merged)."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import TextIO

from golens.cli.files import display_path, go_files, printable, write_report
from golens.config import Config, ConfigError, find_config_file
from golens.document import Document, find_module_go_version
from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.evidence import Thresholds, TraceEvidence, Workspace, load_evidence
from golens.evidence.load import load_trace_and_evidence
from golens.evidence.located import locate_with_evidence
from golens.evidence.merge import SOURCE, evidence_findings, merge_findings, summary_lines
from golens.export import export_trace
from golens.registry import default_registry
from golens.safeio import FileTooLargeError, read_regular, read_regular_text
from golens.trace import TraceError

FORMATS = ("text", "json", "sarif")
EXPORT_FORMATS = {
    "pprof": "blocked-time (default sample type) and on-CPU profiles, gzipped profile.proto "
             "(go tool pprof, speedscope)",
    "perfetto": "goroutine states as Chrome trace-event JSON (ui.perfetto.dev)",
}


def register(subparsers) -> None:
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


def _load(trace: str, root: Path, thresholds: Thresholds) -> TraceEvidence:
    return load_evidence(trace, workspace=Workspace.scan(root), thresholds=thresholds)


def _error(msg: str) -> int:
    print(f"golens: {msg}", file=sys.stderr)
    return 2


def _trace_error(trace: str, exc: Exception) -> str:
    if isinstance(exc, TraceError):
        return f"{trace}: not a readable Go execution trace: {exc}"
    if isinstance(exc, OSError):
        return f"{trace}: {exc.strerror or exc}"
    return f"{trace}: {exc}"


def run(args) -> int:
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
    unknown = [fmt for fmt, _ in args.export if fmt not in EXPORT_FORMATS]
    if unknown:
        return _error(f"--export {unknown[0]}: unknown format (known: {', '.join(EXPORT_FORMATS)})")
    workspace = Workspace.scan(root)
    try:
        trace, te = load_trace_and_evidence(args.trace, thresholds=thresholds, workspace=workspace)
    except (TraceError, OSError, ValueError) as exc:
        return _error(_trace_error(args.trace, exc))
    cwd = Path.cwd().resolve()
    display = lambda p: display_path(Path(p), cwd)  # noqa: E731
    for fmt, dest in args.export:
        try:
            export_trace(fmt, trace, workspace, Path(dest))
        except OSError as exc:
            return _error(f"{dest}: {exc.strerror or exc}")
    located = located_trace_findings(te, config, registry, display)
    unwritten = _write(args, located, te, display)
    for problem in [*config.problems, *([unwritten] if unwritten else [])]:
        print(f"golens: {problem}", file=sys.stderr)
    if config.problems or unwritten:
        return 2
    return 1 if located else 0


def located_trace_findings(te: TraceEvidence, config: Config, registry, display, evidence_source: str = SOURCE) -> list:
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
            located.append(locate_with_evidence(doc, display(path), f, registry, display))
    return located


def _write(args, located, te: TraceEvidence | None, display, notes: list[str] | None = None) -> str | None:
    """Write the report; a one-line message when it could not be written."""

    def report(out: TextIO) -> None:
        if args.format == "json":
            from dataclasses import asdict

            if te is not None and getattr(args, "command", "") == "trace":
                json.dump({"trace": display(te.source), "summary": te.summary.as_dict(),
                           "findings": [asdict(f) for f in located]}, out, indent=2, ensure_ascii=False, default=str)
            else:
                json.dump([asdict(f) for f in located], out, indent=2, ensure_ascii=False, default=str)
            out.write("\n")
        elif args.format == "sarif":
            from golens.report.sarif import build_sarif

            sarif = build_sarif(located, default_registry(), Path.cwd())
            results = sarif["runs"][0]["results"]
            for result, f in zip(results, located, strict=True):
                props = {"source": f.source}
                if getattr(f, "evidence", None):
                    props["evidence"] = f.evidence
                result["properties"] = props
            if te is not None:
                sarif["runs"][0]["properties"] = {"trace": display(te.source), "traceSummary": te.summary.as_dict()}
            json.dump(sarif, out, indent=2, ensure_ascii=False, default=str)
            out.write("\n")
        else:
            from golens.report.text import write_text

            write_text(located, out)
            lines = (summary_lines(te, display) if te is not None else []) + (notes or [])
            out.write("\n" if located and lines else "")
            for line in lines:
                out.write(f"# {line}\n")

    return write_report(getattr(args, "output", None), report)


def run_check_with_trace(args) -> int:
    """`golens check PATH… --trace TRACE --profile P…`: every file checked statically, trace and
    profile evidence of the checked files folded in (see golens.evidence.merge for which rules
    corroborate which)."""
    from golens.cli.check import _Checker
    from golens.cli.profile import load_profiles, profile_findings, profile_thresholds_from
    from golens.cli.profile import summary_lines as profile_summary_lines

    registry = default_registry()
    if getattr(args, "fix", False):
        return _error("--fix cannot be combined with --trace or --profile")
    paths = [Path(p) for p in args.paths]
    first = paths[0] if paths else Path(".")
    root = (getattr(args, "trace_root", None) or (first if first.is_dir() else first.parent)).resolve()
    unlistable: list[str] = []
    try:
        files = list(go_files(args.paths, unlistable.append))
    except FileNotFoundError as exc:
        return _error(f"no such file or directory: {printable(exc.args[0])}")
    try:
        config_path = args.config or find_config_file(root)
        thresholds = thresholds_from(config_path)
        checker = _Checker(args.config, Path.cwd().resolve())
    except ConfigError as exc:
        return _error(str(exc))
    errors: list[str] = list(unlistable)
    te: TraceEvidence | None = None
    if args.trace:
        try:
            te = _load(args.trace, root, thresholds)
        except (TraceError, OSError, ValueError) as exc:
            # The static findings do not depend on the trace: report them, and the trace's problem once.
            errors.append(_trace_error(args.trace, exc))
    try:
        profiles, profile_errors = load_profiles(getattr(args, "profile", None) or [], root,
                                                 profile_thresholds_from(config_path))
    except ConfigError as exc:
        return _error(str(exc))
    errors += profile_errors
    cwd = Path.cwd().resolve()
    display = lambda p: display_path(Path(p), cwd)  # noqa: E731
    located = []
    for path in files:
        shown = display_path(path, cwd)
        try:
            config = checker.config_for(path)
            source = read_regular(path, config.max_file_bytes)
        except FileTooLargeError:
            continue  # not checked, as in `golens check`
        except OSError as exc:
            errors.append(f"{shown}: {exc.strerror or exc}")
            continue
        except ConfigError as exc:
            errors.append(str(exc))
            continue
        doc = Document(source, str(path), module_go_version=find_module_go_version(str(path)),
                       max_bytes=config.max_file_bytes)
        result = checker.engine.check(doc, config=config)
        errors += [f"{shown}: internal error in {f.rule}: {f.error}" for f in result.failures]
        runtime_findings = evidence_findings(doc, path.resolve(), te, config=config, registry=registry) if te else []
        runtime_findings += profile_findings(doc, path.resolve(), profiles, config=config, registry=registry)
        for f in merge_findings(doc, result.findings, runtime_findings, registry):
            located.append(locate_with_evidence(doc, shown, f, registry, display))
    errors[:0] = checker.unreported  # problems of the golens.toml files used
    notes = [line for pe in profiles.profiles for line in profile_summary_lines(pe, display)]
    if (unwritten := _write(args, located, te, display, notes)) is not None:
        errors.append(unwritten)
    for error in errors:
        print(f"golens: {error}", file=sys.stderr)
    if errors:
        return 2
    return 1 if located else 0
