"""From a trace's goroutine timelines to evidence at workspace lines (GT101–GT501, regions).

Everything here is measured, not guessed: each evidence item says what the runtime recorded
(how many goroutines, how often, how long) at the first workspace frame of the stacks involved.
The rules, and why their thresholds are what they are:

* GT101 goroutines still blocked when the trace ended. A goroutine counts when it was parked at
  trace end on something only another goroutine can release (a channel, select, mutex,
  WaitGroup, Cond, a nil channel or ``select {}``) for at least ``leak_min_fraction`` of the
  trace (and ``leak_min_ns``) — or when its ``go`` statement started ``leak_accumulate_min`` or
  more goroutines spread over the trace and not one of them exited (a per-request goroutine that
  loops on a ticker or a sleep: each wait is short, but they pile up). Network waits and the
  runtime's own goroutines never count: idle connections and listeners wait like that by design.
  Grouped by (creation line, block line, reason); reported at the ``go`` statement with the
  block line as related information, and at the block line pointing back.
* GT201 blocking hot spots: completed waits (waits still open at trace end are GT101's) per
  (block line, reason) on channels, select, locks, WaitGroup and Cond, when their total reaches
  ``blocking_min_fraction`` of the trace and ``blocking_min_total_ns``, over at least
  ``blocking_min_count`` waits.
* GT301 syscall hot spots per line: count, time in the syscall and the time spent afterwards
  getting a P back (when the syscall outlived the P's hand-off).
* GT401 scheduling latency (runnable → running) by creation line, when p95 reaches
  ``sched_p95_ns`` over at least ``sched_min_samples`` waits (20: with fewer, the nearest-rank p95
  is the single largest delay).
* GT501 running stretches (on CPU, preemptions and yields included, no blocking) of at least
  ``running_min_ns`` in which the scheduler had to preempt (or the goroutine yielded) at least
  ``running_min_preemptions`` times — a single long RUNNING interval can be the OS descheduling
  the thread on a loaded machine, which the runtime cannot tell from work — reported at the line
  where the runtime found the goroutine when it preempted it.
* GT601 user annotations: regions, tasks and logs, with their durations at the lines that
  started them (off by default in reports; the editor shows them as hints).
"""

from __future__ import annotations

import datetime as _dt
from array import array
from collections import Counter, defaultdict
from typing import Any

from golens.trace import GoState, Trace
from golens.trace.model import Goroutine
from golens.trace.wire import WRITTEN_BY

from .gt101 import leaks
from .gt201 import blocking_hot_spots
from .gt301 import syscall_hot_spots
from .gt401 import scheduling_latency
from .gt501 import long_running_stretches
from .gt601 import user_annotations
from .mapping import TraceTime, Workspace

# The names other packages import from here (golens.profile, golens.export, golens.lsp).
from .results import (
    MS,
    Creation,
    Evidence,
    LineStat,
    Site,
    Stats,
    Summary,
    Thresholds,
    TraceEvidence,
    Waits,
    fmt_duration,
    histogram,
    percentile,
    rule_severity,
)
from .waits import (
    ACCUMULATE_REASONS,
    BLOCKING_REASONS,
    CHAN_RECV,
    CHAN_SEND,
    COND,
    COROUTINE,
    FD_LOCK,
    FOREVER,
    MUTEX,
    NETWORK,
    RWMUTEX,
    SELECT,
    SLEEP,
    STUCK_REASONS,
    SYSTEM,
    UNKNOWN,
    WAITGROUP,
    classify_wait,
)
from .walk import Mapper, Walker, is_main_goroutine, is_system_goroutine

__all__ = [
    "ACCUMULATE_REASONS", "BLOCKING_REASONS", "CHAN_RECV", "CHAN_SEND", "COND", "COROUTINE", "FD_LOCK", "FOREVER", "MS",
    "MUTEX", "NETWORK", "RWMUTEX", "SELECT", "SLEEP", "STUCK_REASONS", "SYSTEM", "UNKNOWN", "WAITGROUP", "Creation",
    "Evidence", "LineStat", "Site", "Stats", "Summary", "Thresholds", "TraceEvidence", "analyze", "classify_wait",
    "fmt_duration", "histogram", "percentile", "rule_severity",
]


def analyze(trace: Trace, workspace: Workspace, thresholds: Thresholds | None = None, *,
            trace_time: TraceTime | None = None, source: str = "") -> TraceEvidence:
    return Accumulation(trace, workspace, thresholds, trace_time).result(source)


class Accumulation:
    """What the walk accumulates from a trace's goroutines: fed all at once (``result()``), or
    a generation at a time while the trace is read (``fold()`` after each, which walks the
    records that arrived and releases them: memory then grows with goroutines and lines, not
    events). Either way ``result()`` gives the same evidence, every statistic equal (the order
    in which one line's waits were recorded aside)."""

    def __init__(self, trace: Trace, workspace: Workspace, thresholds: Thresholds | None = None,
                 trace_time: TraceTime | None = None):
        self.trace = trace
        self.workspace = workspace
        self.th = thresholds or Thresholds()
        self.trace_time = trace_time
        self.line_stats: dict[tuple[Any, ...], LineStat] = {}
        self.sched: dict[Site, Waits] = defaultdict(Waits)
        self.sched_g: dict[Site, set[int]] = defaultdict(set)
        self.sys_lost: dict[Site, array[int]] = defaultdict(lambda: array("q"))
        # (on-CPU ns, wall ns, goroutine, preemptions and yields)
        self.running: dict[Site, list[tuple[int, int, int, int]]] = defaultdict(list)
        self.m = Mapper(trace, workspace, TraceTime())  # when the trace was captured: known at the end
        self.walker = Walker(trace, self.m, self.th, self.line_stats, self.sched, self.sched_g, self.sys_lost,
                             self.running)
        self._csite: dict[int, Site | None] = {}  # goroutine ID -> its workspace go statement
        self._system: set[int] = set()

    def _creation_site(self, g: Goroutine) -> Site | None:
        if g.id not in self._csite:
            m = self.m
            self._csite[g.id] = (m.site(g.creation_stack)
                                 if g.creation_stack and m.is_go_statement_in_workspace(g.creation_stack) else None)
        return self._csite[g.id]

    def fold(self) -> None:
        """Walk the records that arrived since the last fold, and release them."""
        for g in self.trace.goroutines.values():
            if not g.record_chunks()[2]:
                continue
            if g.id not in self._system:
                if not g.start_function:
                    continue  # whether it is one of the runtime's own is not known yet: kept for later
                if is_system_goroutine(g):
                    self._system.add(g.id)
                else:
                    self.walker.walk(g, self._creation_site(g), final=False)
            g.release_records()
        # Memory grows with lines, not events: a line's waits beyond EXACT_QUANTILES_LIMIT go
        # into the log buckets Stats.of would read them into anyway.
        for ls in self.line_stats.values():
            ls.durations.spill()
            ls.released.spill()
        for waits in self.sched.values():
            waits.spill()

    def result(self, source: str = "") -> TraceEvidence:
        trace, th, m = self.trace, self.th, self.m
        when = self.trace_time or TraceTime(
            captured_end=trace.wall_start + _dt.timedelta(microseconds=trace.duration_ns / 1000)
            if trace.wall_start else None)
        m.when = when
        dur = max(trace.duration_ns, 1)
        evidence: list[Evidence] = []
        line_stats = self.line_stats
        by_creation: dict[Site, list[Goroutine]] = defaultdict(list)
        ended_by_creation: Counter = Counter()
        created_by: Counter = Counter()
        parked_at_end: dict[int, tuple[str, Site | None, int, str]] = {}  # gid -> (reason, block site, wait ns, leaf)
        unattributed = 0
        walker = self.walker

        for g in trace.goroutines.values():
            if g.id in self._system or is_system_goroutine(g):
                continue
            csite = self._creation_site(g)
            if csite is not None:
                if g.created_ns is not None:
                    created_by[csite] += 1
                if g.alive_at_end:
                    by_creation[csite].append(g)
                else:
                    ended_by_creation[csite] += 1
            last_iv = walker.walk(g, csite)
            if g.alive_at_end and last_iv is not None and last_iv.state == GoState.WAITING and last_iv.open \
                    and not is_main_goroutine(g):
                stack = trace.stack(last_iv.stack)
                reason = classify_wait(last_iv.reason, stack)
                if stack is None or stack.is_bogus:
                    ls_id = g.last_stack
                    stack = trace.stack(ls_id)
                    if reason in (UNKNOWN, "") and stack is not None:
                        reason = classify_wait("", stack)
                    bsite = m.site(ls_id)
                else:
                    bsite = m.site(last_iv.stack)
                leaf = next((f.func for f in (stack.frames if stack else ()) if f.func), "")
                if reason not in (SYSTEM, NETWORK):
                    parked_at_end[g.id] = (reason, bsite, last_iv.duration, leaf)
                    if g.creation_stack == 0 and (stack is None or stack.is_bogus) and \
                            last_iv.duration >= max(th.leak_min_ns, th.leak_min_fraction * dur):
                        unattributed += 1  # blocked since before the trace, and the trace kept no stack

        walker.finish()
        evidence += leaks(trace, m, by_creation, ended_by_creation, parked_at_end, th, dur)
        evidence += blocking_hot_spots(line_stats, th, dur)
        evidence += syscall_hot_spots(line_stats, self.sys_lost, th, dur)
        evidence += scheduling_latency(self.sched, self.sched_g, th)
        evidence += long_running_stretches(self.running, th, dur)
        evidence += user_annotations(trace, m)

        unresolved, examples = m.unresolved()
        alive = sum(1 for g in trace.goroutines.values() if g.alive_at_end)
        summary = Summary(
            duration_ns=trace.duration_ns,
            format=f"go 1.{trace.format_version} trace",
            written_by=WRITTEN_BY.get(trace.format_version, f"Go 1.{trace.format_version}"),
            wall_start=trace.wall_start,
            goroutines_total=len(trace.goroutines),
            goroutines_created=sum(1 for g in trace.goroutines.values() if g.created_ns is not None),
            goroutines_ended=len(trace.goroutines) - alive,
            goroutines_alive=alive,
            gc_cycles=len(trace.gc_cycles),
            stw_total_ns=sum(p.duration or 0 for p in trace.stw_pauses),
            stw_count=len(trace.stw_pauses),
            unresolved_frames=unresolved,
            unresolved_examples=examples,
            parked_without_stack=unattributed,
            truncated=trace.truncated,
            warnings=list(trace.warnings),
        )
        evidence.sort(key=lambda e: (str(e.site.path), e.site.line, e.rule))
        # In one order whichever way the records were fed (first touch depends on it).
        stats_by_line: dict[tuple[str, int], list[LineStat]] = defaultdict(list)
        for ls in sorted(line_stats.values(), key=lambda ls: (ls.site.key, ls.site.func, ls.kind, ls.reason)):
            stats_by_line[ls.site.key].append(ls)
        creations = {site.key: Creation(site, created_by[site], ended_by_creation[site], len(by_creation.get(site, ())))
                     for site in set(by_creation) | set(ended_by_creation)}
        return TraceEvidence(evidence, summary, dict(stats_by_line), source=source, trace_time=when, creations=creations)
