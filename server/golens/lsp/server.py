"""The golens language server: pygls wiring, per-server state and diagnostic scheduling.

Features live in their own modules, each with `register(ls)`; adding one (code actions, inlay
hints) is a new module plus one entry in FEATURES.
"""

import asyncio
import faulthandler
import importlib
import logging
import sys

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from golens import __version__
from golens.engine import CheckResult, Engine
from golens.lsp import diagnostics
from golens.lsp.config import ConfigManager
from golens.lsp.documents import DocumentStore, OpenDocument
from golens.lsp.positions import normalize_encoding

log = logging.getLogger(__name__)

FEATURES = (
    "golens.lsp.lifecycle",
    "golens.lsp.sync",
    "golens.lsp.hover",
    "golens.lsp.code_actions",
    "golens.lsp.trace_features",
    "golens.lsp.workspace_diagnostics",
)

# How long diagnostics wait for the client's first workspace/configuration answer, so that a
# rule disabled in the editor does not flash on the first open; a client that never answers
# still gets diagnostics.
SETTINGS_WAIT_SECONDS = 2.0

GO_LANGUAGE_IDS = frozenset({"go"})


class GolensProtocol(LanguageServerProtocol):
    """pygls's protocol, except that a failure to update pygls's own copy of a document (an
    unknown URI, a range its line splitting disagrees with) no longer keeps our handler from
    running: our documents are the ones that matter, and they must see every edit."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        try:
            for change in params.content_changes:
                self.workspace.update_text_document(params.text_document, change)
        except Exception as exc:
            log.debug("pygls could not apply a change to %s: %r", params.text_document.uri, exc)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        try:
            self.workspace.remove_text_document(params.text_document.uri)
        except Exception as exc:
            log.debug("pygls did not know %s: %r", params.text_document.uri, exc)
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class GolensServer(LanguageServer):
    def __init__(self, engine: Engine | None = None):
        super().__init__("golens", __version__, protocol_cls=GolensProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.engine = engine or Engine()
        self.documents = DocumentStore()
        self.settings = ConfigManager(self.engine.registry, self.log_warning, self.show_warning)
        self.pull_mode = False
        self.settings_loaded = asyncio.Event()
        self._pending: dict[str, asyncio.Task] = {}
        self._reported_failures: set[tuple[str, str]] = set()

    # -- client log ------------------------------------------------------------------------------

    def _log(self, kind: types.MessageType, message: str) -> None:
        log.log({types.MessageType.Error: logging.ERROR, types.MessageType.Warning: logging.WARNING}
                .get(kind, logging.INFO), "%s", message)
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:
            log.exception("could not send a log message to the client")

    def log_info(self, message: str) -> None:
        self._log(types.MessageType.Info, f"golens: {message}")

    def log_warning(self, message: str) -> None:
        self._log(types.MessageType.Warning, f"golens: {message}")

    def show_warning(self, message: str) -> None:
        """A problem the user has to fix (a bad golens.toml): in the editor's face, and in the log."""
        self.log_warning(message)
        try:
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=f"golens: {message}"))
        except Exception:
            log.exception("could not send a message to the client")

    def report_handler_error(self, handler: str, details: str) -> None:
        self._log(types.MessageType.Error, f"golens: {handler} failed (reported, not fatal):\n{details}")

    def report_server_error(self, error: Exception, source) -> None:
        # pygls would pop up a window/showMessage for protocol-level problems (a malformed
        # message, a notification we cannot parse); the log is the right place for those.
        self._log(types.MessageType.Error, f"golens: {getattr(source, '__name__', source)}: {error}")

    # -- state -----------------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        return normalize_encoding(self.workspace.position_encoding)

    async def wait_for_settings(self) -> None:
        if self.settings_loaded.is_set():
            return
        try:
            await asyncio.wait_for(self.settings_loaded.wait(), SETTINGS_WAIT_SECONDS)
        except TimeoutError:
            self.settings_loaded.set()

    def check(self, opened: OpenDocument) -> CheckResult:
        """The findings for the document's current text under the current settings (cached)."""
        key = (opened.token, self.settings.generation)
        if opened.result_key == key and opened.result is not None:
            return opened.result
        if opened.language_id not in GO_LANGUAGE_IDS and not opened.uri.endswith(".go"):
            result = CheckResult([], skipped=f"not a Go file (languageId {opened.language_id!r})")
        else:
            config = self.settings.config_for(opened.path)
            if config.max_file_bytes != opened.doc.max_bytes:
                self.documents.rebuild(opened, config.max_file_bytes)
            result = self.engine.check(opened.doc, opened.cache, config)
            trace = getattr(self, "trace", None)
            if trace is not None:
                # Trace evidence folded into the static findings (golens.lsp.trace_state).
                result = trace.merge(opened, result)
        opened.result = result
        opened.result_key = (opened.token, self.settings.generation)
        self._report_result(opened, result)
        return result

    def _report_result(self, opened: OpenDocument, result: CheckResult) -> None:
        if result.skipped != opened.logged_skip:
            opened.logged_skip = result.skipped
            if result.skipped is not None:
                self.log_info(f"not checking {opened.uri}: {result.skipped}")
        for failure in result.failures:
            signature = (failure.rule, failure.error)
            if signature not in self._reported_failures:
                self._reported_failures.add(signature)
                self.log_warning(f"{failure.rule} crashed on {opened.uri} at byte {failure.offset} "
                                 f"and was skipped there: {failure.error}")

    # -- diagnostics scheduling ------------------------------------------------------------------

    def schedule_diagnostics(self, uri: str) -> None:
        """Publish diagnostics for `uri` soon, coalescing bursts of edits into one check.

        A task that has not run yet will check whatever text is current when it runs, so with no
        debounce a new edit needs no new task; with a debounce, every edit restarts the wait.
        """
        if self.pull_mode:
            return
        task = self._pending.get(uri)
        if task is not None and not task.done():
            if self.settings.debounce_ms == 0:
                return
            task.cancel()
        self._pending[uri] = asyncio.ensure_future(self._publish_later(uri))

    async def _publish_later(self, uri: str) -> None:
        await asyncio.sleep(self.settings.debounce_ms / 1000)
        await self.wait_for_settings()
        if self._pending.get(uri) is asyncio.current_task():
            del self._pending[uri]
        try:
            diagnostics.publish(self, uri)
        except Exception:
            import traceback

            self.report_handler_error("publishing diagnostics", traceback.format_exc())

    def cancel_diagnostics(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()

    def recheck_all(self) -> None:
        """Settings changed: every open document's findings may differ."""
        if self.pull_mode:
            workspace_caps = self.client_capabilities.workspace
            if workspace_caps and workspace_caps.diagnostics and workspace_caps.diagnostics.refresh_support:
                self.workspace_diagnostic_refresh(None)
            return
        for opened in self.documents.all():
            self.schedule_diagnostics(opened.uri)


def create_server(engine: Engine | None = None) -> GolensServer:
    server = GolensServer(engine)
    for name in FEATURES:
        importlib.import_module(name).register(server)
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve LSP over stdio until the client says exit."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="golens %(levelname)s %(name)s: %(message)s")
    # Editors cancel requests that were already answered all the time (a hover the mouse left);
    # pygls warns about each, which filled half of VS Code's output channel.
    logging.getLogger("pygls.protocol.json_rpc").addFilter(
        lambda record: not record.getMessage().startswith("Cancel notification for unknown message id"))
    # A crash in a native extension (tree-sitter) would otherwise end the server without a word;
    # the editor shows the server's stderr, so leave the Python stack there.
    faulthandler.enable(sys.stderr)
    create_server().start_io()
    return 0
