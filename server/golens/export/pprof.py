"""Blocked and on-CPU time by stack as a pprof profile (gzipped profile.proto).

One profile, three sample types, as Go's block profile spells the first two:
``contentions/count`` and ``delay/nanoseconds`` (blocked time: every wait and syscall, labelled
with its ``reason``, the default sample type) and ``cpu/nanoseconds`` (on-CPU stretches, at the
stack where each ended; see golens.export.aggregate). ``go tool pprof -sample_index=cpu`` and
``-tagfocus=reason=select`` pick them apart; speedscope opens the file as it is and shows the
default sample type, blocked time (tests/report/test_speedscope.py checks its totals).
"""

from __future__ import annotations

import gzip

from golens.profile import profile_pb2
from golens.trace import Frame, StackTable

from .aggregate import TraceAggregate, Weight


class _Builder:
    def __init__(self, stacks: StackTable) -> None:
        self.stacks = stacks
        self.profile = profile_pb2.Profile()
        self.strings: dict[str, int] = {}
        self.functions: dict[tuple[str, str], int] = {}
        self.locations: dict[Frame, int] = {}
        self.string("")

    def string(self, s: str) -> int:
        i = self.strings.get(s)
        if i is None:
            i = self.strings[s] = len(self.strings)
            self.profile.string_table.append(s)
        return i

    def location(self, frame: Frame) -> int:
        loc_id = self.locations.get(frame)
        if loc_id is None:
            key = (frame.func or "?", frame.file)
            fn_id = self.functions.get(key)
            if fn_id is None:
                fn_id = self.functions[key] = len(self.functions) + 1
                name = self.string(key[0])
                self.profile.function.add(id=fn_id, name=name, system_name=name, filename=self.string(frame.file))
            loc_id = self.locations[frame] = len(self.locations) + 1
            self.profile.location.add(id=loc_id, line=[profile_pb2.Line(function_id=fn_id, line=frame.line)])
        return loc_id

    def sample(self, stack_id: int, values: list[int], reason: str | None) -> None:
        stack = self.stacks.get(stack_id)
        frames = stack.frames if stack is not None else (Frame("(no stack)", "", 0, 0),)
        labels = [profile_pb2.Label(key=self.string("reason"), str=self.string(reason))] if reason else []
        self.profile.sample.add(location_id=[self.location(f) for f in frames], value=values, label=labels)


def pprof_bytes(agg: TraceAggregate) -> bytes:
    """The gzipped profile.proto of an aggregate."""
    trace = agg.trace
    b = _Builder(trace.stacks)
    p = b.profile
    for kind, unit in (("contentions", "count"), ("delay", "nanoseconds"), ("cpu", "nanoseconds")):
        p.sample_type.add(type=b.string(kind), unit=b.string(unit))
    p.period_type.type = b.string("contentions")
    p.period_type.unit = b.string("count")
    p.period = 1
    p.default_sample_type = b.string("delay")
    p.duration_nanos = trace.duration_ns
    if trace.wall_start is not None:
        p.time_nanos = int(trace.wall_start.timestamp() * 1e9)
    for reason in sorted(agg.blocked):
        table: dict[int, Weight] = agg.blocked[reason]
        for sid, w in sorted(table.items()):
            if w.total_ns:
                b.sample(sid, [w.total_count, w.total_ns, 0], reason)
    for sid, w in sorted(agg.running.items()):
        if w.total_ns:
            b.sample(sid, [0, 0, w.total_ns], None)
    return gzip.compress(p.SerializeToString(), mtime=0)
