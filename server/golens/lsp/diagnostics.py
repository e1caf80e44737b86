"""Findings -> LSP diagnostics, pushed (publishDiagnostics) or pulled (textDocument/diagnostic).

A client that can pull gets only pull: answering both ways makes VS Code show every finding
twice. Which mode is used is decided once, from the client's capabilities at initialize.

Only what changed is sent where the protocol allows it: a document checked again at the same
version (its package changed, a setting, a trace) is not pushed again when its diagnostics are
the same, and a pull is answered `unchanged` when they are the same as under the result id the
client holds. A new version is always pushed: a pushed list is tagged with the version it was
computed for, and clients may drop lists of other versions.
"""

import asyncio
import functools
import inspect
import itertools
import json
import os
import time
from typing import NamedTuple

from lsprotocol import types

from golens.findings import Finding
from golens.lsp.documents import OpenDocument
from golens.lsp.guard import guarded
from golens.lsp.positions import PositionMapper
from golens.registry import Registry

SOURCE = "golens"


def client_can_pull(capabilities: types.ClientCapabilities | None) -> bool:
    """Pull only with clients we can ask to pull again: findings also change without an edit
    (a trace loaded or cleared, settings, golens.toml), and a client without
    `workspace/diagnostic/refresh` (Neovim 0.11 pulls only after its own edits) would keep
    showing the old ones. Such clients get push, which they all support."""
    text_document = capabilities and capabilities.text_document
    workspace = capabilities and capabilities.workspace
    refresh = bool(workspace and workspace.diagnostics and workspace.diagnostics.refresh_support)
    return bool(text_document and text_document.diagnostic is not None and refresh)


@functools.cache
def _code_description(registry: Registry, rule_id: str) -> types.CodeDescription | None:
    # Rule.doc_uri resolves the path on disk (an lstat per path component); per diagnostic per
    # edit that was the largest cost of publishing.
    rule = registry.get(rule_id)
    return types.CodeDescription(href=rule.doc_uri) if rule is not None else None


def to_diagnostic(finding: Finding, mapper: PositionMapper, registry: Registry, uri: str) -> types.Diagnostic:
    related = []
    for item in finding.related:
        if item.path is not None:
            # Trace evidence can point into another file: convert with that file's own text.
            location = other_file_location(item, mapper.encoding)
            if location is not None:
                related.append(types.DiagnosticRelatedInformation(location=location, message=item.message))
            continue
        related.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=mapper.range(item.start, item.end)),
            message=item.message,
        ))
    return types.Diagnostic(
        range=mapper.range(finding.start, finding.end),
        message=finding.message,
        severity=types.DiagnosticSeverity(int(finding.severity)),
        code=finding.rule,
        code_description=_code_description(registry, finding.rule),
        source=(finding.data or {}).get("source", SOURCE),
        related_information=related or None,
        data={"rule": finding.rule, **(finding.data or {})},
    )


def other_file_location(item, encoding: str) -> types.Location | None:
    from pathlib import Path

    from golens.document import Document
    from golens.document.document import DEFAULT_MAX_FILE_BYTES
    from golens.safeio import read_regular

    try:
        doc = Document(read_regular(item.path, DEFAULT_MAX_FILE_BYTES), item.path)
    except OSError:
        return None
    other = PositionMapper(doc, encoding)
    return types.Location(uri=Path(item.path).as_uri(), range=other.range(item.start, item.end))


def diagnostics_for(ls, opened: OpenDocument) -> list[types.Diagnostic]:
    result = ls.check(opened)
    if result.skipped is not None:
        return []
    mapper = opened.mapper(ls.encoding)
    return [to_diagnostic(f, mapper, ls.engine.registry, opened.uri) for f in result.findings]


def _span_key(doc, offset: int, exact: bool) -> tuple:
    """What a client position depends on: line, byte column and, unless the encoding counts
    bytes, the line's text before the column."""
    line, column = doc.editor_lines.position(offset)
    if exact:
        return line, column
    start = doc.editor_lines.line_start(line)
    prefix = doc.source[start:start + column]
    return line, column, None if prefix.isascii() else prefix


class _Published(NamedTuple):
    item: dict  # the diagnostic, JSON-ready
    text: str  # and serialised


def _published_json(ls, opened: OpenDocument, findings: list[Finding]) -> list[_Published]:
    """JSON-ready diagnostics, reusing the previous publication's for findings whose text and
    position did not change: converting, unstructuring and serialising every diagnostic on every
    keystroke was most of the server's time per edit on large files."""
    doc = opened.doc
    exact = ls.encoding == "utf-8"
    previous = opened.published_json
    current: dict[tuple, _Published] = {}
    mapper = None
    items = []
    for finding in findings:
        key = (finding.rule, finding.message, int(finding.severity), repr(finding.data),
               _span_key(doc, finding.start, exact), _span_key(doc, finding.end, exact),
               tuple((_span_key(doc, r.start, exact), _span_key(doc, r.end, exact), r.message, r.path)
                     for r in finding.related))
        published = current.get(key) or previous.get(key)
        if published is None:
            mapper = mapper or opened.mapper(ls.encoding)
            item = ls.protocol._converter.unstructure(
                to_diagnostic(finding, mapper, ls.engine.registry, opened.uri), types.Diagnostic)
            published = _Published(item, json.dumps(item))
        current[key] = published
        items.append(published)
    opened.published_json = current
    return items


# Result ids are unique to this server process: a client may hold one from a server before it.
_RESULT_ID_PREFIX = f"{os.getpid()}.{time.monotonic_ns()}"
_result_ids = itertools.count(1)


def current_json(ls, opened: OpenDocument) -> list[_Published]:
    """The document's diagnostics as JSON, checked as it is now; `opened.diagnostics_id` changes
    when they differ from the previous call's."""
    result = ls.check(opened)
    items = _published_json(ls, opened, result.findings if result.skipped is None else [])
    previous = opened.diagnostics_json
    # Unchanged diagnostics are the very objects of the previous call (_published_json reuses
    # them), so the comparison is mostly identity.
    if previous is None or len(previous) != len(items) or any(
            a is not b and a.item != b.item for a, b in zip(previous, items, strict=True)):
        opened.diagnostics_id = f"{_RESULT_ID_PREFIX}.{next(_result_ids)}"
    opened.diagnostics_json = items
    return items


def publish(ls, uri: str) -> None:
    """Check the document as it is now and publish, tagged with the version that was checked.

    Runs on the event loop between messages, so no edit can land between the check and the
    publish: the version sent is always the one the diagnostics were computed for.
    """
    opened = ls.documents.get(uri)
    if opened is None:
        return
    items = current_json(ls, opened)
    pushed = (opened.version, opened.diagnostics_id)
    if opened.pushed == pushed:
        return  # the client has exactly these for this version
    opened.pushed = pushed
    protocol = ls.protocol
    writer = getattr(protocol, "writer", None)
    if writer is None or not getattr(protocol, "_include_headers", False):
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics_for(ls, opened), version=opened.version))
        return
    # The message is framed here, as pygls frames it, from the diagnostics' cached serialisations:
    # json-encoding 300 diagnostics again on every keystroke was the largest cost of an edit.
    body = "".join((
        '{"jsonrpc": "2.0", "method": "', types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, '", "params": {"uri": ',
        json.dumps(uri), ', "version": ', json.dumps(opened.version), ', "diagnostics": [',
        ", ".join(published.text for published in items), "]}}",
    )).encode(protocol.CHARSET)
    header = (f"Content-Length: {len(body)}\r\n"
              f"Content-Type: {protocol.CONTENT_TYPE}; charset={protocol.CHARSET}\r\n\r\n").encode(protocol.CHARSET)
    written = writer.write(header + body)
    if inspect.isawaitable(written):
        asyncio.ensure_future(written)


def clear(ls, uri: str) -> None:
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _empty_report() -> types.RelatedFullDocumentDiagnosticReport:
    return types.RelatedFullDocumentDiagnosticReport(items=[])


def register_pull(ls) -> None:
    """Called from initialize when the client can pull (registering decides the capability)."""

    @ls.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False),
    )
    @guarded(_empty_report)
    async def document_diagnostic(ls, params: types.DocumentDiagnosticParams):
        await ls.wait_for_settings()
        opened = ls.documents.get(params.text_document.uri)
        if opened is None:
            ls.log_warning(f"diagnostics requested for {params.text_document.uri}, which is not open")
            return _empty_report()
        await ls.current_result(opened)  # a stale document is checked on the checker thread
        current_json(ls, opened)
        result_id = opened.diagnostics_id
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=diagnostics_for(ls, opened), result_id=result_id)
