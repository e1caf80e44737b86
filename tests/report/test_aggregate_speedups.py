"""The compiled aggregate walk (``_speedups.aggregate_walk``) against the Python loop it replaces
(and, with a fractional tick, the Perfetto export's ``state_runs`` too).

On every committed trace the report's aggregate must be the same both ways: every weight (blocked
per reason and stack, on CPU, syscalls) with its closed and open parts, in the same order, and
every group's counts and timeline. Skipped when the extension was not built; GOLENS_TRACE_PURE=1
then makes the Python loop the only one.
"""

from __future__ import annotations

import importlib
import io
from array import array
from pathlib import Path
from typing import Any

import pytest

from golens.evidence import Workspace
from golens.trace import GoState, Kind, read_trace
from golens.trace.builder import _speedups
from golens.trace.model import STATE_SHIFT

REPO = Path(__file__).resolve().parents[2]
TRACES = sorted((REPO / "traces").glob("*/go1.*.trace"))
WS = Workspace.scan(REPO / "traces")
# golens.export re-exports the function under the module's name.
aggregate_module = importlib.import_module("golens.export.aggregate")

pytestmark = pytest.mark.skipif(_speedups is None or not hasattr(_speedups, "aggregate_walk"),
                                reason="golens.trace._speedups was not built (no C compiler at install)")


def plain(agg: Any) -> Any:
    """The aggregate as comparable lists, in its own order (dict order included)."""
    def weights(table: dict[int, Any]) -> list[tuple[int, int, int, int, int]]:
        return [(sid, w.ns, w.count, w.open_ns, w.open_count) for sid, w in table.items()]

    return ([(reason, weights(table)) for reason, table in agg.blocked.items()], weights(agg.running),
            [vars(g) for g in agg.groups], agg.bucket_ns)


def aggregated(path: Path, monkeypatch: pytest.MonkeyPatch, compiled: bool, buckets: int = 240) -> Any:
    with monkeypatch.context() as m:
        m.setattr(aggregate_module, "_speedups", _speedups if compiled else None)
        return plain(aggregate_module.aggregate(read_trace(path), WS, buckets))


def test_aggregate_uses_the_compiled_walk_when_built(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = _speedups.aggregate_walk

    def counting(*args: Any) -> bytes:
        calls.append(1)
        return real(*args)

    class Spy:
        aggregate_walk = staticmethod(counting)

    monkeypatch.setattr(aggregate_module, "_speedups", Spy)
    tr = read_trace(REPO / "traces" / "handler_leak" / "go1.27.trace")
    aggregate_module.aggregate(tr, WS)
    assert len(calls) == len(tr.goroutines)


@pytest.mark.parametrize("path", TRACES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_compiled_aggregate_equals_python(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = aggregated(path, monkeypatch, compiled=True)
    python = aggregated(path, monkeypatch, compiled=False)
    assert compiled[0] and compiled[2]  # something to compare: blocked time, goroutine groups
    assert compiled == python


@pytest.mark.parametrize("buckets", [1, 2, 7])
def test_compiled_timeline_equals_python_at_coarse_resolutions(buckets: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Few buckets: most intervals cross a bucket edge (the spreading path) or all share one."""
    path = REPO / "traces" / "sync_contention" / "go1.27.trace"
    compiled = aggregated(path, monkeypatch, compiled=True, buckets=buckets)
    assert compiled == aggregated(path, monkeypatch, compiled=False, buckets=buckets)
    assert all(len(row) == buckets for g in compiled[2] for row in g["states"].values())


def test_bad_arguments_raise_instead_of_crashing() -> None:
    layout = aggregate_module._LAYOUT
    recs = [array("I", [int(Kind.STATUS) | int(GoState.RUNNING) << STATE_SHIFT])]
    dts = [array("I", [0])]
    with pytest.raises(TypeError):
        _speedups.aggregate_walk(dts, recs, 0, 1, 0, 10, layout, lambda *a: -1, False, 0, None, None)
    with pytest.raises(ValueError):  # a timeline too small for its buckets
        _speedups.aggregate_walk(dts, recs, 0, 1, 0, 10, layout, lambda *a: -1, False, 0,
                                 array("d", [0.0]), array("q", [0]), (4, 2.5, 0.4))
    with pytest.raises(ValueError):  # chunks of different lengths
        _speedups.aggregate_walk([array("I", [0, 1])], recs, 0, 1, 0, 10, layout, lambda *a: -1, False, 0,
                                 None, None, (4, 2.5, 0.4))
    with pytest.raises(ZeroDivisionError):  # slot() raising propagates
        _speedups.aggregate_walk(dts, recs, 0, 1, 0, 10, layout, lambda *a: 1 // 0, False, 0, None, None,
                                 (4, 2.5, 0.4))


def test_compiled_walks_equal_python_with_a_fractional_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Committed traces tick in whole nanoseconds (64); other platforms' clocks do not. Times are
    then computed in floating point by both walks, the report's and the Perfetto export's."""
    perfetto = importlib.import_module("golens.export.perfetto")
    trace = read_trace(REPO / "traces" / "sync_contention" / "go1.27.trace")
    monkeypatch.setattr(trace, "_tick_ns", 63.97)
    assert isinstance(next(iter(trace.goroutines.values())).record_chunks()[1], float)
    got = []
    for compiled in (True, False):
        with monkeypatch.context() as m:
            m.setattr(aggregate_module, "_speedups", _speedups if compiled else None)
            m.setattr(perfetto, "_speedups", _speedups if compiled else None)
            out = io.StringIO()
            perfetto.write_perfetto(trace, WS, out, 300)
            got.append((plain(aggregate_module.aggregate(trace, WS)), out.getvalue()))
    assert got[0] == got[1]
    assert '"short: ' in got[0][1]
