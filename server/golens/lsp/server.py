"""The golens language server: pygls wiring, per-server state and diagnostic scheduling.

Features live in their own modules, each with `register(ls)`; adding one (code actions, inlay
hints) is a new module plus one entry in FEATURES.
"""

import asyncio
import faulthandler
import functools
import importlib
import inspect
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cattrs import Converter
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from golens import __version__
from golens.config import Config
from golens.engine import CheckResult, CheckStopped, Engine
from golens.lsp import diagnostics, package_files
from golens.lsp.config import ConfigManager
from golens.lsp.documents import DocumentStore, OpenDocument
from golens.lsp.positions import normalize_encoding
from golens.package import PackageIndex
from golens.syntax.facts import Fact

if TYPE_CHECKING:
    from golens.lsp.profile_state import ProfileManager
    from golens.lsp.trace_state import TraceManager
    from golens.lsp.workspace_diagnostics import WorkspaceDiagnostics

log = logging.getLogger(__name__)

FEATURES = (
    "golens.lsp.lifecycle",
    "golens.lsp.sync",
    "golens.lsp.hover",
    "golens.lsp.code_actions",
    "golens.lsp.trace_features",
    "golens.lsp.profile_state",
    "golens.lsp.workspace_diagnostics",
)

# How long diagnostics wait for the client's first workspace/configuration answer, so that a
# rule disabled in the editor does not flash on the first open; a client that never answers
# still gets diagnostics.
SETTINGS_WAIT_SECONDS = 2.0

GO_LANGUAGE_IDS = frozenset({"go"})


@dataclass(frozen=True)
class MalformedRequest:
    """A request whose parameters do not have the protocol's types (hover with `null` params,
    `line: -1`): pygls would raise while decoding it and never answer; this is answered with
    InvalidParams instead."""

    id: int | str
    method: str
    reason: str


class GolensProtocol(LanguageServerProtocol):
    """pygls's protocol, held to the specification where pygls is lenient or leaks:

    - one text model per document: pygls's workspace keeps no copy of open documents (its copy
      diverged from ours, and its in-place rewriting of change ranges corrupted ours), and the
      open/change/close handlers are plain calls;
    - every request is answered: InvalidParams for wrong parameters, ServerNotInitialized before
      `initialize`, InvalidRequest for a second `initialize` and for requests after `shutdown`;
    - pygls 2.1 keeps the future of every async or generator *notification* handler in
      `_request_futures` forever (~2 KB per keystroke); finished ones are dropped here.
    """

    def __init__(self, server: LanguageServer, converter: Converter):
        super().__init__(server, converter)
        self.initialize_seen = False
        self._background: set[asyncio.Future[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- decoding and dispatch -------------------------------------------------------------------

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except (JsonRpcInvalidParams, JsonRpcInternalError) as exc:
            if "jsonrpc" in data and "id" in data and isinstance(data.get("method"), str):
                cause = exc.__cause__ if exc.__cause__ is not None else exc
                return MalformedRequest(data["id"], data["method"], _first_line(cause))
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, MalformedRequest):
            error = JsonRpcInvalidParams(message=f"invalid params for {message.method}: {message.reason}")
            self._send_response(message.id, error=error.to_response_error())
            return
        method = getattr(message, "method", None)
        is_request = method is not None and getattr(message, "id", None) is not None
        if is_request and method != types.EXIT:
            refusal: JsonRpcException | None = None
            if self._shutdown:
                refusal = JsonRpcInvalidRequest(message=f"{method}: the server is shutting down")
            elif method == types.INITIALIZE and self.initialize_seen:
                refusal = JsonRpcInvalidRequest(message="initialize: the server is already initialized")
            elif method != types.INITIALIZE and not self.initialize_seen:
                refusal = JsonRpcServerNotInitialized(message=f"{method}: the server is not initialized yet")
            if refusal is not None:
                self._send_response(message.id, error=refusal.to_response_error())
                return
            if method == types.INITIALIZE:
                self.initialize_seen = True
        elif method is not None and not self.initialize_seen and method != types.EXIT:
            return  # notifications before initialize are dropped (the spec's rule)
        super().handle_message(message)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any,
                         args: tuple[Any, ...] | None = None, kwargs: dict[str, Any] | None = None) -> None:
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(functools.partial(self._forget_future, msg_id))

    def _forget_future(self, msg_id: Any, future: Any) -> None:
        # Not at once: this runs inside Future.cancel(), which pygls's shutdown calls while it
        # iterates over _request_futures (and, for thread handlers, on a worker thread).
        loop: asyncio.AbstractEventLoop | None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._drop_future, msg_id, future)

    def _drop_future(self, msg_id: Any, future: Any) -> None:
        if self._request_futures.get(msg_id) is future:
            del self._request_futures[msg_id]

    # -- text synchronisation: golens's documents only -------------------------------------------

    def _call_feature(self, method: str, params: Any) -> None:
        handler = self.fm.features.get(method)
        if handler is None:
            return
        result = handler(params)
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        self._call_feature(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        self._call_feature(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        self._call_feature(types.TEXT_DOCUMENT_DID_CLOSE, params)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class GolensServer(LanguageServer):
    # Set by the feature modules when they register (golens.lsp.workspace_diagnostics,
    # trace_features, profile_state); a server made without them has no such attribute.
    workspace_diagnostics: "WorkspaceDiagnostics"
    trace: "TraceManager"
    profiles: "ProfileManager"

    def __init__(self, engine: Engine | None = None):
        super().__init__("golens", __version__, protocol_cls=GolensProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.engine = engine or Engine()
        # Files of an open document's package that are not open: their facts, read from disk.
        self.packages = PackageIndex(self.engine.summarize)
        self.documents = DocumentStore()
        self.settings = ConfigManager(self.engine.registry, self.log_warning, self.show_warning)
        self.pull_mode = False
        self.settings_loaded = asyncio.Event()
        self._pending: dict[str, asyncio.Task] = {}
        # One thread: checks queue up instead of competing for the GIL with each other; the
        # event loop keeps its share (the interpreter switches threads every few ms).
        self._checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="golens-check")
        self._reported_failures: set[tuple[str, str]] = set()
        self._over_budget_shown: set[str] = set()  # documents whose check ran out of time

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

    def _result_key(self, opened: OpenDocument) -> tuple[int, int, frozenset[Fact]]:
        # The facts of the other files of the package are part of what was checked: when they
        # change (another open file's edit, a file on disk), the result is stale.
        return opened.token, self.settings.generation, self.packages.others(opened.doc)

    def check(self, opened: OpenDocument) -> CheckResult:
        """The findings for the document's current text under the current settings (cached)."""
        key = self._result_key(opened)
        if opened.result_key == key and opened.result is not None:
            return opened.result
        if opened.language_id not in GO_LANGUAGE_IDS and not opened.uri.endswith(".go"):
            result = CheckResult([], skipped=f"not a Go file (languageId {opened.language_id!r})")
            return self._store(opened, key, result)
        config = self._config_for(opened)
        return self._finish(opened, key, self.engine.check(opened.doc, opened.cache, config, key[2]))

    async def check_in_background(self, opened: OpenDocument) -> CheckResult | None:
        """`check`, with the engine running on the checker thread so that every other request
        keeps being answered while a big or pathological file is checked; None when the document
        changed meanwhile (the result would be stale: a newer check follows)."""
        key = self._result_key(opened)
        if (opened.result_key == key and opened.result is not None) or \
                (opened.language_id not in GO_LANGUAGE_IDS and not opened.uri.endswith(".go")):
            return self.check(opened)
        config = self._config_for(opened)
        snapshot = opened.doc.snapshot()
        token = opened.token
        budget_ms = self.settings.check_budget_ms

        def run() -> CheckResult:
            # The budget counts from when the checker thread starts this check, not from the
            # queue; the engine asks `stop` between declarations and between rules, so an edit
            # (a newer text) or the budget ends it there.
            deadline = time.monotonic() + budget_ms / 1000
            return self.engine.check(snapshot, opened.cache, config, key[2], stop=lambda: (
                opened.token != token or time.monotonic() > deadline
                or self.documents.get(opened.uri) is not opened))

        try:
            static = await asyncio.get_running_loop().run_in_executor(self._checker, run)
        except CheckStopped:
            static = None
        if (opened.token, self.settings.generation) != key[:2] or self.documents.get(opened.uri) is not opened:
            return None
        if static is None:
            return self._over_budget(opened, key, budget_ms)
        self._over_budget_shown.discard(opened.uri)
        return self._finish(opened, key, static)

    async def current_result(self, opened: OpenDocument) -> CheckResult:
        """The findings for the document's text as it is when this returns. Requests (hover, code
        actions, pulled diagnostics) await this instead of checking on the event loop: a stale
        document is checked on the checker thread like a published one, and every other request
        is answered meanwhile."""
        while self.documents.get(opened.uri) is opened:
            result = await self.check_in_background(opened)
            if result is not None:
                return result
        return CheckResult([], skipped="closed while it was being checked")

    def _over_budget(self, opened: OpenDocument, key: tuple, budget_ms: int) -> CheckResult:
        # A window/showMessage, once per file until a check finishes in time again: the file's
        # diagnostics are cleared, and a user looking at a file without squiggles must learn
        # why. Not a diagnostic: it would have to point at some line, and no line is at fault.
        message = (f"checking {opened.path or opened.uri} took longer than {budget_ms} ms "
                   "(golens.diagnostics.checkBudgetMs) and was stopped, so its findings are not shown; "
                   "an edit checks it again, and other files are not affected")
        if opened.uri not in self._over_budget_shown:
            self._over_budget_shown.add(opened.uri)
            self.show_warning(message)
        return self._store(opened, key, CheckResult([], skipped=message))

    def _config_for(self, opened: OpenDocument) -> Config:
        config = self.settings.config_for(opened.path)
        if config.max_file_bytes != opened.doc.max_bytes:
            self.documents.rebuild(opened, config.max_file_bytes)
        return config

    def _finish(self, opened: OpenDocument, key: tuple, result: CheckResult) -> CheckResult:
        if self.packages.set_open(opened.doc, result.facts):
            package_files.facts_changed(self, opened)
        trace = getattr(self, "trace", None)
        if trace is not None:
            # Trace evidence folded into the static findings (golens.lsp.trace_state).
            result = trace.merge(opened, result)
        profiles = getattr(self, "profiles", None)
        if profiles is not None:
            # Profile evidence on top (golens.lsp.profile_state).
            result = profiles.merge(opened, result)
        return self._store(opened, key, result)

    def _store(self, opened: OpenDocument, key: tuple, result: CheckResult) -> CheckResult:
        opened.result = result
        opened.result_key = key
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
        try:
            while (opened := self.documents.get(uri)) is not None:
                if await self.check_in_background(opened) is not None:
                    break
                # Edited while being checked: check the new text (this task is still the pending
                # one, so the edit scheduled nothing else).
            if self._pending.get(uri) is asyncio.current_task():
                del self._pending[uri]
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
    # The checker thread runs pure Python for as long as a check takes; a request waits for the
    # GIL up to a switch interval at every step of its way through the event loop. 1 ms instead
    # of 5 ms keeps requests answered quickly during a long check, at a few percent of its speed.
    sys.setswitchinterval(0.001)
    server = create_server()
    server.start_io()
    # pygls swallows the SystemExit of its `exit` handler; the spec's exit code is 0 only when
    # `shutdown` came first (also when the client just closed the stream).
    return 0 if server.protocol._shutdown else 1
