"""Synthetic pprof profiles for tests: the shape runtime/pprof writes, built with golens's own
generated protobuf classes (fields golens does not read are left out)."""

from __future__ import annotations

import gzip
from collections.abc import Sequence

from golens.profile import profile_pb2

Frame = tuple[str, str, int]  # function, file, line
KIND_TYPES = {
    "goroutineleak": ([("goroutineleak", "count")], ("goroutineleak", "count")),
    "goroutine": ([("goroutine", "count")], ("goroutine", "count")),
    "mutex": ([("contentions", "count"), ("delay", "nanoseconds")], ("contentions", "count")),
    "block": ([("contentions", "count"), ("delay", "nanoseconds")], ("contentions", "count")),
    "cpu": ([("samples", "count"), ("cpu", "nanoseconds")], ("cpu", "nanoseconds")),
}


def build(kind: str, samples: Sequence[tuple[Sequence[Frame], Sequence[int]]], *,
          start_lines: dict[str, int] | None = None, time_nanos: int = 0) -> bytes:
    """`samples`: (frames leaf first, values). Every frame is its own location."""
    msg = profile_pb2.Profile()
    strings: dict[str, int] = {"": 0}

    def s(text: str) -> int:
        if text not in strings:
            strings[text] = len(strings)
        return strings[text]

    types, period = KIND_TYPES[kind]
    for t, u in types:
        vt = msg.sample_type.add()
        vt.type, vt.unit = s(t), s(u)
    msg.period_type.type, msg.period_type.unit = s(period[0]), s(period[1])
    msg.period = 1
    msg.time_nanos = time_nanos
    functions: dict[tuple[str, str], int] = {}
    locations: dict[Frame, int] = {}
    for frames, values in samples:
        sample = msg.sample.add()
        for func, file, line in frames:
            fid = functions.get((func, file))
            if fid is None:
                fid = functions[(func, file)] = len(functions) + 1
                fn = msg.function.add()
                fn.id, fn.name, fn.system_name, fn.filename = fid, s(func), s(func), s(file)
                fn.start_line = (start_lines or {}).get(func, 0)
            lid = locations.get((func, file, line))
            if lid is None:
                lid = locations[(func, file, line)] = len(locations) + 1
                loc = msg.location.add()
                loc.id, loc.address = lid, 0x1000 + lid
                ln = loc.line.add()
                ln.function_id, ln.line = fid, line
            sample.location_id.append(lid)
        sample.value.extend(values)
    msg.string_table.extend(strings)
    return gzip.compress(msg.SerializeToString())
