"""`golens diff BEFORE AFTER`: two traces, or two profiles of one kind, compared per line and reason
(see golens.profile.diff for what is compared and the noise rule)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from golens.cli.files import write_report
from golens.cli.profile import profile_thresholds_from
from golens.config import ConfigError, find_config_file
from golens.evidence import fmt_duration
from golens.profile.diff import DiffError, DiffResult, Measure, Row, diff_files
from golens.workspace_files import display_path

FORMATS = ("text", "json", "markdown")
FAIL_ON = ("new-leaks", "introduced", "worse")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "diff",
        help="compare two traces, or two profiles of one kind, before and after a change",
        description="Compare what two runs of one program saw, per line and reason: blocked time and counts "
        "before → after, leaks gone and new, GT/GP findings resolved and introduced. Changes within one run's "
        "noise are labelled so (the rule is printed). Exit status: 0, 1 when a --fail-on condition holds, "
        "2 for inputs that cannot be compared.",
    )
    p.add_argument("before", metavar="BEFORE", help="trace or pprof profile of the earlier run")
    p.add_argument("after", metavar="AFTER", help="trace or profile of the same kind, of the later run")
    p.add_argument("--root", type=Path, default=None,
                   help="workspace the frames are mapped onto (default: current directory)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--fail-on", action="append", default=[], choices=FAIL_ON,
                   help="exit 1 when AFTER has new leaks, introduced findings, or lines that got worse (repeatable)")
    p.add_argument("--config", type=Path, help="golens.toml with [profile] thresholds (default: nearest above the root)")
    p.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")


def run(args: argparse.Namespace) -> int:
    root = (args.root or Path.cwd()).resolve()
    if not root.is_dir():
        print(f"golens: --root {args.root}: not a directory", file=sys.stderr)
        return 2
    try:
        thresholds = profile_thresholds_from(args.config or find_config_file(root))
        result = diff_files(args.before, args.after, root, thresholds=thresholds)
    except (DiffError, ConfigError) as exc:
        print(f"golens: {exc}", file=sys.stderr)
        return 2
    cwd = Path.cwd().resolve()

    def display(p: str) -> str:
        return display_path(Path(p), cwd)

    writer = {"json": write_json, "markdown": write_markdown}.get(args.format, write_text)
    unwritten = write_report(args.output, lambda out: writer(out, result, display))
    if unwritten is not None:
        print(f"golens: {unwritten}", file=sys.stderr)
        return 2
    failed = (("new-leaks" in args.fail_on and result.leaks_new)
              or ("introduced" in args.fail_on and result.introduced)
              or ("worse" in args.fail_on and any(r.label in ("worse", "new") for r in result.rows)))
    return 1 if failed else 0


def _measure(m: Measure | None) -> str:
    if m is None:
        return "—"
    count, total = m
    return f"{count}×" if total is None else f"{count}× {fmt_duration(total)}"


def _change(r: Row) -> str:
    if r.before is None or r.after is None:
        return ""
    (c0, t0), (c1, t1) = r.before, r.after
    old, new = (c0, c1) if t0 is None or t1 is None else (t0, t1)
    if old == 0:
        return ""
    return f"{(new - old) * 100 / old:+.0f}%"


def _heading(result: DiffResult, display: Any) -> str:
    kind = "traces" if result.before.kind == "trace" else f"{result.before.kind} profiles"
    return f"diff of {kind}: {display(result.before.source)} → {display(result.after.source)}"


def write_text(out: TextIO, result: DiffResult, display: Any) -> None:
    out.write(f"# {_heading(result, display)}\n# noise rule: {result.noise_rule}\n")
    for note in result.notes:
        out.write(f"# {note}\n")
    for r in result.rows:
        change = _change(r)
        out.write(f"{r.label:<6}  {r.path}:{r.line}  {r.reason}: {_measure(r.before)} → {_measure(r.after)}"
                  + (f" ({change})" if change else "") + "\n")
    for title, items in (("leaks gone", [(k, f"{n} goroutines before") for k, n in result.leaks_gone]),
                         ("leaks new", [(k, f"{n} goroutines after") for k, n in result.leaks_new]),
                         ("leaks still there", [(k, f"{a} → {b} goroutines") for k, a, b in result.leaks_kept])):
        for (path, line, reason), what in items:
            out.write(f"{title}: {path}:{line} {reason} ({what})\n")
    for title, found in (("resolved", result.resolved), ("introduced", result.introduced)):
        for (rule, path, line, _), message in found:
            out.write(f"{title}: {rule} {path}:{line} {message}\n")


def write_json(out: TextIO, result: DiffResult, display: Any) -> None:
    data = result.as_dict()
    data["before"]["source"] = display(result.before.source)
    data["after"]["source"] = display(result.after.source)
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_markdown(out: TextIO, result: DiffResult, display: Any) -> None:
    out.write(f"## golens {_cell(_heading(result, display))}\n\n")
    out.write(f"Noise rule: {result.noise_rule}.\n")
    for note in result.notes:
        out.write(f"\n> {_cell(note)}\n")
    out.write("\n| change | line | reason | before | after | Δ |\n|---|---|---|---|---|---|\n")
    for r in result.rows:
        out.write(f"| {r.label} | `{_cell(r.path)}:{r.line}` | {_cell(r.reason)} | {_measure(r.before)} | "
                  f"{_measure(r.after)} | {_change(r)} |\n")
    if result.leaks_gone or result.leaks_new or result.leaks_kept:
        out.write("\n### Leaks\n\n| | line | reason | goroutines |\n|---|---|---|---|\n")
        for (path, line, reason), n in result.leaks_gone:
            out.write(f"| gone | `{_cell(path)}:{line}` | {_cell(reason)} | {n} → 0 |\n")
        for (path, line, reason), n in result.leaks_new:
            out.write(f"| new | `{_cell(path)}:{line}` | {_cell(reason)} | 0 → {n} |\n")
        for (path, line, reason), a, b in result.leaks_kept:
            out.write(f"| still there | `{_cell(path)}:{line}` | {_cell(reason)} | {a} → {b} |\n")
    if result.resolved or result.introduced:
        out.write("\n### Findings\n\n| | rule | line | message |\n|---|---|---|---|\n")
        for title, found in (("resolved", result.resolved), ("introduced", result.introduced)):
            for (rule, path, line, _), message in found:
                out.write(f"| {title} | {rule} | `{_cell(path)}:{line}` | {_cell(message)} |\n")
