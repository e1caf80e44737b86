"""Goroutine states as Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open.

One track ("thread") per goroutine, grouped into one "process" per creation line (the same groups
as the report's timeline); one complete event (``ph: X``) per state interval: ``running``,
``runnable``, ``syscall`` or ``blocked: <reason>``, with the interval's innermost frames as
arguments. Times are microseconds since the trace started. The file is streamed: a large trace's
millions of intervals are never held as JSON objects.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from golens.evidence import Workspace
from golens.evidence.analysis import classify_wait
from golens.trace import GoState, Stack, Trace

from .aggregate import GroupKey, group_key, group_label

_STATE_NAMES = {GoState.RUNNING: "running", GoState.RUNNABLE: "runnable", GoState.SYSCALL: "syscall"}
_FRAMES_SHOWN = 6


def _frames(stack: Stack | None) -> list[str]:
    if stack is None:
        return []
    return [f"{f.func} ({f.file}:{f.line})" for f in stack.frames[:_FRAMES_SHOWN]]


def write_perfetto(trace: Trace, workspace: Workspace, out: TextIO) -> int:
    """Writes the JSON to `out`; returns the number of state events written."""
    start = trace.start_ns
    stacks = trace.stacks
    reasons_seen: dict[tuple[str, int], str] = {}
    pids: dict[GroupKey, int] = {}
    key_cache: dict[int, GroupKey] = {}
    out.write('{"displayTimeUnit":"ns","traceEvents":[\n')
    first = True

    def emit(event: dict[str, Any]) -> None:
        nonlocal first
        out.write(("" if first else ",\n") + json.dumps(event, ensure_ascii=False, separators=(",", ":")))
        first = False

    written = 0
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
        for iv in g.intervals():
            if iv.state == GoState.WAITING:
                reason = reasons_seen.get((iv.reason, iv.stack))
                if reason is None:
                    reason = reasons_seen[(iv.reason, iv.stack)] = classify_wait(iv.reason, stacks.get(iv.stack))
                name = f"blocked: {reason}"
            else:
                name = _STATE_NAMES.get(iv.state, str(iv.state))
            args: dict[str, Any] = {}
            frames = _frames(stacks.get(iv.stack))
            if frames:
                args["stack"] = frames
            if iv.open:
                args["open"] = "still in this state when the trace ended"
            emit({"name": name, "cat": "goroutine", "ph": "X", "pid": pid, "tid": g.id,
                  "ts": (iv.start - start) / 1000, "dur": iv.duration / 1000, "args": args})
            written += 1
    out.write("\n]}\n")
    return written
