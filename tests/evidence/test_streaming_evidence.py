"""Evidence while a trace is read (golens.evidence.load.Streaming): each partial result is the
analysis of the generations read so far, and the final result is the one read without streaming."""

from __future__ import annotations

import random
from array import array
from pathlib import Path
from typing import Any

import pytest
from test_evidence_speedups import plain

from golens.evidence import Stats, TraceEvidence, Workspace, analyze, fmt_duration, load_evidence, results
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
            for waits in (ls.durations, ls.released):
                waits.values = array("q", sorted(waits.values))
    return plain(te)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "pure"])
@pytest.mark.parametrize("path", TRACES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_folding_each_generation_as_it_is_read_changes_no_evidence(path: Path, compiled: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence_walk, "_speedups", evidence_walk._speedups if compiled else None)
    folded = load_evidence(path, workspace=WS)  # its records released as they are analysed
    whole = analyze(read_trace(path), WS, source=str(path))
    assert canonical(folded) == canonical(whole)


def test_waits_spilled_into_buckets_give_the_statistics_of_all_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past EXACT_QUANTILES_LIMIT a line's waits are folded into log buckets as a trace is read:
    Stats.of and histogram give what they give for the same values held in one array."""
    monkeypatch.setattr(results, "EXACT_QUANTILES_LIMIT", 1000)
    monkeypatch.setattr(results, "_CHUNK", 256)
    rng = random.Random(18)
    values = array("q", (int(rng.lognormvariate(11, 2)) for _ in range(4321)))
    values[7] = values[4000] = 0  # zero-length waits count, but not in the histogram
    waits = results.Waits()
    for i in range(0, len(values), 700):  # a generation at a time
        waits.frombytes(values[i:i + 700].tobytes())
        waits.spill()
    assert waits.spilled is not None and len(waits.values) <= 1000 and len(waits) == len(values)
    assert Stats.of(waits) == Stats.of(values)
    assert results.histogram(waits) == results.histogram(values) and sum(results.histogram(values)) == len(values) - 2
    exact = sorted(values)
    st = Stats.of(waits)
    assert (st.count, st.total, st.min, st.max) == (len(exact), sum(exact), exact[0], exact[-1])
    assert abs(st.p95 - results.percentile(exact, 95)) <= 0.003 * results.percentile(exact, 95)
    few = results.Waits()
    few.frombytes(values[:1000].tobytes())
    few.spill()  # not past the limit: every value kept, statistics exact
    assert few.spilled is None and Stats.of(few) == Stats.of(list(values[:1000]))
