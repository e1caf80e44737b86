"""Checks run off the event loop: while a pathological file is being checked, other requests are
answered; a snapshot being checked is not changed by later edits; a rule's RecursionError does
not flood the log (its traceback once filled the stderr pipe and stopped the server)."""

import asyncio
import sys
from pathlib import Path

from lsprotocol import types
from test_bad_input import LOST_CANCEL

from conftest import session
from golens.document import Document, TextEdit

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
from lsp_soak import PATHOLOGICAL  # noqa: E402


async def test_other_requests_are_answered_while_a_slow_file_is_checked(workspace):
    small = workspace / "small.go"
    small.write_text(LOST_CANCEL)
    big = workspace / "big.go"
    big.write_text(PATHOLOGICAL["nested go func"](1500))
    async with session("vscode", workspace) as client:
        client.open(small.as_uri(), LOST_CANCEL)
        await client.get_diagnostics(small.as_uri())
        client.open(big.as_uri(), big.read_text())
        hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=small.as_uri()),
            position=types.Position(line=8, character=2))), 30)
        assert hover is None or isinstance(hover, types.Hover)
        # The answer came while the big file's check was still running.
        assert client.last_published(big.as_uri()) is None
        await client.get_diagnostics(big.as_uri())


async def test_two_thousand_nested_blocks_under_a_lock_keep_every_finding(workspace):
    big = workspace / "big.go"
    text = PATHOLOGICAL["nested blocks under a lock"](2000)
    async with session("vscode", workspace) as client:
        client.open(big.as_uri(), text)
        diagnostics = await asyncio.wait_for(client.get_diagnostics(big.as_uri()), 60)
        # GL405/GL408 were lost to a RecursionError in the held-lock walk.
        assert {"GL201", "GL405", "GL408"} <= {d.code for d in diagnostics}
        assert "crashed on" not in client.log_text()


async def test_a_file_past_its_budget_is_stopped_with_one_message_while_others_answer(workspace):
    small = workspace / "small.go"
    small.write_text(LOST_CANCEL)
    big = workspace / "big.go"
    big.write_text(PATHOLOGICAL["many functions"](4000))
    async with session("vscode", workspace) as client:
        client.open(small.as_uri(), LOST_CANCEL)
        assert "GL201" in {d.code for d in await client.get_diagnostics(small.as_uri())}
        client.set_configuration({"diagnostics": {"checkBudgetMs": 100}}, section="golens")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.get_diagnostics(small.as_uri())  # the re-check under the new settings
        client.open(big.as_uri(), big.read_text())
        hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=small.as_uri()),
            position=client.position(small.as_uri(), LOST_CANCEL.index("ctx, _") + len("ctx, ")))), 30)
        assert hover is not None and "GL201" in hover.contents.value
        client.replace(small.as_uri(), "_ = s", "_ = s // edited")
        assert "GL201" in {d.code for d in await client.get_diagnostics(small.as_uri())}
        assert await client.get_diagnostics(big.as_uri()) == []
        shown = [m.message for m in client.messages if "checkBudgetMs" in m.message]
        assert len(shown) == 1 and "big.go" in shown[0] and "stopped" in shown[0]
        assert "small.go" not in " ".join(m.message for m in client.messages)


def test_snapshot_keeps_its_text_and_tree_through_later_edits():
    doc = Document("package p\n\nfunc f() {}\n")
    snapshot = doc.snapshot()
    tree_text = snapshot.tree.root_node.text
    doc.apply_edits([TextEdit(0, 0, b"// c\n")])
    doc.apply_edits([TextEdit(len(doc.source), len(doc.source), b"func g() {}\n")])
    assert snapshot.source == b"package p\n\nfunc f() {}\n"
    assert snapshot.tree.root_node.text == tree_text and snapshot.tree.root_node.end_byte == len(snapshot.source)
    assert doc.source.startswith(b"// c\n")


async def test_the_workspace_scan_stops_a_file_past_its_budget_and_keeps_answering(workspace):
    (workspace / "small.go").write_text(LOST_CANCEL)
    big = workspace / "big.go"
    big.write_text(PATHOLOGICAL["many functions"](4000))
    settings = {"diagnostics": {"scope": "workspace", "checkBudgetMs": 100}}
    async with session("vscode", workspace, settings=settings) as client:
        # The scan checks small.go (published) and stops at big.go (logged, nothing published)
        # on the checker thread; the event loop answers meanwhile.
        await client.wait_for(lambda: "workspace's findings" in client.log_text(), "big.go stopped", timeout=60)
        assert "big.go" in client.log_text()
        small = (workspace / "small.go").resolve().as_uri()
        await client.wait_for(lambda: client.last_published(small) is not None, "small.go's findings")
        assert client.last_published(big.resolve().as_uri()) is None
        hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=big.as_uri()),
            position=types.Position(line=0, character=0))), 10)
        assert hover is None  # not open: nothing to say, but an answer
