"""`golens trace TRACE --export perfetto|pprof FILE`: standard formats other viewers read."""

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from golens.evidence import Workspace
from golens.export import aggregate
from golens.trace import GoState, read_trace

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"


def golens(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "golens", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("program", ["handler_leak", "sync_contention"])
def test_perfetto_export_has_every_state_interval_of_every_goroutine(program, tmp_path):
    out = tmp_path / "trace.json"
    r = golens("trace", f"traces/{program}/go1.27.trace", "--root", f"traces/{program}", "--export", "perfetto",
               str(out))
    assert r.returncode in (0, 1), r.stderr
    # The findings are printed as without --export.
    plain = golens("trace", f"traces/{program}/go1.27.trace", "--root", f"traces/{program}")
    assert r.stdout == plain.stdout
    events = json.loads(out.read_text(encoding="utf-8"))["traceEvents"]
    tr = read_trace(TRACES / program / "go1.27.trace")
    names = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert set(names) == set(tr.goroutines)
    by_state: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    spans: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for e in events:
        if e["ph"] != "X":
            continue
        assert e["dur"] >= 0 and e["ts"] >= 0
        state = "blocked" if e["name"].startswith("blocked: ") else e["name"]
        by_state[e["tid"]][state] += e["dur"]
        spans[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    label = {GoState.RUNNING: "running", GoState.RUNNABLE: "runnable", GoState.SYSCALL: "syscall",
             GoState.WAITING: "blocked"}
    for gid, g in tr.goroutines.items():
        want = {label[s]: ns / 1000 for s, ns in g.time_in_states().items() if s in label}
        got = by_state[gid]
        for state, us in want.items():
            assert got[state] == pytest.approx(us, abs=0.01), (gid, state)
        ordered = spans[gid]
        assert all(a[1] <= b[0] + 1e-6 for a, b in zip(ordered, ordered[1:], strict=False)), gid
    # Goroutines are grouped by the go statement that started them.
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    if program == "handler_leak":
        assert {"main.go:29", "main.go:32", "main.go:37"} <= set(processes.values())
        blocked = [e for e in events if e["name"] == "blocked: chan send" and e["args"].get("open")]
        assert len(blocked) == 5 and all(e["args"]["stack"][0].startswith("runtime.chansend1 ") for e in blocked)


def test_unknown_export_format_and_unwritable_destination(tmp_path):
    r = golens("trace", "traces/chan_leak/go1.27.trace", "--export", "svg", str(tmp_path / "x"))
    assert r.returncode == 2 and "--export svg: unknown format (known: pprof, perfetto)" in r.stderr
    target = tmp_path / "target.json"
    target.write_text("keep")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    r = golens("trace", "traces/chan_leak/go1.27.trace", "--export", "perfetto", str(link))
    assert r.returncode == 2 and "symbolic link" in r.stderr
    assert target.read_text() == "keep" and link.is_symlink()
    r = golens("trace", "traces/chan_leak/go1.27.trace", "--export", "perfetto", str(tmp_path / "no" / "dir.json"))
    assert r.returncode == 2 and r.stderr.startswith("golens: ") and len(r.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "target.json"]


def _pprof_total(go: str, profile: Path, *flags: str) -> int:
    env = dict(os.environ, GOTOOLCHAIN="local", PPROF_TMPDIR=str(profile.parent))
    # Nothing dropped: the nodes shown then account for every sample the filters keep.
    r = subprocess.run([go, "tool", "pprof", "-top", "-unit=ns", "-nodefraction=0", "-nodecount=100000", *flags,
                        str(profile)], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    m = re.search(r"Showing nodes accounting for (\d+)ns", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    return int(m.group(1))


@pytest.mark.slow
@pytest.mark.parametrize("program", ["handler_leak", "sync_contention", "select_busy"])
def test_pprof_export_totals_read_back_by_go_tool_pprof(go, program, tmp_path):
    """go tool pprof reads the file and sums to the same nanoseconds: blocked time (default
    sample type), per reason (-tagfocus) and on CPU (-sample_index=cpu)."""
    out = tmp_path / "trace.pb.gz"
    r = golens("trace", f"traces/{program}/go1.27.trace", "--root", f"traces/{program}", "--export", "pprof",
               str(out))
    assert r.returncode in (0, 1), r.stderr
    agg = aggregate(read_trace(TRACES / program / "go1.27.trace"), Workspace.scan(TRACES / program))
    assert _pprof_total(go, out) == agg.blocked_total() > 0
    assert _pprof_total(go, out, "-sample_index=cpu") == agg.running_total() > 0
    reason = max(agg.blocked, key=agg.blocked_total)
    assert _pprof_total(go, out, f"-tagfocus=reason={reason}") == agg.blocked_total(reason) > 0
    assert _pprof_total(go, out, "-sample_index=contentions") == sum(
        w.total_count for table in agg.blocked.values() for w in table.values())
