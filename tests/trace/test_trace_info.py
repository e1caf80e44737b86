"""`golens trace-info`: its numbers against Go's tools and the reader."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

import pytest
from trace_oracle import oracle_go, requires_oracle

from golens.cli import trace_info
from golens.trace import read_trace

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"

# Footprint rows that are framing or tables, not timed events.
STRUCTURAL = {"EventBatch", "Stack", "Stacks", "String", "Strings", "Frequency", "Sync", "ClockSnapshot",
              "EndOfGeneration", "CPUSample", "CPUSamples", "ExperimentalBatch"}



def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="golens")
    trace_info.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["trace-info", *argv])
    rc = trace_info.run(args)
    out, err = capsys.readouterr()
    return rc, out, err


def footprint_counts(path: Path) -> dict[str, int]:
    out = subprocess.run([oracle_go(), "tool", "trace", "-d=footprint", str(path)], capture_output=True, text=True,
                         check=True, env={"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}).stdout
    counts = {}
    for line in out.splitlines()[2:]:
        m = re.match(r"(\S+)\s+\d+\s+\S+\s+(\d+)\s", line)
        if m and int(m.group(2)) and m.group(1) not in STRUCTURAL:
            counts[m.group(1)] = int(m.group(2))
    return counts


@requires_oracle
@pytest.mark.parametrize("name", ["pool_gc/go1.22", "handler_leak/go1.27", "annotations/go1.25", "iter_pull/go1.23",
                                  "cgo_callback/go1.26", "multigen/go1.24", "allocfree/go1.27"])
def test_event_counts_match_go_footprint(capsys, name):
    path = TRACES / f"{name}.trace"
    rc, out, _ = run_cli(capsys, "--json", str(path))
    assert rc == 0
    s = json.loads(out)
    assert s["events_by_kind"] == footprint_counts(path)
    assert s["events"] == sum(s["events_by_kind"].values())


@requires_oracle
def test_gc_cycles_match_go_ranges(capsys):
    path = TRACES / "pool_gc" / "go1.22.trace"
    parsed = subprocess.run([oracle_go(), "tool", "trace", "-d=parsed", str(path)], capture_output=True, text=True,
                            check=True, env={"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}).stdout
    begins = len(re.findall(r'Range(?:Begin|Active) .*Name="GC concurrent mark phase"', parsed))
    stw = len(re.findall(r'RangeBegin .*Name="stop-the-world', parsed))
    rc, out, _ = run_cli(capsys, "--json", str(path))
    s = json.loads(out)
    assert begins > 0
    assert (s["gc_cycles"], s["stw_pauses"]) == (begins, stw)


def test_text_summary(capsys):
    path = TRACES / "handler_leak" / "go1.27.trace"
    tr = read_trace(path)
    rc, out, err = run_cli(capsys, str(path))
    assert rc == 0 and err == ""
    assert "format:        go 1.26 trace (written by Go 1.26–1.27)" in out
    assert f"goroutines:    {len(tr.goroutines)} (" in out
    alive = sum(1 for g in tr.goroutines.values() if g.alive_at_end)
    assert f"alive at end:  {alive} (" in out
    assert f"duration:      {tr.duration_ns / 1e6:.3f} ms" in out
    assert re.search(rf"^  GoCreate\s+{tr.event_counts['GoCreate']}$", out, re.M)


def test_summary_numbers_of_annotations(capsys):
    rc, out, _ = run_cli(capsys, "--json", str(TRACES / "annotations" / "go1.27.trace"))
    s = json.loads(out)
    # 4 orders + 4 charges + the task started before the trace; 2 regions per order
    # + one never ended; 2 logs per order + one background log.
    assert (s["tasks"], s["regions"], s["logs"]) == (9, 9, 9)
    assert s["format"] == "go 1.26 trace" and s["generations"] == 1 and not s["truncated"]


def test_bad_input_exit_code_and_message(capsys, tmp_path):
    bad = tmp_path / "old.trace"
    bad.write_bytes(b"go 1.19 trace\x00\x00\x00" + bytes(32))
    rc, out, err = run_cli(capsys, str(bad))
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "1.19" in err and "not supported" in err and "byte offset 0" in err
    rc, out, err = run_cli(capsys, str(tmp_path / "missing.trace"))
    assert rc == 2 and err.count("\n") == 1


def test_truncated_trace_warns(capsys, tmp_path):
    data = (TRACES / "multigen" / "go1.27.trace").read_bytes()
    cut = tmp_path / "cut.trace"
    cut.write_bytes(data[: len(data) // 2])
    rc, out, err = run_cli(capsys, str(cut))
    assert rc == 0
    assert "(truncated)" in out and "warning: trace truncated" in err
