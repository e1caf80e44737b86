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


async def test_recursion_in_a_rule_is_reported_in_one_line(workspace):
    big = workspace / "big.go"
    text = PATHOLOGICAL["nested blocks under a lock"](1000)
    async with session("vscode", workspace) as client:
        client.open(big.as_uri(), text)
        diagnostics = await asyncio.wait_for(client.get_diagnostics(big.as_uri()), 60)
        assert "GL201" in {d.code for d in diagnostics}  # the other rules' findings are kept
        crashed = [line for line in client.log_text().splitlines() if "crashed on" in line]
        assert crashed and all("RecursionError" in line for line in crashed)


def test_snapshot_keeps_its_text_and_tree_through_later_edits():
    doc = Document("package p\n\nfunc f() {}\n")
    snapshot = doc.snapshot()
    tree_text = snapshot.tree.root_node.text
    doc.apply_edits([TextEdit(0, 0, b"// c\n")])
    doc.apply_edits([TextEdit(len(doc.source), len(doc.source), b"func g() {}\n")])
    assert snapshot.source == b"package p\n\nfunc f() {}\n"
    assert snapshot.tree.root_node.text == tree_text and snapshot.tree.root_node.end_byte == len(snapshot.source)
    assert doc.source.startswith(b"// c\n")
