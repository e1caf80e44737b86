"""Profiles in the editor: discovered by content beside the code, their GP findings published with
the static ones (and folded into them), the status notification, and the load/clear commands."""

import asyncio
import shutil
import time
from pathlib import Path

import pytest
from lsprotocol import types
from test_trace_evidence import LONG

from conftest import TRACES, session

STATUS = "golens/profileStatus"
CASES = TRACES / "prof_cases" / "go1.27" / "before"
MAIN = (TRACES / "prof_cases" / "main.go").read_text().splitlines()
SEND = next(i + 1 for i, line in enumerate(MAIN) if "result <- 42" in line)
UNLOCK = next(i + 1 for i, line in enumerate(MAIN) if "c.mu.Unlock()" in line)


@pytest.fixture
def prof_ws(tmp_path: Path) -> Path:
    shutil.copy(TRACES / "go.mod", tmp_path / "go.mod")
    (tmp_path / "prof_cases").mkdir()
    shutil.copy(TRACES / "prof_cases" / "main.go", tmp_path / "prof_cases" / "main.go")
    (tmp_path / "profiles").mkdir()
    # Names that say nothing: the kind is read from the content.
    shutil.copy(CASES / "goroutineleak.pb.gz", tmp_path / "profiles" / "leaks.pb.gz")
    shutil.copy(CASES / "mutex.pb.gz", tmp_path / "profiles" / "contention.pprof")
    shutil.copy(CASES / "cpu.pb.gz", tmp_path / "profiles" / "cpu.pb.gz")  # not used
    (tmp_path / "profiles" / "broken.pb.gz").write_bytes(b"\x1f\x8b\x08\x00junk")
    return tmp_path


def record(client, method: str) -> list:
    seen: list = []
    client.feature(method)(lambda params: seen.append(params))
    return seen


async def profile_diagnostics(client, uri, predicate, timeout: float = LONG):
    deadline = time.monotonic() + timeout
    while True:
        p = client.last_published(uri)
        diags = list(p.diagnostics) if p is not None and p.version == client.versions[uri] else []
        if predicate(diags):
            return diags
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {[(d.range.start.line + 1, d.code, d.source) for d in diags]}")
        await asyncio.sleep(0.05)


def gp(diags):
    return sorted((d.range.start.line + 1, d.code) for d in diags if d.source == "golens-profile")


async def test_discovered_profiles_publish_gp_findings_and_status(prof_ws):
    main = prof_ws / "prof_cases" / "main.go"
    uri = main.as_uri()
    async with session("vscode", prof_ws) as client:
        statuses = record(client, STATUS)
        client.open(uri, main.read_text())
        diags = await profile_diagnostics(client, uri, lambda ds: len(gp(ds)) == 3)
        assert gp(diags) == [(SEND - 2, "GP101"), (SEND, "GP101"), (UNLOCK, "GP201")]
        leak = next(d for d in diags if d.code == "GP101" and d.range.start.line + 1 == SEND)
        assert leak.severity == types.DiagnosticSeverity.Error and "20 leaked goroutines" in leak.message
        status = next(s for s in reversed(statuses) if getattr(s, "loaded", False))
        assert sorted(p.kind for p in status.profiles) == ["goroutineleak", "mutex"] and status.leaks == 20

        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadProfile", arguments=[str(prof_ws / "profiles" / "cpu.pb.gz")]))
        assert result["loaded"] is False and "CPU profile, not used" in result["error"]
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadProfile", arguments=["profiles/broken.pb.gz"]))
        assert result["loaded"] is False and "broken.pb.gz" in result["error"]
        status = (await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadProfile", arguments=[str(prof_ws / "profiles" / "leaks.pb.gz")])))
        assert status["loaded"] is True and len(status["profiles"]) == 2  # a failed load kept both
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="golens.clearProfiles"))
        await profile_diagnostics(client, uri, lambda ds: not gp(ds))
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadProfile", arguments=[str(prof_ws / "profiles" / "contention.pprof")]))
        assert result["loaded"] is True and "loaded mutex profile" in result["message"]
        diags = await profile_diagnostics(client, uri, lambda ds: bool(gp(ds)))
        assert gp(diags) == [(UNLOCK, "GP201")]
        lock = next(d for d in diags if d.code == "GP201")
        assert [r.location.range.start.line + 1 for r in lock.related_information or []] == [UNLOCK - 3]
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=lock.range.start))
        assert hover is not None and "**GP201**" in hover.contents.value
        assert "- mutex profile: " in hover.contents.value and "of contention released here" in hover.contents.value
        # Evidence follows edits: a line inserted above moves it down with the code.
        client.replace(uri, "type counter struct {", "// a comment\ntype counter struct {")
        diags = await profile_diagnostics(client, uri, lambda ds: gp(ds) == [(UNLOCK + 1, "GP201")])


async def test_untrusted_workspace_loads_no_profile(prof_ws):
    main = prof_ws / "prof_cases" / "main.go"
    uri = main.as_uri()
    async with session("vscode", prof_ws, settings={"trusted": False}) as client:
        client.open(uri, main.read_text())
        await client.get_diagnostics(uri)
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadProfile", arguments=[str(prof_ws / "profiles" / "leaks.pb.gz")]))
        assert result["loaded"] is False and "untrusted" in result["error"]
        await asyncio.sleep(2)
        client.replace(uri, "lookup answers", "lookup answers!")
        diags = await client.get_diagnostics(uri)
        assert not gp(diags)


async def test_baseline_shows_the_change_in_the_hover(prof_ws):
    """The workspace's profiles are the fixed run's; the baseline is the run before the fix."""
    for name in ("leaks.pb.gz", "contention.pprof"):
        (prof_ws / "profiles" / name).unlink()
    after = TRACES / "prof_cases" / "go1.27" / "after"
    shutil.copy(after / "goroutineleak.pb.gz", prof_ws / "profiles" / "leaks.pb.gz")
    baseline = prof_ws / "before-leaks.pb.gz"
    shutil.copy(CASES / "goroutineleak.pb.gz", baseline)
    main = prof_ws / "prof_cases" / "main.go"
    uri = main.as_uri()
    async with session("vscode", prof_ws, settings={"trace": {"baseline": "before-leaks.pb.gz"}}) as client:
        statuses = record(client, STATUS)
        client.open(uri, main.read_text())
        await client.get_diagnostics(uri)
        deadline = time.monotonic() + LONG
        while not any(str(prof_ws / "profiles" / "leaks.pb.gz") in [p.path for p in getattr(s, "profiles", [])]
                      for s in statuses):
            assert time.monotonic() < deadline, statuses
            await asyncio.sleep(0.05)
        position = types.Position(line=SEND - 1, character=4)
        while True:
            hover = await client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=position))
            if hover is not None and "since the baseline" in hover.contents.value:
                break
            assert time.monotonic() < deadline, hover
            await asyncio.sleep(0.1)
        assert "since the baseline goroutineleak profile before-leaks.pb.gz" in hover.contents.value
        assert "chan send: 20× → — (gone)" in hover.contents.value
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        baseline_lenses = [(lens.range.start.line + 1, lens.command.title) for lens in lenses or []
                           if lens.command is not None and lens.command.title.startswith("since baseline:")]
        assert (SEND, "since baseline: chan send 20× → — (gone)") in baseline_lenses, lenses
        assert getattr(statuses[-1], "baseline", None) == str(baseline)  # for the status items
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.setBaseline", arguments=[]))
        assert result == {"baseline": None}
        assert getattr(statuses[-1], "baseline", None) is None
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position))
        assert hover is None or "since the baseline" not in hover.contents.value
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert not [lens for lens in lenses or [] if lens.command and lens.command.title.startswith("since baseline:")]


async def test_server_watches_loaded_profiles_when_the_client_cannot(prof_ws):
    """Neovim 0.7 has no file watching for servers: a rewritten profile is reloaded anyway."""
    main = prof_ws / "prof_cases" / "main.go"
    uri = main.as_uri()
    async with session("nvim-0.7", prof_ws) as client:
        client.open(uri, main.read_text())
        before = gp(await profile_diagnostics(client, uri, lambda ds: len(gp(ds)) == 3))
        shutil.copy(TRACES / "prof_cases" / "go1.27" / "after" / "goroutineleak.pb.gz", prof_ws / "profiles" / "leaks.pb.gz")
        after = gp(await profile_diagnostics(client, uri, lambda ds: gp(ds) != before))
        assert [c for _, c in after].count("GP101") < [c for _, c in before].count("GP101"), (before, after)
