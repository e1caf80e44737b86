"""A trace's evidence while it is read: partial results in the editor before the final one, the
final one the same as without streaming, and progress in percent of the bytes read."""

import asyncio
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import session
from golens.evidence import TraceEvidence
from golens.lsp.trace_parse import BackgroundParse

TRACES = Path(__file__).resolve().parents[2] / "traces"
TRACE = TRACES / "multigen/go1.27.trace"  # 13 generations
LONG = 90.0


@pytest.fixture
def multigen_ws(tmp_path: Path) -> Path:
    shutil.copy(TRACES / "go.mod", tmp_path / "go.mod")
    (tmp_path / "multigen").mkdir()
    shutil.copy(TRACES / "multigen/main.go", tmp_path / "multigen/main.go")
    old = time.time() - 3600
    os.utime(tmp_path / "multigen/main.go", (old, old))
    shutil.copy(TRACE, tmp_path / "trace.out")
    os.utime(tmp_path / "trace.out", (old + 60, old + 60))
    return tmp_path


def trace_messages(client, uri: str) -> list[list[str]]:
    """The diagnostics carrying trace evidence of each publish, in order (on multigen the leak is
    folded into GL104's finding at the blocked receive)."""
    return [sorted(d.message for d in p.diagnostics if d.source == "golens-trace" or "— trace:" in d.message)
            for p in client.published if p.uri == uri]


async def final_session(root: Path, every: float) -> tuple[list, list[list[str]]]:
    main = root / "multigen/main.go"
    uri = main.as_uri()
    async with session("vscode", root, settings={"trace": {"partialEverySeconds": every}}) as client:
        client.open(uri, main.read_text())
        final = await client.wait_for(
            lambda: any(getattr(s, "loaded", False) and not getattr(s, "partial", False) for s in client.trace_statuses),
            "the final trace status", LONG)
        assert final
        # The final evidence is published after the final status: wait until the publishes settle.
        await client.wait_for(lambda: trace_messages(client, uri) and trace_messages(client, uri)[-1],
                              "trace diagnostics", LONG)
        await asyncio.sleep(0.5)
        return list(client.trace_statuses), trace_messages(client, uri)


async def test_partial_results_come_first_and_the_final_one_is_unchanged(multigen_ws):
    statuses, published = await final_session(multigen_ws, 0)
    partial = [s for s in statuses if getattr(s, "partial", False)]
    size = TRACE.stat().st_size
    assert len(partial) >= 2, statuses
    read = [s.bytesRead for s in partial]
    assert read == sorted(read) and read[-1] < size and all(s.size == size for s in partial)
    first_final = next(i for i, s in enumerate(statuses) if getattr(s, "loaded", False) and not getattr(s, "partial", False))
    assert all(statuses.index(s) < first_final for s in partial)
    final = published[-1]
    (leak,) = final
    assert "1 goroutine was blocked here (chan receive) when the trace ended, for 133 ms (100% of the 133 ms trace)" in leak
    # Before it, the same goroutine seen in the part of the trace read so far: shorter traces.
    earlier = [int(m) for ms in published[:-1] for msg in ms
               for m in re.findall(r"\(100% of the (\d+) ms trace\)", msg)]
    assert earlier and earlier == sorted(earlier) and earlier[0] < 133, published

    _, unstreamed = await final_session(multigen_ws, -1)
    assert unstreamed[-1] == final
    assert all(ms in ([], final) for ms in unstreamed)  # no partial result when off


async def test_progress_reports_percent_of_the_bytes_read(tmp_path: Path):
    reports: list[tuple[str, int | None]] = []

    class Recorder:
        async def begin(self, title: str, message: str, percentage: int | None = None) -> None:
            pass

        def report(self, message: str, percentage: int | None = None) -> None:
            reports.append((message, percentage))

        def end(self, message: str) -> None:
            pass

    partials: list[tuple[int, int]] = []
    parse = BackgroundParse(TRACE, str(TRACES), {}, 0)
    status, payload = await parse.outcome(Recorder(), lambda te, read, size: partials.append((read, size)))  # type: ignore[arg-type]
    assert status == "ok" and isinstance(payload, TraceEvidence)
    assert len(partials) == 12 and all(size == TRACE.stat().st_size for _, size in partials)
    percents = [p for _, p in reports]
    assert percents == sorted(percents) and 0 < percents[-1] <= 99
    assert all(message.startswith(f"{p}% read") for message, p in reports)
