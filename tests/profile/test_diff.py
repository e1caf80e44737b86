"""golens diff: traces/prof_cases before and after fixing a leak and a contention, the noise rule,
and inputs that cannot be compared."""

import json

import pytest

from golens.cli import main
from golens.profile.diff import NoiseRule, diff_files
from testsupport import REPO

TRACES = REPO / "traces"
CASES = TRACES / "prof_cases" / "go1.27"
MAIN = (TRACES / "prof_cases" / "main.go").read_text().splitlines()
SEND = next(i + 1 for i, line in enumerate(MAIN) if "result <- 42" in line)
LOCK = next(i + 1 for i, line in enumerate(MAIN) if "c.mu.Lock()" in line)
UNLOCK = next(i + 1 for i, line in enumerate(MAIN) if "c.mu.Unlock()" in line)
SHOWN = "prof_cases/main.go"


def diff(kind: str, name: str | None = None):
    name = name or f"{kind}.pb.gz"
    return diff_files(CASES / "before" / name, CASES / "after" / name, TRACES)


def rows(result):
    return {(r.path, r.line, r.reason): r for r in result.rows}


def test_fixed_leak_is_gone_from_the_goroutineleak_profile():
    result = diff("goroutineleak")
    assert [(k, n) for k, n in result.leaks_gone] == [((SHOWN, SEND, "chan send"), 20)]
    assert result.leaks_new == [] and result.leaks_kept == []
    assert sorted((k[0], k[2]) for k, _ in result.resolved) == [("GP101", SEND - 2), ("GP101", SEND)]
    assert rows(result)[(SHOWN, SEND, "chan send")].label == "gone"


def test_fixed_contention_in_mutex_and_block_profiles():
    mutex = rows(diff("mutex"))[(SHOWN, UNLOCK, "sync.Mutex")]
    assert mutex.label == "gone" and mutex.before is not None and mutex.before[1] > 10_000_000
    block = diff("block")
    assert rows(block)[(SHOWN, LOCK, "sync.Mutex")].label == "gone"
    assert ("GP202", SHOWN, LOCK, "sync.Mutex") in [k for k, _ in block.resolved]
    # lookup's 20 selects wait in both runs: the row is there on both sides, with its count.
    select = rows(block)[(SHOWN, SEND + 2, "select")]
    assert select.before is not None and select.after is not None and select.before[0] == select.after[0] == 20


def test_trace_diff_per_line_with_leaks_and_findings():
    result = diff("trace", "trace.out")
    by_line = rows(result)
    send = by_line[(SHOWN, SEND, "chan send")]
    assert send.label == "gone" and send.before is not None and send.before[0] == 20
    assert by_line[(SHOWN, LOCK, "sync.Mutex")].label == "gone"
    assert ((SHOWN, SEND, "chan send"), 20) in result.leaks_gone
    assert ("GT201", SHOWN, LOCK, "sync.Mutex") in [k for k, _ in result.resolved]
    ratio = result.after.duration_ns / result.before.duration_ns
    said = [n for n in result.notes if n.startswith("the traces are ")]
    assert bool(said) == (not 0.5 <= ratio <= 2), (ratio, result.notes)


@pytest.mark.parametrize(("before", "after", "label"), [
    ((10, 100_000_000), (10, 50_000_000), "better"),
    ((10, 100_000_000), (12, 130_000_000), "worse"),
    ((10, 100_000_000), (10, 90_000_000), "noise"),  # 10%: one run's variation
    ((10, 2_000_000), (10, 1_200_000), "noise"),  # 40% but under 1 ms
    ((10, 100_000_000), (30, 50_000_000), "noise"),  # more waits, less time: not one story
    (None, (5, 20_000_000), "new"),
    (None, (1, 300_000), "noise"),
    ((50, None), (20, None), "better"),
    ((50, None), (45, None), "noise"),
    ((3, None), None, "gone"),
    ((1, None), None, "noise"),
])
def test_noise_rule(before, after, label):
    assert NoiseRule().label(before, after) == label


def run_cli(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_fail_on_new_leaks_and_formats(capsys, monkeypatch):
    monkeypatch.chdir(TRACES)
    before, after = (f"prof_cases/go1.27/{v}/goroutineleak.pb.gz" for v in ("before", "after"))
    rc, out, _ = run_cli(capsys, "diff", before, after, "--fail-on", "new-leaks")
    assert rc == 0
    assert f"leaks gone: {SHOWN}:{SEND} chan send (20 goroutines before)" in out
    assert "# noise rule: a change counts when the count moves by ≥20% and ≥2" in out
    rc, out, _ = run_cli(capsys, "diff", after, before, "--fail-on", "new-leaks", "--format", "json")
    assert rc == 1
    data = json.loads(out)
    assert data["leaks"]["new"] == [{"path": SHOWN, "line": SEND, "reason": "chan send", "goroutines": 20}]
    assert data["before"]["kind"] == "goroutineleak" and data["before"]["source"] == after
    rc, out, _ = run_cli(capsys, "diff", before, after, "--format", "markdown")
    assert rc == 0 and out.startswith("## golens diff of goroutineleak profiles")
    assert f"| gone | `{SHOWN}:{SEND}` | chan send | 20 → 0 |" in out


@pytest.mark.parametrize(("before", "after", "message"), [
    ("prof_cases/go1.27/before/mutex.pb.gz", "prof_cases/go1.27/after/block.pb.gz",
     "is a mutex profile and prof_cases/go1.27/after/block.pb.gz is a block profile"),
    ("prof_cases/go1.27/before/trace.out", "prof_cases/go1.27/after/mutex.pb.gz", "is a Go execution trace and"),
    ("chan_leak/go1.27.trace", "handler_leak/go1.27.trace", "are of different programs"),
    ("prof_cases/go1.27/before/cpu.pb.gz", "prof_cases/go1.27/after/cpu.pb.gz", "is a CPU profile, not used"),
    ("prof_cases/go1.27/before/mutex.pb.gz", "nope.pb.gz", "nope.pb.gz: No such file"),
])
def test_inputs_that_cannot_be_compared(capsys, monkeypatch, before, after, message):
    monkeypatch.chdir(TRACES)
    rc, out, err = run_cli(capsys, "diff", before, after)
    assert rc == 2 and out == "" and message in err and len(err.splitlines()) == 1, err


def test_truncated_trace_is_named(tmp_path, capsys):
    bad = tmp_path / "cut.trace"
    bad.write_bytes((CASES / "before" / "trace.out").read_bytes()[:100])
    rc, _, err = run_cli(capsys, "diff", str(CASES / "before" / "trace.out"), str(bad), "--root", str(TRACES))
    assert rc == 2 and f"{bad}: not a readable Go execution trace" in err


def test_big_inputs_are_read_in_two_processes_with_the_same_result(monkeypatch):
    import golens.profile.diff as diff_module

    sequential = diff("trace", "trace.out").as_dict()
    monkeypatch.setattr(diff_module, "PARALLEL_MIN_BYTES", 0)
    assert diff("trace", "trace.out").as_dict() == sequential
    with pytest.raises(diff_module.DiffError, match="different programs"):
        diff_module.diff_files(TRACES / "chan_leak" / "go1.27.trace", TRACES / "handler_leak" / "go1.27.trace", TRACES)
