"""Read a trace file and analyse it against a workspace in one call."""

from __future__ import annotations

import os
from pathlib import Path

from golens.trace import read_trace

from .analysis import Thresholds, TraceEvidence, analyze
from .mapping import Workspace


def load_evidence(trace_path: str | os.PathLike, root: str | os.PathLike | None = None,
                  thresholds: Thresholds | None = None, workspace: Workspace | None = None) -> TraceEvidence:
    """Raises golens.trace.TraceError for an unreadable trace, OSError for a missing file."""
    path = Path(trace_path)
    trace = read_trace(path)
    ws = workspace or Workspace.scan(root if root is not None else path.parent)
    return analyze(trace, ws, thresholds, source=str(trace_path))
