"""The timeline model beyond raw transitions: creation sites, intervals,
alive-at-end facts, CPU samples and user annotations, checked against Go's
parser where it reports the same thing and against the sample programs'
source otherwise."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from trace_oracle import parse_events, parse_transitions, requires_oracle, run_parsed

from golens.trace import GoState, read_trace

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"
ALL = sorted(TRACES.glob("*/go1.*.trace"))


def frames(tr, sid):
    return tuple((f.func, f.file, f.line, f.pc) for f in tr.stacks[sid].frames) if sid else ()


def line_of(program: str, needle: str) -> int:
    lines = (TRACES / program / "main.go").read_text().splitlines()
    hits = [i + 1 for i, text in enumerate(lines) if needle in text]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


@requires_oracle
@pytest.mark.parametrize("path", [p for p in ALL if p.stem in ("go1.22", "go1.27")], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_creation_sites_and_creators_match_go(path):
    expected = parse_transitions(run_parsed(path))
    tr = read_trace(path)
    for gid, rows in expected.items():
        g = tr.goroutines[gid]
        first = rows[0]
        if first[1] == "NotExist":
            assert g.created_ns is not None
            # Go's creation event: its G is the creator (-1: none), its stack the go statement.
            assert (g.creator_id if g.creator_id is not None else -1) == first[6]
            assert frames(tr, g.creation_stack) == first[7]
            assert frames(tr, g.start_stack) == first[4]
        else:
            assert first[1] == "Undetermined" and g.existed_before_trace


@requires_oracle
@pytest.mark.parametrize("path", sorted(TRACES.glob("select_busy/go1.*.trace")), ids=lambda p: p.stem)
def test_cpu_samples_match_go(path):
    samples = parse_events(run_parsed(path), ("StackSample",))
    tr = read_trace(path)
    cs = tr.cpu_samples
    assert len(samples) > 0 and len(cs) == len(samples)
    mine = sorted((t, g if g else -1, frames(tr, s)) for t, g, s in zip(cs.times, cs.goroutines, cs.stacks, strict=True))
    theirs = sorted((t, g, st) for _, g, t, _, st in samples)
    for a, b in zip(mine, theirs, strict=True):
        assert a[1:] == b[1:]
        assert a[0] <= b[0] < a[0] + 1_000_000  # Go may push a sample behind a clamped event


@requires_oracle
@pytest.mark.parametrize("path", sorted(TRACES.glob("annotations/go1.*.trace")), ids=lambda p: p.stem)
def test_annotations_match_go(path):
    evs = parse_events(run_parsed(path), ("TaskBegin", "TaskEnd", "RegionBegin", "RegionEnd", "Log"))
    tr = read_trace(path)
    task_begins = sorted(re.search(r'Type="([^"]*)"', args).group(1) for k, _, _, args, _ in evs if k == "TaskBegin")
    assert task_begins == sorted(t.name for t in tr.tasks.values() if t.start_ns is not None)
    logs = sorted((g, re.search(r'Category="([^"]*)" Message="([^"]*)"', args).groups()) for k, g, _, args, _ in evs if k == "Log")
    assert logs == sorted((m.goroutine, (m.category, m.message)) for m in tr.logs)
    region_begins = sorted((g, re.search(r'Type="([^"]*)"', args).group(1)) for k, g, _, args, _ in evs if k == "RegionBegin")
    assert region_begins == sorted((r.goroutine, r.name) for r in tr.regions if r.start_ns is not None)
    early = [t for t in tr.tasks.values() if t.start_ns is None]
    assert len(early) == 1 and early[0].end_ns is not None  # started before the trace
    open_regions = [r for r in tr.regions if r.end_ns is None]
    assert [r.name for r in open_regions] == ["never-ended"]
    assert all(r.duration and r.duration > 0 for r in tr.regions if r.name == "payment")


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_intervals_tile_each_goroutine_lifetime(path):
    tr = read_trace(path)
    for g in tr.goroutines.values():
        ivs = list(g.intervals())
        assert ivs, g.id
        kinds_at = {}
        for t in g.transitions():
            kinds_at.setdefault(t.time, set()).add(t.kind.name)
        for a, b in pairwise(ivs):
            if a.end != b.start:
                # Only a goroutine ID reused after exit (cgo callbacks) has a gap.
                assert {"DESTROY", "DESTROY_SYSCALL", "SWITCH_DESTROY"} & kinds_at[a.end]
                assert {"CREATE", "CREATE_SYSCALL", "CREATE_BLOCKED"} & kinds_at[b.start]
            assert not a.open
        last = ivs[-1]
        assert last.open == g.alive_at_end
        if g.alive_at_end:
            assert last.state == g.final_state and last.end == max(tr.end_ns, last.start)
        else:
            assert g.end_ns == last.end
        for iv in ivs:
            assert iv.start <= iv.end
            if iv.state != GoState.WAITING:
                assert iv.reason in ("", "preempted", "runtime.Gosched", "unspecified")


@pytest.mark.parametrize("version", ["go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"])
def test_handler_leak_evidence(version):
    tr = read_trace(TRACES / "handler_leak" / f"{version}.trace")
    go_line = {
        "refreshCache": line_of("handler_leak", "go refreshCache(r.URL.Path)"),
        "func1": line_of("handler_leak", "go func() {"),
        "pollUpstream": line_of("handler_leak", 'go pollUpstream(r.URL.Query().Get("id"))'),
    }
    block_line = {
        "refreshCache": line_of("handler_leak", "for range ticker.C {"),
        "func1": line_of("handler_leak", "auditLog <- auditEntry{"),
        "pollUpstream": line_of("handler_leak", "time.Sleep(15 * time.Millisecond)"),
    }
    reasons = {"refreshCache": ("chan receive",), "func1": ("chan send",), "pollUpstream": ("sleep",)}
    found = {k: 0 for k in go_line}
    for g in tr.goroutines.values():
        key = {"main.refreshCache": "refreshCache", "main.handleReport.func1": "func1",
               "main.pollUpstream": "pollUpstream"}.get(g.start_function)
        if key is None:
            continue
        found[key] += 1
        # Still there at the end, normally parked (a ticker may just have fired).
        assert g.alive_at_end and g.final_state in (GoState.WAITING, GoState.RUNNABLE)
        user = tr.stacks[g.creation_stack].first_frame()
        assert user.func.endswith("main.handleReport")
        assert (user.file, user.line) == ("example.com/golens/traces/handler_leak/main.go", go_line[key])
        waits = [iv for iv in g.intervals() if iv.state == GoState.WAITING]
        assert waits and waits[-1].reason in reasons[key]
        site = tr.stacks[waits[-1].stack].first_frame()
        assert site.line == block_line[key] and site.file.endswith("handler_leak/main.go")
    assert found == {"refreshCache": 5, "func1": 5, "pollUpstream": 5}


@pytest.mark.parametrize("version", ["go1.22", "go1.23", "go1.24", "go1.25", "go1.26", "go1.27"])
def test_goroutine_blocked_for_whole_trace(version):
    # multigen: a goroutine blocked on <-stuck before tracing starts and throughout.
    tr = read_trace(TRACES / "multigen" / f"{version}.trace")
    if version == "go1.22":
        # Format 22 has no status stacks: such a goroutine has no stack and no
        # name anywhere in the trace (the runtime's idle helpers are the same).
        idle = [g for g in tr.goroutines.values()
                if [t.kind.name for t in g.transitions()] == ["STATUS"] * tr.generations]
        assert len(idle) >= 2 and all(g.last_stack == 0 and g.start_function == "" for g in idle)
        return
    (g,) = [g for g in tr.goroutines.values() if g.start_function == "main.main.func1"]
    assert g.existed_before_trace and g.final_state == GoState.WAITING
    # One status per generation and nothing else: it never ran while traced.
    assert [t.kind.name for t in g.transitions()] == ["STATUS"] * tr.generations
    (iv,) = list(g.intervals())
    assert (iv.state, iv.start, iv.open) == (GoState.WAITING, tr.start_ns, True)
    st = tr.stacks[g.last_stack]
    assert st.leaf.func == "runtime.gopark" and iv.stack == g.last_stack
    site = st.first_frame()
    assert (site.func, site.line) == ("main.main.func1", line_of("multigen", "go func() { <-stuck }()"))


def test_trace_level_facts():
    tr = read_trace(TRACES / "pool_gc" / "go1.27.trace")
    assert tr.format_version == 26 and tr.written_by == "Go 1.26–1.27"
    assert tr.frequency_hz > 0 and tr.duration_ns > 0 and tr.wall_start is not None
    assert tr.gc_cycles and all(c.end_ns is None or c.start_ns is None or c.end_ns > c.start_ns for c in tr.gc_cycles)
    assert tr.stw_pauses and all(p.duration is not None and p.duration >= 0 for p in tr.stw_pauses)
    assert {p.kind for p in tr.stw_pauses} >= {"GC sweep termination", "GC mark termination"}
    assert len(tr.heap_alloc) > 0 and list(tr.heap_alloc.times) == sorted(tr.heap_alloc.times)
    assert tr.mark_assists
    labels = {label for g in tr.goroutines.values() for _, label in g.labels}
    assert labels & {"GC (dedicated)", "GC (fractional)", "GC (idle)"}
    old = read_trace(TRACES / "pool_gc" / "go1.22.trace")
    assert old.wall_start is None  # no clock snapshot before format 25


def test_sources_path_bytes_and_file_object_agree():
    path = TRACES / "multigen" / "go1.25.trace"
    by_path = read_trace(path)
    by_str = read_trace(str(path))
    by_bytes = read_trace(path.read_bytes())
    with open(path, "rb") as f:
        by_file = read_trace(f)
    def shape(tr):
        return {gid: list(g.transitions()) for gid, g in tr.goroutines.items()}
    assert shape(by_path) == shape(by_str) == shape(by_bytes) == shape(by_file)
    assert by_path.size_bytes == by_file.size_bytes == len(path.read_bytes())
