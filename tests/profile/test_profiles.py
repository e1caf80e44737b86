"""Profiles from traces/prof_cases (Go 1.27, before and after fixing a leak and a contention) and
synthetic ones: which GP finding lands at which line, and what a static finding gains."""

import os
import re
import subprocess
from pathlib import Path

import pytest
from profilebuild import build

from golens.cli import main
from golens.profile import ProfileSet, ProfileThresholds, load_profile_evidence, read_profile
from testsupport import REPO

TRACES = REPO / "traces"
CASES = TRACES / "prof_cases" / "go1.27"
MAIN = (TRACES / "prof_cases" / "main.go").read_text().splitlines()


def line_of(text: str) -> int:
    [n] = [i + 1 for i, line in enumerate(MAIN) if text in line]
    return n


def evidence(variant: str, kind: str, **kw):
    return load_profile_evidence(CASES / variant / f"{kind}.pb.gz", root=TRACES, **kw)


def hits(pe, rule):
    return sorted((e.site.line, e.reason) for e in pe.evidence if e.rule == rule)


OLDEST = TRACES / "prof_cases" / "go1.22"


@pytest.mark.parametrize("kind", ["goroutineleak", "goroutine", "mutex", "block", "cpu"])
def test_kind_is_read_from_the_content(kind, tmp_path):
    renamed = tmp_path / "profile.out"  # no name hint: mutex and block share their header
    renamed.write_bytes((CASES / "before" / f"{kind}.pb.gz").read_bytes())
    assert read_profile(renamed).kind == kind


@pytest.mark.parametrize("kind", ["goroutine", "mutex", "block", "cpu"])
def test_go_1_22_profiles_read_the_same(kind, tmp_path):
    renamed = tmp_path / "profile.out"
    renamed.write_bytes((OLDEST / "before" / f"{kind}.pb.gz").read_bytes())
    assert read_profile(renamed).kind == kind
    if kind == "cpu":
        return
    pe = load_profile_evidence(OLDEST / "before" / f"{kind}.pb.gz", root=TRACES)
    expected = {"goroutine": ("GP102", line_of("<-gate"), "chan receive"),
                "mutex": ("GP201", line_of("c.mu.Unlock()"), "sync.Mutex"),
                "block": ("GP202", line_of("c.mu.Lock()"), "sync.Mutex")}[kind]
    assert expected in [(e.rule, e.site.line, e.reason) for e in pe.evidence]


def test_proven_leak_at_the_go_statement_and_the_send():
    pe = evidence("before", "goroutineleak")
    go_line, send = line_of("result := make") + 1, line_of("result <- 42")  # the go statement follows the make
    assert hits(pe, "GP101") == [(go_line, "chan send"), (send, "chan send")]
    by_line = {e.site.line: e for e in pe.evidence}
    assert by_line[go_line].goroutines == 20 and by_line[send].goroutines == 20
    assert [(s.line, m) for s, m in by_line[go_line].related] == [(send, "blocked here forever: chan send")]
    assert "20 leaked goroutines are blocked here forever" in by_line[send].message
    assert all(e.site.stale is None for e in pe.evidence)


def test_leak_is_gone_after_the_fix():
    pe = evidence("after", "goroutineleak")
    assert pe.evidence == []
    assert pe.summary.total_count == 0 and "no leaked goroutines" in pe.summary.notes[0]


def test_pile_up_with_counts_and_the_go_statement():
    pe = evidence("before", "goroutine")
    gate = line_of("<-gate")
    [pile] = [e for e in pe.evidence if e.site.line == gate]
    assert pile.rule == "GP102" and pile.goroutines == 50 and pile.reason == "chan receive"
    assert [s.line for s, _ in pile.related] == [gate - 2]  # go func() {
    # The 20 leaked senders pile up too; with the leak profile loaded they are reported once, as GP101.
    assert (line_of("result <- 42"), "chan send") in hits(pe, "GP102")
    both = ProfileSet([pe, evidence("before", "goroutineleak")])
    assert sorted((e.rule, e.site.line) for e in both.evidence if e.site.line == line_of("result <- 42")) == [
        ("GP101", line_of("result <- 42"))]


def test_contention_at_the_unlock_with_the_lock_as_related():
    pe = evidence("before", "mutex")
    [e] = [e for e in pe.evidence if e.rule == "GP201"]
    assert e.site.line == line_of("c.mu.Unlock()")
    assert [(s.line, m) for s, m in e.related] == [(line_of("c.mu.Lock()"), "the lock is taken here")]
    assert e.reason == "sync.Mutex" and e.data["contentions"] >= 100 and e.data["delay_ns"] > 10_000_000
    assert evidence("after", "mutex").evidence == []


def test_block_waits_per_line_and_reason():
    pe = evidence("before", "block")
    assert (line_of("c.mu.Lock()"), "sync.Mutex") in hits(pe, "GP202")
    assert (line_of("c.mu.Lock()"), "sync.Mutex") not in hits(evidence("after", "block"), "GP202")


def test_thresholds_from_golens_toml(tmp_path):
    th = ProfileThresholds.from_mapping({"pileup-min-goroutines": 60, "mutex-min-total-ns": "x", "nope": 1})
    assert th.pileup_min_goroutines == 60 and th.mutex_min_total_ns == ProfileThresholds().mutex_min_total_ns
    assert hits(evidence("before", "goroutine", thresholds=th), "GP102") == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["goroutineleak", "goroutine", "mutex", "block"])
def test_totals_match_go_tool_pprof(go, kind):
    """`go tool pprof -raw` prints every sample's values: their sums are the profile's totals."""
    path = CASES / "before" / f"{kind}.pb.gz"
    raw = subprocess.run([go, "tool", "pprof", "-raw", str(path)], capture_output=True, text=True, check=True,
                         env={**os.environ, "PPROF_TMPDIR": str(REPO / ".cache")}).stdout
    body = raw.split("Samples:\n", 1)[1].split("Locations", 1)[0].splitlines()[1:]
    values = [[int(v) for v in line.split(":")[0].split()] for line in body if line.strip()]
    profile = read_profile(path)
    assert len(profile.samples) == len(values)
    for i in range(len(profile.sample_types)):
        assert sum(s.values[i] for s in profile.samples) == sum(v[i] for v in values)


# -- synthetic profiles in a workspace of their own ---------------------------------------------------

LEAKY = """package main

import "time"

func lookup() int {
	result := make(chan int)
	go func() {
		result <- 42
	}()
	select {
	case v := <-result:
		return v
	case <-time.After(time.Millisecond):
		return -1
	}
}

func main() { lookup() }
"""


def workspace(tmp_path: Path) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/leaky\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text(LEAKY)
    return tmp_path


def leak_profile(count: int = 7) -> bytes:
    stack = [("runtime.gopark", "runtime/proc.go", 435), ("runtime.chansend1", "runtime/chan.go", 161),
             ("main.lookup.func1", "example.com/leaky/main.go", 8)]
    return build("goroutineleak", [(stack, [count])], start_lines={"main.lookup.func1": 7})


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_check_folds_a_proven_leak_into_the_static_finding(tmp_path, capsys, monkeypatch):
    ws = workspace(tmp_path)
    (ws / "leak.pb.gz").write_bytes(leak_profile())
    monkeypatch.chdir(ws)
    rc, out, err = run_cli(capsys, "check", ".", "--profile", "leak.pb.gz", "--format", "json")
    assert rc == 1, err
    import json

    found = {(f["rule"], f["start"]["line"]): f for f in json.loads(out)}
    gl101 = found[("GL101", 8)]
    assert "— goroutineleak profile: 7 leaked goroutines are blocked here forever" in gl101["message"]
    assert gl101["severity"] == "error"  # raised from warning: the runtime proved the leak
    assert gl101["evidence"][0]["rule"] == "GP101"
    assert found[("GP101", 7)]["source"] == "golens-profile"
    assert ("GP101", 8) not in found  # absorbed by GL101


def test_profile_command_text_and_sarif(tmp_path, capsys, monkeypatch):
    ws = workspace(tmp_path)
    (ws / "leak.pb.gz").write_bytes(leak_profile(3))
    monkeypatch.chdir(ws)
    rc, out, _ = run_cli(capsys, "profile", "leak.pb.gz")
    assert rc == 1
    assert out.splitlines()[0].startswith("main.go:7:2: GP101 3 goroutines started here are leaked")
    assert "# profile: leak.pb.gz — goroutineleak profile, 3 leaked goroutines (3 at workspace lines)" in out
    rc, out, _ = run_cli(capsys, "profile", "leak.pb.gz", "--format", "sarif")
    import json

    sarif = json.loads(out)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"GP101"}
    assert sarif["runs"][0]["properties"]["profiles"][0]["kind"] == "goroutineleak"


# -- bad input ------------------------------------------------------------------------------------------

def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = leak_profile()
    cases = {
        "empty": (b"", "empty file"),
        "empty gzip": (__import__("gzip").compress(b""), "empty profile"),
        "truncated": (good[: len(good) // 2], "truncated"),
        "not gzip": (b"\x00\x01garbage that is no protobuf\xff\xff\xff", "not a pprof profile"),
        "corrupt gzip": (good[:10] + b"\xff" * 40, "corrupt gzip"),
        "trace": ((TRACES / "chan_leak" / "go1.27.trace").read_bytes(), "Go execution trace"),
        "text": (b"goroutine profile: total 3\n3 @ 0x1 0x2\n", "text profile"),
        "cpu": ((CASES / "before" / "cpu.pb.gz").read_bytes(), "CPU profile, not used"),
    }
    out = {}
    for name, (data, message) in cases.items():
        p = tmp_path / (name.replace(" ", "_") + ".pb.gz")
        p.write_bytes(data)
        out[name] = (p, message)
    fifo = tmp_path / "fifo.pb.gz"
    os.mkfifo(fifo)
    out["fifo"] = (fifo, "not a regular file")
    out["directory"] = (tmp_path, "not a regular file")
    out["missing"] = (tmp_path / "nope.pb.gz", "No such file")
    return out


@pytest.mark.parametrize("case", ["empty", "empty gzip", "truncated", "not gzip", "corrupt gzip", "trace", "text",
                                  "cpu", "fifo", "directory", "missing"])
def test_bad_input_is_a_clear_message_and_exit_2(tmp_path, capsys, case):
    path, message = bad_inputs(tmp_path)[case]
    rc, out, err = run_cli(capsys, "profile", str(path), "--root", str(tmp_path))
    assert rc == 2 and out == ""
    assert err.startswith(f"golens: {path}: ") and message in err, err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_gzip_bomb_is_refused(tmp_path, capsys, monkeypatch):
    import gzip

    from golens.profile import reader

    monkeypatch.setattr(reader, "MAX_DECOMPRESSED_BYTES", 1 << 20)
    bomb = tmp_path / "bomb.pb.gz"
    bomb.write_bytes(gzip.compress(b"\0" * (4 << 20)))
    rc, _, err = run_cli(capsys, "profile", str(bomb), "--root", str(tmp_path))
    assert rc == 2 and "decompresses to more than 1 MB" in err


def test_wrong_kind_is_refused(capsys):
    rc, _, err = run_cli(capsys, "profile", "--kind", "mutex", str(CASES / "before" / "block.pb.gz"),
                         "--root", str(TRACES))
    assert rc == 2 and err.rstrip().endswith("is a block profile, not a mutex profile")


def test_check_with_a_bad_profile_exits_2(tmp_path, capsys, monkeypatch):
    ws = workspace(tmp_path)
    (ws / "bad.pb.gz").write_bytes(b"junk")
    monkeypatch.chdir(ws)
    (ws / "leak.pb.gz").write_bytes(leak_profile())
    rc, out, err = run_cli(capsys, "check", ".", "--profile", "bad.pb.gz", "--profile", "leak.pb.gz")
    # The static findings and the good profile's evidence are kept; the bad profile is named once.
    assert rc == 2 and re.fullmatch(r"golens: bad\.pb\.gz: not a pprof profile[^\n]*\n", err), err
    assert "main.go:8:3: GL101 " in out and "— goroutineleak profile: 7 leaked goroutines" in out


HELD = """package main

import (
	"sync"
	"time"
)

type cache struct {
	mu sync.Mutex
	n  int
}

func (c *cache) refresh() {
	c.mu.Lock()
	time.Sleep(time.Millisecond)
	c.n++
	c.mu.Unlock()
}

func main() { (&cache{}).refresh() }
"""


def test_lock_held_across_a_sleep_quotes_both_profiles(tmp_path, capsys, monkeypatch):
    (tmp_path / "go.mod").write_text("module example.com/held\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text(HELD)
    lock, unlock = 14, 17
    method = "main.(*cache).refresh"
    (tmp_path / "mutex.pb.gz").write_bytes(build("mutex", [(
        [("sync.(*Mutex).Unlock", "sync/mutex.go", 65), (method, "example.com/held/main.go", unlock)],
        [40, 90_000_000])]))
    (tmp_path / "block.pb.gz").write_bytes(build("block", [(
        [("sync.(*Mutex).Lock", "sync/mutex.go", 46), (method, "example.com/held/main.go", lock)],
        [40, 85_000_000])]))
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(capsys, "check", ".", "--profile", "mutex.pb.gz", "--profile", "block.pb.gz")
    [gl405] = [line for line in out.splitlines() if " GL405 " in line]
    assert "block profile: goroutines waited 85 ms at line 14 for this lock (40 waits)" in gl405
    # GL405 points at the Lock, not the Unlock: the mutex profile's delay is not quoted into it.
    assert "mutex profile" not in gl405
    # Quoted, and still reported where they happened.
    assert f"main.go:{lock}:2: GP202 " in out and f"main.go:{unlock}:2: GP201 " in out
