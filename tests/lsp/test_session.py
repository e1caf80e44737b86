"""Open / change / close, diagnostics, hover: the same session through every client snapshot."""

from lsprotocol import types

from conftest import CLIENTS, units

LOST_CANCEL = """package store

import (
	"context"
	"time"
)

func work() {
	s := "é😀"; ctx, _ := context.WithTimeout(context.Background(), time.Second)
	_ = ctx
	_ = s
}
"""

FLAGGED = 'ctx, _ := context.WithTimeout'


def flagged_range(client, uri, occurrence=0):
    """Range of the discarded cancel `_` in the n-th flagged assignment."""
    text = client.text(uri)
    index = -1
    for _ in range(occurrence + 1):
        index = text.index(FLAGGED, index + 1)
    start = index + len("ctx, ")
    return types.Range(start=client.position(uri, start), end=client.position(uri, start + 1))


async def test_negotiated_encoding_and_diagnostics_model(client):
    _, encoding, model = CLIENTS[client.client_name]
    assert client.encoding == encoding
    assert client.pull == (model == "pull")


async def test_diagnostic_at_exact_range_after_non_ascii(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, LOST_CANCEL)
    [diag] = await client.get_diagnostics(uri)

    line = '\ts := "é😀"; ctx, '
    expected_col = {"utf-8": 21, "utf-16": 18, "utf-32": 17}[client.encoding]
    assert units(line, client.encoding) == expected_col  # the oracle agrees with hand counting
    assert diag.range == types.Range(start=types.Position(line=8, character=expected_col),
                                     end=types.Position(line=8, character=expected_col + 1))
    assert diag.code == "GL201"
    assert diag.source == "golens"
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.code_description.href.startswith("file://")
    assert diag.code_description.href.endswith("GL201-lost-cancel.md")
    assert "discarded" in diag.message
    assert diag.data["rule"] == "GL201"
    assert diag.data["constructor"] == "WithTimeout"


async def test_push_diagnostics_carry_the_document_version(client, workspace):
    if client.pull:
        return
    uri = (workspace / "store.go").as_uri()
    client.open(uri, LOST_CANCEL)
    await client.get_diagnostics(uri)
    assert client.last_published(uri).version == 1
    assert not any(p.uri == uri and p.version is None and p.diagnostics for p in client.published)


async def test_insert_line_above_moves_the_diagnostic(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, LOST_CANCEL)
    [before] = await client.get_diagnostics(uri)
    client.insert(uri, client.text(uri).index("\ts :="), '\tnote := "ünïcödé 👍"\n\t_ = note\n')
    [after] = await client.get_diagnostics(uri)
    assert after.range.start.line == before.range.start.line + 2
    assert after.range == flagged_range(client, uri)


async def test_fixing_the_code_clears_the_diagnostic(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, LOST_CANCEL)
    assert len(await client.get_diagnostics(uri)) == 1
    client.replace(uri, "ctx, _ :=", "ctx, cancel :=")
    client.insert(uri, client.text(uri).index("\t_ = ctx"), "\tdefer cancel()\n")
    assert await client.get_diagnostics(uri) == []
    # ...and breaking it again, on a line with astral characters, brings it back at the right place.
    client.replace(uri, "ctx, cancel :=", "ctx, _ :=")
    [diag] = await client.get_diagnostics(uri)
    assert diag.range == flagged_range(client, uri)


async def test_several_changes_in_one_notification(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, LOST_CANCEL)
    await client.get_diagnostics(uri)
    # Two changes, the second addressed in the text the first one produced (LSP semantics).
    text = client.text(uri)
    first_at = text.index("func work")
    second_text = text[:first_at] + "// 😀 é\n" + text[first_at:]
    first = types.TextDocumentContentChangePartial(
        range=types.Range(start=client.position(uri, first_at), end=client.position(uri, first_at)), text="// 😀 é\n")
    client.texts[uri][client.versions[uri] + 1] = second_text
    client.versions[uri] += 1
    index = second_text.index("ctx, _") + len("ctx, ")
    start = client.position(uri, index)
    second = types.TextDocumentContentChangePartial(
        range=types.Range(start=start, end=types.Position(line=start.line, character=start.character + 1)), text="cancel")
    client.versions[uri] -= 1
    final = second_text[:index] + "cancel" + second_text[index + 1:]
    client.send_changes(uri, [first, second], final)
    diags = await client.get_diagnostics(uri)
    # `cancel` is now named but never called: still GL201, at the new name on the shifted line.
    [diag] = diags
    start_index = final.index("ctx, cancel") + len("ctx, ")
    assert diag.range.start == client.position(uri, start_index)
    assert diag.range.end == client.position(uri, start_index + len("cancel"))


async def test_hover_explains_the_finding(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, LOST_CANCEL)
    [diag] = await client.get_diagnostics(uri)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=diag.range.start))
    assert hover is not None
    value = hover.contents.value
    assert "GL201" in value
    assert "The cancel function of a derived context is lost" in value
    # Not the finding's own message (the editor shows it next to the hover), nor the whole page:
    # the short fix and a link to the rest.
    assert diag.message not in value and "Why is this bad?" not in value
    assert "**Fix:** Name the discarded result `cancel`" in value and "defer cancel()" in value
    assert "GL201 documentation](file://" in value
    assert hover.range == diag.range
    assert hover.contents.kind == types.MarkupKind.Markdown


async def test_explain_rule_command_gives_the_rendered_page(vscode):
    page = await vscode.workspace_execute_command_async(types.ExecuteCommandParams(
        command="golens.explainRule", arguments=["lost-cancel"]))
    assert page.startswith("# GL201 `lost-cancel`: The cancel function of a derived context is lost\n")
    assert "## Why is this bad?" in page and "## Fix" in page
    unknown = await vscode.workspace_execute_command_async(types.ExecuteCommandParams(
        command="golens.explainRule", arguments=["GL999"]))
    assert "unknown rule 'GL999'" in unknown["error"]


async def test_hover_elsewhere_is_empty(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, LOST_CANCEL)
    [diag] = await client.get_diagnostics(uri)
    after = types.Position(line=diag.range.end.line, character=diag.range.end.character + 1)
    for position in (types.Position(line=0, character=0), after):
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position))
        assert hover is None


async def test_close_clears_pushed_diagnostics(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, LOST_CANCEL)
    assert len(await client.get_diagnostics(uri)) == 1
    client.close(uri)
    if client.pull:
        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert len(report.items) == 0
    else:
        await client.wait_for(lambda: len(client.last_published(uri).diagnostics) == 0, "cleared diagnostics")
