"""Native reader for Go execution traces (``runtime/trace``, Go 1.22 – 1.27).

No Go toolchain and no LSP code here: bytes in, a model out.

Entry point::

    from golens.trace import read_trace, TraceError
    tr = read_trace("trace.out")        # path, bytes, or binary file object

``read_trace`` streams the file one generation at a time and raises
``TraceError`` (with ``.offset``, the byte offset of the problem) for input
that is not a readable v2 trace, including old (Go ≤ 1.21) formats. A trace
cut short returns its complete generations with ``tr.truncated`` set and a
message in ``tr.warnings``.

The model (``golens.trace.model``):

* ``Trace``: ``format_version`` (22/23/25/26), ``written_by``,
  ``start_ns``/``end_ns``/``duration_ns`` (trace clock, ns), ``wall_start``
  (UTC datetime, format 25+ only), ``frequency_hz``, ``generations``,
  ``goroutines`` (id -> Goroutine), ``stacks`` (StackTable), ``tasks``,
  ``regions``, ``logs``, ``gc_cycles``, ``stw_pauses``, ``mark_assists``,
  ``heap_alloc``/``heap_goal``/``gomaxprocs`` (Series of times/values),
  ``cpu_samples``, ``event_counts`` (wire event name -> count),
  ``warnings``, ``truncated``; ``tr.stack(id)`` -> Stack or None.
* ``Goroutine``: ``id``, ``created_ns``/``creator_id``/``creation_stack``
  (creator's stack at the ``go`` statement) and ``start_stack`` (one frame,
  the start function); all four are None/0 for goroutines that existed
  before the trace (``existed_before_trace``), which enter via status events.
  ``transitions()`` yields Transition(time, kind, from_state, to_state,
  reason, stack) exactly as Go's parser orders them; ``intervals()`` yields
  Interval(state, start, end, reason, stack, open) — RUNNING / RUNNABLE /
  WAITING (reason + blocking stack) / SYSCALL (stack); ``alive_at_end``,
  ``final_state``, ``end_ns``, ``last_stack``, ``start_function``,
  ``labels``, ``time_in_states()``.
* Stacks (``golens.trace.stacks``): ``Stack(id, frames)``, frames innermost
  first, each ``Frame(func, file, line, pc)`` with inlined calls already
  expanded; IDs are trace-wide (0 = no stack) and identical stacks share one
  ID. ``Stack.first_frame()`` skips runtime/sync/time frames to find the
  user line; ``is_bogus`` flags the runtime's PC-0 placeholder stacks.

Block sites for evidence: ``Interval.stack`` of WAITING intervals (the
GoBlock stack: leaf is the API frame, e.g. ``runtime.chanrecv1``; or the
goroutine's status stack, starting with ``runtime.gopark``, when it was
blocked for a whole generation; 0 in Go 1.22 traces for goroutines blocked
throughout). Creation sites: ``Goroutine.creation_stack``.

Ordering: each M's events are walked independently; per goroutine, records
are ordered by sequence numbers (see ``golens.trace.builder``). Timestamps
are raw: unlike Go's reader they are not clamped to be strictly increasing
across generation boundaries. ``tests/trace/test_differential.py`` checks
every goroutine's transitions against ``go tool trace -d=parsed``.

Cost: with the optional C accelerator (``_speedups.c``, compiled at install
when a C compiler is available) about 40 MB/s, 1.5x ``go tool trace
-d=footprint``; the pure-Python fallback (used without it, or with
GOLENS_TRACE_PURE=1; same results, see ``tests/trace/test_speedups.py``) about
4 MB/s (~1 µs per event of a busy trace, decoding included). The evidence
analysis (golens.evidence) uses the same accelerator and switch for its
per-record walk (``tests/evidence/test_evidence_speedups.py``). Memory is the
timeline arrays (8 bytes per transition) plus one generation's staging; a
reader that analyses each generation as it arrives (``read_trace(...,
on_generation=...)``, as ``golens.evidence.load_evidence`` does) can
``Goroutine.release_records()`` what it has folded, and then holds one
generation's records at a time. P (proc) states and the unblocker/unblocked pairing
across goroutines are not modelled beyond ``Transition.stack`` of UNBLOCK
records (the waker's stack, often 0).
"""

from .errors import EmptyTraceError, TraceError
from .model import (
    CPUSamples,
    GCCycle,
    Goroutine,
    GoState,
    Interval,
    Kind,
    LogMessage,
    MarkAssist,
    Region,
    Series,
    STWPause,
    Task,
    Trace,
    Transition,
)
from .reader import read_trace
from .stacks import Frame, Stack, StackTable

__all__ = [
    "CPUSamples",
    "EmptyTraceError",
    "Frame",
    "GCCycle",
    "GoState",
    "Goroutine",
    "Interval",
    "Kind",
    "LogMessage",
    "MarkAssist",
    "Region",
    "STWPause",
    "Series",
    "Stack",
    "StackTable",
    "Task",
    "Trace",
    "TraceError",
    "Transition",
    "read_trace",
]
