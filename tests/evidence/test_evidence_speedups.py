"""The compiled evidence walk (``_speedups.evidence_walk``) and sort (``sort_int64``) against the
Python code they replace.

On every committed trace, the evidence from one model must be the same both ways: every GT
finding with its message, numbers and related lines, and every per-line statistic down to the
order of the recorded durations (sparklines sample them in order). Skipped when the extension
was not built; GOLENS_TRACE_PURE=1 then makes the Python loop the only one.
"""

from __future__ import annotations

import dataclasses
import enum
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from golens.evidence import Workspace, analyze, results
from golens.evidence import walk as evidence_walk
from golens.trace import read_trace
from golens.trace.builder import _speedups

REPO = Path(__file__).resolve().parents[2]
TRACES = sorted((REPO / "traces").glob("*/go1.*.trace"))
WS = Workspace.scan(REPO / "traces")

pytestmark = pytest.mark.skipif(_speedups is None or not hasattr(_speedups, "evidence_walk"),
                                reason="golens.trace._speedups was not built (no C compiler at install)")


def plain(obj: Any) -> Any:
    """A comparable rendering of the evidence object graph (order-preserving except for sets)."""
    if isinstance(obj, (str, bytes, int, float, bool, type(None), enum.Enum, Path)):
        return obj
    if isinstance(obj, array):
        return (obj.typecode, obj.tolist())
    if isinstance(obj, (set, frozenset)):
        return sorted(plain(x) for x in obj)
    if isinstance(obj, (dict, Counter)):
        return [(plain(k), plain(v)) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [plain(x) for x in obj]
    if dataclasses.is_dataclass(obj):
        return (type(obj).__name__, [(f.name, plain(getattr(obj, f.name))) for f in dataclasses.fields(obj)])
    return repr(obj)


def evidence(path: Path, monkeypatch: pytest.MonkeyPatch, compiled: bool) -> Any:
    with monkeypatch.context() as m:
        m.setattr(evidence_walk, "_speedups", _speedups if compiled else None)
        m.setattr(results, "_speedups", _speedups if compiled else None)
        return plain(analyze(read_trace(path), WS, source=path.name))


def test_analyze_uses_the_compiled_walk_when_built(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    class Spy:
        @staticmethod
        def evidence_walk(*args: Any) -> Any:
            calls.append(1)
            return _speedups.evidence_walk(*args)

    monkeypatch.setattr(evidence_walk, "_speedups", Spy)
    analyze(read_trace(TRACES[0]), WS)
    assert calls


@pytest.mark.parametrize("path", TRACES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_same_evidence_as_the_python_walk(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = evidence(path, monkeypatch, True)
    pure = evidence(path, monkeypatch, False)
    assert fast == pure


# Past 4096 values the compiled sort is a radix sort: mixed signs, extremes and shared high digits.
_MANY = [(i * 2_654_435_761) % 1_000_003 - 200_000 for i in range(20_000)] + [-(2**63), 2**63 - 1, 0, 1 << 40]


@pytest.mark.parametrize("values", [[], [7], [5, -1, 3, 0, 9, 3, -(2**63), 2**63 - 1], list(range(1000, 0, -3)), _MANY,
                                    [x * 1000 + 7 for x in range(9000, 0, -1)]],
                         ids=["empty", "one", "extremes", "small", "radix-mixed", "radix-shared-digits"])
def test_sorted_ints_same_as_sorted(values: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    for positive_only in (False, True):
        expected = sorted(v for v in values if v > 0 or not positive_only)
        compiled = results.sorted_ints(array("q", values), positive_only)
        assert isinstance(compiled, array)
        assert list(compiled) == expected
        monkeypatch.setattr(results, "_speedups", None)
        assert list(results.sorted_ints(array("q", values), positive_only)) == expected
        monkeypatch.undo()
