"""Hostile repository contents against the server: links into the LSP stream itself and Python
files that the trace parser's child process must never import."""

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from conftest import session
from golens.childproc import NEUTRAL_DIRECTORY, PythonChild
from testsupport import REPO

SOURCE = "package p\n\nfunc f() int { return 1 }\n"


async def test_links_to_stdin_do_not_steal_the_lsp_stream(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/ws\n\ngo 1.22\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/go.mod").symlink_to("/dev/stdin")
    (tmp_path / "trace.out").symlink_to("/dev/stdin")
    (tmp_path / "pkg/a.go").write_text(SOURCE)
    async with session("vscode", tmp_path, settings={"trace": {"autoLoad": True}}) as client:
        uri = (tmp_path / "pkg/a.go").as_uri()
        client.open(uri, SOURCE)
        assert await client.get_diagnostics(uri) == []
        # Every later request is still answered, in order: no message lost its first bytes.
        for _ in range(5):
            hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=2, character=5))), 10)
            assert hover is None or isinstance(hover, types.Hover)
            client.replace(uri, "return 1", "return 2")
            client.replace(uri, "return 2", "return 1")
            await client.get_diagnostics(uri)


@pytest.mark.slow  # a parse in a child process
def test_trace_child_imports_nothing_from_the_working_directory(tmp_path, monkeypatch):
    marker = tmp_path / "IMPORTED"
    for module in ("multiprocessing", "pickle", "json", "struct", "golens"):
        (tmp_path / f"{module}.py").write_text(f"open({str(marker)!r}, 'a').write('{module}\\n')\n")
    trace = tmp_path / "trace.out"
    shutil.copy(REPO / "traces/handler_leak/go1.27.trace", trace)
    monkeypatch.chdir(tmp_path)  # as an editor starts the server: in the workspace
    monkeypatch.setenv("PYTHONPATH", "")
    child = PythonChild("golens.lsp.trace_child", [str(trace), str(tmp_path), json.dumps({}), "-1.0"])  # no partial evidence
    message = child.connection.recv()
    while message[0] in ("progress", "partial"):  # the child reports its progress before the result
        message = child.connection.recv()
    child.join(30)
    assert message[0] == "ok", message[1:]
    assert not marker.exists(), marker.read_text()
    assert Path(NEUTRAL_DIRECTORY) != tmp_path


LEAKY = (
    "package p\n\nimport (\n\t\"context\"\n\t\"time\"\n)\n\n"
    "func f() error {\n\tctx, _ := context.WithTimeout(context.Background(), time.Second)\n\treturn ctx.Err()\n}\n"
)


async def test_a_wrongly_typed_golens_toml_is_shown_and_the_file_still_checked(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/ws\n\ngo 1.22\n")
    (tmp_path / "golens.toml").write_text('severity = "error"\ndisable = ["GL601"]\n')
    (tmp_path / "a.go").write_text(LEAKY)
    async with session("vscode", tmp_path) as client:
        uri = (tmp_path / "a.go").as_uri()
        client.open(uri, LEAKY)
        diagnostics = await client.get_diagnostics(uri)
        assert [(d.range.start.line, d.code) for d in diagnostics] == [(8, "GL201")]
        shown = [m.message for m in client.messages]
        assert len(shown) == 1 and "golens.toml: severity: expected a table" in shown[0], shown
        # Later edits of the document are applied and checked as usual.
        client.replace(uri, "ctx, _ :=", "ctx, cancel :=")
        client.replace(uri, "return ctx.Err()", "defer cancel()\n\treturn ctx.Err()")
        await client.wait_for(lambda: client.last_published(uri) is not None
                              and client.last_published(uri).version == client.versions[uri], "diagnostics")
        assert list(client.last_published(uri).diagnostics) == []
