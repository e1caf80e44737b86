"""Goroutine states as Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open.

One track ("thread") per goroutine, grouped into one "process" per creation line (the same groups
as the report's timeline); one complete event (``ph: X``) per state interval: ``running``,
``runnable``, ``syscall`` or ``blocked: <reason>``; blocked and syscall intervals carry the frame
that blocked and the program's line under it as arguments. Times are microseconds since the trace
started. The file is streamed: a large trace's millions of intervals are never held as JSON objects.

The cap. A busy trace has millions of intervals, most of them shorter than a microsecond
(a goroutine preempted and rescheduled, a channel operation that parks for 200 ns): one event
each made a 480 MB file of a 22 MB trace, which no browser opens. So the export keeps at most
about ``max_slices(trace)`` state events (an eighth of the trace's transitions, between 50 000
and 1 000 000; each takes 70-150 bytes, a transition about 5 in the trace, so the file stays
under about 4x the trace, or about 8 MB when the trace is under 2 MB and kept whole): when the trace has more intervals than that, a
*resolution* is chosen, the smallest power-of-two number of the trace's ticks whose longer
intervals fit, and

* every interval at least that long is written as before;
* every run of consecutive shorter intervals of one goroutine becomes one event
  ``short: <states>`` spanning the run, whose arguments give the microseconds spent in each
  state within it and how many intervals it merged.

What is lost is only where, within such a run, each short interval lay; every goroutine's total
time per state stays exact (the short intervals' time is in the runs' arguments), and so do all
intervals at least the resolution long. The resolution and the counts are in ``otherData``.
Intervals are already maximal (a goroutine's consecutive intervals differ in state), so there is
nothing to merge beyond the runs. A destination ending in ``.gz`` is gzipped; Perfetto opens it
as it is.

The intervals come from ``_speedups.state_runs`` when the accelerator was built (it folds the
runs without making an Interval of each: a 100 MB trace's export went from about 35 s to 5 s
of CPU); ``Goroutine.intervals()`` otherwise, and tests check both write the same file.
"""

from __future__ import annotations

import functools
import json
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import add, mul
from typing import Any, NamedTuple, TextIO

from golens.evidence import Workspace
from golens.evidence.analysis import classify_wait
from golens.trace import Goroutine, GoState, Interval, Stack, Trace, builder

from .aggregate import _LAYOUT, GroupKey, group_key, group_label

# The compiled interval walk (trace/_speedups.c); looked up at call time so that tests can
# compare it with the Python one. None without the accelerator or with GOLENS_TRACE_PURE=1.
_speedups = builder._speedups

_STATE_NAMES = {GoState.RUNNING: "running", GoState.RUNNABLE: "runnable", GoState.SYSCALL: "syscall"}
# Per-state totals of a run of short intervals, in this order.
_RUN_STATES = ((GoState.RUNNING, "running"), (GoState.RUNNABLE, "runnable"), (GoState.SYSCALL, "syscall"),
               (GoState.WAITING, "blocked"))
_OPEN = ',"open":"still in this state when the trace ended"'
MIN_SLICES = 50_000
MAX_SLICES = 1_000_000


@dataclass(frozen=True)
class PerfettoStats:
    slices: int  # state events written, runs of short intervals included
    intervals: int  # state intervals of the trace
    resolution_ns: int  # 0: every interval has its own event
    merged: int  # intervals that went into runs

    def note(self) -> str:
        """What the cap did, for the user; empty when nothing was merged."""
        if not self.merged:
            return ""
        return (f"perfetto: {self.merged:,} of {self.intervals:,} state intervals shorter than "
                f"{self.resolution_ns / 1000:g} µs were merged into runs (\"short: …\" events with each "
                f"state's time) to keep the file to {self.slices:,} events")


def _frames(stack: Stack | None) -> list[str]:
    """The leaf (the API that blocked: chansend1, Lock, Read…) and the first frame outside the
    runtime and standard synchronisation (the program's line), when that is another frame."""
    if stack is None or not stack.frames:
        return []
    shown = [stack.frames[0]]
    user = stack.first_frame()
    if user is not None and user is not stack.frames[0]:
        shown.append(user)
    # The function is package-qualified, so the file's base name is enough to find the line (and
    # keeps the event, repeated a million times, short).
    return [f"{f.func} ({f.file.rsplit('/', 1)[-1]}:{f.line})" for f in shown]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def max_slices(trace: Trace) -> int:
    transitions = sum(g.transition_count for g in trace.goroutines.values())
    return max(MIN_SLICES, min(MAX_SLICES, transitions // 8))


def resolution_ns(trace: Trace, budget: int) -> int:
    """The shortest interval that keeps an event of its own so that at most about `budget` events
    are written, or 0 when every interval fits; a power of two of the trace's ticks.

    Counted exactly, without a pass through the interval objects, from the stored tick deltas
    (one per transition: the length of the interval it ends) by bit length: at resolution 2**k
    ticks the events are the deltas of more than k bits plus one run per short delta (k bits or
    fewer) that follows a long one or starts its goroutine."""
    if sum(g.transition_count for g in trace.goroutines.values()) <= budget:
        return 0
    bits: Counter[int] = Counter()  # bit length -> deltas
    pairs: Counter[int] = Counter()  # bit length of a delta << 7 | that of the next -> pairs
    tick_ns: int | float | None = None
    bit_length = int.bit_length
    for g in trace.goroutines.values():
        _, tick_ns, dts, _ = g.record_chunks()
        lengths = array("B")
        for chunk in dts:
            lengths.extend(map(bit_length, chunk))
        del lengths[:1]  # the first record's delta ends no interval
        bits.update(lengths)
        # 65 before the first: longer than any delta.
        pairs.update(map(add, map(mul, chain((65,), lengths), repeat(128)), lengths))
    if not isinstance(tick_ns, (int, float)):
        return 0
    goroutines = len(trace.goroutines)
    for k in range(65):
        long = sum(n for b, n in bits.items() if b > k)
        runs = sum(n for key, n in pairs.items() if key & 127 <= k < key >> 7)
        if long + runs + goroutines <= budget:
            return max(1, int((1 << k) * tick_ns)) if k else 0
    return 0


class _Run(NamedTuple):
    """Consecutive intervals of one goroutine, each shorter than the resolution."""

    start: int
    end: int
    intervals: int
    open: bool  # the last one was still going at trace end
    ns: tuple[int, ...]  # time in each state, indexed by GoState


def _python_items(g: Goroutine, res: int) -> Iterator[Interval | _Run]:
    """g's intervals, each run of two or more shorter than `res` as one _Run."""
    first: Interval | None = None
    n = end = 0
    is_open = False
    ns = [0] * 6
    for iv in chain(g.intervals(), (None,)):
        if iv is not None:
            d = iv.end - iv.start
            if d < res:
                if first is None:
                    first = iv
                n += 1
                end = iv.end
                is_open = iv.open
                ns[iv.state] += d
                continue
        if first is not None:
            yield first if n == 1 else _Run(first.start, end, n, is_open, tuple(ns))
            first = None
            n = 0
            ns = [0] * 6
        if iv is not None:
            yield iv


def _compiled_items(state_runs: Callable[..., list[tuple[Any, ...]]], trace: Trace, g: Goroutine,
                    res: int) -> Iterator[Interval | _Run]:
    """_python_items through _speedups.state_runs: the same items, without an Interval object
    for each interval that goes into a run."""
    tbase, tick_ns, dts, recss = g.record_chunks()
    if not isinstance(tick_ns, (int, float)):
        yield from _python_items(g, res)
        return
    reasons = trace.reasons
    for item in state_runs(dts, recss, tbase, tick_ns, trace.start_ns, trace.end_ns, _LAYOUT, res):
        if item[0] == 0:
            _, state, a, b, ridx, stack, is_open = item
            yield Interval(GoState(state), a, b, reasons[ridx] if ridx >= 0 else "", stack, is_open)
        else:
            yield _Run(item[1], item[2], item[3], item[4], item[5:])


def write_perfetto(trace: Trace, workspace: Workspace, out: TextIO, budget: int | None = None) -> PerfettoStats:
    """Writes the JSON to `out`, with at most about `budget` state events (default
    ``max_slices(trace)``).

    Each event is formatted from a cached fragment (name and stack per state, reason and stack ID)
    rather than through json.dumps, and the stack (two frames) is given only where it says where
    time went (blocked, syscall)."""
    start = trace.start_ns
    stacks = trace.stacks
    res = resolution_ns(trace, max_slices(trace) if budget is None else budget)
    fragments: dict[tuple[int, str, int], str] = {}
    pids: dict[GroupKey, int] = {}
    key_cache: dict[int, GroupKey] = {}
    out.write('{"displayTimeUnit":"ns","traceEvents":[\n')
    first = True

    def emit(event: dict[str, Any]) -> None:
        nonlocal first
        out.write(("" if first else ",\n") + _json(event))
        first = False

    def fragment(state: GoState, reason: str, stack_id: int) -> str:
        """`"name":…` and, with a stack, `,"args":{"stack":[…]` (left open for "open")."""
        stack = stacks.get(stack_id)
        if state == GoState.WAITING:
            name = f"blocked: {classify_wait(reason, stack)}"
        else:
            name = _STATE_NAMES.get(state, str(state))
        shown = _frames(stack) if state in (GoState.WAITING, GoState.SYSCALL) else []
        text = f'"name":{_json(name)}' + (f',"args":{{"stack":{_json(shown)}' if shown else "")
        fragments[(state, reason, stack_id)] = text
        return text

    written = intervals = merged = 0
    write = out.write
    compiled = getattr(_speedups, "state_runs", None)
    items = _python_items if compiled is None else functools.partial(_compiled_items, compiled, trace)

    def interval(where: str, iv: Interval) -> None:
        frag = fragments.get((iv.state, iv.reason, iv.stack)) or fragment(iv.state, iv.reason, iv.stack)
        if iv.open:
            tail = _OPEN + "}" if '"args"' in frag else ',"args":{' + _OPEN[1:] + "}"
        else:
            tail = "}" if '"args"' in frag else ""
        write(f',\n{{{where}"ts":{(iv.start - start) / 1000},"dur":{iv.duration / 1000},{frag}{tail}}}')

    def run(where: str, a: int, b: int, ns: Sequence[int], n: int, is_open: bool) -> None:
        """One event for `n` consecutive short intervals over [a, b): each state's time within it."""
        name = "short: " + ", ".join(label for state, label in _RUN_STATES if ns[state])
        args: dict[str, Any] = {label: ns[state] / 1000 for state, label in _RUN_STATES if ns[state]}
        args["intervals"] = n
        if is_open:
            args["open"] = "still in this state when the trace ended"
        write(f',\n{{{where}"ts":{(a - start) / 1000},"dur":{(b - a) / 1000},"name":{_json(name)},'
              f'"args":{_json(args)}}}')

    for g in sorted(trace.goroutines.values(), key=lambda g: g.id):
        key = group_key(g, trace, workspace, key_cache)
        pid = pids.get(key)
        if pid is None:
            pid = pids[key] = len(pids) + 1
            emit({"name": "process_name", "ph": "M", "pid": pid, "tid": 0,
                  "args": {"name": group_label(key, workspace)}})
            emit({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0, "args": {"sort_index": pid}})
        emit({"name": "thread_name", "ph": "M", "pid": pid, "tid": g.id,
              "args": {"name": f"G{g.id} {g.start_function}".rstrip()}})
        where = f'"ph":"X","pid":{pid},"tid":{g.id},'
        for item in items(g, res):
            written += 1
            if isinstance(item, Interval):
                intervals += 1
                interval(where, item)
            else:
                intervals += item.intervals
                merged += item.intervals
                run(where, item.start, item.end, item.ns, item.intervals, item.open)
    stats = PerfettoStats(written, intervals, res if merged else 0, merged)
    write('\n],"otherData":' + _json({"generator": "golens", "stateEvents": written, "stateIntervals": intervals,
                                      "resolutionNs": stats.resolution_ns, "mergedIntervals": merged}) + "}\n")
    return stats
