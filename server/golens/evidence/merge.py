"""Trace evidence as findings, and folded into the static findings it corroborates.

Which static rule is corroborated by which evidence, and where:

=================================  ==========================================  =================
static rule                        evidence                                    reasons
=================================  ==========================================  =================
category ``leak`` (GL101–GL108)    GT101 (goroutines blocked at trace end)     any
category ``sync`` (GL401–GL408)    GT201 (blocking hot spot), GT101            Mutex, RWMutex,
                                                                               WaitGroup, Cond
GL301 select-default-spin          GT501 (long running stretch)                —
GL305 nil-channel operation        GT101                                       forever
=================================  ==========================================  =================

"Where" is always the same test: the evidence's line — the ``go`` statement for GT101's creation
item, the block line for GT101's block item and GT201, the preempted line for GT501 — lies within
the lines of the static finding's range or of one of its related locations in the same file. So
GL101 at a send matches GT101's block item at that send, GL105 at a ``go`` statement matches the
creation item, GL106 at ``range ticker.C`` matches the block item there, and a rule that flags a
whole loop matches whatever the trace saw inside it.

A corroborated static finding keeps its rule id and range, gains the evidence in its message and
in ``data["trace"]``; when GT101 evidence that is not stale corroborates it (the runtime saw the
leak itself), it is raised one severity level. The
evidence it absorbed is not reported again. Evidence nothing absorbed stands alone as a GT…
finding (source "golens-trace").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from golens.config import Config
from golens.document import Document
from golens.findings import Finding, Related, Severity
from golens.registry import Registry, default_registry

from .analysis import COND, FOREVER, MUTEX, RWMUTEX, WAITGROUP, Evidence, TraceEvidence, fmt_duration

SOURCE = "golens-trace"
# Findings from pprof profiles (golens.profile): the same evidence shape, another instrument.
PROFILE_SOURCE = "golens-profile"
RUNTIME_SOURCES = frozenset({SOURCE, PROFILE_SOURCE})
# Evidence a static finding is raised one severity level for: the runtime saw the leak itself.
_LEAK_PROOF = frozenset({"GT101", "GP101"})

_SYNC_REASONS = frozenset({MUTEX, RWMUTEX, WAITGROUP, COND})
# category or rule id -> {evidence rule: allowed reasons (None = any)}
CORROBORATION: dict[str, dict[str, frozenset[str] | None]] = {
    "leak": {"GT101": None, "GP101": None, "GP102": None},
    "sync": {"GT201": _SYNC_REASONS, "GT101": _SYNC_REASONS, "GP201": None, "GP202": _SYNC_REASONS,
             "GP101": _SYNC_REASONS},
    "GL301": {"GT501": None},
    "GL305": {"GT101": frozenset({FOREVER})},  # an operation on a nil channel blocks forever
}


def evidence_rules_for(rule_id: str, registry: Registry) -> dict[str, frozenset[str] | None]:
    rule = registry.get(rule_id)
    if rule_id in CORROBORATION:
        return CORROBORATION[rule_id]
    if rule is not None and rule.kind == "static":
        return CORROBORATION.get(rule.category, {})
    return {}


# -- line geometry --------------------------------------------------------------------------------

def line_span(source: bytes, line_starts: list[int], line: int) -> tuple[int, int] | None:
    """(start, end) byte offsets of a 1-based line's text without indentation and trailing space."""
    i = line - 1
    if i < 0 or i >= len(line_starts):
        return None
    start = line_starts[i]
    end = line_starts[i + 1] - 1 if i + 1 < len(line_starts) else len(source)
    text = source[start:end]
    stripped = text.strip()
    if not stripped:
        return start, start
    lead = len(text) - len(text.lstrip())
    return start + lead, start + lead + len(stripped)


def _line_starts(source: bytes) -> list[int]:
    starts = [0]
    pos = source.find(b"\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = source.find(b"\n", pos + 1)
    return starts


@lru_cache(maxsize=256)
def _file_lines(path: str, mtime_ns: int) -> tuple[bytes, list[int]]:
    data = Path(path).read_bytes()
    return data, _line_starts(data)


def file_line_span(path: Path, line: int) -> tuple[int, int] | None:
    try:
        data, starts = _file_lines(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
    return line_span(data, starts, line)


# -- evidence -> findings -------------------------------------------------------------------------

def evidence_data(e: Evidence) -> dict:
    d = {"rule": e.rule, "message": e.message, "line": e.site.line, "func": e.site.func,
         "stale": e.site.stale, "reason": e.reason, "histogram": e.histogram}
    d.update(e.data)
    return d


def evidence_findings(doc: Document, path: Path, te: TraceEvidence, *, config: Config | None = None,
                      registry: Registry | None = None, source: str = SOURCE) -> list[Finding]:
    """The evidence whose site is `path`, as findings in `doc`'s byte offsets (disabled rules dropped)."""
    registry = registry or default_registry()
    starts = _line_starts(doc.source)
    out = []
    for e in te.for_path(path):
        rule = registry.get(e.rule)
        if rule is not None and config is not None and not config.is_enabled(rule):
            continue
        if rule is not None and config is None and not rule.default_enabled:
            continue
        span = line_span(doc.source, starts, e.site.line)
        if span is None:
            continue  # the file is now shorter than the line the trace saw: nothing to point at
        related = []
        for site, msg in e.related:
            if site.path == path:
                rs = line_span(doc.source, starts, site.line)
                if rs is not None:
                    related.append(Related(rs[0], rs[1], msg))
            else:
                rs = file_line_span(site.path, site.line)
                if rs is not None:
                    related.append(Related(rs[0], rs[1], msg, str(site.path)))
        severity = e.severity
        if config is not None and e.rule in config.severity and not e.stale:
            severity = config.severity[e.rule]
        out.append(Finding(e.rule, span[0], span[1], e.message, severity, tuple(related),
                           {"source": source, "evidence": evidence_data(e)}))
    return out


def _lines_of(doc: Document, start: int, end: int) -> range:
    a = doc.lines.position(start)[0] + 1
    b = doc.lines.position(max(start, end - 1 if end > start else end))[0] + 1
    return range(a, b + 1)


def merge_findings(doc: Document, static: Iterable[Finding], trace: Iterable[Finding],
                   registry: Registry | None = None) -> list[Finding]:
    """Static findings with the trace findings they corroborate folded in, plus the rest of the
    trace findings; sorted by position."""
    registry = registry or default_registry()
    trace = list(trace)
    used: set[int] = set()
    out: list[Finding] = []
    for f in static:
        wanted = evidence_rules_for(f.rule, registry)
        if not wanted:
            out.append(f)
            continue
        lines: set[int] = set(_lines_of(doc, f.start, f.end))
        for r in f.related:
            if r.path is None:
                lines.update(_lines_of(doc, r.start, r.end))
        matched = []
        for i, t in enumerate(trace):
            ev = (t.data or {}).get("evidence") or {}
            if t.rule not in wanted or ev.get("line") not in lines:
                continue
            reasons = wanted[t.rule]
            if reasons is not None and ev.get("reason") not in reasons:
                continue
            matched.append(i)
        if not matched:
            out.append(f)
            continue
        used.update(matched)
        evs = [trace[i].data["evidence"] for i in matched]
        # Only a leak the runtime saw proves the static finding's consequence: GT101/GP101 raise it.
        fresh = [e for e in evs if not e.get("stale") and e["rule"] in _LEAK_PROOF]
        by_source: dict[str, list[str]] = {}
        for e in _dedupe(evs):
            by_source.setdefault(e.get("evidence_source", "trace"), []).append(e["message"])
        notes = "; ".join(f"{where}: " + "; ".join(msgs) for where, msgs in by_source.items())
        severity = f.severity
        if fresh and f.severity > Severity.ERROR:
            severity = Severity(int(f.severity) - 1)
        data = dict(f.data or {})
        data["trace"] = evs
        out.append(replace(f, message=f"{f.message} — {notes}", severity=severity, data=data))
    out += [t for i, t in enumerate(trace) if i not in used]
    out.sort(key=lambda x: (x.start, x.rule))
    return out


def _dedupe(evs: list[dict]) -> list[dict]:
    """One note per evidence group: a GT101 creation item and its block item describe the same goroutines."""
    seen: set[tuple] = set()
    out = []
    for e in evs:
        if e.get("goroutine_ids"):
            key: tuple = (e["rule"], tuple(e["goroutine_ids"]), e.get("reason"))
        elif e["rule"] == "GP101":  # a profile's leak group: its go-statement and block-line items
            key = (e["rule"], e.get("reason"), (e.get("block") or {}).get("path"), (e.get("block") or {}).get("line"))
        else:
            key = (id(e),)
        if key in seen:
            continue
        seen.add(key)
        out.append(e)
    return out


def is_trace_finding(f: Finding) -> bool:
    """A finding the runtime reported on its own (a trace's GT… or a profile's GP…)."""
    return bool(f.data) and f.data.get("source") in RUNTIME_SOURCES


def summary_lines(te: TraceEvidence, display=str) -> list[str]:
    """The trace-wide summary, one fact per line (CLI, hover on `package`, the summary command)."""
    s = te.summary
    lines = [
        f"trace: {display(te.source) if te.source else '(bytes)'} — {s.format}, {fmt_duration(s.duration_ns)}"
        + (f", captured {s.wall_start:%Y-%m-%d %H:%M:%S} UTC" if s.wall_start else ""),
        f"goroutines: {s.goroutines_total} seen, {s.goroutines_created} created, {s.goroutines_ended} ended, "
        f"{s.goroutines_alive} alive at the end",
        f"GC: {s.gc_cycles} cycles, stop-the-world {fmt_duration(s.stw_total_ns)} in {s.stw_count} pauses",
    ]
    counts: dict[str, int] = {}
    for e in te.evidence:
        counts[e.rule] = counts.get(e.rule, 0) + 1
    if counts:
        lines.append("evidence: " + ", ".join(f"{k} ×{v}" for k, v in sorted(counts.items())))
    stale = sum(1 for e in te.evidence if e.stale)
    if stale:
        lines.append(f"stale: {stale} evidence items point at code that changed since the trace")
    if s.unresolved_frames:
        lines.append(f"unresolved frames: {s.unresolved_frames} (e.g. {', '.join(s.unresolved_examples[:3])})")
    if s.parked_without_stack:
        lines.append(f"{s.parked_without_stack} goroutines were parked for the whole trace with no stack recorded")
    if s.truncated:
        lines.append("the trace is truncated: " + "; ".join(s.warnings))
    return lines


def as_dict(obj) -> dict:
    return dataclasses.asdict(obj)
