"""Text synchronisation: didOpen / didChange / didClose keep our documents and schedule checks."""

from typing import TYPE_CHECKING

from lsprotocol import types

from golens.lsp import diagnostics, package_files
from golens.lsp.documents import uri_to_path
from golens.lsp.guard import guarded

if TYPE_CHECKING:
    from golens.lsp.server import GolensServer


def register(ls: "GolensServer") -> None:
    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded()
    def did_open(ls: "GolensServer", params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        config = ls.settings.config_for(uri_to_path(item.uri))
        ls.documents.open(item, max_bytes=config.max_file_bytes)
        ls.schedule_diagnostics(item.uri)
        ls.workspace_diagnostics.opened(item.uri)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded()
    def did_change(ls: "GolensServer", params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri not in ls.documents:
            ls.log_warning(f"didChange for {uri}, which is not open; ignored")
            return
        try:
            ls.documents.change(uri, params.text_document.version, params.content_changes, ls.encoding)
        finally:
            ls.schedule_diagnostics(uri)
            ls.workspace_diagnostics.edited()

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded()
    def did_close(ls: "GolensServer", params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.cancel_diagnostics(uri)
        closed = ls.documents.close(uri)
        if closed is not None and closed.doc.path is not None:
            ls.packages.close(closed.doc.path)
            package_files.closed(ls, closed.doc.path)
        if not ls.pull_mode:
            diagnostics.clear(ls, uri)
        ls.workspace_diagnostics.closed(uri)
