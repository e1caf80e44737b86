"""Pictures and standard formats of what a trace saw: the HTML report's data, pprof, Perfetto.

``aggregate`` is the one place that walks a trace's goroutine timelines for these views (blocked
and on-CPU time by stack, goroutine groups over time); ``pprof`` and ``perfetto`` write the
standard formats; ``golens.report.html`` draws the report from an aggregate.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import BinaryIO

from golens.evidence import Workspace
from golens.safeio import atomic_output
from golens.trace import Trace

from .aggregate import RUNNING, SYSCALL, Group, TraceAggregate, Weight, aggregate


def export_trace(fmt: str, trace: Trace, workspace: Workspace, dest: Path) -> str:
    """Write `trace` to `dest` as `fmt` (see golens.cli.trace.EXPORT_FORMATS), atomically, gzipped
    when `dest` ends in ``.gz``; returns a note on what the export left out ("" for nothing).
    OSError on failure."""
    if fmt == "perfetto":
        from .perfetto import write_perfetto

        with atomic_output(dest) as raw:
            # Level 6 writes a 100 MB trace's JSON several times faster than 9, a few % larger.
            sink: BinaryIO | gzip.GzipFile = raw
            if dest.name.endswith(".gz"):
                sink = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0)
            text = io.TextIOWrapper(sink, encoding="utf-8", newline="\n")
            stats = write_perfetto(trace, workspace, text)
            text.flush()
            text.detach()
            if sink is not raw:
                sink.close()
        return stats.note()
    if fmt == "pprof":
        from .pprof import pprof_bytes

        data = pprof_bytes(aggregate(trace, workspace))
        with atomic_output(dest) as raw:
            raw.write(data)
        return ""
    raise ValueError(f"unknown export format {fmt!r}")


__all__ = ["RUNNING", "SYSCALL", "Group", "TraceAggregate", "Weight", "aggregate", "export_trace"]
