"""Trace evidence: what a Go execution trace saw, mapped to workspace lines (no LSP types).

    from golens.evidence import load_evidence
    ev = load_evidence("trace.out", root=".")      # TraceEvidence: evidence, summary, line_stats

``analysis`` turns goroutine timelines into GT… evidence (``Accumulation``, fed all at once or a
generation at a time as ``load`` reads the trace, releasing the records it has folded): ``walk``
accumulates every interval at the line it is attributed to, ``waits`` labels wait reasons, ``gt101``…``gt601`` decide and
word each rule's findings, ``results`` holds what they produce. ``mapping`` resolves frames to
workspace files and decides staleness, ``merge`` turns evidence into findings and folds it into
the static findings it corroborates.
"""

from .analysis import Evidence, LineStat, Site, Stats, Summary, Thresholds, TraceEvidence, analyze, fmt_duration
from .load import load_evidence
from .mapping import TraceTime, Workspace

__all__ = [
    "Evidence", "LineStat", "Site", "Stats", "Summary", "Thresholds", "TraceEvidence", "TraceTime",
    "Workspace", "analyze", "fmt_duration", "load_evidence",
]
