"""Code actions through every client snapshot: offered at the finding, applied by the client,
and the diagnostic gone afterwards; fix-all with context.only and resolve; stale requests."""

from lsprotocol import types

from conftest import units

SOURCE = """package store

import (
	"context"
	"time"
)

func work() error {
	s := "é😀"; ctx, _ := context.WithTimeout(context.Background(), time.Second)
	_ = s
	return ctx.Err()
}

func other() error {
	ctx, _ := context.WithCancel(context.Background())
	return ctx.Err()
}
"""


def index_of(text: str, position: types.Position, encoding: str) -> int:
    lines = text.split("\n")
    base = sum(len(line) + 1 for line in lines[:position.line])
    line = lines[position.line]
    column = 0
    while column < len(line) and units(line[:column + 1], encoding) <= position.character:
        column += 1
    return base + column


def edits_of(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    if edit.document_changes:
        [change] = edit.document_changes
        assert change.text_document.uri == uri
        return list(change.edits)
    return list(edit.changes[uri])


def apply(client, uri: str, edit: types.WorkspaceEdit) -> str:
    """Apply a workspace edit the way an editor does, then tell the server (incremental)."""
    text = client.text(uri)
    edits = edits_of(edit, uri)
    changes = []
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = index_of(text, e.range.start, client.encoding)
        end = index_of(text, e.range.end, client.encoding)
        text = text[:start] + e.new_text + text[end:]
        changes.append(types.TextDocumentContentChangePartial(range=e.range, text=e.new_text))
    client.send_changes(uri, changes, text)
    return text


def cursor_range(client, uri: str, needle: str) -> types.Range:
    pos = client.range_of(uri, needle).start
    return types.Range(start=pos, end=pos)


async def test_quick_fix_applies_and_clears_the_diagnostic(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, SOURCE)
    diagnostics = await client.get_diagnostics(uri)
    assert len(diagnostics) == 2
    first = diagnostics[0]
    # Neovim 0.7 echoes diagnostics with byte columns; the server must not care.
    echoed = first
    if client.client_name == "nvim-0.7":
        line = '\ts := "é😀"; ctx, '
        byte_col = len(line.encode())
        echoed = types.Diagnostic(range=types.Range(start=types.Position(line=8, character=byte_col),
                                                    end=types.Position(line=8, character=byte_col + 1)),
                                  message=first.message, code=first.code, source=first.source, data=first.data)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=cursor_range(client, uri, "_ := context.WithTimeout"),
        context=types.CodeActionContext(diagnostics=[echoed]),
    ))
    titles = [a.title for a in actions]
    assert titles[:2] == ["Call cancel when the function returns (defer cancel())", "Suppress GL201 on this line"]
    fix = actions[0]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.diagnostics[0].range == first.range
    text = apply(client, uri, fix.edit)
    assert 's := "é😀"; ctx, cancel := context.WithTimeout(context.Background(), time.Second)\n\tdefer cancel()\n' in text
    remaining = await client.get_diagnostics(uri)
    assert [d.range.start.line for d in remaining] == [15]  # only other()'s finding, one line lower


async def test_suppress_action(vscode, workspace):
    client = vscode
    uri = (workspace / "store.go").as_uri()
    client.open(uri, SOURCE)
    await client.get_diagnostics(uri)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=cursor_range(client, uri, "_ := context.WithCancel"),
        context=types.CodeActionContext(diagnostics=[]),
    ))
    suppress = next(a for a in actions if a.title.startswith("Suppress"))
    assert not suppress.is_preferred
    text = apply(client, uri, suppress.edit)
    assert "\t//golens:ignore GL201\n\tctx, _ := context.WithCancel" in text
    assert len(await client.get_diagnostics(uri)) == 1


async def test_only_filters_kinds(vscode, workspace):
    client = vscode
    uri = (workspace / "store.go").as_uri()
    client.open(uri, SOURCE)
    await client.get_diagnostics(uri)
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=20, character=0))
    only_fix_all = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))
    assert [a.kind for a in only_fix_all] == ["source.fixAll.golens"]
    only_quickfix = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.QuickFix])))
    assert only_quickfix and {a.kind for a in only_quickfix} == {types.CodeActionKind.QuickFix}
    refactor = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.Refactor])))
    assert list(refactor) == []


async def test_fix_all_resolves_to_one_edit_fixing_everything(client, workspace):
    uri = (workspace / "store.go").as_uri()
    client.open(uri, SOURCE)
    await client.get_diagnostics(uri)
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    [action] = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
        context=types.CodeActionContext(diagnostics=[], only=["source.fixAll.golens"])))
    if action.edit is None:  # the client advertised resolve support for edits
        action = await client.code_action_resolve_async(action)
    assert len(edits_of(action.edit, uri)) == 1
    text = apply(client, uri, action.edit)
    assert text.count("defer cancel()") == 2
    assert list(await client.get_diagnostics(uri)) == []


async def test_resolve_for_an_old_version_gives_no_edit(vscode, workspace):
    client = vscode
    uri = (workspace / "store.go").as_uri()
    client.open(uri, SOURCE)
    await client.get_diagnostics(uri)
    stale = types.CodeAction(title="Fix all", kind="source.fixAll.golens",
                             data={"uri": uri, "version": 0})
    resolved = await client.code_action_resolve_async(stale)
    assert resolved.edit is None


async def test_unknown_document_gets_no_actions(vscode, workspace):
    actions = await vscode.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=(workspace / "nope.go").as_uri()),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=[])))
    assert list(actions) == []
