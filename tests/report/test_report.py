"""`golens report`: the numbers the pictures are drawn from, and the command's behaviour.

The aggregate is checked against the trace model's own intervals (Goroutine.intervals), the
findings table against `golens trace`, and the flame graph's numbers against the GT evidence."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from golens.evidence import Workspace
from golens.evidence.analysis import SYSTEM, classify_wait
from golens.evidence.load import load_evidence, load_trace_and_evidence
from golens.export.aggregate import STATES, SYSCALL, aggregate
from golens.report.html import render_html, report_data
from golens.trace import GoState, Trace, read_trace

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"
PROGRAMS = ("handler_leak", "chan_leak", "sync_contention", "select_busy")


def golens(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "golens", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="golens-data">(.*?)</script>', html, re.S)
    assert m, "no data block in the report"
    return json.loads(m.group(1))


@pytest.mark.parametrize("program", PROGRAMS)
def test_aggregate_weighs_every_interval_once(program):
    """Blocked, syscall and on-CPU totals per stack equal what Goroutine.intervals() yields."""
    tr = read_trace(TRACES / program / "go1.27.trace")
    agg = aggregate(tr, Workspace.scan(TRACES / program))
    want_blocked: dict[tuple[str, int], list[int]] = {}
    want_running = 0
    for g in tr.goroutines.values():
        system = g.start_function.startswith(("runtime.", "runtime/trace.", "internal/"))
        for iv in g.intervals():
            if iv.state == GoState.WAITING and system:
                continue
            if iv.state == GoState.WAITING:
                reason = classify_wait(iv.reason, tr.stacks.get(iv.stack))
                if reason == SYSTEM:
                    continue
                key = (reason, iv.stack)
            elif iv.state == GoState.SYSCALL:
                key = (SYSCALL, iv.stack)
            elif iv.state == GoState.RUNNING:
                want_running += iv.duration
                continue
            else:
                continue
            ended_open = want_blocked.setdefault(key, [0, 0])
            ended_open[iv.open] += iv.duration
    got = {(reason, sid): [w.ns, w.open_ns] for reason, table in agg.blocked.items() for sid, w in table.items()}
    assert got == want_blocked
    assert agg.running_total() == want_running
    assert want_running > 0
    # None of the runtime's parked goroutines (forcegc, the sweeper, …) shows up as blocked time.
    assert not any(f.func.startswith("runtime.forcegchelper") for table in agg.blocked.values()
                   for sid in table for f in (tr.stacks[sid].frames if sid else ()))


@pytest.mark.parametrize("program", PROGRAMS)
def test_timeline_adds_up_to_the_time_in_each_state(program):
    """Summed over the buckets, each group's row equals its goroutines' time in that state."""
    tr = read_trace(TRACES / program / "go1.27.trace")
    agg = aggregate(tr, Workspace.scan(TRACES / program))
    state_of = {"running": GoState.RUNNING, "runnable": GoState.RUNNABLE, "syscall": GoState.SYSCALL,
                "blocked": GoState.WAITING}
    want = {s: 0 for s in STATES}
    for g in tr.goroutines.values():
        if g.start_function.startswith(("runtime.", "runtime/trace.", "internal/")):
            continue
        for state, ns in g.time_in_states().items():
            for name, st in state_of.items():
                if st == state:
                    want[name] += ns
    got = {s: sum(sum(g.states[s]) for g in agg.groups) * agg.bucket_ns for s in STATES}
    # Each bucket's average is rounded to 0.001 goroutines (the page needs no more).
    rounding = len(agg.groups) * 240 * 0.0005 * agg.bucket_ns
    for s in STATES:
        assert abs(got[s] - want[s]) <= rounding, s
    assert len(agg.groups[0].states["running"]) == 240
    assert sum(g.goroutines for g in agg.groups) == sum(
        1 for g in tr.goroutines.values() if not g.start_function.startswith(("runtime.", "runtime/trace.", "internal/")))


@pytest.fixture(scope="module")
def handler_leak_report(tmp_path_factory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    r = golens("report", "traces/handler_leak/go1.27.trace", "--root", "traces/handler_leak", "-o", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    return page_data(html), html


def test_leaked_groups_come_first(handler_leak_report):
    data, _ = handler_leak_report
    labels = [g["label"] for g in data["groups"]]
    leaked = [g["label"] for g in data["groups"] if g["leaked"]]
    # The three go statements GT101 reports (refreshCache, the audit send, pollUpstream).
    assert sorted(leaked) == ["traces/handler_leak/main.go:29", "traces/handler_leak/main.go:32",
                              "traces/handler_leak/main.go:37"]
    assert sorted(labels[:3]) == sorted(leaked)
    first = data["groups"][0]
    assert first["goroutines"] == 5 and first["alive"] == 5 and first["blockedAtEnd"] == 5
    assert first["path"].endswith("traces/handler_leak/main.go") and first["line"] in (29, 32, 37)


def test_findings_table_is_what_golens_trace_reports(handler_leak_report):
    data, _ = handler_leak_report
    r = golens("trace", "traces/handler_leak/go1.27.trace", "--root", "traces/handler_leak", "--format", "json")
    expected = json.loads(r.stdout)["findings"]
    rows = data["findings"]
    assert [(f["rule"], f["path"], f["line"], f["message"]) for f in rows] == \
        [(f["rule"], f["path"], f["start"]["line"], f["message"]) for f in expected]
    assert [f["totalNs"] for f in rows] == [f["evidence"]["blocked"]["total_ns"] for f in expected]
    assert all(Path(f["abs"]).is_absolute() and Path(f["abs"]).is_file() for f in rows)


def _find(node: list, names: list[str], path: list[tuple[str, int]]) -> list | None:
    """The node reached from `node` along (function, line) steps."""
    for func, line in path:
        node = next((k for k in node[6] if names[k[0]] == func and k[2] == line), None)
        if node is None:
            return None
    return node


def test_flame_graph_numbers_are_the_gt_numbers(handler_leak_report):
    """The audit goroutines' final waits at line 33 are GT101's leak; the flame graph shows the same
    nanoseconds as waits still going at trace end under that frame."""
    data, _ = handler_leak_report
    send = next(f for f in data["flames"] if f["id"] == "blocked:chan send")
    node = _find(send["tree"], data["names"], [("main.handleReport.func1", 33), ("runtime.chansend1", 161)])
    assert node is not None, "no chansend1 under main.handleReport.func1:33"
    gt = next(f for f in data["findings"] if f["rule"] == "GT101" and f["line"] == 33)
    assert node[4] == gt["totalNs"] and node[3] == gt["totalNs"]  # open == total: none of these waits ended
    assert send["tree"][3] == sum(k[3] for k in send["tree"][6])
    # Every reason's view adds up to the all-reasons view.
    views = {f["id"]: f["tree"][3] for f in data["flames"]}
    assert views["blocked"] == sum(v for k, v in views.items() if k.startswith("blocked:"))
    assert "cpu" in views and views["cpu"] > 0
    # The workspace frame links to its file; a runtime frame does not.
    func1 = _find(send["tree"], data["names"], [("main.handleReport.func1", 33)])
    display, absolute = data["files"][func1[1]]
    assert display == "main.go" and absolute.endswith("traces/handler_leak/main.go")
    assert data["files"][node[1]][1] == ""


def test_gt201_total_is_the_released_waits_under_its_frame(tmp_path):
    """sync_contention: GT201's total at line 21 is the ended waits at that line in the mutex view."""
    out = tmp_path / "r.html"
    r = golens("report", "traces/sync_contention/go1.27.trace", "--root", "traces/sync_contention", "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = page_data(out.read_text())
    gt = next(f for f in data["findings"] if f["rule"] == "GT201" and f["line"] == 21)
    mutex = next(f for f in data["flames"] if f["id"] == "blocked:sync.Mutex")
    at_21 = []

    def walk(node):
        if node[0] >= 0 and data["files"][node[1]][1].endswith("main.go") and node[2] == 21:
            at_21.append(node)
            return
        for k in node[6]:
            walk(k)
    walk(mutex["tree"])
    ended = sum(n[3] - n[4] for n in at_21)
    assert ended == gt["totalNs"] > 0


def test_report_is_self_contained_and_small(handler_leak_report):
    _, html = handler_leak_report
    assert len(html.encode()) < 300_000
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
    assert "default-src &#x27;none&#x27;" in csp or "default-src 'none'" in csp
    # Nothing is fetched: no external URLs in src/href attributes or CSS.
    assert not re.search(r'(src|href)="https?:', html)
    assert "url(" not in html
    assert html.count("</script>") == 2


def test_baseline_adds_a_difference_flame_graph(tmp_path):
    out = tmp_path / "diff.html"
    r = golens("report", "traces/handler_leak/go1.27.trace", "--baseline", "traces/handler_leak/go1.26.trace",
               "--root", "traces/handler_leak", "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = page_data(out.read_text())
    tree = data["diff"]["tree"]
    assert data["diff"]["baseline"] == "traces/handler_leak/go1.26.trace"
    now = read_trace(TRACES / "handler_leak" / "go1.27.trace")
    before = read_trace(TRACES / "handler_leak" / "go1.26.trace")
    ws = Workspace.scan(TRACES / "handler_leak")
    assert tree[3] == aggregate(now, ws).blocked_total() and tree[4] == aggregate(before, ws).blocked_total()
    top = {data["names"][k[0]]: (k[3], k[4]) for k in tree[5]}
    assert top["main.pollUpstream"][0] > 0 and top["main.pollUpstream"][1] > 0


@pytest.mark.slow  # several golens runs
def test_unreadable_trace_gives_the_same_error_as_golens_trace(tmp_path):
    bad = tmp_path / "bad.trace"
    bad.write_bytes(b"go 1.26 trace\x00\x00\x00\x01\x02garbage")
    out = tmp_path / "r.html"
    for path in (str(bad), str(tmp_path / "missing.trace"), "/dev/null"):
        rep = golens("report", path, "-o", str(out))
        tr = golens("trace", path)
        assert rep.returncode == tr.returncode == 2
        assert rep.stderr == tr.stderr and rep.stderr.startswith(f"golens: {path}: ")
        assert not out.exists()


def test_empty_trace_says_there_is_nothing_to_show(tmp_path):
    """A header and nothing else (tracing stopped before anything was recorded): golens trace
    cannot read it, the report says there is nothing to show."""
    empty = tmp_path / "empty.trace"
    empty.write_bytes(b"go 1.26 trace\x00\x00\x00")
    out = tmp_path / "r.html"
    r = golens("report", str(empty), "--root", str(tmp_path), "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = page_data(out.read_text())
    assert data["empty"] and not data["flames"] and not data["groups"] and not data["findings"]
    assert data["format"] == "go 1.26 trace" and data["durationNs"] == 0
    assert golens("trace", str(empty)).stderr.endswith("trace has a header but no events (at byte offset 16)\n")


def test_output_is_never_written_through_a_link(tmp_path):
    target = tmp_path / "elsewhere.html"
    target.write_text("keep me")
    link = tmp_path / "report.html"
    link.symlink_to(target)
    args = ("traces/chan_leak/go1.27.trace", "--root", "traces/chan_leak")
    r = golens("report", *args, "-o", str(link))
    assert r.returncode == 2 and r.stderr == f"golens: {link}: a symbolic link; not written through\n"
    assert target.read_text() == "keep me" and link.is_symlink()
    # An existing report is replaced whole; no temporary file is left behind.
    out = tmp_path / "r.html"
    out.write_text("old")
    assert golens("report", *args, "-o", str(out)).returncode == 0
    assert page_data(out.read_text())["trace"] == "traces/chan_leak/go1.27.trace"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.html", "r.html", "report.html"]


def test_load_trace_and_evidence_is_load_evidence_plus_the_trace():
    path = TRACES / "chan_leak" / "go1.27.trace"
    trace, te = load_trace_and_evidence(path, root=TRACES / "chan_leak")
    alone = load_evidence(path, root=TRACES / "chan_leak")
    assert len(trace.goroutines) == 34
    assert [e.message for e in te.evidence] == [e.message for e in alone.evidence] != []


def test_profiles_join_the_findings_table(tmp_path):
    """GP findings from --profile sit in the table beside the GT ones, with golens profile's
    numbers; an unreadable profile is named (exit 2) without costing the report."""
    case = "traces/prof_cases/go1.27/before"
    out = tmp_path / "r.html"
    r = golens("report", f"{case}/trace.out", "--profile", f"{case}/mutex.pb.gz", "--profile", str(tmp_path),
               "--root", "traces/prof_cases", "-o", str(out))
    assert r.returncode == 2
    assert r.stderr.splitlines()[-1].startswith(f"golens: {tmp_path}: ")
    rows = page_data(out.read_text())["findings"]
    expected = json.loads(golens("profile", f"{case}/mutex.pb.gz", "--root", "traces/prof_cases",
                                 "--format", "json").stdout)["findings"]
    gp = [(f["rule"], f["path"], f["line"], f["totalNs"]) for f in rows if f["rule"].startswith("GP")]
    assert gp == [(f["rule"], f["path"], f["start"]["line"], f["evidence"]["delay_ns"]) for f in expected] != []
    assert any(f["rule"].startswith("GT") for f in rows)


def test_many_distinct_stacks_stay_a_small_page():
    """A hundred thousand distinct stacks: each view keeps at most MAX_NODES frames (the widest),
    its total is unchanged, and the page stays far below 5 MB."""
    import random

    from golens.export.aggregate import TraceAggregate, Weight
    from golens.report.html import MAX_NODES
    from golens.trace import Frame

    rng = random.Random(17)
    tr = Trace(format_version=26, start_ns=0, end_ns=10**9)
    funcs = [f"main.f{i}" for i in range(400)]
    table: dict[int, Weight] = {}
    for _ in range(100_000):
        frames = tuple(Frame(rng.choice(funcs), "main.go", rng.randrange(1, 500), 0) for _ in range(rng.randrange(3, 12)))
        w = table.setdefault(tr.stacks.intern(frames), Weight())
        w.ns += rng.randrange(1, 10**6)
        w.count += 1
    agg = TraceAggregate(tr, {"chan receive": table}, dict(table), [], 1.0)
    ws = Workspace.scan(REPO / "traces" / "chan_leak")
    from golens.evidence.analysis import analyze

    data = report_data(agg, analyze(tr, ws), [], ws, trace_name="many.trace", display=str,
                       baseline=agg, baseline_name="same.trace")

    def count(node, diff=False):
        return 1 + sum(count(k, diff) for k in node[5 if diff else 6])
    for view in data["flames"]:
        assert count(view["tree"]) <= MAX_NODES + 1
        assert view["tree"][3] == sum(w.ns for w in table.values())
    assert count(data["diff"]["tree"], diff=True) <= MAX_NODES + 1
    assert len(render_html(data).encode()) < 2_000_000


def test_paths_are_shown_from_the_workspace_when_run_from_elsewhere(tmp_path):
    """An editor runs golens from a directory of its own: the page then shows paths from the
    workspace root, not as long absolute paths."""
    root = TRACES / "handler_leak"
    out = tmp_path / "r.html"
    r = golens("report", str(root / "go1.27.trace"), "--root", str(root), "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = page_data(out.read_text())
    assert data["trace"] == "go1.27.trace"
    assert {f["path"] for f in data["findings"]} == {"main.go"}
    assert data["groups"][0]["label"] in ("main.go:29", "main.go:32", "main.go:37")
    assert all(f["abs"] == str(root / "main.go") for f in data["findings"])
