"""Workspace trust and auto-loading: a trace is input from the repository, so an untrusted
workspace (VS Code's Restricted Mode sends `trusted: false`) gets static checks only; and the
trace status that editors show in their status bar."""

import asyncio
import time

from lsprotocol import types
from test_trace_evidence import LONG, TRACES, trace_diagnostics

from conftest import session


async def wait_until(predicate, what: str, timeout: float = LONG):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_untrusted_workspace_loads_no_trace(leak_ws):
    main = leak_ws / "handler_leak/main.go"
    uri = main.as_uri()
    settings = {"trusted": False, "trace": {"autoLoad": False, "path": ""}}
    async with session("vscode", leak_ws, settings=settings) as client:
        statuses = client.trace_statuses
        client.open(uri, main.read_text())
        diags = await client.get_diagnostics(uri)
        assert any(d.code == "GL106" for d in diags)  # static checks still run
        result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadTrace", arguments=[str(leak_ws / "trace.out")]))
        assert result["loaded"] is False and "untrusted" in result["error"]
        # The server announces its decision (no trace) once the settings are in; nothing after
        # it may load one.
        await wait_until(lambda: statuses, "the trace status")
        client.replace(uri, "report queued", "report queued!")
        diags = await client.get_diagnostics(uri)
        assert not any(d.source == "golens-trace" for d in diags)
        assert not any(getattr(s, "loaded", False) for s in statuses)


async def test_auto_load_off_needs_an_explicit_trace(leak_ws):
    main = leak_ws / "handler_leak/main.go"
    uri = main.as_uri()
    async with session("vscode", leak_ws, settings={"trace": {"autoLoad": False}}) as client:
        statuses = client.trace_statuses
        client.open(uri, main.read_text())
        await client.get_diagnostics(uri)
        await wait_until(lambda: statuses, "the trace status")
        assert not any(getattr(s, "loaded", False) for s in statuses)
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadTrace", arguments=[str(leak_ws / "trace.out")]))
        await wait_until(lambda: any(getattr(s, "loaded", False) for s in statuses), "trace status")
        diags = await trace_diagnostics(client, uri)
        assert any(d.source == "golens-trace" for d in diags)


async def test_trace_status_notification(leak_ws):
    main = leak_ws / "handler_leak/main.go"
    async with session("vscode", leak_ws) as client:
        statuses = client.trace_statuses
        client.open(main.as_uri(), main.read_text())
        await wait_until(lambda: any(getattr(s, "loaded", False) for s in statuses), "trace status")
        status = next(s for s in statuses if getattr(s, "loaded", False))
        assert status.path == str(leak_ws / "trace.out")
        assert status.goroutines == 34
        assert status.leaks >= 15  # handler_leak: three leaking go statements, five requests each
        assert status.capturedAt
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="golens.clearTrace"))
        await wait_until(lambda: getattr(statuses[-1], "loaded", True) is False, "cleared status")


async def test_a_loaded_trace_survives_settings_changes_and_auto_load_off_drops_a_discovered_one(leak_ws):
    """What editors rely on to keep the user's choice across restarts and settings pushes."""
    main = leak_ws / "handler_leak/main.go"
    uri = main.as_uri()
    chosen = str(TRACES / "handler_leak/go1.22.trace")
    async with session("vscode", leak_ws) as client:
        statuses = client.trace_statuses
        client.open(uri, main.read_text())
        await wait_until(lambda: any(getattr(s, "path", "").endswith("trace.out") for s in statuses), "discovered")
        await client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="golens.loadTrace", arguments=[chosen]))
        # A settings push without a trace path (any other setting changed) keeps the chosen trace.
        client.set_configuration({"disable": ["GL301"]}, section="golens")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await asyncio.sleep(3)  # long enough for a discovery and parse to have replaced it
        assert getattr(statuses[-1], "path", None) == chosen
        # Cleared stays cleared through settings pushes that do not touch the trace settings.
        await client.workspace_execute_command_async(types.ExecuteCommandParams(command="golens.clearTrace"))
        client.set_configuration({"disable": ["GL302"]}, section="golens")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await asyncio.sleep(3)
        assert getattr(statuses[-1], "loaded", True) is False

        def push(trace: dict) -> None:
            client.set_configuration({"trace": trace}, section="golens")
            client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))

        # Auto-load off and on again discovers; off once more drops the discovered trace.
        push({"autoLoad": False})
        await asyncio.sleep(1)
        push({"autoLoad": True})
        await wait_until(lambda: getattr(statuses[-1], "path", "").endswith("trace.out"), "rediscovered")
        push({"autoLoad": False})
        await wait_until(lambda: getattr(statuses[-1], "loaded", True) is False, "discovered trace dropped")


async def test_a_workspace_without_a_trace_says_so(workspace):
    """Discovery that finds no trace ends in a status too: a status bar can stop saying 'looking'."""
    (workspace / "a.go").write_text("package a\n")
    async with session("vscode", workspace) as client:
        await wait_until(lambda: client.trace_statuses, "the trace status")
        assert [getattr(s, "loaded", None) for s in client.trace_statuses] == [False]
