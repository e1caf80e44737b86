"""Pictures and standard formats of what a trace saw: the HTML report's data, pprof, Perfetto.

``aggregate`` is the one place that walks a trace's goroutine timelines for these views (blocked
and on-CPU time by stack, goroutine groups over time); ``pprof`` and ``perfetto`` write the
standard formats; ``golens.report.html`` draws the report from an aggregate.
"""

from __future__ import annotations

import io
from pathlib import Path

from golens.evidence import Workspace
from golens.safeio import atomic_output
from golens.trace import Trace

from .aggregate import RUNNING, SYSCALL, Group, TraceAggregate, Weight, aggregate


def export_trace(fmt: str, trace: Trace, workspace: Workspace, dest: Path) -> None:
    """Write `trace` to `dest` as `fmt` (see golens.cli.trace.EXPORT_FORMATS), atomically; OSError on failure."""
    if fmt == "perfetto":
        from .perfetto import write_perfetto

        with atomic_output(dest) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            write_perfetto(trace, workspace, text)
            text.flush()
            text.detach()
    elif fmt == "pprof":
        from .pprof import pprof_bytes

        data = pprof_bytes(aggregate(trace, workspace))
        with atomic_output(dest) as raw:
            raw.write(data)
    else:
        raise ValueError(f"unknown export format {fmt!r}")


__all__ = ["RUNNING", "SYSCALL", "Group", "TraceAggregate", "Weight", "aggregate", "export_trace"]
