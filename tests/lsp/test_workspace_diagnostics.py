"""golens.diagnostics.scope = "workspace": findings for Go files nobody opened, in the background."""

import asyncio
import time

import pytest
from lsprotocol import types

from conftest import session

LOST_CANCEL = """package store

import (
\t"context"
\t"time"
)

func work() {
\tctx, _ := context.WithTimeout(context.Background(), time.Second)
\t_ = ctx
}
"""
CLEAN = """package store

func ok() int { return 1 }
"""


async def published_for(client, uri: str, predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        mine = [p for p in client.published if p.uri == uri]
        if mine and predicate(mine[-1].diagnostics):
            return mine[-1].diagnostics
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {[list(p.diagnostics) for p in mine]}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("name", ["vscode", "nvim-0.11"])
async def test_workspace_scope_publishes_unopened_files_and_follows_edits_and_settings(tmp_path, name):
    (tmp_path / "go.mod").write_text("module example.com/ws\n\ngo 1.22\n")
    (tmp_path / "store").mkdir()
    leaky = tmp_path / "store" / "leaky.go"
    leaky.write_text(LOST_CANCEL)
    (tmp_path / "store" / "clean.go").write_text(CLEAN)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "dep.go").write_text(LOST_CANCEL)  # skipped, like the go tool does
    edited = tmp_path / "main.go"
    edited.write_text("package main\n\nfunc main() {}\n")
    async with session(name, tmp_path, settings={"diagnostics": {"scope": "workspace"}}) as client:
        diags = await published_for(client, leaky.as_uri(), lambda ds: len(ds) == 1, "GL201 in the unopened file")
        assert diags[0].code == "GL201" and diags[0].range.start.line == 8
        if name == "vscode":  # VS Code shows progress; the scan reports it from start to end
            await client.wait_for(lambda: any(
                reports and isinstance(reports[-1], types.WorkDoneProgressEnd)
                for reports in client.progress_reports.values()), "the scan's progress to end")
            [reports] = [r for r in client.progress_reports.values() if r]
            assert reports[0].title == "golens: checking the workspace" and reports[0].message == "3 Go files"
            assert reports[-1].message == "3 files"
        assert not [p for p in client.published if p.uri.endswith("/vendor/dep.go") or p.uri.endswith("clean.go")]

        # Fixed on disk (say by `golens check --fix`); an edit elsewhere rescans once typing pauses.
        leaky.write_text(LOST_CANCEL.replace("ctx, _ :=", "ctx, cancel :=").replace("_ = ctx", "defer cancel()\n\t_ = ctx"))
        client.open(edited.as_uri(), edited.read_text())
        client.insert(edited.as_uri(), len("package main\n"), "\n")
        await published_for(client, leaky.as_uri(), lambda ds: len(ds) == 0, "the fixed file cleared")

        # Back to open files only: the workspace findings are withdrawn.
        leaky.write_text(LOST_CANCEL)
        client.set_configuration({"diagnostics": {"scope": "workspace"}, "disable": ["GL301"]}, section="golens")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await published_for(client, leaky.as_uri(), lambda ds: len(ds) == 1, "GL201 again after a settings change")
        client.set_configuration({"diagnostics": {"scope": "openFiles"}}, section="golens")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await published_for(client, leaky.as_uri(), lambda ds: len(ds) == 0, "workspace findings withdrawn")


async def test_open_files_scope_publishes_nothing_for_unopened_files(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/ws\n\ngo 1.22\n")
    (tmp_path / "leaky.go").write_text(LOST_CANCEL)
    async with session("vscode", tmp_path) as client:
        await asyncio.sleep(3)
        assert not [p for p in client.published if p.uri.endswith("leaky.go")]
