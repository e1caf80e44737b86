"""Evidence while a trace is read (golens.evidence.load.Streaming): each partial result is the
analysis of the generations read so far, and the final result is the one read without streaming."""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

import pytest
from test_evidence_speedups import plain

from golens.evidence import TraceEvidence, Workspace, analyze, fmt_duration, load_evidence
from golens.evidence import walk as evidence_walk
from golens.evidence.load import Streaming
from golens.trace import read_trace

REPO = Path(__file__).resolve().parents[2]
WS = Workspace.scan(REPO / "traces")
MULTIGEN = sorted((REPO / "traces" / "multigen").glob("go1.*.trace"))
TRACES = sorted((REPO / "traces").glob("*/go1.*.trace"))


@pytest.mark.parametrize("path", MULTIGEN, ids=lambda p: p.stem)
def test_partials_are_the_prefix_read_so_far_and_the_final_result_is_unchanged(path: Path) -> None:
    partials: list[tuple[object, int, int]] = []
    progress: list[int] = []
    streamed = load_evidence(path, workspace=WS, streaming=Streaming(
        lambda te, read, size: partials.append((te, read, size)), lambda read, size: progress.append(read), 0))
    assert canonical(streamed) == canonical(load_evidence(path, workspace=WS))

    data = path.read_bytes()
    generations = read_trace(data).generations
    # Progress after every generation, up to the whole file; a partial result after every one
    # but the last (whose result is the final one).
    assert len(progress) == generations and progress == sorted(progress) and progress[-1] == len(data)
    assert [read for _, read, _ in partials] == progress[:-1]
    assert all(size == len(data) for _, _, size in partials)
    for te, read, _ in partials:
        # The same evidence as a trace that ended there.
        prefix = read_trace(data[:read])
        assert not prefix.truncated and prefix.generations < generations
        assert canonical(te) == canonical(analyze(prefix, WS, source=str(path)))
    durations = [te.summary.duration_ns for te, _, _ in partials]  # type: ignore[attr-defined]
    assert durations == sorted(durations) and durations[-1] < streamed.summary.duration_ns


def test_the_goroutine_blocked_throughout_is_reported_from_the_first_partial_on() -> None:
    path = REPO / "traces" / "multigen" / "go1.27.trace"
    partials: list = []
    load_evidence(path, workspace=WS, streaming=Streaming(lambda te, read, size: partials.append(te), None, 0))
    first = partials[0]
    (leak,) = [e for e in first.evidence if e.rule == "GT101"]
    assert leak.site.line == 27
    assert f"(100% of the {fmt_duration(first.summary.duration_ns)} trace)" in leak.message


@pytest.mark.parametrize("every", [-1.0, 3600.0])
def test_no_partial_results_when_off_or_before_their_time(every: float) -> None:
    partials: list = []
    progress: list = []
    load_evidence(REPO / "traces" / "multigen" / "go1.27.trace", workspace=WS, streaming=Streaming(
        lambda te, read, size: partials.append(te), lambda read, size: progress.append(read), every))
    assert partials == [] and len(progress) == 13


def canonical(te: TraceEvidence) -> Any:
    """plain(te) with each line's recorded waits sorted: fed a generation at a time, a line's
    waits are recorded in another order (no statistic depends on it)."""
    for stats in te.line_stats.values():
        for ls in stats:
            ls.durations, ls.released = array("q", sorted(ls.durations)), array("q", sorted(ls.released))
    return plain(te)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "pure"])
@pytest.mark.parametrize("path", TRACES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_folding_each_generation_as_it_is_read_changes_no_evidence(path: Path, compiled: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence_walk, "_speedups", evidence_walk._speedups if compiled else None)
    folded = load_evidence(path, workspace=WS)  # its records released as they are analysed
    whole = analyze(read_trace(path), WS, source=str(path))
    assert canonical(folded) == canonical(whole)
