"""Read a trace file and analyse it against a workspace in one call."""

from __future__ import annotations

import os
from pathlib import Path

from golens.trace import Trace, read_trace

from .analysis import Thresholds, TraceEvidence, analyze
from .mapping import Workspace


def load_evidence(trace_path: str | os.PathLike, root: str | os.PathLike | None = None,
                  thresholds: Thresholds | None = None, workspace: Workspace | None = None) -> TraceEvidence:
    """Raises golens.trace.TraceError for an unreadable trace, OSError for a missing file."""
    return load_trace_and_evidence(trace_path, root, thresholds, workspace)[1]


def load_trace_and_evidence(trace_path: str | os.PathLike, root: str | os.PathLike | None = None,
                            thresholds: Thresholds | None = None,
                            workspace: Workspace | None = None) -> tuple[Trace, TraceEvidence]:
    """load_evidence, keeping the trace model too (for views that draw more than the evidence)."""
    path = Path(trace_path)
    trace = read_trace(path)
    ws = workspace or Workspace.scan(root if root is not None else path.parent)
    return trace, analyze(trace, ws, thresholds, source=str(trace_path))
