"""The trace report: one self-contained HTML file (no network at view time).

Flame graphs of blocked time (all reasons and each reason) and of on-CPU stretches, a timeline of
goroutine groups by creation line (leaked groups first), the trace findings as a sortable table
and, given a baseline trace, a difference flame graph. The drawing is hand-written JS/CSS in
``html_assets/`` (about 400 lines; a flame-graph library would bring d3 and still need the
timeline, the diff layout and the editor links written here); this module turns a
``TraceAggregate`` into the JSON the page draws from.

Size does not grow with the trace: stacks are aggregated into one tree per view, frames narrower
than ``MIN_FRACTION`` of their view are folded into their parent and at most ``MAX_NODES`` are
kept per view, the timeline has a fixed number of buckets and at most ``MAX_GROUPS`` rows.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from golens.evidence import TraceEvidence, Workspace, fmt_duration
from golens.evidence.mapping import Where
from golens.export.aggregate import RUNNING, Group, TraceAggregate, Weight
from golens.report import LocatedFinding
from golens.trace import Frame, StackTable

MIN_FRACTION = 1e-4
# Frames per flame graph, at most: far more than its width in pixels can show, and what keeps
# a trace with a hundred thousand distinct stacks to a page of a few MB.
MAX_NODES = 5000
MAX_GROUPS = 60
# Reasons in the order their tabs appear; others follow by total.
_REASON_ORDER = ("chan receive", "chan send", "select", "sync.Mutex", "sync.RWMutex", "sync.WaitGroup",
                 "sync.Cond", "forever", "network", "syscall", "sleep", "fd lock", "coroutine", "unknown")
# Evidence keys that hold a Stats.as_dict() whose total is the finding's headline number.
_TOTAL_KEYS = ("blocked", "running", "latency", "syscall", "durations")

FrameKey = Callable[[Frame], tuple[str | int, ...]]


def by_line(f: Frame) -> tuple[str | int, ...]:
    return (f.func, f.file, f.line)


def by_function(f: Frame) -> tuple[str | int, ...]:
    """Across two builds lines move; functions stay: the diff compares functions."""
    return (f.func,)


@dataclass
class _Tables:
    """String and file tables shared by every tree of one report (keeps the JSON small)."""

    workspace: Workspace
    names: list[str]
    name_index: dict[str, int]
    files: list[list[str]]  # [display, absolute path when it is a workspace file, else ""]
    file_index: dict[str, int]

    @classmethod
    def new(cls, workspace: Workspace) -> _Tables:
        return cls(workspace, [], {}, [], {})

    def name(self, s: str) -> int:
        i = self.name_index.get(s)
        if i is None:
            i = self.name_index[s] = len(self.names)
            self.names.append(s)
        return i

    def file(self, file: str, func: str) -> int:
        if not file:
            return -1
        i = self.file_index.get(file)
        if i is None:
            res = self.workspace.resolve(file, func)
            if res.where is Where.WORKSPACE and res.path is not None:
                entry = [self.workspace.display(res.path), str(res.path)]
            else:
                entry = [file, ""]
            i = self.file_index[file] = len(self.files)
            self.files.append(entry)
        return i


class _Node:
    __slots__ = ("frame", "value", "open", "count", "before", "children")

    def __init__(self, frame: Frame | None) -> None:
        self.frame = frame
        self.value = self.open = self.count = self.before = 0
        self.children: dict[tuple[str | int, ...], _Node] = {}


def _add_stacks(root: _Node, weights: dict[int, Weight], stacks: StackTable, key: FrameKey, *,
                before: bool = False) -> None:
    for sid, w in weights.items():
        stack = stacks.get(sid)
        frames = reversed(stack.frames) if stack is not None else ()
        nodes = [root]
        node = root
        for f in frames:
            k = key(f)
            child = node.children.get(k)
            if child is None:
                child = node.children[k] = _Node(f)
            node = child
            nodes.append(node)
        if node is root and stack is None:
            k = ("(no stack)",)
            node = root.children.get(k) or root.children.setdefault(k, _Node(Frame("(no stack)", "", 0, 0)))
            nodes.append(node)
        for n in nodes:
            if before:
                n.before += w.total_ns
            else:
                n.value += w.total_ns
                n.open += w.open_ns
                n.count += w.total_count


def _encode(node: _Node, tables: _Tables, floor: float, diff: bool) -> list[Any]:
    """[name, file, line, value, open, count, children] or, for a diff, [name, file, line, after,
    before, children]; children widest first, those under `floor` folded into their parent."""
    f = node.frame
    name = tables.name(f.func or "?") if f is not None else -1
    file = tables.file(f.file, f.func) if f is not None else -1
    line = f.line if f is not None else 0
    kids = sorted((c for c in node.children.values() if max(c.value, c.before) > floor),
                  key=lambda c: -max(c.value, c.before))
    encoded = [_encode(c, tables, floor, diff) for c in kids]
    if diff:
        return [name, file, line, node.value, node.before, encoded]
    return [name, file, line, node.value, node.open, node.count, encoded]


def _floor(root: _Node) -> float:
    """The width a frame must exceed to be drawn: MIN_FRACTION of the view, raised until at most
    MAX_NODES frames are left. A frame is never wider than its parent, so what is left stays one
    tree."""
    floor = max(root.value, root.before) * MIN_FRACTION
    widths = []
    pending = [root]
    while pending:
        node = pending.pop()
        for child in node.children.values():
            width = max(child.value, child.before)
            if width > floor:
                widths.append(width)
                pending.append(child)
    if len(widths) >= MAX_NODES:
        widths.sort(reverse=True)
        floor = max(floor, widths[MAX_NODES - 1])
    return floor


def flame_tree(weights: dict[int, Weight], stacks: StackTable, tables: _Tables) -> list[Any]:
    root = _Node(None)
    _add_stacks(root, weights, stacks, by_line)
    return _encode(root, tables, _floor(root), diff=False)


def diff_tree(after: Iterable[dict[int, Weight]], after_stacks: StackTable, before: Iterable[dict[int, Weight]],
              before_stacks: StackTable, tables: _Tables) -> list[Any]:
    root = _Node(None)
    for weights in after:
        _add_stacks(root, weights, after_stacks, by_function)
    for weights in before:
        _add_stacks(root, weights, before_stacks, by_function, before=True)
    return _encode(root, tables, _floor(root), diff=True)


def _reason_order(reasons: Iterable[str], totals: dict[str, int]) -> list[str]:
    known = [r for r in _REASON_ORDER if r in totals]
    rest = sorted((r for r in reasons if r not in _REASON_ORDER), key=lambda r: -totals[r])
    return known + rest


def _flames(agg: TraceAggregate, tables: _Tables) -> list[dict[str, Any]]:
    stacks = agg.trace.stacks
    totals = {r: agg.blocked_total(r) for r in agg.blocked}
    views = []
    if agg.blocked:
        all_reasons: dict[int, Weight] = {}
        for table in agg.blocked.values():
            for sid, w in table.items():
                m = all_reasons.setdefault(sid, Weight())
                m.ns += w.ns
                m.count += w.count
                m.open_ns += w.open_ns
                m.open_count += w.open_count
        views.append({"id": "blocked", "label": "blocked: all reasons", "kind": "blocked",
                      "tree": flame_tree(all_reasons, stacks, tables)})
        for reason in _reason_order(agg.blocked, totals):
            if totals[reason]:
                views.append({"id": f"blocked:{reason}", "label": reason, "kind": "blocked",
                              "tree": flame_tree(agg.blocked[reason], stacks, tables)})
    if agg.running_total():
        views.append({"id": "cpu", "label": RUNNING, "kind": "cpu", "tree": flame_tree(agg.running, stacks, tables)})
    return views


def _group_dict(g: Group, display: Callable[[Path], str]) -> dict[str, Any]:
    label = f"{display(g.path)}:{g.line}" if g.path is not None else g.label
    return {"label": label, "func": g.func, "path": str(g.path) if g.path else "", "line": g.line,
            "goroutines": g.goroutines, "created": g.created, "ended": g.ended, "alive": g.alive_at_end,
            "blockedAtEnd": g.blocked_at_end, "leaked": g.leaked, "states": g.states}


def _groups(agg: TraceAggregate, leak_sites: set[tuple[str, int]], display: Callable[[Path], str]) -> list[dict[str, Any]]:
    for g in agg.groups:
        g.leaked = g.path is not None and (str(g.path), g.line) in leak_sites
    ordered = sorted(agg.groups, key=lambda g: (not g.leaked, -g.blocked_at_end, -g.alive_at_end, -g.goroutines,
                                                g.label))
    shown = ordered[:MAX_GROUPS]
    out = [_group_dict(g, display) for g in shown]
    rest = ordered[MAX_GROUPS:]
    if rest:
        merged = Group(f"{len(rest)} more groups", "")
        for g in rest:
            merged.goroutines += g.goroutines
            merged.created += g.created
            merged.ended += g.ended
            merged.blocked_at_end += g.blocked_at_end
        merged.states = {name: [round(sum(vals), 3) for vals in zip(*(g.states[name] for g in rest), strict=True)]
                         for name in rest[0].states}
        out.append(_group_dict(merged, display))
    return out


def finding_total(evidence: dict[str, Any] | None) -> int:
    """The headline duration of a trace finding (its Stats total), 0 when it has none."""
    if not evidence:
        return 0
    for key in ("total_ns", "delay_ns"):  # GT301's kernel + lost-P time; a GP finding's profile delay
        if isinstance(evidence.get(key), int):
            return int(evidence[key])
    for key in _TOTAL_KEYS:
        stats = evidence.get(key)
        if isinstance(stats, dict) and isinstance(stats.get("total_ns"), int):
            return int(stats["total_ns"])
    return 0


def _finding_rows(findings: Sequence[LocatedFinding], base: Path) -> list[dict[str, Any]]:
    rows = []
    for f in findings:
        evidence = getattr(f, "evidence", None)
        ev = evidence if isinstance(evidence, dict) else {}
        goroutines = ev.get("goroutines")
        rows.append({"rule": f.rule, "severity": f.severity, "path": f.path, "abs": str((base / f.path).resolve()),
                     "line": f.start.line, "message": f.message,
                     "goroutines": goroutines if isinstance(goroutines, int) else None,
                     "totalNs": finding_total(ev)})
    return rows


def report_data(agg: TraceAggregate, te: TraceEvidence, findings: Sequence[LocatedFinding], workspace: Workspace, *,
                trace_name: str, display: Callable[[Path], str], base: Path | None = None,
                baseline: TraceAggregate | None = None, baseline_name: str = "",
                links: str = "file") -> dict[str, Any]:
    """Everything the page draws; `display` shows paths as the findings show them, relative to
    `base` (default: the current directory)."""
    tables = _Tables.new(workspace)
    leak_sites = {e.site.key for e in te.evidence if e.rule == "GT101" and e.data.get("anchor") == "creation"}
    trace = agg.trace
    s = te.summary
    data: dict[str, Any] = {
        "trace": trace_name,
        "durationNs": trace.duration_ns,
        "durationText": fmt_duration(trace.duration_ns),
        "format": s.format,
        "wallStart": s.wall_start.isoformat() if s.wall_start else None,
        "summary": {"goroutines": s.goroutines_total, "created": s.goroutines_created, "ended": s.goroutines_ended,
                    "alive": s.goroutines_alive, "gcCycles": s.gc_cycles, "truncated": s.truncated,
                    "warnings": s.warnings},
        "links": links,
        "root": str(workspace.root),
        "flames": _flames(agg, tables),
        "groups": _groups(agg, leak_sites, display),
        "bucketNs": agg.bucket_ns,
        "findings": _finding_rows(findings, base or Path.cwd()),
        "diff": None,
    }
    data["empty"] = not (data["flames"] or data["groups"] or data["findings"])
    if baseline is not None:
        data["diff"] = {"baseline": baseline_name,
                        "tree": diff_tree(agg.blocked.values(), trace.stacks, baseline.blocked.values(),
                                          baseline.trace.stacks, tables)}
    data["names"] = tables.names
    data["files"] = tables.files
    return data


def _asset(name: str) -> str:
    return resources.files("golens.report").joinpath("html_assets", name).read_text(encoding="utf-8")


def _script_json(data: dict[str, Any]) -> str:
    """JSON that cannot end the <script> element it sits in, nor break a JS string."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_html(data: dict[str, Any]) -> str:
    nonce = secrets.token_urlsafe(18)
    title = f"golens trace report — {data['trace']}"
    csp = (f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    from html import escape

    return _asset("report.html").format(
        csp=escape(csp, quote=True),
        nonce=nonce,
        title=escape(title),
        css=_asset("report.css"),
        js=_asset("report.js"),
        data=_script_json(data),
    )
