"""Turns the batches of one generation at a time into the trace model.

Ordering strategy (see the module docstring of ``golens.trace``): each
thread's (M's) events are walked independently, attributing implicit events
to the goroutine currently running on that M. Every goroutine record gets a
sort key built from sequence numbers, not timestamps: events that name a
goroutine explicitly (GoStart, GoUnblock, GoSwitch) carry that goroutine's
per-generation sequence number ``seq``; events the goroutine performs itself
on its M get ``(seq of the GoStart that put it there, position after it)``;
creation and status events are ``(0, 0)``. Sorting a goroutine's records of
one generation by that key yields exactly the order Go's own parser derives
with its global state machine, without a global merge of all Ms.
"""

from __future__ import annotations

import datetime as _dt
import operator
import os
from array import array
from itertools import accumulate, chain

from . import wire
from .errors import TraceError
from .model import (
    MAX_REASONS,
    CPUSamples,
    GCCycle,
    Goroutine,
    GoState,
    Kind,
    LogMessage,
    MarkAssist,
    Region,
    STWPause,
    Task,
    Trace,
)
from .validate import order_and_check

NO_THREAD = wire.NO_THREAD

# The compiled walk loop (_speedups.c), built at install time when a C
# compiler is available. It stops before any event it does not handle so the
# Python loop below stays the one definition of behaviour and errors.
# GOLENS_TRACE_PURE=1 forces the pure-Python path.
if os.environ.get("GOLENS_TRACE_PURE", "") not in ("", "0"):
    _speedups = None
else:
    try:
        from . import _speedups
    except ImportError:
        _speedups = None

# Wire goroutine status -> GoState.
_WIRE_STATUS = {1: GoState.RUNNABLE, 2: GoState.RUNNING, 3: GoState.SYSCALL, 4: GoState.WAITING}


# Side events (rare; applied in time order at commit).
S_LABEL, S_STW_BEGIN, S_STW_END, S_GC_ACTIVE, S_GC_BEGIN, S_GC_END = range(6)
S_ASSIST_ACTIVE, S_ASSIST_BEGIN, S_ASSIST_END = 6, 7, 8
S_TASK_BEGIN, S_TASK_END, S_REGION_BEGIN, S_REGION_END, S_LOG = 9, 10, 11, 12, 13

EVENT_NAMES = {k: v[0] for k, v in wire.EVENTS.items()}


class _Reasons(dict):
    """Generation string ID -> trace-wide reason index, filled on demand."""

    def __init__(self, strings: dict, trace: Trace, index: dict):
        super().__init__()
        self.strings = strings
        self.trace = trace
        self.index = index

    def __missing__(self, sid: int) -> int:
        s = self.strings[sid]  # _MissingID: unknown string ID
        r = self.index.get(s)
        if r is None:
            if len(self.trace.reasons) >= MAX_REASONS:
                raise TraceError(f"more than {MAX_REASONS} distinct block/stop reasons")
            r = self.index[s] = len(self.trace.reasons)
            self.trace.reasons.append(s)
        self[sid] = r
        return r


class _MissingID(Exception):
    """An event referenced a stack or string the generation does not define."""

    def __init__(self, what: str, ident: int):
        super().__init__(what, ident)
        self.what = what
        self.ident = ident


class _Strings(dict):
    def __missing__(self, sid):
        raise _MissingID("string", sid)


class _StackMap(dict):
    def __missing__(self, sid):
        raise _MissingID("stack", sid)


class Generation:
    """The raw batches of one generation, grouped as Go's reader groups them."""

    def __init__(self, gen: int, offset: int):
        self.gen = gen
        self.offset = offset
        self.ms: dict[int, list[wire.Batch]] = {}
        self.strings: list[wire.Batch] = []
        self.stacks: list[wire.Batch] = []
        self.cpu: list[wire.Batch] = []
        self.sync: list[wire.Batch] = []
        self.nbytes = 0

    def add(self, b: wire.Batch, version: int) -> None:
        self.nbytes += len(b.payload)
        if b.exp:
            return  # experiment-private payloads (types, heap info) are not modelled
        first = b.payload[0] if b.payload else -1
        if first == wire.EV_STRINGS:
            self.strings.append(b)
        elif first == wire.EV_STACKS:
            self.stacks.append(b)
        elif first == wire.EV_CPU_SAMPLES:
            self.cpu.append(b)
        elif (first == wire.EV_FREQUENCY and version < 25) or (first == wire.EV_SYNC and version >= 25):
            self.sync.append(b)
        else:
            self.ms.setdefault(b.m, []).append(b)


class Builder:
    def __init__(self, version: int, size: int):
        self.version = version
        self.trace = Trace(format_version=version, size_bytes=size)
        self.valid = bytearray(256)
        for ev in wire.valid_event_types(version):
            self.valid[ev] = 1
        self.counts = [0] * 256
        self.cur_g: dict[int, int] = {}
        self.reason_index: dict[str, int] = {"": 0}
        self.initial_gen: int | None = None
        self.last_gen: int | None = None
        # Open ranges carried across generations.
        self.open_regions: dict[int, list[Region]] = {}
        self.gc_open: GCCycle | None = None
        self.assists_open: dict[int, MarkAssist] = {}
        self.stw_open: dict[int, STWPause] = {}
        self.start_ns: int | None = None
        self.end_ns = 0

    # ------------------------------------------------------------------
    def process(self, g: Generation) -> None:
        """Decode, validate and commit one complete generation (all or nothing)."""
        if self.last_gen is not None and g.gen <= self.last_gen:
            raise TraceError(f"generation {g.gen} follows generation {self.last_gen}", g.offset)
        first = self.initial_gen is None
        freq, snap = self._sync(g)
        factor = 1.0 / (freq / 1e9)
        fac = int(factor) if factor.is_integer() else factor
        strings = self._strings(g)
        smap = self._stacks(g, strings)
        reasons = _Reasons(strings, self.trace, self.reason_index)
        cpu = self._cpu(g, smap, fac)

        self._factor = factor
        st = _GenState(self, g, strings, smap, reasons, first)
        counts_before = list(self.counts)
        try:
            for m, batches in g.ms.items():
                if m != NO_THREAD:
                    st.walk(m, batches)
            if NO_THREAD in g.ms:
                st.walk(NO_THREAD, g.ms[NO_THREAD])
            order_and_check(st, _speedups.order if _speedups is not None else None)
        except BaseException:
            self.counts = counts_before
            raise
        # Everything below cannot fail on bad input: commit.
        self._commit(st, fac, cpu)
        if first:
            self.initial_gen = g.gen
            self.trace.first_generation = g.gen
            self.trace.frequency_hz = freq
            if snap is not None:
                snap_ticks, _mono, sec, nsec = snap
                snap_ns = int(snap_ticks * fac)
                wall_ns = sec * 1_000_000_000 + nsec - (snap_ns - (self.start_ns or snap_ns))
                try:
                    self.trace.wall_start = _dt.datetime.fromtimestamp(wall_ns / 1e9, tz=_dt.UTC)
                except (OverflowError, ValueError, OSError):
                    self.trace.warnings.append(f"clock snapshot wall time {sec}.{nsec:09d} s is out of range; ignored")
        self.last_gen = g.gen
        self.trace.generations += 1

    # -- tables ---------------------------------------------------------
    def _sync(self, g: Generation):
        if not g.sync:
            raise _Truncatable(f"generation {g.gen} has no frequency batch", g.offset)
        if len(g.sync) > 1:
            raise TraceError(f"generation {g.gen} has more than one frequency batch", g.sync[1].offset)
        b = g.sync[0]
        p = b.payload
        pos = 1 if self.version >= 25 else 0
        freq = None
        snap = None
        lim = len(p)
        try:
            while pos < lim:
                ev = p[pos]
                at = b.payload_offset + pos
                pos += 1
                if ev == wire.EV_FREQUENCY:
                    if freq is not None:
                        raise TraceError("multiple frequency events", at)
                    freq, pos = wire.read_uvarint(p, pos, lim)
                elif ev == wire.EV_CLOCK_SNAPSHOT and self.version >= 25:
                    if snap is not None:
                        raise TraceError("multiple clock snapshot events", at)
                    vals = []
                    for _ in range(4):
                        v, pos = wire.read_uvarint(p, pos, lim)
                        vals.append(v)
                    snap = (b.ts + vals[0], vals[1], vals[2], vals[3])
                else:
                    raise TraceError(f"expected frequency or clock snapshot event, found type {ev}", at)
        except (IndexError, ValueError) as e:
            raise TraceError(f"bad varint in frequency batch: {e}", b.payload_offset + pos) from None
        if not freq:
            raise TraceError("frequency batch without a (non-zero) frequency", b.offset)
        if self.version >= 25 and snap is None:
            raise TraceError("sync batch without a clock snapshot", b.offset)
        return freq, snap

    def _strings(self, g: Generation) -> dict[int, str]:
        out = _Strings({0: ""})
        for b in g.strings:
            p = b.payload
            lim = len(p)
            pos = 1
            while pos < lim:
                at = b.payload_offset + pos
                if p[pos] != wire.EV_STRING:
                    raise TraceError(f"expected a string event, found type {p[pos]}", at)
                try:
                    sid, pos = wire.read_uvarint(p, pos + 1, lim)
                    n, pos = wire.read_uvarint(p, pos, lim)
                except (IndexError, ValueError):
                    raise TraceError("bad or truncated varint in string table", at) from None
                if n > wire.MAX_STRING_LEN:
                    raise TraceError(f"string of {n} bytes exceeds the {wire.MAX_STRING_LEN}-byte maximum", at)
                if pos + n > lim:
                    raise TraceError("string runs past the end of its batch", at)
                if sid in out:
                    raise TraceError(f"duplicate string ID {sid}", at)
                out[sid] = p[pos : pos + n].decode("utf-8", "replace")
                pos += n
        return out

    def _stacks(self, g: Generation, strings: dict[int, str]) -> dict[int, int]:
        table = self.trace.stacks
        frame = table.frame
        smap = _StackMap({0: 0})
        for b in g.stacks:
            vals = wire.decode_varints(b.payload, b.payload_offset)
            n = len(vals)
            i = 1
            while i < n:
                if vals[i] != wire.EV_STACK:
                    at = wire.token_offset(b.payload, b.payload_offset, i)
                    raise TraceError(f"expected a stack event, found type {vals[i]}", at)
                if i + 2 >= n:
                    raise TraceError("stack event runs past the end of its batch", wire.token_offset(b.payload, b.payload_offset, i))
                sid = vals[i + 1]
                nf = vals[i + 2]
                if nf > wire.MAX_FRAMES:
                    at = wire.token_offset(b.payload, b.payload_offset, i)
                    raise TraceError(f"stack with {nf} frames exceeds the {wire.MAX_FRAMES}-frame maximum", at)
                j = i + 3
                end = j + 4 * nf
                if end > n:
                    at = wire.token_offset(b.payload, b.payload_offset, i)
                    raise TraceError("stack event runs past the end of its batch", at)
                if sid in smap:
                    raise TraceError(f"duplicate stack ID {sid}", wire.token_offset(b.payload, b.payload_offset, i))
                try:
                    frames = tuple(
                        frame(vals[k], strings[vals[k + 1]], strings[vals[k + 2]], vals[k + 3])
                        for k in range(j, end, 4)
                    )
                except _MissingID as e:
                    at = wire.token_offset(b.payload, b.payload_offset, i)
                    raise _Truncatable(f"stack {sid} refers to string ID {e.ident}, which the generation does not define", at) from None
                smap[sid] = table.intern(frames)
                i = end
        return smap

    def _cpu(self, g: Generation, smap: dict[int, int], fac) -> list[tuple[int, int, int]]:
        out = []
        for b in g.cpu:
            vals = wire.decode_varints(b.payload, b.payload_offset)
            n = len(vals)
            i = 1
            while i < n:
                if vals[i] != wire.EV_CPU_SAMPLE or i + 5 >= n:
                    at = wire.token_offset(b.payload, b.payload_offset, i)
                    raise TraceError("malformed CPU sample", at)
                t, _m, _p, goid, sid = vals[i + 1 : i + 6]
                if t * fac >= 1 << 62:
                    raise TraceError("CPU sample timestamp out of range", wire.token_offset(b.payload, b.payload_offset, i))
                if sid not in smap:
                    at = wire.token_offset(b.payload, b.payload_offset, i)
                    raise _Truncatable(f"CPU sample refers to stack ID {sid}, which the generation does not define", at)
                out.append((int(t * fac), goid, smap[sid]))
                i += 6
        out.sort()
        return out

    # -- commit ----------------------------------------------------------
    def _commit(self, st: _GenState, fac, cpu) -> None:
        tr = self.trace
        gors = tr.goroutines
        if tr._tick_ns is None:
            tr._tick_ns = fac
        base = tr._tick_ns
        if fac == base:
            rescale = None
        else:
            # Another generation measured a different clock frequency: express
            # this generation's ticks in the first generation's unit.
            ratio = fac / base
            rescale = lambda ts: array("q", (int(x * ratio) for x in ts))  # noqa: E731
        conv = fac.__mul__ if isinstance(fac, int) else (lambda x, f=fac: int(x * f))
        for gid, (first, last, dts, infos) in st.sorted.items():
            go = gors.get(gid)
            if go is None:
                go = gors[gid] = Goroutine(gid, _trace=tr)
            if rescale is not None:
                raw = list(accumulate(dts, initial=go._tlast if go._n else first))[1:]
                scaled = rescale(raw)
                prev = go._tlast if go._n else scaled[0]
                dts = array("q", map(operator.sub, scaled, chain((prev,), scaled)))
                first, last = scaled[0], scaled[-1]
            go._append_chunk(first, last, dts, infos)
        for gid, t, creator, cstack, nstack in st.creates:
            go = gors[gid]
            go.created_ns = conv(t)
            go.creator_id = creator
            go.creation_stack = cstack
            go.start_stack = nstack
        kc = st.kind_counts
        counts = self.counts
        switches = kc[Kind.SWITCH_BLOCK] + kc[Kind.SWITCH_DESTROY]
        for ev, n in (
            (14, kc[Kind.CREATE]), (47, kc[Kind.CREATE_BLOCKED]), (15, kc[Kind.CREATE_SYSCALL]),
            (16, kc[Kind.START] - switches), (19, kc[Kind.STOP]), (20, kc[Kind.BLOCK]),
            (21, kc[Kind.UNBLOCK] - switches), (22, kc[Kind.SYSCALL]), (23, kc[Kind.SYSCALL_END]),
            (24, kc[Kind.SYSCALL_END_BLOCKED]), (17, kc[Kind.DESTROY]), (18, kc[Kind.DESTROY_SYSCALL]),
            (45, kc[Kind.SWITCH_BLOCK]), (46, kc[Kind.SWITCH_DESTROY]),
            (37, len(st.heap_alloc)), (33, st.sweeps),
        ):
            counts[ev] += n
        self.cur_g = st.cur_g
        if st.min_tick is not None:
            lo = conv(st.min_tick)
            if self.start_ns is None or lo < self.start_ns:
                self.start_ns = lo
            self.end_ns = max(self.end_ns, conv(st.max_tick))
        tr.start_ns = self.start_ns or 0
        tr.end_ns = self.end_ns
        for series, pts in ((tr.heap_alloc, st.heap_alloc), (tr.heap_goal, st.heap_goal), (tr.gomaxprocs, st.procs)):
            pts.sort()
            series.times.extend(conv(t) for t, _ in pts)
            series.values.extend(v for _, v in pts)
        cs: CPUSamples = tr.cpu_samples
        for t, goid, sid in cpu:
            cs.times.append(t)
            cs.goroutines.append(goid)
            cs.stacks.append(sid)
        tr.sweeps += st.sweeps
        st.side.sort(key=lambda e: e[0])
        for ev in st.side:
            self._apply_side(ev, conv, st)

    def _apply_side(self, ev, conv, st: _GenState) -> None:
        tr = self.trace
        tick, kind, g, m, a, b, c = ev[:7]
        t = conv(tick)
        strings = st.strings
        if kind == S_LABEL:
            if g is not None and g in tr.goroutines:
                tr.goroutines[g].labels.append((t, strings[a]))
        elif kind == S_STW_BEGIN:
            p = STWPause(strings[a], t, None, g, b)
            self.stw_open[m] = p
            tr.stw_pauses.append(p)
        elif kind == S_STW_END:
            p = self.stw_open.pop(m, None)
            if p is not None:
                p.end_ns = t
        elif kind == S_GC_ACTIVE:
            if self.gc_open is None:
                self.gc_open = GCCycle(a, None, None)
                tr.gc_cycles.append(self.gc_open)
        elif kind == S_GC_BEGIN:
            self.gc_open = GCCycle(a, t, None, b)
            tr.gc_cycles.append(self.gc_open)
        elif kind == S_GC_END:
            if self.gc_open is not None:
                self.gc_open.end_ns = t
                self.gc_open = None
            else:
                tr.gc_cycles.append(GCCycle(a, None, t))
        elif kind == S_ASSIST_ACTIVE:
            if a not in self.assists_open:
                ma = MarkAssist(a, None, None)
                self.assists_open[a] = ma
                tr.mark_assists.append(ma)
        elif kind == S_ASSIST_BEGIN:
            ma = MarkAssist(g, t, None, b)
            self.assists_open[g] = ma
            tr.mark_assists.append(ma)
        elif kind == S_ASSIST_END:
            ma = self.assists_open.pop(g, None)
            if ma is not None:
                ma.end_ns = t
        elif kind == S_TASK_BEGIN:
            task = tr.tasks.get(a)
            if task is None:
                task = tr.tasks[a] = Task(a, strings[c], b)
            task.name = strings[c]
            task.parent_id = b
            task.start_ns = t
            task.start_goroutine = g
            task.start_stack = ev[7]
        elif kind == S_TASK_END:
            task = tr.tasks.get(a)
            if task is None:
                task = tr.tasks[a] = Task(a, "")
            task.end_ns = t
            task.end_goroutine = g
            task.end_stack = b
        elif kind == S_REGION_BEGIN:
            r = Region(g, a, strings[b], t, None, c)
            self.open_regions.setdefault(g, []).append(r)
            tr.regions.append(r)
        elif kind == S_REGION_END:
            name = strings[b]
            stack = self.open_regions.get(g, [])
            for k in range(len(stack) - 1, -1, -1):
                if stack[k].name == name and stack[k].task_id == a:
                    r = stack.pop(k)
                    r.end_ns = t
                    r.end_stack = c
                    break
            else:
                tr.regions.append(Region(g, a, name, None, t, 0, c))
        elif kind == S_LOG:
            tr.logs.append(LogMessage(t, g, a, strings[b], strings[c], ev[7]))

    def finish(self) -> Trace:
        tr = self.trace
        tr.event_counts = {EVENT_NAMES.get(k, f"type{k}"): v for k, v in enumerate(self.counts) if v}
        return tr


class _Truncatable(TraceError):
    """A table is missing something: the sign of a generation cut short."""


class _GenState:
    """Decoding state for one generation; nothing here touches the Trace until commit."""

    def __init__(self, b: Builder, g: Generation, strings, smap, reasons, first: bool):
        self.b = b
        self.g = g
        self.strings = strings
        self.smap = smap
        self.reasons = reasons
        self.first = first
        self.recs: dict[int, array[int]] = {}
        self.kind_counts: dict[int, int] = {}  # record kind -> count, once ordered
        self.creates: list[tuple] = []
        self.side: list[tuple] = []
        self.heap_alloc: list[tuple[int, int]] = []
        self.heap_goal: list[tuple[int, int]] = []
        self.procs: list[tuple[int, int]] = []
        self.sweeps = 0
        self.cur_g = dict(b.cur_g)
        self.bindings: dict[int, int] = {}
        self.min_tick: int | None = None
        self.max_tick = 0
        self.sorted: dict[int, tuple[int, int, array, array]] = {}
        # Largest tick whose time in ns still fits the model's signed 64-bit arrays.
        self.max_ticks = int((1 << 62) / max(b._factor, 1e-9))

    def walk(self, m: int, batches: list[wire.Batch]) -> None:
        # Event types bound to locals: the loop below compares every event against them.
        ev_proc_start = wire.EV_PROC_START
        ev_proc_stop = wire.EV_PROC_STOP
        ev_proc_status = wire.EV_PROC_STATUS
        ev_go_create = wire.EV_GO_CREATE
        ev_go_create_syscall = wire.EV_GO_CREATE_SYSCALL
        ev_go_start = wire.EV_GO_START
        ev_go_destroy = wire.EV_GO_DESTROY
        ev_go_destroy_syscall = wire.EV_GO_DESTROY_SYSCALL
        ev_go_stop = wire.EV_GO_STOP
        ev_go_block = wire.EV_GO_BLOCK
        ev_go_unblock = wire.EV_GO_UNBLOCK
        ev_go_syscall_begin = wire.EV_GO_SYSCALL_BEGIN
        ev_go_syscall_end = wire.EV_GO_SYSCALL_END
        ev_go_syscall_end_blocked = wire.EV_GO_SYSCALL_END_BLOCKED
        ev_go_status = wire.EV_GO_STATUS
        ev_gc_sweep_begin = wire.EV_GC_SWEEP_BEGIN
        ev_gc_sweep_end = wire.EV_GC_SWEEP_END
        ev_heap_alloc = wire.EV_HEAP_ALLOC
        ev_go_switch = wire.EV_GO_SWITCH
        ev_go_switch_destroy = wire.EV_GO_SWITCH_DESTROY
        ev_go_create_blocked = wire.EV_GO_CREATE_BLOCKED
        ev_go_status_stack = wire.EV_GO_STATUS_STACK
        recs = self.recs
        smap = self.smap
        rmap = self.reasons
        counts = self.b.counts
        cur = self.cur_g.get(m) if m != NO_THREAD else None
        cl = clf = None
        if cur is not None:
            cl = recs.get(cur)
            if cl is None:
                cl = recs[cur] = array("q")
            clf = cl.fromlist
        # k: sort key of the current goroutine's next local record, i.e.
        # (seq of the event that put it on this M) << 32 | position after it.
        k = 0
        min_tick = self.min_tick
        max_tick = self.max_tick
        accel = _speedups
        if accel is not None:
            c_decode = accel.decode
            c_walk = accel.walk
            valid = bytes(self.b.valid)
            heap_alloc = self.heap_alloc
            creates = self.creates
            new_array = array("q").__copy__  # an empty array('q') per call
        buf = None
        for b in batches:
            if accel is not None:
                buf = c_decode(b.payload)
            if buf is None:
                vals = wire.decode_varints(b.payload, b.payload_offset)
            else:
                vals = memoryview(buf).cast("Q")
            n = len(vals)
            i = 0
            t = b.ts
            try:
                while i < n:
                    if buf is not None:
                        i, t, k, cur, sweeps = c_walk(
                            buf, i, t, k, cur, recs, smap, rmap, valid, counts, heap_alloc, creates, new_array
                        )
                        self.sweeps += sweeps
                        if i >= n:
                            break
                        if cur is None:
                            cl = clf = None
                        else:
                            cl = recs[cur]
                            clf = cl.fromlist
                    ev = vals[i]
                    if ev == ev_go_syscall_begin:  # GoSyscallBegin p_seq stack
                        t += vals[i + 1]
                        if i + 5 < n and vals[i + 4] == ev_go_syscall_end:
                            # A fast syscall: its GoSyscallEnd follows at once.
                            t1 = t + vals[i + 5]
                            clf([k + 1, t, 8 | smap[vals[i + 3]] << 15, k + 2, t1, 9])
                            k += 2
                            t = t1
                            i += 6
                        else:
                            k += 1
                            clf([k, t, 8 | smap[vals[i + 3]] << 15])
                            i += 4
                    elif ev == ev_go_start:  # GoStart g seq
                        t += vals[i + 1]
                        cur = vals[i + 2]
                        k = vals[i + 3] << 32
                        cl = recs.get(cur)
                        if cl is None:
                            cl = recs[cur] = array("q")
                        clf = cl.fromlist
                        clf([k, t, 4])
                        i += 4
                    elif ev == ev_go_unblock:  # GoUnblock g seq stack
                        t += vals[i + 1]
                        g = vals[i + 2]
                        g_recs = recs.get(g)
                        if g_recs is None:
                            g_recs = recs[g] = array("q")
                        g_recs.fromlist([vals[i + 3] << 32, t, 7 | smap[vals[i + 4]] << 15])
                        i += 5
                    elif ev == ev_go_block:  # GoBlock reason stack
                        t += vals[i + 1]
                        k += 1
                        clf([k, t, 6 | rmap[vals[i + 2]] << 7 | smap[vals[i + 3]] << 15])
                        cur = cl = clf = None
                        i += 4
                    elif ev == ev_go_syscall_end:  # GoSyscallEnd
                        t += vals[i + 1]
                        k += 1
                        clf([k, t, 9])
                        i += 2
                    elif ev == ev_heap_alloc:  # HeapAlloc
                        t += vals[i + 1]
                        self.heap_alloc.append((t, vals[i + 2]))
                        i += 3
                    elif ev == ev_proc_start or ev == ev_proc_status:  # ProcStart p seq / ProcStatus p status
                        counts[ev] += 1
                        t += vals[i + 1]
                        i += 4
                    elif ev == ev_proc_stop:  # ProcStop
                        counts[11] += 1
                        t += vals[i + 1]
                        i += 2
                    elif ev == ev_go_stop:  # GoStop reason stack
                        t += vals[i + 1]
                        k += 1
                        clf([k, t, 5 | rmap[vals[i + 2]] << 7 | smap[vals[i + 3]] << 15])
                        cur = cl = clf = None
                        i += 4
                    elif ev == ev_go_syscall_end_blocked:  # GoSyscallEndBlocked
                        t += vals[i + 1]
                        k += 1
                        clf([k, t, 10])
                        cur = cl = clf = None
                        i += 2
                    elif ev == ev_gc_sweep_begin:  # GCSweepBegin stack
                        counts[32] += 1
                        t += vals[i + 1]
                        smap[vals[i + 2]]
                        i += 3
                    elif ev == ev_gc_sweep_end:  # GCSweepEnd swept reclaimed
                        t += vals[i + 1]
                        self.sweeps += 1
                        i += 4
                    elif ev == ev_go_create or ev == ev_go_create_blocked:  # GoCreate(Blocked) new_g new_stack stack
                        if ev == ev_go_create_blocked and not self.b.valid[ev_go_create_blocked]:
                            raise _BadType(ev)
                        t += vals[i + 1]
                        g = vals[i + 2]
                        ns = smap[vals[i + 3]]
                        cs = smap[vals[i + 4]]
                        g_recs = recs.get(g)
                        if g_recs is None:
                            g_recs = recs[g] = array("q")
                        g_recs.fromlist([0, t, (1 if ev == ev_go_create else 2) | ns << 15])
                        self.creates.append((g, t, cur, cs, ns))
                        i += 5
                    elif ev == ev_go_destroy:  # GoDestroy
                        t += vals[i + 1]
                        k += 1
                        clf([k, t, 11])
                        cur = cl = clf = None
                        i += 2
                    elif ev == ev_go_status or ev == ev_go_status_stack:  # GoStatus(Stack) g m status [stack]
                        if ev == ev_go_status_stack and not self.b.valid[ev_go_status_stack]:
                            raise _BadType(ev)
                        counts[ev] += 1
                        t += vals[i + 1]
                        g = vals[i + 2]
                        mid = vals[i + 3]
                        state = _WIRE_STATUS.get(vals[i + 4])
                        if state is None:
                            raise _Bad(f"invalid goroutine status {vals[i + 4]} for goroutine {g}")
                        sid = smap[vals[i + 5]] if ev == ev_go_status_stack else 0
                        g_recs = recs.get(g)
                        if g_recs is None:
                            g_recs = recs[g] = array("q")
                        g_recs.fromlist([0, t, 13 | state << 4 | sid << 15])
                        if m != NO_THREAD and (state == GoState.RUNNING or (state == GoState.SYSCALL and mid == m)):
                            cur = g
                            cl = g_recs
                            clf = g_recs.fromlist
                            k = 0
                        elif state == GoState.SYSCALL:
                            if mid == NO_THREAD:
                                raise _Bad(f"goroutine {g} in a syscall without a thread")
                            self.bindings[mid] = g
                        i += 6 if ev == ev_go_status_stack else 5
                    elif ev == ev_go_switch or ev == ev_go_switch_destroy:  # GoSwitch(Destroy) g seq
                        if not self.b.valid[ev]:
                            raise _BadType(ev)
                        t += vals[i + 1]
                        g = vals[i + 2]
                        s = vals[i + 3] << 32
                        k += 1
                        clf([k, t, 14 if ev == ev_go_switch else 15])
                        cl = recs.get(g)
                        if cl is None:
                            cl = recs[g] = array("q")
                        clf = cl.fromlist
                        clf([s, t, 7, s | 1, t, 4])
                        cur = g
                        k = s | 1
                        i += 4
                    elif ev == ev_go_create_syscall:  # GoCreateSyscall new_g
                        t += vals[i + 1]
                        cur = vals[i + 2]
                        cl = recs.get(cur)
                        if cl is None:
                            cl = recs[cur] = array("q")
                        clf = cl.fromlist
                        clf([0, t, 3])
                        self.creates.append((cur, t, None, 0, 0))
                        k = 0
                        i += 3
                    elif ev == ev_go_destroy_syscall:  # GoDestroySyscall
                        t += vals[i + 1]
                        k += 1
                        clf([k, t, 12])
                        cur = cl = clf = None
                        i += 2
                    elif ev > 48:
                        i, t = self._other(vals, i, t, b)
                    else:
                        i, t = self._rare(ev, vals, i, t, b, m, cur)
            except (IndexError, _MissingID, AttributeError, TypeError, OverflowError, _Bad, _BadType) as e:
                raise self._error(e, vals, i, b, m) from None
            if t > self.max_ticks or b.ts > self.max_ticks:
                raise TraceError("timestamp out of range", b.offset)
            if n > 1:
                # The first event's time: its dt is the second token (or is
                # folded into the first for experimental event ids).
                first_t = b.ts + (vals[1] if vals[0] < 128 else vals[0] >> 7)
                if min_tick is None or first_t < min_tick:
                    min_tick = first_t
                if t > max_tick:
                    max_tick = t
        self.min_tick = min_tick
        self.max_tick = max_tick
        if m != NO_THREAD:
            if cur is None:
                self.cur_g.pop(m, None)
            else:
                self.cur_g[m] = cur
        else:
            self.cur_g.update(self.bindings)

    def _error(self, e: Exception, vals, i, b: wire.Batch, m: int) -> TraceError:
        at = wire.token_offset(b.payload, b.payload_offset, i)
        ev = vals[i] if i < len(vals) else None
        name = EVENT_NAMES.get(ev, f"type {ev}") if ev is not None else "event"
        if isinstance(e, _BadType):
            return TraceError(f"unknown event type {e.args[0]} for format go 1.{self.b.version}", at)
        if isinstance(e, _Bad):
            return TraceError(f"{name}: {e.args[0]}", at)
        if isinstance(e, OverflowError):
            return TraceError(f"{name}: value out of range", at)
        if isinstance(e, IndexError):
            return TraceError(f"{name} event runs past the end of its batch", at)
        if isinstance(e, _MissingID):
            return _Truncatable(f"{name} refers to {e.what} ID {e.ident}, which generation {self.g.gen} does not define", at)
        thread = "no thread" if m == NO_THREAD else f"thread {m}"
        return TraceError(f"{name} without a running goroutine on {thread}", at)

    def _other(self, vals, i, t, b):
        v = vals[i]
        if v >= 128:
            ev = 128 + (v & 0x7F)
            if ev <= 136 and self.b.valid[ev]:
                self.b.counts[ev] += 1
                nargs = wire.EVENTS[ev][1]
                if i + nargs > len(vals):
                    raise self._error(IndexError(), vals, i, b, 0)
                return i + nargs, t + (v >> 7)
        raise TraceError(
            f"unknown event type {v if v < 128 else 128 + (v & 0x7F)} for format go 1.{self.b.version}",
            wire.token_offset(b.payload, b.payload_offset, i),
        )

    def _rare(self, ev, vals, i, t, b, m, cur):
        if not self.b.valid[ev]:
            raise _BadType(ev)
        self.b.counts[ev] += 1
        smap = self.smap
        side = self.side
        t += vals[i + 1]
        if ev == wire.EV_PROCS_CHANGE:  # ProcsChange procs stack
            smap[vals[i + 3]]
            self.procs.append((t, vals[i + 2]))
            return i + 4, t
        if ev == wire.EV_PROC_STEAL:  # ProcSteal p seq m
            return i + 5, t
        if ev == wire.EV_STW_BEGIN:  # STWBegin kind stack
            self.strings[vals[i + 2]]
            side.append((t, S_STW_BEGIN, cur, m, vals[i + 2], smap[vals[i + 3]], 0))
            return i + 4, t
        if ev == wire.EV_STW_END:
            side.append((t, S_STW_END, cur, m, 0, 0, 0))
            return i + 2, t
        if ev == wire.EV_GC_ACTIVE:  # GCActive seq
            side.append((t, S_GC_ACTIVE, cur, m, vals[i + 2], 0, 0))
            return i + 3, t
        if ev == wire.EV_GC_BEGIN:  # GCBegin seq stack
            side.append((t, S_GC_BEGIN, cur, m, vals[i + 2], smap[vals[i + 3]], 0))
            return i + 4, t
        if ev == wire.EV_GC_END:  # GCEnd seq
            side.append((t, S_GC_END, cur, m, vals[i + 2], 0, 0))
            return i + 3, t
        if ev == wire.EV_GC_SWEEP_ACTIVE:  # GCSweepActive p
            return i + 3, t
        if ev == wire.EV_GC_MARK_ASSIST_ACTIVE:  # GCMarkAssistActive g
            side.append((t, S_ASSIST_ACTIVE, cur, m, vals[i + 2], 0, 0))
            return i + 3, t
        if ev == wire.EV_GC_MARK_ASSIST_BEGIN:  # GCMarkAssistBegin stack
            side.append((t, S_ASSIST_BEGIN, self._need(cur), m, 0, smap[vals[i + 2]], 0))
            return i + 3, t
        if ev == wire.EV_GC_MARK_ASSIST_END:
            side.append((t, S_ASSIST_END, self._need(cur), m, 0, 0, 0))
            return i + 2, t
        if ev == wire.EV_HEAP_GOAL:  # HeapGoal
            self.heap_goal.append((t, vals[i + 2]))
            return i + 3, t
        if ev == wire.EV_GO_LABEL:  # GoLabel label
            self.strings[vals[i + 2]]
            side.append((t, S_LABEL, self._need(cur), m, vals[i + 2], 0, 0))
            return i + 3, t
        if ev == wire.EV_USER_TASK_BEGIN:  # UserTaskBegin task parent name stack
            self.strings[vals[i + 4]]
            side.append((t, S_TASK_BEGIN, self._need(cur), m, vals[i + 2], vals[i + 3], vals[i + 4], smap[vals[i + 5]]))
            return i + 6, t
        if ev == wire.EV_USER_TASK_END:  # UserTaskEnd task stack
            side.append((t, S_TASK_END, self._need(cur), m, vals[i + 2], smap[vals[i + 3]], 0))
            return i + 4, t
        if ev == wire.EV_USER_REGION_BEGIN or ev == wire.EV_USER_REGION_END:  # UserRegionBegin/End task name stack
            self.strings[vals[i + 3]]
            side.append((t, S_REGION_BEGIN if ev == wire.EV_USER_REGION_BEGIN else S_REGION_END, self._need(cur), m, vals[i + 2], vals[i + 3], smap[vals[i + 4]]))
            return i + 5, t
        if ev == wire.EV_USER_LOG:  # UserLog task key value stack
            self.strings[vals[i + 3]]
            self.strings[vals[i + 4]]
            side.append((t, S_LOG, self._need(cur), m, vals[i + 2], vals[i + 3], vals[i + 4], smap[vals[i + 5]]))
            return i + 6, t
        raise _BadType(ev)

    @staticmethod
    def _need(cur):
        if cur is None:
            raise AttributeError("no goroutine")
        return cur


class _Bad(Exception):
    pass


class _BadType(Exception):
    pass
