"""The Perfetto export's cap: past its event budget, intervals shorter than a resolution are merged
into runs that keep each state's time, and the file still is valid trace-event JSON."""

from __future__ import annotations

import gzip
import importlib
import io
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from golens.evidence import Workspace
from golens.export.perfetto import MIN_SLICES, max_slices, resolution_ns, write_perfetto
from golens.trace import GoState, read_trace
from golens.trace.builder import _speedups

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"
LABEL = {GoState.RUNNING: "running", GoState.RUNNABLE: "runnable", GoState.SYSCALL: "syscall",
         GoState.WAITING: "blocked"}

# The part of the trace-event format (JSON object form) the export uses: metadata events naming
# processes and threads, complete events with a duration, free-form args and otherData.
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["traceEvents"],
    "properties": {
        "displayTimeUnit": {"enum": ["ms", "ns"]},
        "otherData": {"type": "object"},
        "traceEvents": {"type": "array", "items": {"oneOf": [
            {"type": "object", "required": ["name", "ph", "pid", "tid", "ts", "dur"],
             "properties": {"ph": {"const": "X"}, "name": {"type": "string"}, "pid": {"type": "integer"},
                            "tid": {"type": "integer"}, "ts": {"type": "number", "minimum": 0},
                            "dur": {"type": "number", "minimum": 0}, "args": {"type": "object"}}},
            {"type": "object", "required": ["name", "ph", "pid", "args"],
             "properties": {"ph": {"const": "M"},
                            "name": {"enum": ["process_name", "process_sort_index", "thread_name"]},
                            "pid": {"type": "integer"}, "tid": {"type": "integer"}, "args": {"type": "object"}}},
        ]}},
    },
}


def export(program: str, budget: int | None) -> tuple[Any, Any, Any]:
    trace = read_trace(TRACES / program / "go1.27.trace")
    out = io.StringIO()
    stats = write_perfetto(trace, Workspace.scan(TRACES / program), out, budget)
    return trace, stats, json.loads(out.getvalue())


def state_totals(events: list[dict[str, Any]]) -> dict[int, dict[str, float]]:
    """Microseconds per goroutine and state: whole intervals by their names, runs by their args."""
    totals: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e in events:
        if e["ph"] != "X":
            continue
        if e["name"].startswith("short: "):
            for state in LABEL.values():
                totals[e["tid"]][state] += e["args"].get(state, 0.0)
        else:
            totals[e["tid"]]["blocked" if e["name"].startswith("blocked: ") else e["name"]] += e["dur"]
    return totals


@pytest.mark.parametrize("program", ["sync_contention", "select_busy", "allocfree"])
def test_capped_export_is_valid_keeps_each_goroutines_time_per_state_and_its_budget(program):
    trace, stats, doc = export(program, budget=400)
    jsonschema.validate(doc, SCHEMA)
    events = doc["traceEvents"]
    slices = [e for e in events if e["ph"] == "X"]
    assert len(slices) == stats.slices <= 400 < stats.intervals
    assert stats.resolution_ns > 0 and stats.merged > 0
    assert doc["otherData"] == {"generator": "golens", "stateEvents": stats.slices, "stateIntervals": stats.intervals,
                                "resolutionNs": stats.resolution_ns, "mergedIntervals": stats.merged}
    res_us = stats.resolution_ns / 1000
    runs = [e for e in slices if e["name"].startswith("short: ")]
    assert runs and sum(e["args"]["intervals"] for e in runs) == stats.merged
    for e in runs:
        states = e["name"].removeprefix("short: ").split(", ")
        assert states == [s for s in LABEL.values() if s in e["args"]]
        # A run's states add up to its span: it has no gaps, and each of its intervals was short.
        assert sum(e["args"][s] for s in states) == pytest.approx(e["dur"], abs=0.01)
        assert e["args"]["intervals"] >= 2 and e["dur"] < e["args"]["intervals"] * res_us
    # Whole intervals are at least the resolution long, except one alone between two long ones.
    assert len(slices) - len(runs) + stats.merged <= stats.intervals
    got = state_totals(events)
    for gid, g in trace.goroutines.items():
        for state, ns in g.time_in_states().items():
            if state in LABEL:
                assert got[gid][LABEL[state]] == pytest.approx(ns / 1000, abs=0.01), (gid, state)
    # Each track's events follow each other without overlapping.
    by_track: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for e in slices:
        by_track[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    for spans in by_track.values():
        assert all(a[1] <= b[0] + 1e-6 for a, b in zip(spans, spans[1:], strict=False))


def events_at(trace, res: int) -> int:
    """Events at resolution `res`, counted the slow way: over the intervals."""
    n = 0
    for g in trace.goroutines.values():
        in_run = False
        for iv in g.intervals():
            short = iv.duration < res
            n += not (short and in_run)
            in_run = short
    return n


def test_the_resolution_is_the_shortest_power_of_two_ticks_within_the_budget():
    trace = read_trace(TRACES / "sync_contention" / "go1.27.trace")
    ws = Workspace.scan(TRACES / "sync_contention")
    res = resolution_ns(trace, 400)
    tick = trace.goroutines[next(iter(trace.goroutines))].record_chunks()[1]
    ticks = res // tick
    assert res == ticks * tick and ticks == 2 ** (ticks.bit_length() - 1) > 1
    stats = write_perfetto(trace, ws, io.StringIO(), budget=400)
    assert stats.resolution_ns == res and stats.slices == events_at(trace, res) <= 400
    # Half of it would not have fitted (the count allows each goroutine one more, its last interval).
    assert events_at(trace, res // 2) > 400 - len(trace.goroutines)
    # A smaller budget takes a coarser resolution.
    assert resolution_ns(trace, stats.slices - 1) > res
    # Within budget: nothing merged, one event per interval.
    whole = write_perfetto(trace, ws, io.StringIO(), budget=10**9)
    assert whole.merged == whole.resolution_ns == 0 and whole.slices == whole.intervals
    assert whole.note() == "" and "merged into runs" in stats.note()


def test_default_budget_keeps_small_traces_whole_and_large_ones_to_an_eighth_of_their_transitions():
    trace = read_trace(TRACES / "handler_leak" / "go1.27.trace")
    assert max_slices(trace) == MIN_SLICES
    assert resolution_ns(trace, max_slices(trace)) == 0


def test_gzipped_export_is_the_same_json_and_the_cli_says_what_was_merged(tmp_path):
    plain, packed = tmp_path / "t.json", tmp_path / "t.json.gz"
    r = subprocess.run([sys.executable, "-m", "golens", "trace", "traces/select_busy/go1.27.trace", "--root",
                        "traces/select_busy", "--export", "perfetto", str(plain), "--export", "perfetto",
                        str(packed)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    assert "perfetto:" not in r.stderr  # a small trace: nothing merged, nothing to say
    assert gzip.decompress(packed.read_bytes()) == plain.read_bytes()
    assert packed.stat().st_size < plain.stat().st_size / 4
    jsonschema.validate(json.loads(plain.read_text(encoding="utf-8")), SCHEMA)


perfetto_module = importlib.import_module("golens.export.perfetto")


@pytest.mark.skipif(_speedups is None or not hasattr(_speedups, "state_runs"),
                    reason="golens.trace._speedups was not built (no C compiler at install)")
@pytest.mark.parametrize("path", sorted(TRACES.glob("*/go1.*.trace")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_compiled_interval_walk_writes_the_same_file(path, monkeypatch):
    """_speedups.state_runs against Goroutine.intervals(): the same JSON, merged or not."""
    trace = read_trace(path)
    ws = Workspace.scan(path.parent)
    budget = max(20, sum(g.transition_count for g in trace.goroutines.values()) // 8)
    capped = ""
    for limit in (budget, None):
        files = []
        for compiled in (True, False):
            out = io.StringIO()
            with monkeypatch.context() as m:
                m.setattr(perfetto_module, "_speedups", _speedups if compiled else None)
                write_perfetto(trace, ws, out, limit)
            files.append(out.getvalue())
        assert files[0] == files[1]
        capped = capped or files[0]
    assert '"short: ' in capped or resolution_ns(trace, budget) == 0
