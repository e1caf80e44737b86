"""Open documents: our own bytes, tree and check cache per URI, kept in step with the client.

This is the only text model of an open document: pygls keeps none (golens.lsp.server's
protocol), because its copy split lines with `str.splitlines` (form feeds, U+2028), rounded
positions inside surrogate pairs differently, and rewrote change ranges in place. Positions
follow the LSP rules exactly (golens.lsp.positions, Document.editor_lines).
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.uris import to_fs_path

from golens.document import Document, LineIndex, TextEdit, find_module_go_version
from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.engine import CheckResult, UnitCache
from golens.lsp.positions import PositionMapper, offset_in

# Every content state of every document gets a fresh token, so "same token" means "same text".
_tokens = itertools.count(1)


@dataclass
class OpenDocument:
    uri: str
    doc: Document
    language_id: str = "go"
    cache: UnitCache = field(default_factory=UnitCache)
    token: int = field(default_factory=lambda: next(_tokens))
    # The last check, with the (token, config generation) it was computed for.
    result: CheckResult | None = None
    result_key: tuple | None = None
    # The skip reason last reported to the client, so a skipped file is logged once, not per edit.
    logged_skip: str | None = None
    # The last publication's diagnostics as JSON, keyed by what they were computed from.
    published_json: dict = field(default_factory=dict)
    # The current diagnostics as JSON, with an id that changes only when they do (pull result
    # ids), and the (version, id) last pushed (golens.lsp.diagnostics).
    diagnostics_json: list | None = None
    diagnostics_id: str = ""
    pushed: tuple[int, str] | None = None

    @property
    def path(self) -> str | None:
        return self.doc.path

    @property
    def version(self) -> int:
        return self.doc.version

    def mapper(self, encoding: str) -> PositionMapper:
        return PositionMapper(self.doc, encoding)

    def touch(self) -> None:
        self.token = next(_tokens)
        self.result = None
        self.result_key = None


def uri_to_path(uri: str) -> str | None:
    try:
        return to_fs_path(uri) if uri.startswith("file:") else None
    except Exception:
        return None


def edits_for_changes(
    doc: Document, changes: Sequence[types.TextDocumentContentChangeEvent], encoding: str
) -> list[TextEdit]:
    """Byte edits for a run of incremental changes, each against the text the previous left.

    Only the first change can use the document's line index; later ones need the intermediate
    text, which is built here without reparsing (the Document reparses once for the whole run).
    """
    edits: list[TextEdit] = []
    source = doc.source
    lines = doc.editor_lines
    for n, change in enumerate(changes):
        if n > 0:
            lines = LineIndex.for_editor(source)
        start = offset_in(source, lines, change.range.start, encoding)
        end = max(start, offset_in(source, lines, change.range.end, encoding))
        new_text = change.text.encode("utf-8", "surrogatepass")
        edits.append(TextEdit(start, end, new_text))
        if n + 1 < len(changes):
            source = source[:start] + new_text + source[end:]
    return edits


class DocumentStore:
    def __init__(self):
        self._docs: dict[str, OpenDocument] = {}

    def __contains__(self, uri: str) -> bool:
        return uri in self._docs

    def get(self, uri: str) -> OpenDocument | None:
        return self._docs.get(uri)

    def all(self) -> Iterable[OpenDocument]:
        return list(self._docs.values())

    def open(self, item: types.TextDocumentItem, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> OpenDocument:
        path = uri_to_path(item.uri)
        doc = Document(
            item.text,
            path,
            module_go_version=find_module_go_version(path) if path else None,
            version=item.version,
            max_bytes=max_bytes,
        )
        opened = OpenDocument(item.uri, doc, item.language_id)
        self._docs[item.uri] = opened
        return opened

    def change(
        self, uri: str, version: int, changes: Sequence[types.TextDocumentContentChangeEvent], encoding: str
    ) -> OpenDocument | None:
        opened = self._docs.get(uri)
        if opened is None:
            return None
        pending: list[types.TextDocumentContentChangePartial] = []

        def flush() -> None:
            if pending:
                opened.doc.apply_edits(edits_for_changes(opened.doc, pending, encoding), version=version)
                pending.clear()

        for change in changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                pending.append(change)
            else:
                flush()
                opened.doc.replace_text(change.text, version=version)
        flush()
        opened.doc.version = version
        opened.touch()
        return opened

    def rebuild(self, opened: OpenDocument, max_bytes: int) -> None:
        """Re-create a document under a new size limit (the skip decision depends on it)."""
        doc = opened.doc
        opened.doc = Document(doc.source, doc.path, module_go_version=doc.module_go_version,
                              version=doc.version, max_bytes=max_bytes)
        opened.cache = UnitCache()
        opened.touch()

    def close(self, uri: str) -> OpenDocument | None:
        return self._docs.pop(uri, None)

