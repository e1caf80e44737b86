"""`golens profile PROFILE...`: what pprof profiles (goroutineleak, goroutine, mutex, block) saw,
at the workspace lines that caused it; and the `--profile` half of `golens check`."""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from golens.cli import exit_status
from golens.cli.files import write_report
from golens.cli.trace import located_trace_findings
from golens.config import Config, ConfigError, find_config_file
from golens.document import Document
from golens.evidence import Workspace, fmt_duration
from golens.evidence.merge import PROFILE_SOURCE, evidence_findings
from golens.findings import Finding
from golens.profile import (
    USED_KINDS,
    ProfileError,
    ProfileEvidence,
    ProfileSet,
    ProfileThresholds,
    describe_kind,
    load_profile_evidence,
)
from golens.registry import Registry, default_registry
from golens.report.output import FORMATS, render
from golens.workspace_files import display_path


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "profile",
        help="profile evidence (GP rules) from pprof profiles, mapped to source",
        description="Read pprof profiles (goroutineleak, goroutine, mutex, block; the gzipped proto form "
        "runtime/pprof and /debug/pprof write) and report proven leaks, goroutine pile-ups, mutex contention "
        "and blocked waits at the workspace lines that caused them. Exit status: 0 nothing found, "
        "1 findings, 2 unreadable profile or usage error.",
    )
    p.add_argument("profiles", nargs="+", metavar="PROFILE", help="pprof profile files")
    p.add_argument("--root", type=Path, default=None,
                   help="workspace the profiles' frames are mapped onto (default: current directory)")
    p.add_argument("--kind", choices=USED_KINDS, help="refuse a profile of any other kind")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--config", type=Path, help="golens.toml to use (default: nearest above the root)")
    p.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")


def profile_thresholds_from(config_path: Path | None) -> ProfileThresholds:
    """The `[profile]` table of golens.toml (keys as in ProfileThresholds, dashes allowed)."""
    if config_path is None:
        return ProfileThresholds()
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config_path}: {exc}") from None
    table = data.get("profile")
    return ProfileThresholds.from_mapping(table if isinstance(table, dict) else None)


def load_profiles(paths: Sequence[str], root: Path, thresholds: ProfileThresholds,
                  expect: str | None = None) -> tuple[ProfileSet, list[str]]:
    """The profiles that could be read, and for each one that could not a message naming it and
    saying why (one bad profile does not cost the others' results)."""
    workspace = Workspace.scan(root) if paths else None
    loaded, errors = [], []
    for path in paths:
        try:
            loaded.append(load_profile_evidence(path, workspace=workspace, thresholds=thresholds, expect=expect))
        except ProfileError as exc:
            errors.append(f"{path}: {exc}")
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror or exc}")
    return ProfileSet(loaded), errors


def profile_findings(doc: Document, path: Path, profiles: ProfileSet, *, config: Config | None,
                     registry: Registry) -> list[Finding]:
    return evidence_findings(doc, path, profiles, config=config, registry=registry,
                             source=PROFILE_SOURCE)


def summary_lines(pe: ProfileEvidence, display: Callable[[str], str] = str) -> list[str]:
    s = pe.summary
    written = ""
    if s.time_nanos:
        when = _dt.datetime.fromtimestamp(s.time_nanos / 1e9, _dt.UTC)
        written = f", written {when:%Y-%m-%d %H:%M:%S} UTC"
    what = {"goroutineleak": "leaked goroutines", "goroutine": "goroutines"}.get(s.kind, "contentions")
    line = f"profile: {display(pe.source)} — {describe_kind(s.kind)}, {s.total_count} {what}"
    if s.kind in ("mutex", "block"):
        line += f", {fmt_duration(s.total_delay_ns)} delay"
    line += f" ({s.mapped_count} at workspace lines){written}"
    out = [line]
    out += s.notes
    if s.unresolved_frames:
        out.append(f"unresolved frames: {s.unresolved_frames} (e.g. {', '.join(s.unresolved_examples[:3])})")
    return out


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
        thresholds = profile_thresholds_from(config_path)
    except ConfigError as exc:
        return _error(str(exc))
    profiles, errors = load_profiles(args.profiles, root, thresholds, expect=args.kind)
    cwd = Path.cwd().resolve()

    def display(p: str | Path) -> str:
        return display_path(Path(p), cwd)

    located = located_trace_findings(profiles, config, registry, display, evidence_source=PROFILE_SOURCE)  # type: ignore[arg-type]
    summary = [line for pe in profiles.profiles for line in summary_lines(pe, display)]
    properties = {"profiles": [{"path": display(pe.source), **pe.summary.as_dict()} for pe in profiles.profiles]}
    unwritten = write_report(args.output, lambda out: render(out, args.format, located, registry, summary=summary,
                                                             json_properties=properties,
                                                             sarif_properties=properties))
    if unwritten is not None:
        errors.append(unwritten)
    return exit_status(errors, bool(located))
