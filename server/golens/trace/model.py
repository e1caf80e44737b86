"""The trace model: goroutine timelines and the other per-trace facts.

Times are nanoseconds on the trace's monotonic clock (the same clock as
``Trace.start_ns``); stacks are trace-wide stack IDs into ``Trace.stacks``
(0 = no stack).
"""

from __future__ import annotations

import datetime as _dt
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from itertools import accumulate, chain, islice
from typing import NamedTuple

from .stacks import Stack, StackTable


class GoState(IntEnum):
    """Goroutine states, numbered as in Go's ``internal/trace.GoState``."""

    UNDETERMINED = 0
    NOT_EXIST = 1
    RUNNABLE = 2
    RUNNING = 3
    WAITING = 4
    SYSCALL = 5

    def __str__(self) -> str:
        return _STATE_NAMES[self]


_STATE_NAMES = {
    GoState.UNDETERMINED: "Undetermined",
    GoState.NOT_EXIST: "NotExist",
    GoState.RUNNABLE: "Runnable",
    GoState.RUNNING: "Running",
    GoState.WAITING: "Waiting",
    GoState.SYSCALL: "Syscall",
}


class Kind(IntEnum):
    """What caused a goroutine transition (the wire event behind it)."""

    CREATE = 1  # GoCreate: NotExist -> Runnable
    CREATE_BLOCKED = 2  # GoCreateBlocked (iter.Pull coroutines): NotExist -> Waiting
    CREATE_SYSCALL = 3  # GoCreateSyscall (C thread calling Go): NotExist -> Syscall
    START = 4  # GoStart: Runnable -> Running
    STOP = 5  # GoStop: Running -> Runnable (preempted, Gosched)
    BLOCK = 6  # GoBlock: Running -> Waiting
    UNBLOCK = 7  # GoUnblock / GoSwitch target: Waiting -> Runnable
    SYSCALL = 8  # GoSyscallBegin: Running -> Syscall
    SYSCALL_END = 9  # GoSyscallEnd: Syscall -> Running
    SYSCALL_END_BLOCKED = 10  # GoSyscallEndBlocked: Syscall -> Runnable
    DESTROY = 11  # GoDestroy: Running -> NotExist
    DESTROY_SYSCALL = 12  # GoDestroySyscall: Syscall -> NotExist
    STATUS = 13  # GoStatus / GoStatusStack: S -> S (or Undetermined -> S)
    SWITCH_BLOCK = 14  # GoSwitch away: Running -> Waiting (no reason, no stack)
    SWITCH_DESTROY = 15  # GoSwitchDestroy: Running -> NotExist


# (from, to) per kind; STATUS carries its state in the record.
KIND_FROM = {
    Kind.CREATE: GoState.NOT_EXIST,
    Kind.CREATE_BLOCKED: GoState.NOT_EXIST,
    Kind.CREATE_SYSCALL: GoState.NOT_EXIST,
    Kind.START: GoState.RUNNABLE,
    Kind.STOP: GoState.RUNNING,
    Kind.BLOCK: GoState.RUNNING,
    Kind.UNBLOCK: GoState.WAITING,
    Kind.SYSCALL: GoState.RUNNING,
    Kind.SYSCALL_END: GoState.SYSCALL,
    Kind.SYSCALL_END_BLOCKED: GoState.SYSCALL,
    Kind.DESTROY: GoState.RUNNING,
    Kind.DESTROY_SYSCALL: GoState.SYSCALL,
    Kind.SWITCH_BLOCK: GoState.RUNNING,
    Kind.SWITCH_DESTROY: GoState.RUNNING,
}
KIND_TO = {
    Kind.CREATE: GoState.RUNNABLE,
    Kind.CREATE_BLOCKED: GoState.WAITING,
    Kind.CREATE_SYSCALL: GoState.SYSCALL,
    Kind.START: GoState.RUNNING,
    Kind.STOP: GoState.RUNNABLE,
    Kind.BLOCK: GoState.WAITING,
    Kind.UNBLOCK: GoState.RUNNABLE,
    Kind.SYSCALL: GoState.SYSCALL,
    Kind.SYSCALL_END: GoState.RUNNING,
    Kind.SYSCALL_END_BLOCKED: GoState.RUNNABLE,
    Kind.DESTROY: GoState.NOT_EXIST,
    Kind.DESTROY_SYSCALL: GoState.NOT_EXIST,
    Kind.SWITCH_BLOCK: GoState.WAITING,
    Kind.SWITCH_DESTROY: GoState.NOT_EXIST,
}

# Record packing (one int per transition; stored as 32-bit unsigned while the
# stack IDs allow it): bits 0-3 kind, 4-6 state (STATUS only), 7-14 reason
# index, 15+ trace-wide stack ID.
KIND_BITS = 0xF
STATE_SHIFT = 4
REASON_SHIFT = 7
REASON_MASK = 0xFF
STACK_SHIFT = 15
MAX_REASONS = 1 << 8


class Transition(NamedTuple):
    """One goroutine state change, as Go's ``StateTransition`` reports it.

    ``stack`` is the stack of the transition: where it blocked/stopped/
    entered the syscall, the current stack for STATUS (1.23+ only), the
    start function for CREATE*, and — unlike Go's transition stack — the
    *unblocker's* stack for UNBLOCK (often 0).
    """

    time: int
    kind: Kind
    from_state: GoState
    to_state: GoState
    reason: str
    stack: int


class Interval(NamedTuple):
    """A span of time a goroutine spent in one state.

    ``reason`` is the block reason for WAITING (empty when unknown, e.g. a
    goroutine already blocked when the trace started, or a coroutine switch),
    the stop reason for RUNNABLE after a GoStop. ``stack`` is where the state
    was entered (GoBlock/GoStop/GoSyscallBegin stack, or the status stack).
    ``open`` is True when the interval was still going at trace end.
    """

    state: GoState
    start: int
    end: int
    reason: str
    stack: int
    open: bool

    @property
    def duration(self) -> int:
        return self.end - self.start


@dataclass(eq=False)
class Goroutine:
    id: int
    created_ns: int | None = None  # None: existed before the trace started
    creator_id: int | None = None  # goroutine that ran the go statement, if any
    creation_stack: int = 0  # creator's stack at the go statement
    start_stack: int = 0  # one frame: the goroutine's start function
    labels: list[tuple[int, str]] = field(default_factory=list)
    # One chunk per generation (allocated once, never grown: no realloc churn):
    # transition times as tick deltas (the very first delta is 0, relative to
    # _tbase) and packed records, 32-bit unsigned unless a value does not fit.
    _dts: list = field(default_factory=list, repr=False)
    _recss: list = field(default_factory=list, repr=False)
    _n: int = field(default=0, repr=False)
    _tbase: int = field(default=0, repr=False)
    _tlast: int = field(default=0, repr=False)
    _trace: Trace | None = field(default=None, repr=False)
    # After release_records(): what the released records said (their last record, last real
    # stack, and the start function they showed, "" for none).
    _released: tuple[int, int, str] | None = field(default=None, repr=False)

    def _append_chunk(self, first: int, last: int, dts: array, recs: array) -> None:
        """Append one generation's records: ``dts[0]`` is relative to the previous last tick."""
        if not self._n:
            self._tbase = first
        self._tlast = last
        self._dts.append(dts)
        self._recss.append(recs)
        self._n += len(recs)

    @property
    def _recs(self) -> Iterator[int]:
        if self._released is not None:
            raise RuntimeError(f"goroutine {self.id}: its records were released (read with a streaming analysis)")
        return chain.from_iterable(self._recss)

    def _last_rec(self) -> int:
        return self._recss[-1][-1] if self._recss else self._released[0] if self._released else 0

    def release_records(self) -> None:
        """Free the records held so far, once a streaming analysis has folded them into its own
        accumulators (the records of later generations still arrive). The derived facts below
        stay right; records(), transitions() and intervals() raise from then on, and
        record_chunks() holds only the records that arrived since."""
        if not self._recss:
            return
        self._released = (self._last_rec(), self.last_stack, self.start_function)
        self._dts = []
        self._recss = []

    @property
    def records_released(self) -> bool:
        return self._released is not None

    def _ticks(self) -> Iterator[int]:
        if self._released is not None:
            raise RuntimeError(f"goroutine {self.id}: its records were released (read with a streaming analysis)")
        return islice(accumulate(chain.from_iterable(self._dts), initial=self._tbase), 1, None)

    def times(self) -> Iterator[int]:
        """Transition times in ns, in order."""
        f = self._trace._tick_ns if self._trace else 1
        if isinstance(f, int):
            return map(f.__mul__, self._ticks())
        return (int(t * f) for t in self._ticks())

    def records(self) -> Iterator[tuple[int, int]]:
        """(time ns, packed record) of every transition, in order: the cheap form of
        ``transitions()`` for analyses that visit millions of them. A record packs the kind
        (``r & KIND_BITS``), the state for STATUS (``r >> STATE_SHIFT & 7``), the reason index
        (``r >> REASON_SHIFT & REASON_MASK``, into ``Trace.reasons``) and the stack ID
        (``r >> STACK_SHIFT``)."""
        return zip(self.times(), self._recs, strict=True)

    def record_chunks(self) -> tuple[int, int | float | None, list[array], list[array]]:
        """What ``records()`` is computed from, for compiled readers: (first tick, ns per tick,
        one tick-delta array and one record array per generation). A record's time is
        ``(first tick + its delta and every earlier one) * ns per tick``, truncated. After
        release_records(), only the chunks that arrived since, the first delta counted from the
        last tick released."""
        f = self._trace._tick_ns if self._trace else 1
        return self._tbase, f, self._dts, self._recss

    def _ns(self, tick: int) -> int:
        f = self._trace._tick_ns if self._trace else 1
        return tick * f if isinstance(f, int) else int(tick * f)

    # -- derived facts -------------------------------------------------
    @property
    def transition_count(self) -> int:
        return self._n

    @property
    def first_seen_ns(self) -> int:
        return self._ns(self._tbase) if self._n else 0

    @property
    def final_state(self) -> GoState:
        if not self._n:
            return GoState.UNDETERMINED
        r = self._last_rec()
        return _to_state(r)

    @property
    def alive_at_end(self) -> bool:
        return self.final_state != GoState.NOT_EXIST

    @property
    def end_ns(self) -> int | None:
        """When the goroutine exited, or None if it was alive at trace end."""
        return None if self.alive_at_end else self._ns(self._tlast)

    @property
    def existed_before_trace(self) -> bool:
        return self.created_ns is None

    @property
    def last_stack(self) -> int:
        """The most recent real stack seen for this goroutine (0 if none).

        Creation stacks are not "current" stacks and unblock stacks belong to
        another goroutine, so they are skipped; so are PC-0 placeholder stacks.
        """
        stacks = self._trace.stacks if self._trace else None
        for r in chain.from_iterable(map(reversed, reversed(self._recss))):
            kind = r & KIND_BITS
            if kind in (Kind.BLOCK, Kind.STOP, Kind.SYSCALL, Kind.STATUS):
                sid = r >> STACK_SHIFT
                if sid and (stacks is None or not stacks[sid].is_bogus):
                    return sid
        return self._released[1] if self._released else 0

    @property
    def start_function(self) -> str:
        """Name of the function the goroutine runs (best effort for pre-existing ones)."""
        stacks = self._trace.stacks if self._trace else None
        if stacks is None:
            return ""
        if self.start_stack:
            leaf = stacks[self.start_stack].leaf
            if leaf:
                return leaf.func
        if self._released and self._released[2]:
            return self._released[2]
        for r in chain.from_iterable(self._recss):
            sid = r >> STACK_SHIFT
            if sid and (r & KIND_BITS) != Kind.UNBLOCK and (r & KIND_BITS) not in _CREATE_KINDS:
                root = stacks[sid].root
                if root and root.func:
                    return root.func
        return ""

    def transitions(self) -> Iterator[Transition]:
        reasons = self._trace.reasons if self._trace else []
        prev = GoState.UNDETERMINED
        for t, r in zip(self.times(), self._recs, strict=True):
            kind = Kind(r & KIND_BITS)
            to = _to_state(r)
            frm = KIND_FROM.get(kind, prev) if kind != Kind.STATUS else prev
            yield Transition(t, kind, frm, to, reasons[(r >> REASON_SHIFT) & REASON_MASK], r >> STACK_SHIFT)
            prev = to

    def intervals(self) -> Iterator[Interval]:
        """State intervals in time order, from first sight to exit or trace end.

        A goroutine introduced by a status event in the first generation is
        taken to have been in that state since the trace start. Status events
        of later generations (S -> S) do not split intervals; they only lend
        their stack to an interval that has none.
        """
        tr = self._trace
        trace_start = tr.start_ns if tr else 0
        trace_end = tr.end_ns if tr else 0
        reasons = tr.reasons if tr else []
        state = None
        start = reason = stack = 0
        reason = ""
        first = True
        for t, r in zip(self.times(), self._recs, strict=True):
            kind = r & KIND_BITS
            to = _to_state(r)
            sid = r >> STACK_SHIFT
            if kind == Kind.STATUS and state is not None and to == state:
                if not stack:
                    stack = sid
                continue
            if state is not None and state != GoState.NOT_EXIST:
                yield Interval(state, start, max(t, start), reason, stack, False)
            if first and kind == Kind.STATUS:
                t = min(t, trace_start) if trace_start else t
            first = False
            state = to
            start = t
            reason = reasons[(r >> REASON_SHIFT) & REASON_MASK] if kind in (Kind.BLOCK, Kind.STOP) else ""
            stack = sid if kind in _STATE_STACK_KINDS else 0
        if state is not None and state != GoState.NOT_EXIST:
            yield Interval(state, start, max(trace_end, start), reason, stack, True)

    def time_in_states(self) -> dict[GoState, int]:
        out: dict[GoState, int] = {}
        for iv in self.intervals():
            out[iv.state] = out.get(iv.state, 0) + iv.duration
        return out


_CREATE_KINDS = (Kind.CREATE, Kind.CREATE_BLOCKED, Kind.CREATE_SYSCALL)
_STATE_STACK_KINDS = (Kind.BLOCK, Kind.STOP, Kind.SYSCALL, Kind.STATUS)
_KIND_TO_INT = {int(k): int(v) for k, v in KIND_TO.items()}


def _to_state(r: int) -> GoState:
    kind = r & KIND_BITS
    if kind == Kind.STATUS:
        return GoState((r >> STATE_SHIFT) & 7)
    return GoState(_KIND_TO_INT[kind])


@dataclass
class Task:
    id: int
    name: str
    parent_id: int = 0
    start_ns: int | None = None  # None: began before the trace
    end_ns: int | None = None  # None: not ended within the trace
    start_goroutine: int | None = None
    end_goroutine: int | None = None
    start_stack: int = 0
    end_stack: int = 0

    @property
    def duration(self) -> int | None:
        if self.start_ns is None or self.end_ns is None:
            return None
        return self.end_ns - self.start_ns


@dataclass
class Region:
    goroutine: int
    task_id: int
    name: str
    start_ns: int | None  # None: began before the trace
    end_ns: int | None  # None: still open at trace end
    start_stack: int = 0
    end_stack: int = 0

    @property
    def duration(self) -> int | None:
        if self.start_ns is None or self.end_ns is None:
            return None
        return self.end_ns - self.start_ns


@dataclass
class LogMessage:
    time: int
    goroutine: int | None
    task_id: int
    category: str
    message: str
    stack: int = 0


@dataclass
class GCCycle:
    seq: int
    start_ns: int | None  # None: already running when the trace started
    end_ns: int | None  # None: still running at trace end
    stack: int = 0


@dataclass
class STWPause:
    kind: str
    start_ns: int
    end_ns: int | None
    goroutine: int | None
    stack: int = 0

    @property
    def duration(self) -> int | None:
        return None if self.end_ns is None else self.end_ns - self.start_ns


@dataclass
class MarkAssist:
    goroutine: int
    start_ns: int | None  # None: already assisting at a generation start before trace start
    end_ns: int | None
    stack: int = 0


@dataclass
class Series:
    """A metric sampled at events: parallel arrays of times and values."""

    name: str
    times: array = field(default_factory=lambda: array("q"))
    values: array = field(default_factory=lambda: array("Q"))

    def __len__(self) -> int:
        return len(self.times)


@dataclass
class CPUSamples:
    """CPU profile samples taken while tracing (empty without pprof)."""

    times: array = field(default_factory=lambda: array("q"))
    goroutines: array = field(default_factory=lambda: array("Q"))  # 0 = no goroutine
    stacks: array = field(default_factory=lambda: array("Q"))

    def __len__(self) -> int:
        return len(self.times)


@dataclass(eq=False)
class Trace:
    format_version: int  # 22, 23, 25 or 26 (the header's go 1.NN)
    size_bytes: int = 0
    start_ns: int = 0
    end_ns: int = 0
    frequency_hz: int = 0
    wall_start: _dt.datetime | None = None  # from the clock snapshot (format 25+)
    generations: int = 0
    first_generation: int = 0
    goroutines: dict[int, Goroutine] = field(default_factory=dict)
    stacks: StackTable = field(default_factory=StackTable)
    reasons: list[str] = field(default_factory=lambda: [""])
    tasks: dict[int, Task] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)
    logs: list[LogMessage] = field(default_factory=list)
    gc_cycles: list[GCCycle] = field(default_factory=list)
    stw_pauses: list[STWPause] = field(default_factory=list)
    mark_assists: list[MarkAssist] = field(default_factory=list)
    heap_alloc: Series = field(default_factory=lambda: Series("/memory/classes/heap/objects:bytes"))
    heap_goal: Series = field(default_factory=lambda: Series("/gc/heap/goal:bytes"))
    gomaxprocs: Series = field(default_factory=lambda: Series("/sched/gomaxprocs:threads"))
    cpu_samples: CPUSamples = field(default_factory=CPUSamples)
    sweeps: int = 0
    event_counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    truncated: bool = False
    _tick_ns: int | float | None = field(default=None, repr=False)  # ns per tick of stored times

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    @property
    def written_by(self) -> str:
        from .wire import WRITTEN_BY

        return WRITTEN_BY.get(self.format_version, "?")

    @property
    def event_total(self) -> int:
        return sum(self.event_counts.values())

    def stack(self, stack_id: int) -> Stack | None:
        return self.stacks.get(stack_id)

    def alive_at_end(self) -> list[Goroutine]:
        return [g for g in self.goroutines.values() if g.alive_at_end]
