"""The exact trace evidence for every sample program under traces/, for every Go version it was
traced with: rule, line (creation and block sites), reason, goroutine counts, and counts and
durations within bounds that the programs' own timings imply."""

from pathlib import Path

import pytest

from golens.evidence import Workspace, load_evidence
from golens.findings import Severity

TRACES = Path(__file__).resolve().parents[2] / "traces"
WS = Workspace.scan(TRACES)
MS = 1_000_000


def traces_of(program: str) -> list[Path]:
    found = sorted((TRACES / program).glob("go1.*.trace"))
    assert found, program
    return found


def version(path: Path) -> int:
    return int(path.stem.split(".")[1])


def evidence(path: Path):
    te = load_evidence(path, workspace=WS)
    for e in te.evidence:
        assert e.site.path == (TRACES / path.parent.name / "main.go"), e.site
        assert e.site.stale is None, e.site.stale
    assert te.summary.unresolved_frames == 0
    return te


def shape(te, include_annotations=False):
    return sorted(
        (e.rule, e.site.line, e.reason, e.goroutines, e.data.get("anchor"))
        for e in te.evidence if include_annotations or e.rule != "GT601"
    )


def one(te, rule, line, anchor=None):
    hits = [e for e in te.evidence if e.rule == rule and e.site.line == line and (anchor is None or e.data.get("anchor") == anchor)]
    assert len(hits) == 1, [(e.rule, e.site.line) for e in te.evidence]
    return hits[0]


@pytest.mark.parametrize("path", traces_of("handler_leak"), ids=lambda p: p.stem)
def test_handler_leak(path):
    te = evidence(path)
    # A poller can be caught just woken from its sleep (Go 1.23 trace): it has not exited either,
    # but it is not parked, so the block line counts 4.
    pollers = one(te, "GT101", 37).goroutines
    assert pollers in (4, 5) and one(te, "GT101", 37).data["alive_from_creation"] == 5
    assert shape(te) == [
        ("GT101", 29, "chan receive", 5, "creation"),  # go refreshCache(...): ticker loop, never exits
        ("GT101", 32, "chan send", 5, "creation"),  # go func() { auditLog <- ... }()
        ("GT101", 33, "chan send", 5, "block"),
        ("GT101", 37, "sleep", pollers, "creation"),  # go pollUpstream(...): sleep loop, never exits
        ("GT101", 44, "chan receive", 5, "block"),  # for range ticker.C
        ("GT101", 51, "sleep", pollers, "block"),  # time.Sleep in the poll loop
    ]
    dur = te.summary.duration_ns
    assert 290 * MS < dur < 340 * MS  # 5 requests 40 ms apart, then 100 ms
    send = one(te, "GT101", 32)
    assert send.data["criterion"] == "stuck"
    # One request every ~40 ms: the first sender waits almost the whole trace, the last ~140 ms.
    assert 120 * MS < send.stats.min < 170 * MS and 280 * MS < send.stats.max <= dur
    assert send.related[0][0].line == 33
    ticker = one(te, "GT101", 29)
    assert ticker.data["criterion"] == "accumulating"
    assert ticker.stats.max < 25 * MS  # parked inside one 20 ms tick
    assert ticker.related[0][0].line == 44
    poll = one(te, "GT101", 37)
    assert poll.data["criterion"] == "accumulating" and poll.stats.max < 20 * MS  # inside one 15 ms sleep
    back = one(te, "GT101", 44)
    assert [s.line for s, _ in back.related] == [29]
    assert te.summary.goroutines_alive >= 15


@pytest.mark.parametrize("path", traces_of("chan_leak"), ids=lambda p: p.stem)
def test_chan_leak(path):
    te = evidence(path)
    # Go 1.22 keeps no stack for the 2 senders leaked before the trace started; later versions do.
    pre = 0 if version(path) == 22 else 2
    assert shape(te) == [
        ("GT101", 26, "chan send", 15, "creation"),  # 5 calls × 3 losing replicas
        ("GT101", 27, "chan send", 15 + pre, "block"),
        ("GT101", 37, "chan receive", 3, "block"),  # workers ranging over jobs, started before the trace
        ("GT101", 69, "forever", 1, "creation"),  # receive from a nil channel
        ("GT101", 70, "forever", 1, "block"),
        ("GT201", 30, "chan receive", 1, None),  # return <-results, released by the winning sender
    ]
    senders = one(te, "GT101", 26)
    assert senders.data["criterion"] == "stuck"
    assert 40 * MS < senders.stats.min <= senders.stats.max < 60 * MS
    workers = one(te, "GT101", 37)
    assert workers.related == [] and "already running" in workers.message
    assert workers.stats.min > 0.95 * te.summary.duration_ns
    first = one(te, "GT201", 30)
    assert first.stats.count == 5
    assert [s.line for s, _ in first.related] == [27]
    assert te.summary.parked_without_stack >= (2 if pre == 0 else 0)


@pytest.mark.parametrize("path", traces_of("multigen"), ids=lambda p: p.stem)
def test_multigen(path):
    te = evidence(path)
    if version(path) == 22:
        # Blocked for the whole trace: Go 1.22 records no stack, so it can only be counted.
        assert shape(te) == []
        assert te.summary.parked_without_stack >= 1
    else:
        assert shape(te) == [("GT101", 27, "chan receive", 1, "block")]
        e = te.evidence[0]
        assert e.stats.max >= 0.99 * te.summary.duration_ns


@pytest.mark.parametrize("path", traces_of("sync_contention"), ids=lambda p: p.stem)
def test_sync_contention(path):
    te = evidence(path)
    assert shape(te) == [
        ("GT201", 21, "sync.Mutex", 8, None),  # c.mu.Lock() with a sleep held inside
        ("GT201", 33, "sync.RWMutex", 4, None),  # RLock behind reload's Lock
        ("GT201", 100, "sync.Cond", 3, None),  # cond.Wait until Broadcast
    ]
    mutex = one(te, "GT201", 21)
    assert 140 <= mutex.stats.count <= 160  # 8 × 20 acquisitions, nearly all contended
    assert 0.9 * 1000 * MS < mutex.stats.total < 1.5 * 1000 * MS
    assert [s.line for s, _ in mutex.related] == [24]  # released by c.mu.Unlock()
    rw = one(te, "GT201", 33)
    assert rw.stats.count == 20 and [s.line for s, _ in rw.related] == [42]
    cond = one(te, "GT201", 100)
    assert cond.stats.count == 3 and [s.line for s, _ in cond.related] == [108]
    assert 4 * MS < cond.stats.max < 10 * MS  # the 5 ms sleep before Broadcast


@pytest.mark.parametrize("path", traces_of("flight_recorder"), ids=lambda p: p.stem)
def test_flight_recorder(path):
    te = evidence(path)
    assert shape(te) == [("GT201", 32, "sync.Mutex", 4, None)]
    e = te.evidence[0]
    # The recorder keeps at least its 50 ms MinAge of the 4 × 40 contended acquisitions: each
    # wait is about 3 sleeps of 0.5 ms + scheduling.
    assert 30 <= e.stats.count <= 160 and [s.line for s, _ in e.related] == [34]
    assert 1 * MS < e.stats.p50 < 10 * MS


@pytest.mark.parametrize("path", traces_of("println_loop"), ids=lambda p: p.stem)
def test_println_loop(path):
    te = evidence(path)
    assert shape(te) == [("GT301", 39, "syscall", 3, None)]
    e = te.evidence[0]
    assert e.stats.count == 900  # 3 workers × 300 unbuffered Println calls
    assert e.stats.total > 0.05 * te.summary.duration_ns


def src_line(program: str, needle: str, after: str = "") -> int:
    """1-based line of the first `needle` after the first `after` in the program's main.go."""
    lines = (TRACES / program / "main.go").read_text().splitlines()
    start = next(i for i, text in enumerate(lines) if after in text) if after else 0
    return next(i for i, text in enumerate(lines) if i >= start and needle in text) + 1


@pytest.mark.parametrize("path", traces_of("select_busy"), ids=lambda p: p.stem)
def test_select_busy(path):
    import re

    te = evidence(path)
    blocking_select = src_line("select_busy", "select {", after="func blocking")
    gosched = src_line("select_busy", "runtime.Gosched()")
    send = src_line("select_busy", "work <- i")
    rounds = int(re.search(r"for i := 0; i < (\d+); i\+\+ \{\n\t\twork <- i",
                           (TRACES / "select_busy/main.go").read_text())[1])
    assert shape(te) == sorted([
        ("GT201", blocking_select, "select", 1, None),  # blocking(): waits for work from main
        ("GT501", gosched, "running", 1, None),  # spin(): the Gosched line inside the default branch
    ])
    spin = one(te, "GT501", gosched)
    assert spin.stats.max > 0.5 * te.summary.duration_ns  # spins for nearly the whole trace
    assert spin.data["preemptions"] >= 2
    assert f"preempted or yielding {spin.data['preemptions']} times meanwhile" in spin.message
    sel = one(te, "GT201", blocking_select)
    assert sel.stats.count == rounds and [s.line for s, _ in sel.related] == [send]


@pytest.mark.parametrize("path", traces_of("ticker_loop"), ids=lambda p: p.stem)
def test_ticker_loop(path):
    te = evidence(path)
    # Ticker and time.After wakeups come from timers, not goroutines: only the select that the
    # event sender releases counts as blocking.
    assert shape(te) == [("GT201", 28, "select", 1, None)]
    assert one(te, "GT201", 28).stats.count == 50


@pytest.mark.parametrize("path", traces_of("pool_gc"), ids=lambda p: p.stem)
def test_pool_gc(path):
    te = evidence(path)
    assert shape(te) == [("GT401", 48, "runnable", 4, None)]  # the 4 churn workers vs. forced GCs
    e = te.evidence[0]
    assert e.stats.count >= 10 and e.stats.p95 >= MS
    assert te.summary.gc_cycles >= 3 and te.summary.stw_total_ns > 0


@pytest.mark.parametrize("program", ["cgo_callback", "iter_pull"])
def test_quiet_programs(program):
    for path in traces_of(program):
        te = evidence(path)
        assert shape(te) == [], path


@pytest.mark.parametrize("path", traces_of("annotations"), ids=lambda p: p.stem)
def test_annotations(path):
    te = evidence(path)
    assert shape(te) == []
    got = sorted((e.site.line, e.data["kind"], e.data.get("name", e.data.get("category")),
                  e.stats.count if e.stats else e.data["count"], e.data.get("open", 0))
                 for e in te.evidence if e.rule == "GT601")
    assert got == [
        (17, "task", "order", 4, 0),
        (19, "log", "order", 4, 0),
        (21, "region", "validate", 4, 0),
        (24, "task", "charge", 4, 0),
        (25, "region", "payment", 4, 0),
        (29, "log", "status", 4, 0),
        (56, "log", "", 1, 0),
        (57, "region", "never-ended", 0, 1),
    ]
    validate = one(te, "GT601", 21)
    assert 0.5 * MS <= validate.stats.min and validate.stats.max < 5 * MS  # a 500 µs sleep inside


ALL_TRACES = sorted(TRACES.glob("*/go1.*.trace"))


@pytest.mark.parametrize("path", ALL_TRACES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_every_trace_maps_onto_its_own_program(path):
    """Whatever a sample trace shows lands in its own program's files, fully resolved and fresh
    (programs added later get this before their exact expectations are pinned above)."""
    te = load_evidence(path, workspace=WS)
    assert te.summary.unresolved_frames == 0
    for e in te.evidence:
        assert e.site.path.parent == path.parent and e.site.stale is None, e
        for site, _ in e.related:
            assert site.path.parent == path.parent


@pytest.mark.parametrize("path", traces_of("worker_pool"), ids=lambda p: p.stem)
def test_worker_pool_counts_every_blocked_goroutine_of_a_reported_group(path):
    """40 goroutines from one `go` statement, one every 5 ms: every fourth returns, the other 30
    block on a send nobody receives. Some of those ended, and the late ones were blocked for far
    less than the leak threshold: all 30 count, and the minimum wait is the late ones'."""
    te = evidence(path)
    start = src_line("worker_pool", "go func(i int) {")
    send = src_line("worker_pool", "results <- i")
    lock = src_line("worker_pool", "s.mu.Lock()")
    assert shape(te) == [
        ("GT101", start, "chan send", 30, "creation"),
        ("GT101", send, "chan send", 30, "block"),
        ("GT201", lock, "sync.Mutex", 4, None),
    ]
    dur = te.summary.duration_ns
    leak = one(te, "GT101", start)
    assert leak.data["criterion"] == "stuck"
    assert leak.stats.min < 0.25 * dur <= leak.stats.max  # the threshold chose the group, not its members
    assert leak.stats.min < 10 * MS  # the last sender blocked a few ms before the end
    assert te.creations[leak.site.key].ended == 10
    assert f"30 goroutines started here were still blocked when the trace ended: chan send at line {send}" \
        in leak.message


@pytest.mark.parametrize("path", traces_of("http_client"), ids=lambda p: p.stem)
def test_http_client_round_trips_are_not_contention(path):
    """client.Get waits in a select that net/http's own goroutines release: a dependency's
    latency, kept on the line's statistics but not reported as contention (GT201)."""
    te = evidence(path)
    assert shape(te) == []
    get = src_line("http_client", "client.Get(url)")
    stats = {ls.reason: ls for ls in te.line_stats[(str(TRACES / "http_client/main.go"), get)]}
    select = stats["select"]
    assert len(select.released) == 0 and not select.releasers
    assert select.dependency_count >= 40  # at least one wait per request
    assert select.dependency_total == select.stats.total


@pytest.mark.parametrize("path", traces_of("annotations"), ids=lambda p: p.stem)
def test_scheduling_latency_needs_enough_delays_for_a_p95(path):
    """12 delays at line 49: their nearest-rank p95 is their maximum, a single delay. Whatever the
    latency threshold, that is not a statistic to report."""
    from golens.evidence import Thresholds

    te = load_evidence(path, workspace=WS, thresholds=Thresholds(sched_p95_ns=1))
    assert not [e for e in te.evidence if e.rule == "GT401"]
    te = load_evidence(path, workspace=WS, thresholds=Thresholds(sched_p95_ns=1, sched_min_samples=10))
    assert [(e.site.line, e.stats.count) for e in te.evidence if e.rule == "GT401"] == [(49, 12)]


def test_summary_names_the_go_releases_of_the_format():
    from golens.evidence.merge import summary_lines

    te = evidence(TRACES / "handler_leak/go1.27.trace")
    assert te.summary.format == "go 1.26 trace" and te.summary.written_by == "Go 1.26–1.27"
    assert summary_lines(te)[0].endswith(" — go 1.26 trace (Go 1.26–1.27), 307 ms, captured 2026-11-27 02:07:28 UTC")
    assert evidence(TRACES / "handler_leak/go1.23.trace").summary.written_by == "Go 1.23–1.24"


def test_gt_severities_come_from_the_rule_pages(tmp_path, monkeypatch):
    import shutil

    import golens.registry as registry_module

    rules = tmp_path / "rules"
    shutil.copytree(registry_module.rules_dir(), rules)
    page = next(rules.glob("GT201-*.md"))
    page.write_text(page.read_text().replace('severity = "information"', 'severity = "warning"', 1))
    monkeypatch.setattr(registry_module, "_default", registry_module.Registry.load(rules))
    te = evidence(TRACES / "sync_contention/go1.27.trace")
    assert {e.severity for e in te.evidence if e.rule == "GT201"} == {Severity.WARNING}


def test_gt101_creation_is_a_list_on_both_items():
    te = evidence(TRACES / "handler_leak/go1.27.trace")
    for e in te.evidence:
        if e.rule == "GT101":
            assert isinstance(e.data["creation"], list) and all(c["line"] for c in e.data["creation"])
    assert one(te, "GT101", 32).data["creation"] == [{"path": "handler_leak/main.go", "line": 32,
                                                      "func": "main.handleReport", "stale": None}]


def test_inlay_hint_totals_include_waits_still_open_at_the_end():
    """handler_leak line 33: five senders still blocked at the end, no wait ever completed."""
    from golens.evidence import fmt_duration
    from golens.lsp.trace_features import hint_label

    te = evidence(TRACES / "handler_leak/go1.27.trace")
    stats = te.line_stats[(str(TRACES / "handler_leak/main.go"), 33)]
    send = next(ls for ls in stats if ls.reason == "chan send")
    assert (send.stats.count, send.open) == (0, 5)
    leak = one(te, "GT101", 33)
    assert send.open_total == leak.stats.total
    assert hint_label(stats) == f"⏳ {fmt_duration(leak.stats.total)} blocked · chan send ×5 · 5 still waiting at end"


def test_stats_of_millions_of_waits_hold_no_sorted_copy_and_stay_within_a_bucket():
    """Over EXACT_QUANTILES_LIMIT values the quantiles come from log buckets: count, total, min and
    max stay exact, p50 and p95 within the 0.27% bucket width of the exact nearest-rank ones."""
    import random
    from array import array

    from golens.evidence import Stats
    from golens.evidence.results import EXACT_QUANTILES_LIMIT, percentile

    rng = random.Random(18)
    values = array("q", (int(rng.lognormvariate(11, 2)) for _ in range(EXACT_QUANTILES_LIMIT + 12_345)))
    values[7] = 0  # a zero-length wait
    exact = sorted(values)
    st = Stats.of(values)
    assert (st.count, st.total, st.min, st.max) == (len(exact), sum(exact), exact[0], exact[-1])
    for got, p in ((st.p50, 50), (st.p95, 95)):
        want = percentile(exact, p)
        assert abs(got - want) <= 0.003 * want, (p, got, want)
    small = array("q", values[:1000])
    assert Stats.of(small) == Stats.of(list(small))  # exact below the limit


def test_inlay_hint_words_dependency_latency_as_such():
    from golens.lsp.trace_features import hint_label

    te = evidence(TRACES / "http_client/go1.27.trace")
    main = str(TRACES / "http_client/main.go")
    get = src_line("http_client", "client.Get(url)")
    assert hint_label(te.line_stats[(main, get)]).startswith("⏳ ") and \
        " waiting on a dependency · select ×" in hint_label(te.line_stats[(main, get)])
    sleep = src_line("http_client", "time.Sleep(2 * time.Millisecond)")
    assert " blocked · sleep ×40" in hint_label(te.line_stats[(main, sleep)])  # a timer, no dependency
