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
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from golens.findings import Severity
from golens.registry import default_registry
from golens.trace import Frame, GoState, Interval, Kind, Stack, Trace
from golens.trace.model import KIND_BITS, KIND_TO, REASON_MASK, REASON_SHIFT, STACK_SHIFT, STATE_SHIFT, Goroutine
from golens.trace.wire import WRITTEN_BY

from .mapping import Resolution, TraceTime, Where, Workspace, stale_reason

_KIND_TO = {int(k): int(v) for k, v in KIND_TO.items()}
_KIND_TO = [(_KIND_TO.get(i, 0)) for i in range(16)]
_STATUS, _BLOCK, _STOP, _SYSCALL_K, _UNBLOCK = int(Kind.STATUS), int(Kind.BLOCK), int(Kind.STOP), int(Kind.SYSCALL), int(Kind.UNBLOCK)
_STATE_STACK = frozenset({_BLOCK, _STOP, _SYSCALL_K, _STATUS})
_NOT_EXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL = (int(GoState.NOT_EXIST), int(GoState.RUNNABLE),
                                                       int(GoState.RUNNING), int(GoState.WAITING), int(GoState.SYSCALL))


MS = 1_000_000


@dataclass(frozen=True)
class Thresholds:
    leak_min_fraction: float = 0.25
    leak_min_ns: int = 10 * MS
    leak_accumulate_min: int = 3
    leak_accumulate_spread: float = 0.10
    blocking_min_fraction: float = 0.02
    blocking_min_total_ns: int = 1 * MS
    blocking_min_count: int = 2
    syscall_min_fraction: float = 0.05
    syscall_min_count: int = 20
    syscall_min_total_ns: int = 100_000
    sched_p95_ns: int = 1 * MS
    # The nearest-rank p95 of fewer than 20 delays is their maximum: one delay on a loaded host
    # would make a finding. 20 is the least count at which p95 is a percentile.
    sched_min_samples: int = 20
    running_min_ns: int = 10 * MS
    running_min_preemptions: int = 2

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Thresholds:
        if not values:
            return cls()
        known = {k: type(getattr(cls(), k)) for k in cls.__dataclass_fields__}
        kwargs = {}
        for k, v in values.items():
            key = k.replace("-", "_")
            if key in known and isinstance(v, (int, float)) and not isinstance(v, bool):
                kwargs[key] = known[key](v)
        return cls(**kwargs)


# -- wait reasons -------------------------------------------------------------------------------

CHAN_SEND = "chan send"
CHAN_RECV = "chan receive"
SELECT = "select"
FOREVER = "forever"  # select {} or an operation on a nil channel
MUTEX = "sync.Mutex"
RWMUTEX = "sync.RWMutex"
WAITGROUP = "sync.WaitGroup"
COND = "sync.Cond"
NETWORK = "network"
FD_LOCK = "fd lock"  # concurrent reads/writes of one file descriptor (e.g. os.Stdout)
SLEEP = "sleep"
COROUTINE = "coroutine"
SYSTEM = "runtime"
UNKNOWN = "unknown"

# Waits that only another goroutine can end: a goroutine parked on one of these for long is stuck.
STUCK_REASONS = frozenset({CHAN_SEND, CHAN_RECV, SELECT, FOREVER, MUTEX, RWMUTEX, WAITGROUP, COND})
BLOCKING_REASONS = (STUCK_REASONS - {FOREVER}) | {FD_LOCK}
ACCUMULATE_REASONS = STUCK_REASONS | {SLEEP}

_SYSTEM_RAW = ("system goroutine wait", "GC ", "wait until GC ends", "preempted")


def classify_wait(raw: str, stack: Stack | None) -> str:
    """A stable reason label from the trace's reason string and the blocking stack's API frames."""
    if raw.startswith(_SYSTEM_RAW):
        return SYSTEM
    if raw == "forever":
        return FOREVER
    for f in stack.frames if stack else ():
        fn = f.func
        if fn.startswith("sync.(*RWMutex)") or fn.startswith("internal/sync.(*RWMutex)"):
            return RWMUTEX
        if fn.startswith(("sync.(*Mutex)", "internal/sync.(*Mutex)")):
            return MUTEX
        if fn.startswith("sync.(*WaitGroup)"):
            return WAITGROUP
        if fn.startswith("sync.(*Cond)"):
            return COND
        if fn.startswith("runtime.chansend"):
            return CHAN_SEND
        if fn.startswith("runtime.chanrecv"):
            return CHAN_RECV
        if fn == "runtime.selectgo":
            return SELECT
        if fn == "runtime.block":
            return FOREVER
        if fn == "time.Sleep":
            return SLEEP
        if fn.startswith("internal/poll.(*fdMutex)"):
            return FD_LOCK
        if fn.startswith("internal/poll."):
            return NETWORK
        if fn.startswith(("runtime.coro", "iter.")):
            return COROUTINE
        if not fn.startswith(("runtime.", "internal/", "sync.", "time.")):
            break
    return {
        "chan send": CHAN_SEND, "chan receive": CHAN_RECV, "select": SELECT, "sleep": SLEEP,
        "network": NETWORK, "sync.(*Cond).Wait": COND,
    }.get(raw, UNKNOWN if not raw else raw)


# -- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Site:
    """A workspace line a stack was attributed to."""

    path: Path
    line: int
    func: str  # the frame's function symbol
    trace_file: str  # the frame's file as the trace wrote it
    how: str  # module | exact | suffix | moved
    stale: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (str(self.path), self.line)


@dataclass(frozen=True)
class Stats:
    count: int
    total: int
    p50: int
    p95: int
    max: int
    min: int

    @classmethod
    def of(cls, values: Iterable[int]) -> Stats:
        v = sorted(values)
        if not v:
            return cls(0, 0, 0, 0, 0, 0)
        return cls(len(v), sum(v), percentile(v, 50), percentile(v, 95), v[-1], v[0])

    def as_dict(self) -> dict[str, int]:
        return {"count": self.count, "total_ns": self.total, "p50_ns": self.p50, "p95_ns": self.p95,
                "max_ns": self.max, "min_ns": self.min}


def percentile(sorted_values: list[int], p: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0
    k = max(0, min(len(sorted_values) - 1, -(-len(sorted_values) * p // 100) - 1))
    return sorted_values[int(k)]


@dataclass
class Evidence:
    rule: str
    site: Site
    message: str
    severity: Severity
    reason: str = ""
    goroutines: int = 0
    stats: Stats | None = None
    related: list[tuple[Site, str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    histogram: list[int] = field(default_factory=list)  # durations bucketed for sparklines

    @property
    def stale(self) -> str | None:
        return self.site.stale

    def sort_key(self):
        return (int(self.severity), -(self.stats.total if self.stats else 0), str(self.site.path), self.site.line)


@dataclass
class LineStat:
    """Every wait or syscall attributed to one line (all reasons), for hovers and inlay hints."""

    site: Site
    kind: str  # "blocked" | "syscall"
    reason: str
    durations: list[int] = field(default_factory=list)
    goroutines: set[int] = field(default_factory=set)
    open: int = 0  # waits still going at trace end
    open_total: int = 0  # time those waits had lasted when the trace ended
    # Waits a goroutine running workspace code ended (a channel op, Unlock, Done, Signal), as
    # opposed to a timer, the network poller, a status change or the standard library's own
    # goroutines: only these are contention between the program's goroutines.
    released: list[int] = field(default_factory=list)
    releasers: Counter = field(default_factory=Counter)  # Site of the releasing goroutine -> count
    # Waits ended by a goroutine running no workspace code (net/http's transport goroutines, the
    # runtime): latency of a dependency, not contention between the program's own goroutines.
    dependency_count: int = 0
    dependency_total: int = 0

    _frozen: tuple | None = field(default=None, repr=False)  # (stats, released stats, histogram)

    @property
    def stats(self) -> Stats:
        return self._frozen[0] if self._frozen else Stats.of(self.durations)

    @property
    def released_stats(self) -> Stats:
        return self._frozen[1] if self._frozen else Stats.of(self.released)

    @property
    def histogram(self) -> list[int]:
        return self._frozen[2] if self._frozen else histogram(self.durations)

    def freeze(self) -> None:
        """Keep the statistics, drop the per-wait lists (to ship the result across processes)."""
        self._frozen = (self.stats, self.released_stats, self.histogram)
        self.durations, self.released = [], []


@dataclass(frozen=True)
class Creation:
    """What the trace saw of the goroutines one `go` statement started."""

    site: Site
    created: int  # during the trace
    ended: int
    alive: int


@dataclass
class Summary:
    duration_ns: int
    format: str  # the header: "go 1.26 trace"
    written_by: str  # the Go releases that write that format: "Go 1.26–1.27"
    wall_start: _dt.datetime | None
    goroutines_total: int
    goroutines_created: int
    goroutines_ended: int
    goroutines_alive: int
    gc_cycles: int
    stw_total_ns: int
    stw_count: int
    unresolved_frames: int
    unresolved_examples: list[str]
    parked_without_stack: int  # goroutines that look stuck but have no workspace frame to show them at
    truncated: bool
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["wall_start"] = self.wall_start.isoformat() if self.wall_start else None
        return d


@dataclass
class TraceEvidence:
    evidence: list[Evidence]
    summary: Summary
    line_stats: dict[tuple[str, int], list[LineStat]]
    source: str = ""  # the trace file (display form), if it came from one
    trace_time: TraceTime = field(default_factory=TraceTime)
    creations: dict[tuple[str, int], Creation] = field(default_factory=dict)

    def freeze(self) -> TraceEvidence:
        for stats in self.line_stats.values():
            for ls in stats:
                ls.freeze()
        return self

    def for_path(self, path: Path) -> list[Evidence]:
        p = str(path)
        return [e for e in self.evidence if str(e.site.path) == p]

    def worst(self, n: int = 5) -> list[Evidence]:
        return sorted((e for e in self.evidence if e.rule != "GT601"), key=Evidence.sort_key)[:n]


# -- formatting -----------------------------------------------------------------------------------

def fmt_duration(ns: int) -> str:
    if ns >= 10_000_000_000:
        return f"{ns / 1e9:.0f} s"
    if ns >= 1_000_000_000:
        return f"{ns / 1e9:.1f} s"
    if ns >= 10 * MS:
        return f"{ns / 1e6:.0f} ms"
    if ns >= MS:
        return f"{ns / 1e6:.1f} ms"
    if ns >= 1000:
        return f"{ns / 1e3:.0f} µs"
    return f"{ns} ns"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def histogram(values: Iterable[int], buckets: int = 8) -> list[int]:
    """Counts over log-spaced buckets between the smallest and largest value."""
    v = [x for x in values if x > 0]
    if not v:
        return []
    lo, hi = min(v), max(v)
    if lo == hi:
        return [len(v)]
    import math

    span = math.log(hi) - math.log(lo)
    out = [0] * buckets
    for x in v:
        i = int((math.log(x) - math.log(lo)) / span * buckets)
        out[min(i, buckets - 1)] += 1
    return out


# -- the analysis ---------------------------------------------------------------------------------

class _Mapper:
    """Stack ID → attributed Site, cached; counts frames that did not resolve."""

    def __init__(self, trace: Trace, ws: Workspace, when: TraceTime):
        self.trace = trace
        self.ws = ws
        self.when = when
        self._stacks: dict[int, Site | None] = {}
        self._sites: dict[tuple[Path, int, str], Site] = {}

    def site(self, stack_id: int) -> Site | None:
        if not stack_id:
            return None
        if stack_id in self._stacks:
            return self._stacks[stack_id]
        stack = self.trace.stacks[stack_id]
        hit = self.ws.first_workspace_frame(stack)
        site = self._site(*hit) if hit else None
        self._stacks[stack_id] = site
        return site

    def _site(self, frame: Frame, res: Resolution) -> Site:
        key = (res.path, frame.line, frame.func)
        site = self._sites.get(key)
        if site is None:
            stale = stale_reason(res.path, frame.line, frame.func)
            site = self._sites[key] = Site(res.path, frame.line, frame.func, frame.file, res.how, stale)
        return site

    def is_go_statement_in_workspace(self, creation_stack: int) -> bool:
        """Is the creation stack's innermost user frame (the `go` statement) workspace code?"""
        stack = self.trace.stack(creation_stack)
        if stack is None:
            return False
        for f in stack.frames:
            if not f.func or f.func.startswith("runtime."):
                continue
            return self.ws.resolve_frame(f).where is Where.WORKSPACE
        return False

    def unresolved(self) -> tuple[int, list[str]]:
        seen: set[tuple[str, str]] = set()
        examples: list[str] = []
        for stack in self.trace.stacks:
            for f in stack.frames:
                if not f.file or not f.func:
                    continue
                key = (f.file, f.func)
                if key in seen:
                    continue
                seen.add(key)
        bad = sorted((file, func) for file, func in seen if self.ws.resolve(file, func).where is Where.UNRESOLVED)
        files = sorted({file for file, _ in bad})
        examples = files[:5]
        return len(bad), examples


def _is_system(g: Goroutine) -> bool:
    return g.start_function.startswith(("runtime.", "runtime/trace.", "internal/"))


def _is_main(g: Goroutine) -> bool:
    # The main goroutine parked at trace end is the program waiting for its work, not a leak.
    return g.existed_before_trace and g.start_function == "main.main"


class _Walker:
    """One pass over a goroutine's packed transition records, building its intervals on the fly.

    This mirrors ``Goroutine.intervals()`` but reads the records directly: the analysis of a
    large trace visits millions of intervals, and the namedtuple/enum objects the public
    iterators build per record cost more than everything done with them here. Unlike
    ``intervals()`` it also sees the transition that ends each interval (the unblocker's stack).
    """

    def __init__(self, trace: Trace, m: _Mapper, th: Thresholds, line_stats, sched, sched_g, sys_lost, running):
        self.trace = trace
        self.m = m
        self.th = th
        self.line_stats = line_stats
        self.sched = sched
        self.sched_g = sched_g
        self.sys_lost = sys_lost
        self.running = running
        self.reasons = trace.reasons
        self._wait_ls: dict[tuple[int, int], LineStat | None] = {}
        self._sys_ls: dict[int, LineStat | None] = {}

    def _wait_stat(self, sid: int, ridx: int) -> LineStat | None:
        key = (sid, ridx)
        if key in self._wait_ls:
            return self._wait_ls[key]
        ls = None
        reason = classify_wait(self.reasons[ridx], self.trace.stack(sid))
        if reason != SYSTEM:
            site = self.m.site(sid)
            if site is not None:
                k = ("blocked", site, reason)
                ls = self.line_stats.get(k)
                if ls is None:
                    ls = self.line_stats[k] = LineStat(site, "blocked", reason)
        self._wait_ls[key] = ls
        return ls

    def _sys_stat(self, sid: int) -> LineStat | None:
        if sid in self._sys_ls:
            return self._sys_ls[sid]
        ls = None
        site = self.m.site(sid)
        if site is not None:
            k = ("syscall", site, "")
            ls = self.line_stats.get(k)
            if ls is None:
                ls = self.line_stats[k] = LineStat(site, "syscall", "syscall")
        self._sys_ls[sid] = ls
        return ls

    def walk(self, g: Goroutine, csite: Site | None):
        """Account every interval of g; returns the last one as Interval (or None)."""
        tr = self.trace
        trace_start, trace_end = tr.start_ns, tr.end_ns
        gid = g.id
        m = self.m
        sched_list = self.sched[csite] if csite is not None else None
        state = None
        start = ridx = stack = 0
        first = True
        prev_state = prev_stack = None
        cpu = cstart = nstops = 0
        stops: Counter = Counter()
        last = None
        records = g.records()
        end_marker = (None, None)
        for t, r in chain(records, (end_marker,)):
            if r is None:
                if state is None or state == _NOT_EXIST:
                    break
                t, kind, to, sid, is_open = max(trace_end, start), -1, None, 0, True
            else:
                kind = r & KIND_BITS
                to = (r >> STATE_SHIFT) & 7 if kind == _STATUS else _KIND_TO[kind]
                sid = r >> STACK_SHIFT
                if kind == _STATUS and state is not None and to == state:
                    if not stack:
                        stack = sid
                    continue
                is_open = False
            if state is not None and state != _NOT_EXIST:
                end = t if t > start else start
                d = end - start
                if state == _WAITING:
                    ls = self._wait_stat(stack, ridx)
                    if ls is not None:
                        if is_open:
                            ls.open += 1
                            ls.open_total += d
                        else:
                            ls.durations.append(d)
                            if kind == _UNBLOCK and sid:
                                rsite = m.site(sid)
                                if rsite is not None:
                                    ls.released.append(d)
                                    ls.releasers[rsite] += 1
                                else:
                                    ls.dependency_count += 1
                                    ls.dependency_total += d
                        ls.goroutines.add(gid)
                elif state == _SYSCALL:
                    ls = self._sys_stat(stack)
                    if ls is not None:
                        ls.durations.append(d)
                        ls.goroutines.add(gid)
                elif state == _RUNNABLE:
                    if not is_open:
                        if prev_state == _SYSCALL:
                            site = m.site(prev_stack)
                            if site is not None:
                                self.sys_lost[site].append(d)
                        if sched_list is not None:
                            sched_list.append(d)
                            self.sched_g[csite].add(gid)
                    if stack:
                        nstops += 1
                        s = m.site(stack)
                        if s is not None:
                            stops[s] += 1
                # Running stretches: on-CPU time between blocking events.
                if state == _RUNNING or state == _RUNNABLE:
                    if cpu == 0 and state == _RUNNING and not stops:
                        cstart = start
                    if state == _RUNNING:
                        cpu += d
                else:
                    if cpu >= self.th.running_min_ns and nstops >= self.th.running_min_preemptions:
                        self._stretch(g, csite, cpu, cstart, start, stack, stops, nstops)
                    cpu = nstops = 0
                    stops = Counter()
                prev_state, prev_stack = state, stack
                last = (state, start, end, ridx, stack, is_open)
            if r is None:
                break
            if first and kind == _STATUS and trace_start:
                t = min(t, trace_start)
            first = False
            state = to
            start = t
            ridx = (r >> REASON_SHIFT) & REASON_MASK if kind in (_BLOCK, _STOP) else 0
            stack = sid if kind in _STATE_STACK else 0
        if cpu >= self.th.running_min_ns and nstops >= self.th.running_min_preemptions:
            self._stretch(g, csite, cpu, cstart, trace_end, 0, stops, nstops)
        if last is None:
            return None
        st, a, b, ri, sk, op = last
        return Interval(GoState(st), a, b, self.reasons[ri], sk, op)

    def _stretch(self, g, csite, cpu: int, start: int, stop: int, ending_stack: int, stops: Counter,
                 preemptions: int) -> None:
        site = stops.most_common(1)[0][0] if stops else None
        if site is None and ending_stack:
            site = self.m.site(ending_stack)
        site = site or csite
        if site is not None:
            self.running[site].append((cpu, max(0, stop - start), g.id, preemptions))


def analyze(trace: Trace, workspace: Workspace, thresholds: Thresholds | None = None, *,
            trace_time: TraceTime | None = None, source: str = "") -> TraceEvidence:
    th = thresholds or Thresholds()
    when = trace_time or TraceTime(
        captured_end=trace.wall_start + _dt.timedelta(microseconds=trace.duration_ns / 1000) if trace.wall_start else None)
    m = _Mapper(trace, workspace, when)
    dur = max(trace.duration_ns, 1)
    evidence: list[Evidence] = []
    line_stats: dict[tuple[Any, ...], LineStat] = {}
    sched: dict[Site, list[int]] = defaultdict(list)
    sched_g: dict[Site, set[int]] = defaultdict(set)
    sys_lost: dict[Site, list[int]] = defaultdict(list)
    # (on-CPU ns, wall ns, goroutine, preemptions and yields)
    running: dict[Site, list[tuple[int, int, int, int]]] = defaultdict(list)
    by_creation: dict[Site, list[Goroutine]] = defaultdict(list)
    ended_by_creation: Counter = Counter()
    created_by: Counter = Counter()
    parked_at_end: dict[int, tuple[str, Site | None, int, str]] = {}  # gid -> (reason, block site, wait ns, leaf)
    unattributed = 0
    walker = _Walker(trace, m, th, line_stats, sched, sched_g, sys_lost, running)

    for g in trace.goroutines.values():
        if _is_system(g):
            continue
        csite = m.site(g.creation_stack) if g.creation_stack and m.is_go_statement_in_workspace(g.creation_stack) else None
        if csite is not None:
            if g.created_ns is not None:
                created_by[csite] += 1
            if g.alive_at_end:
                by_creation[csite].append(g)
            else:
                ended_by_creation[csite] += 1
        last_iv = walker.walk(g, csite)
        if g.alive_at_end and last_iv is not None and last_iv.state == GoState.WAITING and last_iv.open \
                and not _is_main(g):
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

    evidence += _leaks(trace, m, by_creation, ended_by_creation, parked_at_end, th, dur)
    evidence += _blocking(line_stats, th, dur)
    evidence += _syscalls(line_stats, sys_lost, th, dur)
    evidence += _sched(sched, sched_g, th)
    evidence += _running(running, th, dur)
    evidence += _annotations(trace, m)

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
    stats_by_line: dict[tuple[str, int], list[LineStat]] = defaultdict(list)
    for ls in line_stats.values():
        stats_by_line[ls.site.key].append(ls)
    creations = {site.key: Creation(site, created_by[site], ended_by_creation[site], len(by_creation.get(site, ())))
                 for site in set(by_creation) | set(ended_by_creation)}
    return TraceEvidence(evidence, summary, dict(stats_by_line), source=source, trace_time=when, creations=creations)


def rule_severity(rule_id: str) -> Severity:
    """The severity `rules/<rule_id>*.md` declares (the registry is the one place it is set)."""
    rule = default_registry().get(rule_id)
    if rule is None:
        raise KeyError(f"{rule_id} has no page in rules/")
    return rule.severity


def _severity(rule_id: str, site: Site) -> Severity:
    base = rule_severity(rule_id)
    if site.stale:
        return Severity(min(int(Severity.HINT), int(base) + 1))
    return base


def _stale_note(site: Site) -> str:
    return f" [stale: {site.stale}]" if site.stale else ""


def _loc(site: Site, ws_display, here: Site | None = None) -> str:
    if here is not None and here.path == site.path:
        return f"line {site.line}"
    return f"{ws_display(site.path)}:{site.line}"


def _leaks(trace: Trace, m: _Mapper, by_creation, ended_by_creation, parked, th: Thresholds, dur: int) -> list[Evidence]:
    stuck_min = max(th.leak_min_ns, th.leak_min_fraction * dur)
    # Every goroutine parked at the end on a wait that can leak, grouped by (creation, block,
    # reason): the thresholds decide which groups are reported, never how many of a group count.
    candidates: dict[tuple, list[tuple[Goroutine, int]]] = defaultdict(list)
    for gid, (reason, bsite, wait, leaf) in parked.items():
        if reason not in ACCUMULATE_REASONS:
            continue
        g = trace.goroutines[gid]
        csite = None
        if g.creation_stack and m.is_go_statement_in_workspace(g.creation_stack):
            csite = m.site(g.creation_stack)
        if csite is None and bsite is None:
            continue
        candidates[(csite, bsite, reason, leaf if bsite is None else "")].append((g, wait))
    # Accumulating: one go statement, several goroutines spread over the trace, none exited.
    alive_from: dict[Site, int] = {}
    for csite, gs in by_creation.items():
        created = [g.created_ns for g in gs if g.created_ns is not None]
        if (len(gs) >= th.leak_accumulate_min and ended_by_creation[csite] == 0 and len(created) == len(gs)
                and max(created) - min(created) >= th.leak_accumulate_spread * dur
                # Parked in a loop's wait, or just woken from it: a goroutine caught running or
                # runnable at the end has not exited either.
                and all((g.id in parked and parked[g.id][0] in ACCUMULATE_REASONS)
                        or (g.id not in parked and g.final_state in (GoState.RUNNABLE, GoState.RUNNING)) for g in gs)
                and sum(1 for g in gs if g.id in parked) >= th.leak_accumulate_min):
            alive_from[csite] = len(gs)
    # Stuck: parked long (the group's longest wait) on something only another goroutine can release.
    groups: dict[tuple, tuple[list[tuple[Goroutine, int]], str]] = {}
    for key, members in candidates.items():
        csite, _, reason, _ = key
        if reason in STUCK_REASONS and max(w for _, w in members) >= stuck_min:
            groups[key] = (members, "stuck")
        elif csite in alive_from:
            groups[key] = (members, "accumulating")

    out: list[Evidence] = []
    disp = m.ws.display
    # At the go statement: one item per (creation, block, reason).
    by_block: dict[tuple, list[tuple[Site | None, list]]] = defaultdict(list)
    for (csite, bsite, reason, leaf), (members, criterion) in groups.items():
        if bsite is not None:
            by_block[(bsite, reason)].append((csite, members, criterion))
        if csite is None:
            continue
        text, data, stats, hist = _leak_text(members, criterion, dur, reason, bsite, leaf, disp, csite,
                                             alive_from.get(csite))
        related = [(bsite, f"blocked here: {reason}")] if bsite is not None and bsite.key != csite.key else []
        data.update(creation=[_site_dict(csite, disp)], block=_site_dict(bsite, disp), anchor="creation")
        out.append(Evidence("GT101", csite, text["creation"] + _stale_note(csite), _severity("GT101", csite),
                            reason, len(members), stats, related, data, hist))
    # At the block line: one item per (block, reason), pointing back to every creation site.
    for (bsite, reason), parts in by_block.items():
        members = [x for _, ms, _ in parts for x in ms]
        csites = [c for c, _, _ in parts if c is not None]
        if any(c.key == bsite.key for c in csites) and len(parts) == 1:
            continue  # `go func() { <-ch }()` on one line: the creation item already says it all
        criterion = "stuck" if any(k == "stuck" for _, _, k in parts) else "accumulating"
        text, data, stats, hist = _leak_text(members, criterion, dur, reason, bsite, "", disp, bsite)
        msg = text["block"]
        if csites:
            msg += "; started at " + ", ".join(_loc(c, disp, bsite) for c in csites)
        unknown = sum(len(ms) for c, ms, _ in parts if c is None)
        if unknown and csites:
            msg += f" ({unknown} already running when the trace started)"
        elif unknown:
            msg += "; already running when the trace started"
        related = [(c, "the goroutines were started here") for c in csites if c.key != bsite.key]
        data.update(creation=[_site_dict(c, disp) for c in csites], block=_site_dict(bsite, disp), anchor="block")
        out.append(Evidence("GT101", bsite, msg + _stale_note(bsite), _severity("GT101", bsite), reason,
                            len(members), stats, related, data, hist))
    return out


def _leak_text(members: list[tuple[Goroutine, int]], criterion: str, dur: int, reason: str, bsite: Site | None,
               leaf: str, disp, here: Site | None = None, alive: int | None = None):
    waits = [w for _, w in members]
    n = len(members)
    stats = Stats.of(waits)
    frac_lo, frac_hi = stats.min / dur * 100, stats.max / dur * 100
    span = fmt_duration(stats.min) if fmt_duration(stats.min) == fmt_duration(stats.max) else \
        f"{fmt_duration(stats.min)}–{fmt_duration(stats.max)}"
    pct = f"{frac_lo:.0f}%" if round(frac_lo) == round(frac_hi) else f"{frac_lo:.0f}–{frac_hi:.0f}%"
    where_block = f"{reason} at {_loc(bsite, disp, here)}" if bsite else f"{reason} in {leaf or 'runtime code'}"
    was = "was" if n == 1 else "were"
    data = {
        "reason": reason,
        "goroutines": n,
        "goroutine_ids": sorted(g.id for g, _ in members)[:50],
        "blocked": stats.as_dict(),
        "trace_duration_ns": dur,
        "criterion": criterion,
    }
    if alive:
        data["alive_from_creation"] = alive
    if criterion == "stuck":
        text = {
            "creation": f"{_plural(n, 'goroutine')} started here {was} still blocked when the trace ended: "
                        f"{where_block} for {span} ({pct} of the {fmt_duration(dur)} trace)",
            "block": f"{_plural(n, 'goroutine')} {was} blocked here ({reason}) when the trace ended, "
                     f"for {span} ({pct} of the {fmt_duration(dur)} trace)",
        }
    else:
        created = sorted(g.created_ns for g, _ in members if g.created_ns is not None)
        over = fmt_duration(created[-1] - created[0]) if len(created) > 1 else "0 ns"
        alive = max(alive or n, n)
        parked = "each was parked" if alive == n else f"{n} were parked"
        text = {
            "creation": f"{_plural(alive, 'goroutine')} started here over {over} never exited (none from this line "
                        f"ended during the {fmt_duration(dur)} trace); at trace end {parked}: {where_block}, "
                        f"waiting {span}",
            "block": f"{_plural(n, 'goroutine')} that never exited {was} parked here at trace end ({reason}, "
                     f"waiting {span})",
        }
    return text, data, stats, histogram(waits)


def _site_dict(site: Site | None, disp) -> dict | None:
    if site is None:
        return None
    return {"path": disp(site.path), "line": site.line, "func": site.func, "stale": site.stale}


def _blocking(line_stats, th: Thresholds, dur: int) -> list[Evidence]:
    out = []
    floor = max(th.blocking_min_total_ns, th.blocking_min_fraction * dur)
    for (kind, site, reason), ls in line_stats.items():
        if kind != "blocked" or reason not in BLOCKING_REASONS:
            continue
        st = Stats.of(ls.released)
        if st.count < th.blocking_min_count or st.total < floor:
            continue
        msg = (f"goroutines blocked here {st.count}× on {reason} until another goroutine released them: "
               f"{fmt_duration(st.total)} in total (p50 {fmt_duration(st.p50)}, p95 {fmt_duration(st.p95)}, "
               f"max {fmt_duration(st.max)}) across {_plural(len(ls.goroutines), 'goroutine')}")
        related = []
        if ls.releasers:
            rsite, n = ls.releasers.most_common(1)[0]
            if rsite.key != site.key:
                related.append((rsite, f"released {n}× from here"))
        if ls.open:
            msg += f"; {ls.open} more still waiting at trace end"
        out.append(Evidence("GT201", site, msg + _stale_note(site), _severity("GT201", site), reason,
                            len(ls.goroutines), st, related, {"reason": reason, "blocked": st.as_dict(),
                                                          "goroutines": len(ls.goroutines), "open": ls.open,
                                                          "trace_duration_ns": dur},
                            histogram(ls.released)))
    return out


def _syscalls(line_stats, sys_lost, th: Thresholds, dur: int) -> list[Evidence]:
    out = []
    for (kind, site, _), ls in line_stats.items():
        if kind != "syscall":
            continue
        st = ls.stats
        lost = sys_lost.get(site, [])
        total = st.total + sum(lost)
        if st.count < th.syscall_min_count or total < max(th.syscall_min_total_ns, th.syscall_min_fraction * dur):
            continue
        msg = (f"{st.count} syscalls here: {fmt_duration(st.total)} in the kernel "
               f"(p50 {fmt_duration(st.p50)}, max {fmt_duration(st.max)})")
        if lost:
            msg += f", plus {fmt_duration(sum(lost))} waiting to get a P back after {_plural(len(lost), 'syscall')} that lost it"
        msg += f", across {_plural(len(ls.goroutines), 'goroutine')}"
        out.append(Evidence("GT301", site, msg + _stale_note(site), _severity("GT301", site), "syscall",
                            len(ls.goroutines), st, [], {"syscall": st.as_dict(), "lost_p": Stats.of(lost).as_dict(),
                                                         "total_ns": total, "goroutines": len(ls.goroutines),
                                                         "trace_duration_ns": dur},
                            histogram(ls.durations)))
    return out


def _sched(sched, sched_g, th: Thresholds) -> list[Evidence]:
    out = []
    for site, values in sched.items():
        st = Stats.of(values)
        if st.count < th.sched_min_samples or st.p95 < th.sched_p95_ns:
            continue
        msg = (f"goroutines started here waited to be scheduled {st.count}× (runnable → running): "
               f"p50 {fmt_duration(st.p50)}, p95 {fmt_duration(st.p95)}, max {fmt_duration(st.max)}, "
               f"across {_plural(len(sched_g[site]), 'goroutine')}")
        out.append(Evidence("GT401", site, msg + _stale_note(site), _severity("GT401", site), "runnable",
                            len(sched_g[site]), st, [], {"latency": st.as_dict(), "goroutines": len(sched_g[site])},
                            histogram(values)))
    return out


def _running(running, th: Thresholds, dur: int) -> list[Evidence]:
    out = []
    for site, stretches in running.items():
        cpu = [c for c, _, _, _ in stretches]
        st = Stats.of(cpu)
        gs = {g for _, _, g, _ in stretches}
        preemptions = sum(p for _, _, _, p in stretches)
        stretch_words = _plural(st.count, 'stretch').replace('stretchs', 'stretches')
        msg = (f"{_plural(len(gs), 'goroutine')} ran here for {stretch_words} without blocking: longest "
               f"{fmt_duration(st.max)} on CPU, {fmt_duration(st.total)} in total ({st.total / dur * 100:.0f}% of "
               f"the trace), preempted or yielding {_plural(preemptions, 'time')} meanwhile")
        out.append(Evidence("GT501", site, msg + _stale_note(site), _severity("GT501", site), "running",
                            len(gs), st, [], {"running": st.as_dict(), "wall_max_ns": max(w for _, w, _, _ in stretches),
                                              "goroutines": len(gs), "preemptions": preemptions,
                                              "trace_duration_ns": dur},
                            histogram(cpu)))
    return out


def _annotations(trace: Trace, m: _Mapper) -> list[Evidence]:
    spans: dict[tuple[Site, str, str], list[int]] = defaultdict(list)
    open_: Counter = Counter()
    for r in trace.regions:
        site = m.site(r.start_stack)
        if site is None:
            continue
        key = (site, "region", r.name)
        if r.duration is None:
            open_[key] += 1
            spans.setdefault(key, [])
        else:
            spans[key].append(r.duration)
    for t in trace.tasks.values():
        site = m.site(t.start_stack)
        if site is None:
            continue
        key = (site, "task", t.name)
        if t.duration is None:
            open_[key] += 1
            spans.setdefault(key, [])
        else:
            spans[key].append(t.duration)
    logs: dict[tuple[Site, str], list[str]] = defaultdict(list)
    for lg in trace.logs:
        site = m.site(lg.stack)
        if site is not None:
            logs[(site, lg.category)].append(lg.message)
    out = []
    for (site, kind, name), durations in spans.items():
        st = Stats.of(durations)
        parts = [f"{kind} {name!r}: {st.count}×"]
        if st.count:
            parts.append(f"p50 {fmt_duration(st.p50)}, p95 {fmt_duration(st.p95)}, max {fmt_duration(st.max)}")
        if open_[(site, kind, name)]:
            parts.append(f"{open_[(site, kind, name)]} not ended within the trace")
        out.append(Evidence("GT601", site, ", ".join(parts) + _stale_note(site), _severity("GT601", site), kind, 0, st, [],
                            {"kind": kind, "name": name, "durations": st.as_dict(), "open": open_[(site, kind, name)]},
                            histogram(durations)))
    for (site, category), messages in logs.items():
        shown = ", ".join(repr(x) for x in messages[:3]) + (", …" if len(messages) > 3 else "")
        label = f"log {category!r}" if category else "log"
        out.append(Evidence("GT601", site, f"{label}: {len(messages)}× ({shown})" + _stale_note(site), _severity("GT601", site),
                            "log", 0, None, [], {"kind": "log", "category": category, "count": len(messages),
                                                 "messages": messages[:20]}))
    return out
