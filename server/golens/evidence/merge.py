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

"Where": evidence is folded into a static finding when its line — the ``go`` statement for
GT101's creation item, the block line for GT101's block item and GT201, the preempted line for
GT501 — lies within the static finding's range. So GL101 at a send absorbs GT101's block item
at that send, GL105 at a ``go`` statement the creation item, GL106 at ``range ticker.C`` the
block item there, and a rule that flags a whole loop whatever the trace saw inside it. Evidence
at one of the finding's related lines (GL405's ``Lock`` line, where the other goroutines queue)
is quoted with its line ("4 goroutines waited 120 ms at line 32 for this lock while it was held
here") and is still reported at that line.

A corroborated static finding keeps its rule id and range, gains the evidence in its message and
in ``data["trace"]`` (quoted related-line evidence in ``data["trace_related"]``); when GT101
evidence that is not stale corroborates it (the runtime saw the leak itself), it is raised one
severity level, and a latency-class rule in ``TRACE_JOINS`` is raised to its join's severity
when the trace measured the cost it predicts. The evidence it absorbed is not reported again.
Evidence nothing absorbed stands alone as a GT…
finding (source "golens-trace").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from golens.config import Config
from golens.document import Document
from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.document.lines import LineIndex
from golens.findings import Finding, Related, Severity
from golens.registry import Registry, default_registry
from golens.safeio import read_regular

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

def line_span(source: bytes, lines: LineIndex, line: int) -> tuple[int, int] | None:
    """(start, end) byte offsets of a 1-based line's text without indentation and trailing space."""
    i = line - 1
    if i < 0 or i >= lines.line_count:
        return None
    start, end = lines.line_start(i), lines.line_end(i)
    text = source[start:end]
    stripped = text.strip()
    if not stripped:
        return start, start
    lead = len(text) - len(text.lstrip())
    return start + lead, start + lead + len(stripped)


@lru_cache(maxsize=256)
def file_lines(path: str, mtime_ns: int) -> tuple[bytes, LineIndex]:
    """A file's bytes and line index, cached while its mtime stays (related locations in other files)."""
    data = read_regular(path, DEFAULT_MAX_FILE_BYTES)
    return data, LineIndex(data)


def file_line_span(path: Path, line: int) -> tuple[int, int] | None:
    try:
        data, lines = file_lines(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
    return line_span(data, lines, line)


# -- evidence -> findings -------------------------------------------------------------------------

def evidence_data(e: Evidence) -> dict:
    d = {"rule": e.rule, "message": e.message, "line": e.site.line, "func": e.site.func,
         "stale": e.site.stale, "reason": e.reason, "histogram": e.histogram}
    d.update(e.data)
    return d


class EvidenceByPath(Protocol):
    """What evidence_findings reads: a trace's or a profile set's evidence, by workspace file."""

    def for_path(self, path: Path) -> Sequence[Evidence]: ...


class DocumentEvidence:
    """One document's evidence, already shifted to its current lines (the editor's view)."""

    def __init__(self, evidence: Sequence[Evidence]):
        self.evidence = evidence

    def for_path(self, path: Path) -> Sequence[Evidence]:
        return self.evidence


def evidence_findings(doc: Document, path: Path, te: EvidenceByPath, *, config: Config | None = None,
                      registry: Registry | None = None, source: str = SOURCE) -> list[Finding]:
    """The evidence whose site is `path`, as findings in `doc`'s byte offsets (disabled rules dropped)."""
    registry = registry or default_registry()
    out = []
    for e in te.for_path(path):
        rule = registry.get(e.rule)
        if rule is not None and config is not None and not config.is_enabled(rule):
            continue
        if rule is not None and config is None and not rule.default_enabled:
            continue
        span = line_span(doc.source, doc.lines, e.site.line)
        if span is None:
            continue  # the file is now shorter than the line the trace saw: nothing to point at
        related = []
        for site, msg in e.related:
            if site.path == path:
                rs = line_span(doc.source, doc.lines, site.line)
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


@dataclass(frozen=True)
class TraceJoin:
    """A latency-class static finding whose cost shows in the trace at one of its related lines
    (where other goroutines waited), not at its own: GL405's sleep under a lock is paid by the
    goroutines queued at the `Lock` line. When the trace shows such waits (not stale), the finding
    is raised to `raise_to`, and the note says where the goroutines waited."""

    evidence: frozenset[str]  # GT rules
    reasons: frozenset[str]
    raise_to: Severity
    waited_for: str  # what the goroutines waited for, as the note names it


TRACE_JOINS: dict[str, TraceJoin] = {
    # The block profile measures the same cost: the waits at the Lock line.
    "GL405": TraceJoin(frozenset({"GT201", "GT101", "GP202"}), frozenset({MUTEX, RWMUTEX}), Severity.WARNING,
                       "this lock"),
}


def merge_findings(doc: Document, static: Iterable[Finding], trace: Iterable[Finding],
                   registry: Registry | None = None) -> list[Finding]:
    """Static findings with the trace findings they corroborate folded in, plus the rest of the
    trace findings; sorted by position.

    Evidence at the static finding's own lines is folded in (and not reported again); evidence
    at one of its related lines is quoted with its line and stays reported where it is, unless
    it describes the same goroutines as evidence already folded in (GT101's creation and block
    items)."""
    registry = registry or default_registry()
    trace = list(trace)
    used: set[int] = set()
    out: list[Finding] = []
    for f in static:
        wanted = evidence_rules_for(f.rule, registry)
        if not wanted:
            out.append(f)
            continue
        own: set[int] = set(_lines_of(doc, f.start, f.end))
        related: set[int] = set()
        for r in f.related:
            if r.path is None:
                related.update(_lines_of(doc, r.start, r.end))
        related -= own
        here, elsewhere = [], []
        for i, t in enumerate(trace):
            ev = (t.data or {}).get("evidence") or {}
            if t.rule not in wanted or ev.get("line") not in own | related:
                continue
            reasons = wanted[t.rule]
            if reasons is not None and ev.get("reason") not in reasons:
                continue
            (here if ev["line"] in own else elsewhere).append(i)
        if not here and not elsewhere:
            out.append(f)
            continue
        evs = [trace[i].data["evidence"] for i in here]
        folded = {_group_key(e) for e in evs}
        quoted = []
        for i in elsewhere:
            e = trace[i].data["evidence"]
            if _group_key(e) in folded:
                here.append(i)  # the same goroutines, already described by an item folded in
                evs.append(e)
            else:
                quoted.append(e)
        used.update(here)
        join = TRACE_JOINS.get(f.rule)
        # Each instrument's notes under its own name: "trace: …; mutex profile: …".
        by_source: dict[str, list[str]] = {}
        for e in _dedupe(evs):
            by_source.setdefault(e.get("evidence_source", "trace"), []).append(e["message"])
        for e in quoted:
            by_source.setdefault(e.get("evidence_source", "trace"), []).append(_quote_elsewhere(e, join))
        severity = f.severity
        data = dict(f.data or {})
        # Already merged with another instrument's evidence (the editor folds a trace's, then the
        # profiles'): append to it rather than start over, and raise the severity only once.
        earlier = data.get("trace", []) + data.get("trace_related", [])
        # Only a leak the runtime saw proves the static finding's consequence: GT101/GP101 raise it.
        proven = [e for e in evs + quoted if not e.get("stale") and e["rule"] in _LEAK_PROOF]
        if proven and not any(e["rule"] in _LEAK_PROOF and not e.get("stale") for e in earlier) \
                and f.severity > Severity.ERROR:
            severity = Severity(int(f.severity) - 1)
        if join is not None and severity > join.raise_to and any(
                not e.get("stale") and e["rule"] in join.evidence and e.get("reason") in join.reasons
                for e in evs + quoted):
            severity = join.raise_to
        if evs:
            data["trace"] = data.get("trace", []) + evs
        if quoted:
            data["trace_related"] = data.get("trace_related", []) + quoted
        notes = "; ".join(f"{where}: " + "; ".join(msgs) for where, msgs in by_source.items())
        joiner = "; " if earlier else " — "
        out.append(replace(f, message=f"{f.message}{joiner}{notes}", severity=severity, data=data))
    out += [t for i, t in enumerate(trace) if i not in used]
    out.sort(key=lambda x: (x.start, x.rule))
    return out


def _group_key(e: dict) -> tuple:
    if e.get("goroutine_ids"):
        return (e["rule"], tuple(e["goroutine_ids"]), e.get("reason"))
    if e["rule"] == "GP101":  # a profile's leak group: its go-statement and block-line items
        block = e.get("block") or {}
        return (e["rule"], e.get("reason"), block.get("path"), block.get("line"))
    return (id(e),)


def _quote_elsewhere(e: dict, join: TraceJoin | None) -> str:
    """Evidence from a related line, saying plainly where the goroutines waited."""
    line = e["line"]
    if join is not None and e["rule"] in join.evidence and e.get("reason") in join.reasons:
        n = e.get("goroutines", 0)
        who = f"{n} goroutine" if n == 1 else f"{n} goroutines"
        if e["rule"] == "GT201":
            st = e["blocked"]
            return (f"{who} waited {fmt_duration(st['total_ns'])} at line {line} for {join.waited_for} while it was "
                    f"held here ({st['count']} waits, longest {fmt_duration(st['max_ns'])})")
        if e["rule"] == "GP202":
            return (f"goroutines waited {fmt_duration(e['delay_ns'])} at line {line} for {join.waited_for} "
                    f"({e['contentions']} waits)")

        return f"{who} were still waiting at line {line} for {join.waited_for} when the trace ended"
    return f"at line {line}: {e['message']}"


def _dedupe(evs: list[dict]) -> list[dict]:
    """One note per evidence group: a GT101 creation item and its block item describe the same goroutines."""
    seen: set[tuple] = set()
    out = []
    for e in evs:
        key = _group_key(e)
        if key in seen:
            continue
        seen.add(key)
        out.append(e)
    return out


def summary_lines(te: TraceEvidence, display=str) -> list[str]:
    """The trace-wide summary, one fact per line (CLI, hover on `package`, the summary command)."""
    s = te.summary
    lines = [
        f"trace: {display(te.source) if te.source else '(bytes)'} — {s.format} ({s.written_by}), "
        f"{fmt_duration(s.duration_ns)}"
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
