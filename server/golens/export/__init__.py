"""Pictures and standard formats of what a trace saw: the HTML report's data, pprof, Perfetto.

``aggregate`` is the one place that walks a trace's goroutine timelines for these views (blocked
and on-CPU time by stack, goroutine groups over time); ``pprof`` and ``perfetto`` write the
standard formats; ``golens.report.html`` draws the report from an aggregate.
"""

from .aggregate import (
    RUNNING,
    SYSCALL,
    Group,
    TraceAggregate,
    Weight,
    aggregate,
)

__all__ = ["RUNNING", "SYSCALL", "Group", "TraceAggregate", "Weight", "aggregate"]
