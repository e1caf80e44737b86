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

Runtime-internal waits (GC, the runtime's own goroutines parked) are left out like the GT rules
leave them out; the runtime's goroutines' on-CPU time stays in. Everything is measured: no value here is estimated.

The per-record loop runs compiled (``aggregate_walk`` in trace/_speedups.c) when the accelerator
was built: on a 100 MB trace it was most of the report's time in Python. The Python loop below
stays the definition (GOLENS_TRACE_PURE=1 runs it); tests/report/test_aggregate_speedups.py
checks that both give the same aggregate on every committed trace.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from golens.evidence import Workspace
from golens.evidence.analysis import SYSTEM, classify_wait
from golens.trace import Goroutine, GoState, Kind, Trace, builder
from golens.trace.model import KIND_BITS, KIND_TO, REASON_MASK, REASON_SHIFT, STACK_SHIFT, STATE_SHIFT

RUNNING = "on CPU"
SYSCALL = "syscall"
TIMELINE_BUCKETS = 240
# Timeline states, in the order they are stacked in the picture.
STATES = ("running", "runnable", "syscall", "blocked")

_NOT_EXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL = (int(GoState.NOT_EXIST), int(GoState.RUNNABLE),
                                                       int(GoState.RUNNING), int(GoState.WAITING),
                                                       int(GoState.SYSCALL))
_STATE_ROWS = (_RUNNING, _RUNNABLE, _SYSCALL, _WAITING)  # GoState of each of STATES
_STATUS, _BLOCK, _STOP, _SYSCALL_BEGIN = int(Kind.STATUS), int(Kind.BLOCK), int(Kind.STOP), int(Kind.SYSCALL)
_STATE_STACK_KINDS = frozenset({_BLOCK, _STOP, _SYSCALL_BEGIN, _STATUS})
# Per record kind: does a RUNNING interval it ends have a stack of its own (where the goroutine
# stopped running), does it carry a block/stop reason, is its stack the new state's stack.
_ENDS_RUNNING = [k in (_BLOCK, _STOP, _SYSCALL_BEGIN) for k in range(KIND_BITS + 1)]
_HAS_REASON = [k in (_BLOCK, _STOP) for k in range(KIND_BITS + 1)]
_HAS_STATE_STACK = [k in _STATE_STACK_KINDS for k in range(KIND_BITS + 1)]
_KIND_TO = [0] * (KIND_BITS + 1)
for _kind, _to in KIND_TO.items():
    _KIND_TO[_kind] = int(_to)
_SYSTEM_START = ("runtime.", "runtime/trace.", "internal/")
# What the compiled loop reads of the record packing (the same tuple as evidence_walk's).
_LAYOUT = (KIND_BITS, STATE_SHIFT, REASON_SHIFT, REASON_MASK, STACK_SHIFT, bytes(_KIND_TO), _STATUS, _BLOCK, _STOP,
           _SYSCALL_BEGIN, int(Kind.UNBLOCK), _NOT_EXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL)
# The weights the compiled loop asks for: slot(kind, stack, reason index).
_SLOT_WAIT, _SLOT_RUNNING, _SLOT_SYSCALL = 0, 1, 2
# Looked up at call time so that tests can compare the compiled loop with the Python one.
_speedups = builder._speedups


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


_UNSEEN = Weight()  # sentinel: a wait stack and reason not classified yet
_NEVER = float("inf")
# How goroutines are grouped: ("ws", file, line, func) for a workspace go statement, ("func", None,
# 0, func) for one elsewhere, ("before", None, 0, start function) for those running before the trace.
GroupKey = tuple[str, Path | None, int, str]


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


class _Timeline:
    """Goroutine·ns per bucket and state, spread in O(1) per interval: partial buckets at both ends
    are added directly, the whole buckets between them through a difference array. Rows are
    indexed by GoState value so the hot loop needs no lookup."""

    __slots__ = ("by_state", "diff_by_state", "flat_parts", "flat_diffs")

    def __init__(self, buckets: int, flat: bool = False) -> None:
        self.by_state = [[0.0] * buckets for _ in range(6)]
        self.diff_by_state = [[0] * (buckets + 1) for _ in range(6)]
        # The compiled loop's form of the same rows, one buffer each (None for the Python loop).
        self.flat_parts = array("d", bytes(6 * buckets * 8)) if flat else None
        self.flat_diffs = array("q", bytes(6 * (buckets + 1) * 8)) if flat else None

    def averages(self, width: float) -> dict[str, list[float]]:
        if self.flat_parts is not None and self.flat_diffs is not None:
            n, m = len(self.by_state[0]), len(self.diff_by_state[0])
            self.by_state = [self.flat_parts[s * n:(s + 1) * n].tolist() for s in range(6)]
            self.diff_by_state = [self.flat_diffs[s * m:(s + 1) * m].tolist() for s in range(6)]
        out = {}
        for name, state in zip(STATES, _STATE_ROWS, strict=True):
            level = 0
            row = []
            for p, d in zip(self.by_state[state], self.diff_by_state[state][:-1], strict=True):
                level += d
                row.append(round((p + level * width) / width, 3))
            out[name] = row
        return out


def aggregate(trace: Trace, workspace: Workspace, buckets: int = TIMELINE_BUCKETS) -> TraceAggregate:
    start_ns, end_ns = trace.start_ns, trace.end_ns
    dur = max(end_ns - start_ns, 1)
    buckets = max(1, min(buckets, dur))
    width = dur / buckets
    per_ns = buckets / dur
    last_bucket = buckets - 1
    reasons = trace.reasons
    stacks = trace.stacks
    blocked: dict[str, dict[int, Weight]] = {}
    syscalls: dict[int, Weight] = {}
    running: dict[int, Weight] = {}
    # (stack << 8 | reason index) -> weight, None for runtime-internal waits.
    wait_weights: dict[int, Weight | None] = {}
    groups: dict[GroupKey, Group] = {}
    timelines: dict[GroupKey, _Timeline] = {}
    group_keys: dict[int, GroupKey] = {}

    def wait_weight(sid: int, ridx: int) -> Weight | None:
        reason = classify_wait(reasons[ridx], stacks.get(sid))
        w = None
        if reason != SYSTEM:
            table = blocked.setdefault(reason, {})
            w = table.get(sid)
            if w is None:
                w = table[sid] = Weight()
        wait_weights[sid << 8 | ridx] = w
        return w

    def weight_in(table: dict[int, Weight], sid: int) -> Weight:
        w = table.get(sid)
        if w is None:
            w = table[sid] = Weight()
        return w

    def spread(parts: list[list[float]], diffs: list[list[int]], state: int, a: int, b: int) -> None:
        """Adds the interval [a, b) to the timeline of `state` (the slow path: more than one bucket)."""
        part, diff = parts[state], diffs[state]
        fa, fb = (a - start_ns) * per_ns, (b - start_ns) * per_ns
        ia = min(max(int(fa), 0), last_bucket)
        ib = min(max(int(fb), 0), last_bucket)
        if ia == ib:
            part[ia] += b - a
            return
        part[ia] += (ia + 1 - fa) * width
        part[ib] += (fb - ib) * width
        if ib > ia + 1:
            diff[ia + 1] += 1
            diff[ib] -= 1

    def bucket_of(t: int) -> tuple[int, float]:
        """The bucket `t` falls in and the time its successor starts."""
        i = min(max(int((t - start_ns) * per_ns), 0), last_bucket)
        return i, (start_ns + (i + 1) * width if i < last_bucket else _NEVER)

    # The loop below runs once per transition: its constants are locals (no global lookups).
    kind_bits, state_shift, stack_shift, reason_shift, reason_mask = (KIND_BITS, STATE_SHIFT, STACK_SHIFT,
                                                                       REASON_SHIFT, REASON_MASK)
    kind_to, unseen = _KIND_TO, _UNSEEN
    status_, runnable_, running_, waiting_, in_syscall_ = _STATUS, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL
    ends_running = _ENDS_RUNNING
    has_reason, has_stack = _HAS_REASON, _HAS_STATE_STACK

    compiled = getattr(_speedups, "aggregate_walk", None)
    # Every goroutine of a trace shares its tick; the compiled loop needs a number.
    tick_ns = next((g.record_chunks()[1] for g in trace.goroutines.values()), None)
    if not isinstance(tick_ns, (int, float)):
        compiled = None
    walk_compiled = _compiled_walker(trace, compiled, blocked, syscalls, running, wait_weights, wait_weight,
                                     weight_in, (buckets, width, per_ns)) if compiled is not None else None

    # Runtime goroutines have no row; their intervals land in this scratch timeline instead, so
    # that the hot loop does not test for a row.
    scratch = _Timeline(buckets)
    for g in trace.goroutines.values():
        parts, diffs = scratch.by_state, scratch.diff_by_state
        # The runtime's own goroutines park by design (GC, sweeper, finalizers): their waits are
        # no one's blocked time, their running is real CPU.
        system = g.start_function.startswith(_SYSTEM_START)
        if not system:
            key = group_key(g, trace, workspace, group_keys)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _new_group(key, workspace)
                timelines[key] = _Timeline(buckets, flat=walk_compiled is not None)
            group.goroutines += 1
            group.created += g.created_ns is not None
            group.ended += not g.alive_at_end
            group.blocked_at_end += g.final_state == GoState.WAITING
            timeline = timelines[key]
            parts, diffs = timeline.by_state, timeline.diff_by_state
        if walk_compiled is not None:
            walk_compiled(g, system, None if system else timelines[key])
            continue
        fallback_stack = g.start_stack
        state = -1
        start = ridx = stack = 0
        i, edge = 0, start_ns + width if buckets > 1 else _NEVER
        first = True
        # The hot loop of the report: one iteration per transition. Each closed interval is weighed
        # here; the interval still open at the end is weighed after the loop.
        for t, r in g.records():
            kind = r & kind_bits
            if kind == status_:
                to = (r >> state_shift) & 7
                if to == state:
                    if not stack:
                        stack = r >> stack_shift
                    continue
            else:
                to = kind_to[kind]
            if state >= runnable_:
                d = t - start if t > start else 0
                if state == waiting_:
                    w = None if system else wait_weights.get(stack << 8 | ridx, unseen)
                    if w is unseen:
                        w = wait_weight(stack, ridx)
                elif state == running_:
                    sid = r >> stack_shift
                    if not (sid and ends_running[kind]):
                        sid = fallback_stack
                    w = running.get(sid) or weight_in(running, sid)
                elif state == in_syscall_:
                    w = syscalls.get(stack) or weight_in(syscalls, stack)
                else:
                    w = None
                if w is not None:
                    w.ns += d
                    w.count += 1
                # Most intervals end in the bucket they started in (`i`, ending at `edge`).
                if t < edge:
                    parts[state][i] += d
                else:
                    spread(parts, diffs, state, start, start + d)
                    i, edge = bucket_of(t)
            elif t >= edge:
                i, edge = bucket_of(t)
            if first and kind == status_ and start_ns and t > start_ns:
                t = start_ns  # in that state since before the trace, as Goroutine.intervals() has it
                i, edge = bucket_of(t)
            first = False
            state = to
            start = t
            ridx = (r >> reason_shift) & reason_mask if has_reason[kind] else 0
            stack = r >> stack_shift if has_stack[kind] else 0
        if state >= _RUNNABLE:
            end = end_ns if end_ns > start else start
            if state == _WAITING:
                w = None if system else wait_weight(stack, ridx)
            elif state == _RUNNING:
                w = weight_in(running, fallback_stack)
            elif state == _SYSCALL:
                w = weight_in(syscalls, stack)
            else:
                w = None
            if w is not None:
                w.open_ns += end - start
                w.open_count += 1
            spread(parts, diffs, state, start, end)
    for key, group in groups.items():
        group.states = timelines[key].averages(width)
    if syscalls:
        blocked[SYSCALL] = syscalls
    return TraceAggregate(trace, blocked, running, list(groups.values()), width)


def _compiled_walker(trace: Trace, compiled: Callable[..., bytes], blocked: dict[str, dict[int, Weight]],
                     syscalls: dict[int, Weight], running: dict[int, Weight],
                     wait_weights: dict[int, Weight | None], wait_weight: Callable[[int, int], Weight | None],
                     weight_in: Callable[[dict[int, Weight], int], Weight],
                     timeline: tuple[int, float, float]) -> Callable[[Goroutine, bool, _Timeline | None], None]:
    """aggregate()'s per-goroutine loop through _speedups.aggregate_walk, with the same effects:
    the same weights, created in the same order (the compiled loop asks for each when the Python
    loop would first touch it), and the same timeline floats."""
    weights: list[Weight] = []
    slot_of: dict[int, int] = {}  # id(weight) -> its index in `weights`

    def slot(kind: int, sid: int, ridx: int) -> int:
        if kind == _SLOT_WAIT:
            w = wait_weights.get(sid << 8 | ridx, _UNSEEN)
            if w is _UNSEEN:
                w = wait_weight(sid, ridx)
        else:
            w = weight_in(running if kind == _SLOT_RUNNING else syscalls, sid)
        if w is None:
            return -1
        i = slot_of.get(id(w))
        if i is None:
            i = slot_of[id(w)] = len(weights)
            weights.append(w)
        return i

    def walk(g: Goroutine, system: bool, rows: _Timeline | None) -> None:
        tbase, tick_ns, dts, recss = g.record_chunks()
        sums = array("q", compiled(dts, recss, tbase, tick_ns, trace.start_ns, trace.end_ns, _LAYOUT, slot, system,
                                   g.start_stack, rows.flat_parts if rows is not None else None,
                                   rows.flat_diffs if rows is not None else None, timeline))
        for j in range(0, len(sums), 5):
            w = weights[sums[j]]
            w.ns += sums[j + 1]
            w.count += sums[j + 2]
            w.open_ns += sums[j + 3]
            w.open_count += sums[j + 4]

    return walk


def group_key(g: Goroutine, trace: Trace, workspace: Workspace, cache: dict[int, GroupKey]) -> GroupKey:
    """The group `g` belongs to: its go statement's workspace line, else the function that ran the
    go statement, else (for goroutines older than the trace) its start function."""
    if g.creation_stack:
        key = cache.get(g.creation_stack)
        if key is None:
            stack = trace.stacks.get(g.creation_stack)
            hit = workspace.first_workspace_frame(stack)
            if hit is not None:
                key = ("ws", hit[1].path, hit[0].line, hit[0].func)
            else:
                outer = stack.first_frame() if stack else None
                key = ("func", None, 0, outer.func if outer else g.start_function or "?")
            cache[g.creation_stack] = key
        return key
    return ("before", None, 0, g.start_function or "?")


def group_label(key: GroupKey, workspace: Workspace) -> str:
    kind, path, line, func = key
    if kind == "ws" and path is not None:
        return f"{workspace.display(path)}:{line}"
    if kind == "before":
        return f"already running: {func}"
    return f"started in {func}"


def _new_group(key: GroupKey, workspace: Workspace) -> Group:
    _, path, line, func = key
    return Group(group_label(key, workspace), func, path, line)
