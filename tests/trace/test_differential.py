"""Every committed trace, read by golens, against Go 1.27.3's own parser.

For each goroutine: the same transitions in the same order, with the same
from/to states, reasons, transition stacks (frame by frame: function, file,
line, PC) and timestamps. The only tolerated time difference is Go's clamp:
its reader forces every event to be strictly later than the previous one it
emitted, so an event may come out later than its raw timestamp, and then it
is exactly the previous event's time + 1 ns.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from trace_oracle import parse_transitions, requires_oracle, run_parsed

from golens.trace import Kind, read_trace

REPO = Path(__file__).resolve().parents[2]
TRACES = sorted((REPO / "traces").glob("*/go1.*.trace"))


def golens_transitions(tr):
    """Our transitions in the shape of the oracle's (stack rules as Go's StateTransition)."""
    out = {}
    for gid, g in tr.goroutines.items():
        rows = []
        for t in g.transitions():
            # Go's transition stack: none for unblocks (we keep the unblocker's
            # stack there), the start function for creations.
            sid = 0 if t.kind == Kind.UNBLOCK else t.stack
            frames = tr.stacks[sid].frames if sid else ()
            rows.append((t.time, str(t.from_state), str(t.to_state), t.reason,
                         tuple((f.func, f.file, f.line, f.pc) for f in frames)))
        out[gid] = rows
    return out


def test_traces_present():
    assert len(TRACES) >= 60, "traces/regenerate.py output is missing"
    versions = {p.stem for p in TRACES}
    assert versions == {"go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"}


@requires_oracle
@pytest.mark.parametrize("path", TRACES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_matches_go_parser(path: Path, record_property):
    expected = parse_transitions(run_parsed(path))
    tr = read_trace(path)
    assert not tr.warnings
    got = golens_transitions(tr)
    assert sorted(got) == sorted(expected), "different goroutine sets"
    clamped = 0
    for gid, exp_rows in expected.items():
        rows = got[gid]
        assert len(rows) == len(exp_rows), f"goroutine {gid}: {len(rows)} transitions, Go has {len(exp_rows)}"
        for k, (mine, theirs) in enumerate(zip(rows, exp_rows, strict=True)):
            where = f"goroutine {gid} transition {k}"
            assert mine[1:] == theirs[1:5], f"{where}: {mine[1:4]} vs Go {theirs[1:4]}"
            if mine[0] != theirs[0]:
                assert theirs[0] > mine[0] and theirs[5], f"{where}: time {mine[0]} vs Go {theirs[0]} (not a clamp)"
                clamped += 1
    transitions = sum(map(len, expected.values()))
    assert transitions > 0, "Go's parser saw no transitions: nothing was compared"
    record_property("summary-total:differential against Go's trace parser",
                    {"traces": 1, "goroutines": len(expected), "transitions": transitions, "clamped": clamped})
