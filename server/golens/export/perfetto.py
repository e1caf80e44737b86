"""Goroutine states as Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open.

One track ("thread") per goroutine, grouped into one "process" per creation line (the same groups
as the report's timeline); one complete event (``ph: X``) per state interval: ``running``,
``runnable``, ``syscall`` or ``blocked: <reason>``; blocked and syscall intervals carry the frame
that blocked and the program's line under it as arguments. Times are microseconds since the trace started. The file is streamed: a large trace's
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
_OPEN = ',"open":"still in this state when the trace ended"'


def _frames(stack: Stack | None) -> list[str]:
    """The leaf (the API that blocked: chansend1, Lock, Read…) and the first frame outside the
    runtime and standard synchronisation (the program's line), when that is another frame."""
    if stack is None or not stack.frames:
        return []
    shown = [stack.frames[0]]
    user = stack.first_frame()
    if user is not None and user is not stack.frames[0]:
        shown.append(user)
    return [f"{f.func} ({f.file}:{f.line})" for f in shown]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_perfetto(trace: Trace, workspace: Workspace, out: TextIO) -> int:
    """Writes the JSON to `out`; returns the number of state events written.

    One event per interval of a busy trace means millions of events: each is formatted from a
    cached fragment (name and stack per state, reason and stack ID) rather than through json.dumps,
    and the stack (two frames) is given only where it says where time went (blocked, syscall)."""
    start = trace.start_ns
    stacks = trace.stacks
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

    written = 0
    write = out.write
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
        for iv in g.intervals():
            frag = fragments.get((iv.state, iv.reason, iv.stack)) or fragment(iv.state, iv.reason, iv.stack)
            if iv.open:
                tail = _OPEN + "}" if '"args"' in frag else ',"args":{' + _OPEN[1:] + "}"
            else:
                tail = "}" if '"args"' in frag else ""
            write(f',\n{{{where}"ts":{(iv.start - start) / 1000},"dur":{iv.duration / 1000},{frag}{tail}}}')
            written += 1
    write("\n]}\n")
    return written
