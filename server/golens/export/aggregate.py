"""One walk over a trace's goroutine timelines for the pictures: time by stack, groups over time.

* Blocked time by stack, per wait reason (the same labels as the GT rules: ``chan receive``,
  ``select``, ``sync.Mutex``, ``network``, …, plus ``syscall``): every WAITING or SYSCALL interval
  is weighed at the stack where it began (the block stack, leaf = the API frame). Waits still
  going at trace end are kept apart (``Weight.open_*``) because the GT rules count them apart:
  a leak's wait is open, a contention's is closed.
* On-CPU time by stack: every RUNNING interval is weighed at the stack of the transition that
  ended it (where the goroutine blocked, was preempted or entered a syscall) — a trace has no
  other stack for running code unless it carries CPU samples — else at the goroutine's start
  function.
* Goroutine groups by creation line (the ``go`` statement's workspace frame), each with the
  average number of its goroutines running / runnable / in a syscall / blocked per time bucket
  (at most ``TIMELINE_BUCKETS`` buckets whatever the trace's length, so the picture's size does
  not grow with the trace).

Runtime-internal waits (GC, system goroutines parked) are left out like the GT rules leave them
out. Everything is measured: no value here is estimated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from golens.evidence import Workspace
from golens.evidence.analysis import SYSTEM, classify_wait
from golens.trace import Goroutine, GoState, Kind, Trace
from golens.trace.model import KIND_BITS, KIND_TO, REASON_MASK, REASON_SHIFT, STACK_SHIFT, STATE_SHIFT

RUNNING = "on CPU"
SYSCALL = "syscall"
TIMELINE_BUCKETS = 240
# Timeline states, in the order they are stacked in the picture.
STATES = ("running", "runnable", "syscall", "blocked")

_NOT_EXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL = (int(GoState.NOT_EXIST), int(GoState.RUNNABLE),
                                                       int(GoState.RUNNING), int(GoState.WAITING),
                                                       int(GoState.SYSCALL))
_STATE_INDEX = {_RUNNING: 0, _RUNNABLE: 1, _SYSCALL: 2, _WAITING: 3}
_STATUS, _BLOCK, _STOP, _SYSCALL_BEGIN = int(Kind.STATUS), int(Kind.BLOCK), int(Kind.STOP), int(Kind.SYSCALL)
_STATE_STACK_KINDS = frozenset({_BLOCK, _STOP, _SYSCALL_BEGIN, _STATUS})
_KIND_TO = [0] * (KIND_BITS + 1)
for _kind, _to in KIND_TO.items():
    _KIND_TO[_kind] = int(_to)
_SYSTEM_START = ("runtime.", "runtime/trace.", "internal/")


class Weight:
    """Time at one stack: intervals that ended within the trace, and those still open at its end."""

    __slots__ = ("ns", "count", "open_ns", "open_count")

    def __init__(self) -> None:
        self.ns = self.count = self.open_ns = self.open_count = 0

    @property
    def total_ns(self) -> int:
        return self.ns + self.open_ns

    @property
    def total_count(self) -> int:
        return self.count + self.open_count


@dataclass
class Group:
    """The goroutines one ``go`` statement (or one start function, for those the trace found
    already running) started, and how many of them were in each state over the trace."""

    label: str  # path:line for a workspace go statement, else the function
    func: str
    path: Path | None = None  # workspace file of the go statement, None when not in the workspace
    line: int = 0
    goroutines: int = 0
    created: int = 0  # during the trace
    ended: int = 0
    blocked_at_end: int = 0
    leaked: bool = False  # a GT101 finding is anchored at this go statement
    # State name -> average number of this group's goroutines in that state, per bucket.
    states: dict[str, list[float]] = field(default_factory=dict)

    @property
    def alive_at_end(self) -> int:
        return self.goroutines - self.ended


@dataclass
class TraceAggregate:
    trace: Trace
    blocked: dict[str, dict[int, Weight]]  # wait reason (or "syscall") -> stack ID -> weight
    running: dict[int, Weight]  # stack ID -> on-CPU weight
    groups: list[Group]
    bucket_ns: float  # width of one timeline bucket

    def blocked_total(self, reason: str | None = None) -> int:
        reasons: Iterable[str] = self.blocked if reason is None else (reason,)
        return sum(w.total_ns for r in reasons for w in self.blocked.get(r, {}).values())

    def running_total(self) -> int:
        return sum(w.total_ns for w in self.running.values())


def records(g: Goroutine) -> Iterator[tuple[int, int]]:
    """(time ns, packed record) pairs of one goroutine, in order (see golens.trace.model)."""
    return zip(g.times(), g._recs, strict=True)


class _Timeline:
    """Goroutine·ns per bucket and state, spread in O(1) per interval: partial buckets at both ends
    are added directly, the whole buckets between them through a difference array."""

    __slots__ = ("part", "diff")

    def __init__(self, buckets: int) -> None:
        self.part = [[0.0] * buckets for _ in STATES]
        self.diff = [[0] * (buckets + 1) for _ in STATES]

    def averages(self, width: float) -> dict[str, list[float]]:
        out = {}
        for name, part, diff in zip(STATES, self.part, self.diff, strict=True):
            level = 0
            row = []
            for p, d in zip(part, diff[:-1], strict=True):
                level += d
                row.append(round((p + level * width) / width, 3) if width else 0.0)
            out[name] = row
        return out


def aggregate(trace: Trace, workspace: Workspace, buckets: int = TIMELINE_BUCKETS) -> TraceAggregate:
    start_ns, end_ns = trace.start_ns, trace.end_ns
    dur = max(end_ns - start_ns, 1)
    buckets = max(1, min(buckets, dur))
    width = dur / buckets
    last_bucket = buckets - 1
    reasons = trace.reasons
    stacks = trace.stacks
    blocked: dict[str, dict[int, Weight]] = {}
    running: dict[int, Weight] = {}
    wait_weights: dict[tuple[int, int], Weight | None] = {}
    groups: dict[tuple, Group] = {}
    timelines: dict[tuple, _Timeline] = {}
    group_keys: dict[int, tuple] = {}

    def wait_weight(sid: int, ridx: int) -> Weight | None:
        reason = classify_wait(reasons[ridx], stacks.get(sid))
        w = None
        if reason != SYSTEM:
            w = blocked.setdefault(reason, {}).get(sid)
            if w is None:
                w = blocked[reason][sid] = Weight()
        wait_weights[(sid, ridx)] = w
        return w

    def weight_in(table: dict[int, Weight], sid: int) -> Weight:
        w = table.get(sid)
        if w is None:
            w = table[sid] = Weight()
        return w

    syscalls = blocked.setdefault(SYSCALL, {})
    for g in trace.goroutines.values():
        timeline = None
        if not g.start_function.startswith(_SYSTEM_START):
            key = _group_key(g, trace, workspace, group_keys)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _new_group(key, workspace)
                timelines[key] = _Timeline(buckets)
            group.goroutines += 1
            group.created += g.created_ns is not None
            group.ended += not g.alive_at_end
            group.blocked_at_end += g.final_state == GoState.WAITING
            timeline = timelines[key]
        fallback_stack = g.start_stack
        state = -1
        start = ridx = stack = 0
        first = True
        for t, r in _with_end(records(g), end_ns):
            if r < 0:
                if state < 0 or state == _NOT_EXIST:
                    break
                kind, to, sid, is_open = -1, -1, 0, True
                t = t if t > start else start
            else:
                kind = r & KIND_BITS
                to = (r >> STATE_SHIFT) & 7 if kind == _STATUS else _KIND_TO[kind]
                sid = r >> STACK_SHIFT
                if kind == _STATUS and to == state:
                    if not stack:
                        stack = sid
                    continue
                is_open = False
            if state >= 0 and state != _NOT_EXIST:
                end = t if t > start else start
                d = end - start
                if state == _WAITING:
                    key2 = (stack, ridx)
                    w = wait_weights[key2] if key2 in wait_weights else wait_weight(stack, ridx)
                elif state == _RUNNING:
                    w = weight_in(running, sid if sid and kind in (_BLOCK, _STOP, _SYSCALL_BEGIN) else fallback_stack)
                elif state == _SYSCALL:
                    w = weight_in(syscalls, stack)
                else:
                    w = None
                if w is not None:
                    if is_open:
                        w.open_ns += d
                        w.open_count += 1
                    else:
                        w.ns += d
                        w.count += 1
                if timeline is not None and d:
                    si = _STATE_INDEX.get(state)
                    if si is not None:
                        a = (start - start_ns) / width
                        b = (end - start_ns) / width
                        ia = min(max(int(a), 0), last_bucket)
                        ib = min(max(int(b), 0), last_bucket)
                        part = timeline.part[si]
                        if ia == ib:
                            part[ia] += d
                        else:
                            part[ia] += (ia + 1 - a) * width
                            part[ib] += (b - ib) * width
                            if ib > ia + 1:
                                diff = timeline.diff[si]
                                diff[ia + 1] += 1
                                diff[ib] -= 1
            if r < 0:
                break
            if first and kind == _STATUS and start_ns:
                t = min(t, start_ns)
            first = False
            state = to
            start = t
            ridx = (r >> REASON_SHIFT) & REASON_MASK if kind in (_BLOCK, _STOP) else 0
            stack = sid if kind in _STATE_STACK_KINDS else 0
    for key, group in groups.items():
        group.states = timelines[key].averages(width)
    if not syscalls:
        del blocked[SYSCALL]
    return TraceAggregate(trace, blocked, running, list(groups.values()), width)


def _with_end(recs: Iterable[tuple[int, int]], end_ns: int) -> Iterator[tuple[int, int]]:
    yield from recs
    yield end_ns, -1


def _group_key(g: Goroutine, trace: Trace, workspace: Workspace, cache: dict[int, tuple]) -> tuple:
    if g.creation_stack:
        key = cache.get(g.creation_stack)
        if key is None:
            stack = trace.stacks.get(g.creation_stack)
            hit = workspace.first_workspace_frame(stack)
            if hit is not None:
                frame, res = hit
                key = ("ws", res.path, frame.line, frame.func)
            else:
                frame = stack.first_frame() if stack else None
                key = ("func", None, 0, frame.func if frame else g.start_function or "?")
            cache[g.creation_stack] = key
        return key
    return ("before", None, 0, g.start_function or "?")


def _new_group(key: tuple, workspace: Workspace) -> Group:
    kind, path, line, func = key
    if kind == "ws":
        return Group(f"{workspace.display(path)}:{line}", func, path, line)
    if kind == "before":
        return Group(f"already running: {func}", func)
    return Group(f"started in {func}", func)
