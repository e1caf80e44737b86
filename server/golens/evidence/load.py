"""Read a trace file and analyse it against a workspace in one call: the trace's records are
folded into the analysis a generation at a time and released as it is read, optionally
publishing the evidence of the generations read so far while the rest is read."""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from golens.trace import Trace, read_trace

from .analysis import Accumulation, Thresholds, TraceEvidence, analyze
from .mapping import Workspace


@dataclass(frozen=True)
class Streaming:
    """What to publish while a trace is read.

    A partial result is the evidence of the generations read so far (a goroutine parked at the
    end of the prefix counts as parked at the end), published at a generation boundary once
    ``partial_every_s`` seconds have passed since reading started or since the previous
    partial result was published (0: after every generation; negative: never). The final
    result is the one ``load_evidence`` returns without streaming."""

    on_partial: Callable[[TraceEvidence, int, int], None]  # (evidence so far, bytes read, file size)
    on_progress: Callable[[int, int], None] | None = None  # (bytes read, file size), every generation
    partial_every_s: float = 2.0


def load_evidence(trace_path: str | os.PathLike, root: str | os.PathLike | None = None,
                  thresholds: Thresholds | None = None, workspace: Workspace | None = None,
                  streaming: Streaming | None = None) -> TraceEvidence:
    """Raises golens.trace.TraceError for an unreadable trace, OSError for a missing file. The
    trace model is not kept (its records are released as they are analysed)."""
    path = Path(trace_path)
    size = path.stat().st_size if streaming is not None else 0
    acc: Accumulation | None = None
    last = time.monotonic()

    def generation_read(prefix: Trace, end: int) -> None:
        nonlocal acc, last
        if acc is None:
            ws = workspace or Workspace.scan(root if root is not None else path.parent)
            acc = Accumulation(prefix, ws, thresholds)
        acc.fold()
        if streaming is None:
            return
        if streaming.on_progress is not None:
            streaming.on_progress(end, size)
        every = streaming.partial_every_s
        if every < 0 or time.monotonic() - last < every or end >= size:
            return  # the last generation's result is the final one
        streaming.on_partial(_snapshot(acc).result(str(trace_path)), end, size)
        last = time.monotonic()

    read_trace(path, on_generation=generation_read)
    assert acc is not None  # read_trace raises for a trace without a generation
    return acc.result(str(trace_path))


def _snapshot(acc: Accumulation) -> Accumulation:
    """A copy of the accumulators to finish (closing what is open at the end of the prefix)
    while the original goes on folding; the trace and the workspace are shared, not copied."""
    return copy.deepcopy(acc, {id(acc.trace): acc.trace, id(acc.workspace): acc.workspace})


def load_trace_and_evidence(trace_path: str | os.PathLike, root: str | os.PathLike | None = None,
                            thresholds: Thresholds | None = None,
                            workspace: Workspace | None = None) -> tuple[Trace, TraceEvidence]:
    """load_evidence, keeping the trace model too (for views that draw more than the evidence)."""
    path = Path(trace_path)
    trace = read_trace(path)
    ws = workspace or Workspace.scan(root if root is not None else path.parent)
    return trace, analyze(trace, ws, thresholds, source=str(trace_path))
