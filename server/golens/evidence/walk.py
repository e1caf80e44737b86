"""The accumulators: one pass over every goroutine's transition records, adding each interval
to the statistics of the line it is attributed to (waits per line and reason, syscalls,
scheduling delays per creation site, running stretches)."""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from itertools import accumulate, chain, islice
from pathlib import Path
from typing import Any

from golens.trace import Frame, GoState, Interval, Kind, Trace, builder
from golens.trace.model import KIND_BITS, KIND_TO, REASON_MASK, REASON_SHIFT, STACK_SHIFT, STATE_SHIFT, Goroutine

from .mapping import Resolution, TraceTime, Where, Workspace, stale_reason
from .results import LineStat, LineStats, Site, Thresholds, Waits
from .waits import SYSTEM, classify_wait

_TO_BY_KIND = {int(k): int(v) for k, v in KIND_TO.items()}
_KIND_TO: list[int] = [_TO_BY_KIND.get(i, 0) for i in range(16)]  # kind -> state it leads to
_STATUS, _BLOCK, _STOP, _SYSCALL_K, _UNBLOCK = int(Kind.STATUS), int(Kind.BLOCK), int(Kind.STOP), int(Kind.SYSCALL), int(Kind.UNBLOCK)
_STATE_STACK = frozenset({_BLOCK, _STOP, _SYSCALL_K, _STATUS})
_NOT_EXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL = (int(GoState.NOT_EXIST), int(GoState.RUNNABLE),
                                                       int(GoState.RUNNING), int(GoState.WAITING), int(GoState.SYSCALL))


# The compiled form of Walker.walk's loop (trace/_speedups.c), unless it was not built or
# GOLENS_TRACE_PURE=1; the Python loop stays the reference the tests compare it with.
_speedups = builder._speedups
_LAYOUT = (KIND_BITS, STATE_SHIFT, REASON_SHIFT, REASON_MASK, STACK_SHIFT, bytes(_KIND_TO), _STATUS, _BLOCK, _STOP,
           _SYSCALL_K, _UNBLOCK, _NOT_EXIST, _RUNNABLE, _RUNNING, _WAITING, _SYSCALL)
# Past this many (stack, reason) pairs the compiled walk asks Python on every wait instead of
# caching the answer in a table (4 bytes a pair).
_WAIT_TABLE_MAX = 1 << 22

_UNSEEN: Any = object()  # a cache miss, where None is a cached "not attributed"


class Mapper:
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
        path = res.path
        assert path is not None  # a workspace frame resolves to a file
        key = (path, frame.line, frame.func)
        site = self._sites.get(key)
        if site is None:
            stale = stale_reason(path, frame.line, frame.func)
            site = self._sites[key] = Site(path, frame.line, frame.func, frame.file, res.how, stale)
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


def is_system_goroutine(g: Goroutine) -> bool:
    return g.start_function.startswith(("runtime.", "runtime/trace.", "internal/"))


def is_main_goroutine(g: Goroutine) -> bool:
    # The main goroutine parked at trace end is the program waiting for its work, not a leak.
    return g.existed_before_trace and g.start_function == "main.main"


# Where a goroutine's walk stands between two parts, the compiled walk's the same: the interval
# being built (state, prev_state, start, ridx, stack, prev_stack, first), the running stretch
# (cpu, cstart, nstops), the last interval closed (have_last, last_state, last_start, last_end,
# last_ridx, last_stack, last_open), the last tick read, and the running stretch's stops by stack.
_NONE = -100  # no state yet (the compiled walk's EW_NONE)


class Walker:
    """One pass over a goroutine's packed transition records, building its intervals on the fly.

    This mirrors ``Goroutine.intervals()`` but reads the records directly: the analysis of a
    large trace visits millions of intervals, and the namedtuple/enum objects the public
    iterators build per record cost more than everything done with them here. Unlike
    ``intervals()`` it also sees the transition that ends each interval (the unblocker's stack).

    A goroutine's records can be walked in parts as a trace is read (``walk(g, csite,
    final=False)`` on the chunks it holds, which the caller then releases); the part that ends
    with ``final=True`` closes the interval still open at trace end.
    """

    def __init__(self, trace: Trace, m: Mapper, th: Thresholds, line_stats: LineStats,
                 sched: dict[Site, Waits], sched_g: dict[Site, set[int]], sys_lost: dict[Site, array[int]],
                 running: dict[Site, list[tuple[int, int, int, int]]]):
        self.trace = trace
        self.m = m
        self.th = th
        self.line_stats = line_stats
        self.sched = sched
        self.sched_g = sched_g
        self.sys_lost = sys_lost
        self.sys_lost_stacks: dict[int, array[int]] = defaultdict(lambda: array("q"))  # syscall stack ID -> P waits
        self.running = running
        self.reasons = trace.reasons
        self._wait_ls: dict[int, LineStat | None] = {}  # stack ID << 8 | reason index -> its LineStat
        self._sys_ls: dict[int, LineStat | None] = {}
        self._resume: dict[int, tuple[Any, ...]] = {}  # goroutine ID -> its walk's state between parts
        self._compiled = getattr(_speedups, "evidence_walk", None)
        self._table_sizes = (-1, -1)
        if self._compiled is not None:
            self._lines: list[LineStat] = []
            self._line_ids: dict[int, int] = {}  # id(LineStat) -> its index in _lines

    def _size_tables(self) -> None:
        """The compiled walk's caches of the answers of _line_index and _has_site (-2 / -1: not
        asked yet), sized by the stacks and reasons the trace has so far (it grows while read)."""
        nstacks, nreasons = len(self.trace.stacks), len(self.trace.reasons)
        if (nstacks, nreasons) == self._table_sizes:
            return
        self._table_sizes = (nstacks, nreasons)
        self._wait_table = array("i", [-2]) * (nstacks * nreasons if nstacks * nreasons <= _WAIT_TABLE_MAX else 0)
        self._sys_table = array("i", [-2]) * nstacks
        self._site_table = array("b", [-1]) * nstacks

    def _wait_stat(self, sid: int, ridx: int) -> LineStat | None:
        key = sid << 8 | ridx
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

    def finish(self) -> None:
        """Fold the tallies kept by stack ID during the walk into per-Site ones (only stacks with
        a site were tallied)."""
        site = self.m.site
        for sid, waits in self.sys_lost_stacks.items():
            if (s := site(sid)) is not None:
                self.sys_lost[s].extend(waits)
        for ls in self.line_stats.values():
            for sid, n in ls.release_stacks.items():
                if (s := site(sid)) is not None:
                    ls.releasers[s] += n
            ls.release_stacks.clear()

    def _line_index(self, ls: LineStat | None) -> int:
        if ls is None:
            return -1
        i = self._line_ids.get(id(ls))
        if i is None:
            i = self._line_ids[id(ls)] = len(self._lines)
            self._lines.append(ls)
        return i

    def _has_site(self, sid: int) -> bool:
        return self.m.site(sid) is not None

    def walk(self, g: Goroutine, csite: Site | None, final: bool = True) -> Interval | None:
        """Account the intervals of the records g holds (after those of earlier parts); with
        final, the trace has ended: returns g's last interval as Interval (or None)."""
        if self._compiled is not None:
            tbase, tick_ns, dts, recss = g.record_chunks()
            if isinstance(tick_ns, (int, float)):
                return self._walk_compiled(g, csite, tbase, tick_ns, dts, recss, final)
        return self._walk_python(g, csite, final)

    def _walk_compiled(self, g: Goroutine, csite: Site | None, tbase: int, tick_ns: int | float,
                       dts: list[array[int]], recss: list[array[int]], final: bool) -> Interval | None:
        """walk() through _speedups.evidence_walk: the same effects, in the same order per list."""
        tr = self.trace
        gid = g.id
        sched_list = self.sched[csite] if csite is not None else None
        sched_gs = self.sched_g[csite] if csite is not None else set()
        assert self._compiled is not None
        self._size_tables()
        lines, sched, sys_lost, stretches, last = self._compiled(
            dts, recss, tbase, tick_ns, tr.start_ns, tr.end_ns, _LAYOUT,
            self._wait_table, lambda sid, ridx: self._line_index(self._wait_stat(sid, ridx)),
            self._sys_table, lambda sid: self._line_index(self._sys_stat(sid)),
            self._site_table, self._has_site,
            sched_list is not None, self.th.running_min_ns, self.th.running_min_preemptions,
            self._resume.pop(gid, None), final)
        for li, durations, n_open, open_total, released, release_stacks, dep_count, dep_total in lines:
            ls = self._lines[li]
            ls.durations.frombytes(durations)
            ls.open += n_open
            ls.open_total += open_total
            if released:
                ls.released.frombytes(released)
                ls.release_stacks.update(array("q", release_stacks))
            ls.dependency_count += dep_count
            ls.dependency_total += dep_total
            ls.goroutines.add(gid)
        if sched and sched_list is not None:
            sched_list.frombytes(sched)
            sched_gs.add(gid)
        if sys_lost:
            pairs = array("q", sys_lost)
            for i in range(0, len(pairs), 2):
                self.sys_lost_stacks[pairs[i]].append(pairs[i + 1])
        for cpu, cstart, stop, ending_stack, stops, preemptions in stretches:
            self._stretch(g, csite, cpu, cstart, stop, ending_stack, Counter(stops), preemptions)
        if not final:
            self._resume[gid] = last
            return None
        if last is None:
            return None
        st, a, b, ri, sk, op = last
        return Interval(GoState(st), a, b, self.reasons[ri], sk, op)

    def _walk_python(self, g: Goroutine, csite: Site | None, final: bool) -> Interval | None:
        tr = self.trace
        trace_start, trace_end = tr.start_ns, tr.end_ns
        gid = g.id
        m = self.m
        site_of = m.site
        stack_sites = m._stacks  # site_of's cache, read inline on the hot path
        wait_ls = self._wait_ls
        wait_stat = self._wait_stat
        sys_stat = self._sys_stat
        running_min_ns, running_min_preemptions = self.th.running_min_ns, self.th.running_min_preemptions
        sched_list = self.sched[csite] if csite is not None else None
        sched_gs = self.sched_g[csite] if csite is not None else set()
        tbase, tick_ns, dts, recss = g.record_chunks()
        resume = self._resume.pop(gid, None)
        if resume is None:
            state: int | None = None
            start = ridx = stack = prev_stack = 0
            first = True
            prev_state: int | None = None
            cpu = cstart = nstops = 0
            stops: Counter[int] = Counter()  # stack ID where it was preempted -> count
            last: tuple[int, int, int, int, int, bool] | None = None
            tick = tbase
        else:
            (state, prev_state, start, ridx, stack, prev_stack, first, cpu, cstart, nstops, have_last, *last_fields,
             tick, stops) = resume
            state = None if state == _NONE else state
            prev_state = None if prev_state == _NONE else prev_state
            first = bool(first)
            stops = Counter(stops)
            last = (*last_fields[:5], bool(last_fields[5])) if have_last else None
        ticks = list(islice(accumulate(chain.from_iterable(dts), initial=tick), 1, None))
        if ticks:
            tick = ticks[-1]
        times = map(tick_ns.__mul__, ticks) if isinstance(tick_ns, int) else (int(t * tick_ns) for t in ticks)
        # A record of -1 after the last one: the trace ended (closes the interval still open).
        end_marker = ((0, -1),) if final else ()
        for t, r in chain(zip(times, chain.from_iterable(recss), strict=True), end_marker):
            if r < 0:
                if state is None or state == _NOT_EXIST:
                    break
                t, kind, to, sid, is_open = max(trace_end, start), -1, -1, 0, True
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
                    ls = wait_ls.get(stack << 8 | ridx, _UNSEEN)
                    if ls is _UNSEEN:
                        ls = wait_stat(stack, ridx)
                    if ls is not None:
                        if is_open:
                            ls.open += 1
                            ls.open_total += d
                        else:
                            ls.durations.append(d)
                            if kind == _UNBLOCK and sid:
                                rsite = stack_sites.get(sid, _UNSEEN)
                                if rsite is _UNSEEN:
                                    rsite = site_of(sid)
                                if rsite is not None:
                                    ls.released.append(d)
                                    ls.release_stacks[sid] += 1
                                else:
                                    ls.dependency_count += 1
                                    ls.dependency_total += d
                        ls.goroutines.add(gid)
                elif state == _SYSCALL:
                    ls = sys_stat(stack)
                    if ls is not None:
                        ls.durations.append(d)
                        ls.goroutines.add(gid)
                elif state == _RUNNABLE:
                    if not is_open:
                        if prev_state == _SYSCALL and site_of(prev_stack) is not None:
                            self.sys_lost_stacks[prev_stack].append(d)
                        if sched_list is not None:
                            sched_list.append(d)
                            sched_gs.add(gid)
                    if stack:
                        nstops += 1
                        if site_of(stack) is not None:
                            stops[stack] += 1
                # Running stretches: on-CPU time between blocking events.
                if state == _RUNNING or state == _RUNNABLE:
                    if cpu == 0 and state == _RUNNING and not stops:
                        cstart = start
                    if state == _RUNNING:
                        cpu += d
                else:
                    if cpu >= running_min_ns and nstops >= running_min_preemptions:
                        self._stretch(g, csite, cpu, cstart, start, stack, stops, nstops)
                    cpu = nstops = 0
                    if stops:
                        stops = Counter()
                prev_state, prev_stack = state, stack
                last = (state, start, end, ridx, stack, is_open)
            if r < 0:
                break
            if first and kind == _STATUS and trace_start:
                t = min(t, trace_start)
            first = False
            state = to
            start = t
            ridx = (r >> REASON_SHIFT) & REASON_MASK if kind in (_BLOCK, _STOP) else 0
            stack = sid if kind in _STATE_STACK else 0
        if not final:
            self._resume[gid] = (
                _NONE if state is None else state, _NONE if prev_state is None else prev_state, start, ridx, stack,
                prev_stack, int(first), cpu, cstart, nstops, int(last is not None),
                *(last[:5] if last is not None else (0, 0, 0, 0, 0)), int(last is not None and last[5]), tick, stops)
            return None
        if cpu >= self.th.running_min_ns and nstops >= self.th.running_min_preemptions:
            self._stretch(g, csite, cpu, cstart, trace_end, 0, stops, nstops)
        if last is None:
            return None
        st, a, b, ri, sk, op = last
        return Interval(GoState(st), a, b, self.reasons[ri], sk, op)

    def _stretch(self, g: Goroutine, csite: Site | None, cpu: int, start: int, stop: int, ending_stack: int,
                 stops: Counter[int], preemptions: int) -> None:
        by_site: Counter[Site | None] = Counter()
        for sid, n in stops.items():
            by_site[self.m.site(sid)] += n
        site = by_site.most_common(1)[0][0] if by_site else None
        if site is None and ending_stack:
            site = self.m.site(ending_stack)
        site = site or csite
        if site is not None:
            self.running[site].append((cpu, max(0, stop - start), g.id, preemptions))
