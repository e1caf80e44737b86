"""Code actions: a quick fix per finding that has one, a "suppress" action for every finding,
and `source.fixAll.golens` for every preferred fix in the file.

Fixes are recomputed from the request range and the current tree: the diagnostics a client
echoes back are never trusted for positions (Neovim 0.7 sends them in byte columns). Edits are
versioned when the client supports it, so an edit computed for an older text is refused by the
client instead of landing in the wrong place.
"""

import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from golens.document import TextEdit
from golens.findings import Finding
from golens.fixes import Fix, fix_all, fixes_for, suppress_fix
from golens.lsp.diagnostics import to_diagnostic
from golens.lsp.documents import OpenDocument
from golens.lsp.guard import guarded

if TYPE_CHECKING:
    from golens.lsp.server import GolensServer

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.golens"
KINDS = [types.CodeActionKind.QuickFix, FIX_ALL]


def _requested(only: Sequence[str] | None, kind: str) -> bool:
    """LSP kinds are hierarchical: asking for `source.fixAll` includes `source.fixAll.golens`."""
    if not only:
        return True
    return any(kind == str(k) or kind.startswith(f"{k}.") for k in only)


def _overlaps(finding: Finding, start: int, end: int) -> bool:
    return finding.start <= end and start <= finding.end


def _client_supports(ls: "GolensServer", *path: str) -> bool:
    node: Any = ls.client_capabilities
    for name in path:
        node = getattr(node, name, None) if node is not None else None
    return bool(node)


def _resolve_supports_edit(ls: "GolensServer") -> bool:
    text_document = ls.client_capabilities.text_document
    code_action = text_document and text_document.code_action
    support = code_action and code_action.resolve_support
    return bool(support and "edit" in (support.properties or []))


def workspace_edit(ls: "GolensServer", opened: OpenDocument, edits: Iterable[TextEdit]) -> types.WorkspaceEdit:
    mapper = opened.mapper(ls.encoding)
    text_edits = [types.TextEdit(range=mapper.range(e.start, e.end), new_text=e.new_text.decode("utf-8", "surrogatepass"))
                  for e in edits]
    if _client_supports(ls, "workspace", "workspace_edit", "document_changes"):
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=opened.uri, version=opened.version),
            edits=text_edits,
        )])
    return types.WorkspaceEdit(changes={opened.uri: text_edits})


async def _fix_all_edits(ls: "GolensServer", opened: OpenDocument) -> list[TextEdit] | None:
    """One edit spanning the changed region of the whole-file fix-all result (None when the text
    changed while it was computed)."""
    config = ls.settings.config_for(opened.path)
    snapshot, token = opened.doc.snapshot(), opened.token
    # Fix-all re-checks the file after each round of fixes: on the checker thread, like every
    # check, so that the event loop keeps answering.
    fixed = await asyncio.get_running_loop().run_in_executor(ls._checker, fix_all, snapshot, ls.engine, config)
    if opened.token != token:
        return None
    source = snapshot.source
    if fixed == source:
        return []
    prefix = 0
    limit = min(len(source), len(fixed))
    while prefix < limit and source[prefix] == fixed[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and source[-1 - suffix] == fixed[-1 - suffix]:
        suffix += 1
    end = len(source) - suffix
    # Never cut through a UTF-8 sequence: the client converts these offsets to its own units.
    while 0 < prefix < len(source) and (source[prefix] & 0xC0) == 0x80:
        prefix -= 1
    while end < len(source) and (source[end] & 0xC0) == 0x80:
        end += 1
    return [TextEdit(prefix, end, fixed[prefix:len(fixed) - (len(source) - end)])]


def _has_preferred_fix(opened: OpenDocument, findings: list[Finding]) -> bool:
    return any(fix.preferred for finding in findings for fix in fixes_for(opened.doc, finding))


def _action(ls: "GolensServer", opened: OpenDocument, finding: Finding, fix: Fix) -> types.CodeAction:
    mapper = opened.mapper(ls.encoding)
    return types.CodeAction(
        title=fix.title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[to_diagnostic(finding, mapper, ls.engine.registry, opened.uri)],
        is_preferred=fix.preferred or None,
        edit=workspace_edit(ls, opened, fix.edits),
    )


def register(ls: "GolensServer") -> None:
    @ls.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=KINDS, resolve_provider=True))
    @guarded(fallback=list)
    async def code_action(ls: "GolensServer", params: types.CodeActionParams) -> list[types.CodeAction]:
        opened = ls.documents.get(params.text_document.uri)
        if opened is None:
            return []
        only = params.context.only if params.context else None
        result = await ls.current_result(opened)
        actions: list[types.CodeAction] = []
        if _requested(only, types.CodeActionKind.QuickFix.value):
            mapper = opened.mapper(ls.encoding)
            start = mapper.offset(params.range.start)
            end = mapper.offset(params.range.end)
            suppress = []
            for finding in result.findings:
                if not _overlaps(finding, start, end):
                    continue
                for fix in fixes_for(opened.doc, finding):
                    actions.append(_action(ls, opened, finding, fix))
                suppress.append(_action(ls, opened, finding, suppress_fix(opened.doc, finding)))
            actions.extend(suppress)  # after the real fixes: they are the last resort
        if _requested(only, FIX_ALL) and _has_preferred_fix(opened, result.findings):
            action = types.CodeAction(title="Fix all golens findings with a safe fix",
                                      kind=FIX_ALL,
                                      data={"uri": opened.uri, "version": opened.version})
            if _resolve_supports_edit(ls):
                actions.append(action)
            else:
                edits = await _fix_all_edits(ls, opened)
                if edits:
                    action.edit = workspace_edit(ls, opened, edits)
                    actions.append(action)
        return actions

    @ls.feature(types.CODE_ACTION_RESOLVE)
    @guarded(fallback=lambda: None)
    async def resolve(ls: "GolensServer", action: types.CodeAction) -> types.CodeAction:
        data = action.data or {}
        opened = ls.documents.get(data.get("uri", ""))
        if opened is None or opened.version != data.get("version"):
            return action  # the text moved on: no edit rather than a misplaced one
        edits = await _fix_all_edits(ls, opened)
        if edits:
            action.edit = workspace_edit(ls, opened, edits)
        return action
