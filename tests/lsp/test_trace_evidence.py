"""Trace evidence over LSP: a workspace with the bundled handler_leak program and its trace."""

import os
import shutil
import time
from pathlib import Path

import pytest
from lsprotocol import types

from conftest import session

TRACES = Path(__file__).resolve().parents[2] / "traces"
LONG = 90.0  # the parse runs in a spawned process: interpreter start + import + parse on a busy CI box


def lines_of(diags, source=None):
    return sorted((d.range.start.line + 1, d.code) for d in diags if source is None or d.source == source)


async def trace_diagnostics(client, uri, predicate=lambda ds: any(d.source == "golens-trace" for d in ds)):
    """Diagnostics once the trace evidence has arrived (push: the next publish; pull: re-pull)."""
    deadline = time.monotonic() + LONG
    while True:
        if client.pull:
            report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri)))
            diags = list(report.items)
        else:
            p = client.last_published(uri)
            diags = list(p.diagnostics) if p is not None and p.version == client.versions[uri] else []
        if predicate(diags):
            return diags
        if time.monotonic() > deadline:
            raise AssertionError(f"no trace diagnostics: {lines_of(diags)}")
        import asyncio

        await asyncio.sleep(0.1)


@pytest.mark.parametrize("name", ["vscode", "nvim-0.11", "vscode-pull"])
async def test_diagnostics_hover_hints_and_lenses(leak_ws, name):
    main = leak_ws / "handler_leak/main.go"
    uri = main.as_uri()
    async with session(name, leak_ws) as client:
        client.open(uri, main.read_text())
        diags = await trace_diagnostics(client, uri)
        trace_only = lines_of(diags, "golens-trace")
        assert (29, "GT101") in trace_only and (37, "GT101") in trace_only and (51, "GT101") in trace_only
        gl106 = [d for d in diags if d.code == "GL106"]
        assert len(gl106) == 1 and gl106[0].range.start.line + 1 == 44 and gl106[0].source == "golens"
        assert "— trace: 5 goroutines that never exited were parked here" in gl106[0].message
        assert gl106[0].severity == types.DiagnosticSeverity.Error  # warning raised by the leak the runtime saw
        assert not any(d.range.start.line + 1 == 44 and d.source == "golens-trace" for d in diags)
        gt29 = next(d for d in diags if d.range.start.line + 1 == 29)
        assert gt29.related_information[0].location.range.start.line + 1 == 44

        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=28, character=5)))
        text = hover.contents.value
        assert "GT101" in text and "**Trace evidence**" in text
        assert "| GT101 chan receive (blocked) | 5 |" in text
        assert "trace `trace.out`" in text and "captured 2026-" in text and "ago" in text
        # The evidence and a link, not GT101's 30-line example program.
        assert "func firstOrTimeout" not in text and "GT101 documentation](file://" in text

        summary_hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=5, character=2)))
        assert "goroutines: 34 seen, 27 created, 6 ended, 28 alive at the end" in summary_hover.contents.value

        hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=90, character=0))))
        by_line = {h.position.line + 1: h.label for h in hints}
        assert by_line[44].startswith("⏳ ") and "chan receive ×60" in by_line[44] and "5 still waiting at end" in by_line[44]
        assert "sleep ×" in by_line[51]

        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        titles = {lens.range.start.line + 1: lens.command.title for lens in lenses}
        assert titles[29] == "trace: 5 goroutines started here · 0 exited · 5 alive at the end"
        assert set(titles) == {29, 32, 37}

        summary = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.showTraceSummary", arguments=[]))
        assert "golens trace summary" in summary and "GT101" in summary


async def test_edits_shift_evidence_and_edited_lines_go_stale(leak_ws):
    main = leak_ws / "handler_leak/main.go"
    uri = main.as_uri()
    async with session("vscode", leak_ws) as client:
        client.open(uri, main.read_text())
        await trace_diagnostics(client, uri)
        text = client.text(uri)
        client.insert(uri, text.index("type auditEntry"), "// one\n// two\n// three\n")
        diags = await trace_diagnostics(client, uri, lambda ds: any(d.range.start.line + 1 == 32 and d.source == "golens-trace" for d in ds))
        assert (32, "GT101") in lines_of(diags, "golens-trace") and (29, "GT101") not in lines_of(diags, "golens-trace")
        gl106 = [d for d in diags if d.code == "GL106"]
        assert [d.range.start.line + 1 for d in gl106] == [47], lines_of(diags)
        assert "— trace:" in gl106[0].message
        # Editing the go statement's own line: its evidence no longer proves anything about it.
        client.replace(uri, "go refreshCache(r.URL.Path)", "go refreshCache(r.URL.RawPath)")
        diags = await trace_diagnostics(client, uri, lambda ds: any("stale" in d.message for d in ds))
        edited = next((d for d in diags if d.range.start.line + 1 == 32 and d.source == "golens-trace"), None)
        assert edited is not None, [(d.range.start.line + 1, d.code, d.source, d.message[-80:]) for d in diags]
        assert "[stale: the line was edited since the trace]" in edited.message
        assert edited.severity == types.DiagnosticSeverity.Information


async def test_replaced_and_corrupt_traces(leak_ws):
    main = leak_ws / "handler_leak/main.go"
    uri = main.as_uri()
    trace = leak_ws / "trace.out"
    async with session("vscode", leak_ws) as client:
        client.open(uri, main.read_text())
        diags = await trace_diagnostics(client, uri)
        assert any("307 ms trace" in d.message for d in diags)
        static = [d for d in diags if d.source == "golens"]

        # A new trace replaces the file: the evidence follows it.
        shutil.copy(TRACES / "handler_leak/go1.22.trace", trace)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=trace.as_uri(), type=types.FileChangeType.Changed)]))
        diags = await trace_diagnostics(client, uri, lambda ds: any("308 ms trace" in d.message for d in ds))
        assert not any("307 ms trace" in d.message for d in diags)

        # A corrupt trace: one clear message, the previous evidence and the static findings stay.
        trace.write_bytes(b"go 1.26 trace\x00\x00\x00" + bytes(range(256)) * 8)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=trace.as_uri(), type=types.FileChangeType.Changed)]))
        await client.wait_for(lambda: client.messages, "window/showMessage", timeout=LONG)
        message = client.messages[-1]
        assert message.type == types.MessageType.Error
        assert "trace.out is not a readable Go execution trace" in message.message
        client.replace(uri, "report queued", "report queued!")
        diags = await trace_diagnostics(client, uri)
        assert any("308 ms trace" in d.message for d in diags)
        assert [d.code for d in diags if d.source == "golens"] == [d.code for d in static]

        # Clear, then load explicitly by command.
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="golens.clearTrace"))
        client.replace(uri, "report queued!", "report queued")
        diags = await client.get_diagnostics(uri)
        assert not any(d.source == "golens-trace" for d in diags) and not any("— trace:" in d.message for d in diags)
        loaded = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadTrace", arguments=[str(TRACES / "handler_leak/go1.25.trace")]))
        assert loaded["loaded"] is True and loaded["path"].endswith("go1.25.trace")
        client.replace(uri, "report queued", "report queued.")
        await trace_diagnostics(client, uri)


async def test_setting_picks_the_trace_and_switches_views_off(leak_ws):
    other = leak_ws / "profiles" / "older.trace"
    other.parent.mkdir()
    shutil.copy(TRACES / "handler_leak/go1.22.trace", other)
    os.utime(other, (time.time() - 7200, time.time() - 7200))  # older than trace.out: discovery would skip it
    main = leak_ws / "handler_leak/main.go"
    uri = main.as_uri()
    settings = {"trace": {"path": "profiles/older.trace", "inlayHints": False, "codeLens": False}}
    async with session("vscode", leak_ws, settings=settings) as client:
        client.open(uri, main.read_text())
        diags = await trace_diagnostics(client, uri)
        registered = [r for r in client.registrations if r.id == "golens-traces"]
        assert registered and registered[0].method == "workspace/didChangeWatchedFiles"
        assert {w["globPattern"] for w in registered[0].register_options["watchers"]} >= {"**/*.trace", "**/*.out"}
        assert any("308 ms trace" in d.message for d in diags)  # the Go 1.22 trace, not trace.out
        hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=90, character=0))))
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert not hints and not lenses


async def test_load_command_answers_after_the_parse_with_the_status_or_the_error_alone(leak_ws):
    main = leak_ws / "handler_leak/main.go"
    not_a_trace = leak_ws / "notes.out"
    not_a_trace.write_text("not a trace\n")
    cut = leak_ws / "cut.trace"
    cut.write_bytes((TRACES / "handler_leak/go1.27.trace").read_bytes()[:400])
    async with session("vscode", leak_ws, settings={"trace": {"autoLoad": False}}) as client:
        client.open(main.as_uri(), main.read_text())
        for bad in (not_a_trace, cut, leak_ws / "missing.trace"):
            result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
                command="golens.loadTrace", arguments=[str(bad)]))
            assert result["loaded"] is False and bad.name in result["error"], result
            assert "message" not in result
        assert not client.messages, [m.message for m in client.messages]  # the answer carries the error, once
        good = str(TRACES / "handler_leak/go1.22.trace")
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadTrace", arguments=[good]))
        # Answered once read: the status is already that of the new trace.
        assert result["loaded"] is True and result["path"] == good and result["goroutines"] > 0
        assert result["message"].startswith(f"loaded trace {good}: ") and "goroutines" in result["message"]
        diags = await trace_diagnostics(client, main.as_uri(), lambda ds: any("308 ms trace" in d.message for d in ds))
        assert diags


async def test_auto_load_falls_back_to_the_newest_readable_trace_and_says_so(leak_ws):
    main = leak_ws / "handler_leak/main.go"
    writing = leak_ws / "later.trace"  # newest, still being written: a header and a little more
    writing.write_bytes((TRACES / "handler_leak/go1.22.trace").read_bytes()[:600])
    async with session("vscode", leak_ws) as client:
        client.open(main.as_uri(), main.read_text())
        diags = await trace_diagnostics(client, main.as_uri())
        assert any("307 ms trace" in d.message for d in diags)  # trace.out, the older readable one
        await client.wait_for(lambda: client.messages, "window/showMessage", timeout=LONG)
        said = client.messages[-1]
        assert said.type == types.MessageType.Warning
        assert "later.trace could not be read" in said.message and "trace.out, the newest readable trace" in said.message
        # Finished writing: the newer trace replaces the fallback.
        shutil.copy(TRACES / "handler_leak/go1.22.trace", writing)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=writing.as_uri(), type=types.FileChangeType.Changed)]))
        client.replace(main.as_uri(), "report queued", "report queued!")
        diags = await trace_diagnostics(client, main.as_uri(), lambda ds: any("308 ms trace" in d.message for d in ds))
        assert not any("307 ms trace" in d.message for d in diags)


@pytest.mark.parametrize("name", ["nvim-0.7", "nvim-0.11"])
async def test_server_watches_the_trace_when_the_client_cannot(leak_ws, name):
    """Neovim 0.7 cannot register file watchers and 0.11 disables them on Linux: a rewritten
    trace is still reloaded, without any didChangeWatchedFiles."""
    main = leak_ws / "handler_leak/main.go"
    uri = main.as_uri()
    trace = leak_ws / "trace.out"
    async with session(name, leak_ws) as client:
        client.open(uri, main.read_text())
        await trace_diagnostics(client, uri, lambda ds: any("307 ms trace" in d.message for d in ds))
        assert not [r for r in client.registrations if r.method == "workspace/didChangeWatchedFiles"]
        shutil.copy(TRACES / "handler_leak/go1.22.trace", trace)
        diags = await trace_diagnostics(client, uri, lambda ds: any("308 ms trace" in d.message for d in ds))
        assert not any("307 ms trace" in d.message for d in diags)
