"""Read a trace file and analyse it against a workspace in one call, optionally publishing the
evidence of the generations read so far while the rest is read."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from golens.trace import Trace, read_trace

from .analysis import Thresholds, TraceEvidence, analyze
from .mapping import Workspace


@dataclass(frozen=True)
class Streaming:
    """What to publish while a trace is read.

    A partial result is the full analysis of the generations read so far (a goroutine parked
    at the end of the prefix counts as parked at the end), published at a generation boundary
    once ``partial_every_s`` seconds have passed since reading started or since the previous
    partial result was published (0: after every generation; negative: never). The final
    result is the one ``load_evidence`` returns without streaming."""

    on_partial: Callable[[TraceEvidence, int, int], None]  # (evidence so far, bytes read, file size)
    on_progress: Callable[[int, int], None] | None = None  # (bytes read, file size), every generation
    partial_every_s: float = 2.0


def load_evidence(trace_path: str | os.PathLike, root: str | os.PathLike | None = None,
                  thresholds: Thresholds | None = None, workspace: Workspace | None = None,
                  streaming: Streaming | None = None) -> TraceEvidence:
    """Raises golens.trace.TraceError for an unreadable trace, OSError for a missing file."""
    return load_trace_and_evidence(trace_path, root, thresholds, workspace, streaming)[1]


def load_trace_and_evidence(trace_path: str | os.PathLike, root: str | os.PathLike | None = None,
                            thresholds: Thresholds | None = None, workspace: Workspace | None = None,
                            streaming: Streaming | None = None) -> tuple[Trace, TraceEvidence]:
    """load_evidence, keeping the trace model too (for views that draw more than the evidence)."""
    path = Path(trace_path)
    ws = workspace

    def scanned() -> Workspace:
        nonlocal ws
        if ws is None:
            ws = Workspace.scan(root if root is not None else path.parent)
        return ws

    if streaming is None:
        trace = read_trace(path)
    else:
        size = path.stat().st_size
        every = streaming.partial_every_s
        last = time.monotonic()

        def generation_read(prefix: Trace, bytes_read: int) -> None:
            nonlocal last
            if streaming.on_progress is not None:
                streaming.on_progress(bytes_read, size)
            if every < 0 or time.monotonic() - last < every or bytes_read >= size:
                return  # the last generation's result is the final one
            streaming.on_partial(analyze(prefix, scanned(), thresholds, source=str(trace_path)), bytes_read, size)
            last = time.monotonic()

        trace = read_trace(path, on_generation=generation_read)
    return trace, analyze(trace, scanned(), thresholds, source=str(trace_path))
