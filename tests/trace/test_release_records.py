"""Goroutine.release_records: a reader that folds each generation as it arrives frees the records,
and every derived fact of the goroutine stays what a full read gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from golens.trace import Trace, read_trace

REPO = Path(__file__).resolve().parents[2]
TRACES = sorted((REPO / "traces").glob("*/go1.*.trace"))


def facts(tr: Trace) -> dict[int, tuple]:
    return {g.id: (g.final_state, g.alive_at_end, g.end_ns, g.last_stack, g.start_function, g.transition_count,
                   g.first_seen_ns, g.created_ns, g.creation_stack) for g in tr.goroutines.values()}


@pytest.mark.parametrize("path", TRACES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_released_goroutines_keep_their_facts(path: Path) -> None:
    held: list[int] = []

    def release(tr: Trace, end: int) -> None:
        held.append(sum(len(c) for g in tr.goroutines.values() for c in g.record_chunks()[3]))
        for g in tr.goroutines.values():
            g.release_records()

    released = read_trace(path, on_generation=release)
    whole = read_trace(path)
    assert facts(released) == facts(whole)
    # Only the generation just read is held: never more than all of the records.
    total = sum(g.transition_count for g in whole.goroutines.values())
    assert sum(held) == total and (released.generations == 1 or max(held) < total)
    g = next(iter(released.goroutines.values()))
    assert g.records_released
    for records in (g.records, g.transitions, g.intervals):
        with pytest.raises(RuntimeError, match="released"):
            list(records())
