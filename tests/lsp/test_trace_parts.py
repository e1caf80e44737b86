"""The seams of the server's trace handling, without an LSP session: which file discovery picks,
the background parse (in a child process) and how evidence lines follow edits."""

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from golens.evidence.analysis import Evidence, Site
from golens.findings import Severity
from golens.lsp.line_shift import STALE_EDITED, current_line, line_map, shift_evidence
from golens.lsp.progress import Progress
from golens.lsp.trace_discovery import discover, discover_all
from golens.lsp.trace_parse import BackgroundParse

TRACES = Path(__file__).resolve().parents[2] / "traces"
TRACE = TRACES / "handler_leak" / "go1.27.trace"


class NoProgressClient:
    """What Progress reads of a server whose client cannot show progress."""

    class client_capabilities:  # noqa: N801 - mirrors the LanguageServer attribute
        window = None


def test_line_map_moves_unchanged_lines_and_marks_edited_ones():
    base = b"a\nb\nc\nd\n"
    current = b"new\na\nB\nc\nd\n"
    mapping = line_map(base, current)
    assert mapping is not None
    assert current_line(mapping, 1) == 2  # moved down by the inserted line
    assert current_line(mapping, 2) is None  # edited: no position to trust
    assert current_line(mapping, 3) == 4
    assert line_map(base, base) is None and current_line(None, 7) == 7
    assert current_line(line_map(b"a\nb\nc", b"a\nc"), 2) is None  # deleted


def test_shift_evidence_marks_an_edited_line_stale_and_lowers_it_one_level():
    path = "/ws/main.go"
    site = Site(path=Path(path), line=2, func="main.f", trace_file="main.go", how="module")
    other = Site(path=Path(path), line=3, func="main.g", trace_file="main.go", how="module")
    e = Evidence(rule="GT101", site=site, message="leak", severity=Severity.WARNING, related=[(other, "parked")])
    mapping = line_map(b"a\nb\nc\n", b"x\na\nB\nc\n")
    assert mapping is not None
    shifted = shift_evidence(e, mapping, path)
    assert shifted.site.line == 3 and shifted.site.stale == STALE_EDITED
    assert shifted.severity == Severity(int(Severity.WARNING) + 1)
    assert shifted.message == f"leak [stale: {STALE_EDITED}]"
    assert shifted.related[0][0].line == 4 and shifted.related[0][0].stale is None


def test_discovery_takes_the_newest_trace_and_skips_links_and_fifos(tmp_path):
    older, newer = tmp_path / "old.trace", tmp_path / "sub" / "trace.out"
    newer.parent.mkdir()
    shutil.copy(TRACE, older)
    shutil.copy(TRACE, newer)
    os.utime(older, (1000, 1000))
    os.utime(newer, (2000, 2000))
    (tmp_path / "notes.out").write_text("not a trace")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.trace"
    shutil.copy(TRACE, outside)
    (tmp_path / "link.trace").symlink_to(outside)
    os.mkfifo(tmp_path / "pipe.trace")
    try:
        assert discover_all(tmp_path) == [newer, older]
        assert discover(tmp_path) == newer
        assert discover(tmp_path, readable=lambda p: p != newer) == older
        assert discover(tmp_path, readable=lambda p: False) is None
    finally:
        outside.unlink()


def test_background_parse_reads_a_trace_and_reports_a_bad_one(tmp_path):
    bad = tmp_path / "cut.trace"
    bad.write_bytes(TRACE.read_bytes()[:300])

    async def both():
        good = await BackgroundParse(TRACE, str(TRACES), {}).outcome(Progress(NoProgressClient(), "trace"))
        cut = await BackgroundParse(bad, str(tmp_path), {}).outcome(Progress(NoProgressClient(), "trace"))
        return good, cut

    (status, evidence), (bad_status, message) = asyncio.run(both())
    assert status == "ok" and not isinstance(evidence, str) and evidence.evidence
    assert bad_status == "error" and isinstance(message, str) and str(bad) in message


@pytest.mark.slow  # a parse in a child process
def test_background_parse_never_imports_the_working_directorys_packages(tmp_path, monkeypatch):
    """The child is a new interpreter; started from an untrusted checkout it must not import the
    checkout's own multiprocessing/ or golens/ (Python puts the working directory on sys.path)."""
    marker = tmp_path / "ran"
    for package in ("multiprocessing", "golens"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write(__name__)\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONSAFEPATH", raising=False)
    status, _ = asyncio.run(BackgroundParse(TRACE, str(TRACES), {}).outcome(Progress(NoProgressClient(), "trace")))
    assert not marker.exists(), marker.read_text()
    assert status == "ok"


def test_poller_reports_a_change_once_the_file_holds_still(tmp_path):
    from golens.lsp.trace_watch import FilePoller

    trace = tmp_path / "trace.out"
    trace.write_bytes(b"go 1.26 trace\x00")
    poller = FilePoller()
    poller.watch([trace])
    assert poller.poll() == []
    trace.write_bytes(b"go 1.26 trace\x00 and more")  # being written
    assert poller.poll() == []
    assert poller.poll() == [trace]  # unchanged for an interval: settled
    assert poller.poll() == []
    trace.unlink()
    assert poller.poll() == [] and poller.poll() == []  # gone: nothing to reload
    poller.watch([])
    assert poller.watched == frozenset()


@pytest.mark.slow  # starts golens serve
def test_serve_drops_pygls_warnings_about_cancelling_answered_requests():
    """An editor cancels requests it no longer needs, often after the answer went out; each such
    cancel used to print a pygls warning into the editor's output."""
    import json
    import subprocess
    import sys

    def frame(message: dict) -> bytes:
        body = json.dumps(message).encode()
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None,
                                                                       "capabilities": {}}},
        {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 1}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    proc = subprocess.run([sys.executable, "-m", "golens", "serve"], input=b"".join(map(frame, messages)),
                          capture_output=True, timeout=60)
    assert b'"id": 2' in proc.stdout or b'"id":2' in proc.stdout
    assert b"Cancel notification" not in proc.stderr, proc.stderr.decode()
