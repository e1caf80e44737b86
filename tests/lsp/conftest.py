"""End-to-end harness: the real `golens serve` over stdio, driven by pytest-lsp with the capability
snapshots of real editors. Positions are computed here independently of the server's code."""

import asyncio
import contextlib
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES

SERVER = [sys.executable, "-m", "golens", "serve"]

# name -> (pytest-lsp snapshot, expected negotiated encoding, expected diagnostics model)
CLIENTS = {
    "vscode": ("visual-studio-code", "utf-16", "push"),
    "nvim-0.7": ("neovim@v0.7.0", "utf-16", "push"),
    # Neovim 0.11 can pull but cannot be asked to re-pull (no workspace/diagnostic/refresh).
    "nvim-0.11": ("neovim@v0.11.0", "utf-8", "push"),
    "emacs": ("emacs", "utf-32", "push"),
    # Current VS Code (vscode-languageclient 9+): pull diagnostics with refresh support. The
    # bundled VS Code snapshot is 1.65, older than pull diagnostics, so the two are added to it.
    "vscode-pull": ("visual-studio-code", "utf-16", "pull"),
}


def capabilities_for(name: str) -> types.ClientCapabilities:
    snapshot, _, model = CLIENTS[name]
    capabilities = pytest_lsp.client_capabilities(snapshot)
    if name == "vscode-pull":
        capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
            dynamic_registration=True, related_document_support=False)
        capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    return capabilities

TIMEOUT = 10.0


def units(text: str, encoding: str) -> int:
    """Length of `text` in the client's position units (an independent oracle for the server)."""
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    return len(text)


class GolensClient(LanguageClient):
    """pytest-lsp's client plus a record of every publishDiagnostics (with its version) and the
    text of every document version it sent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.texts: dict[str, dict[int, str]] = {}
        self.versions: dict[str, int] = {}
        self.encoding = "utf-16"
        self.pull = False
        self.registrations: list[types.Registration] = []
        self.trace_statuses: list = []  # golens/traceStatus params, from the first one on

    # -- positions -------------------------------------------------------------------------------

    def position(self, uri: str, index: int) -> types.Position:
        """Client position of character index `index` in the document's current text."""
        text = self.text(uri)
        line = text.count("\n", 0, index)
        line_start = text.rfind("\n", 0, index) + 1
        return types.Position(line=line, character=units(text[line_start:index], self.encoding))

    def range_of(self, uri: str, needle: str, occurrence: int = 0, *, within: str | None = None) -> types.Range:
        """Range of `needle` (inside the first `within`, when given) in the current text."""
        text = self.text(uri)
        base = text.index(within) if within is not None else 0
        start = base - 1
        for _ in range(occurrence + 1):
            start = text.index(needle, start + 1)
        return types.Range(start=self.position(uri, start), end=self.position(uri, start + len(needle)))

    # -- documents -------------------------------------------------------------------------------

    def text(self, uri: str) -> str:
        return self.texts[uri][self.versions[uri]]

    def open(self, uri: str, text: str, language_id: str = "go") -> None:
        self.versions[uri] = 1
        self.texts[uri] = {1: text}
        self.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))

    def replace(self, uri: str, old: str, new: str, occurrence: int = 0) -> None:
        """Send one incremental change replacing an occurrence of `old` with `new`."""
        rng = self.range_of(uri, old, occurrence)
        text = self.text(uri)
        index = -1
        for _ in range(occurrence + 1):
            index = text.index(old, index + 1)
        self._send(uri, [types.TextDocumentContentChangePartial(range=rng, text=new)],
                   text[:index] + new + text[index + len(old):])

    def insert(self, uri: str, index: int, new: str) -> None:
        pos = self.position(uri, index)
        text = self.text(uri)
        self._send(uri, [types.TextDocumentContentChangePartial(range=types.Range(start=pos, end=pos), text=new)],
                   text[:index] + new + text[index:])

    def send_changes(self, uri: str, changes, resulting_text: str) -> None:
        self._send(uri, changes, resulting_text)

    def _send(self, uri: str, changes, resulting_text: str) -> None:
        version = self.versions[uri] + 1
        self.versions[uri] = version
        self.texts[uri][version] = resulting_text
        self.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=changes))

    def close(self, uri: str) -> None:
        self.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

    # -- diagnostics -----------------------------------------------------------------------------

    async def wait_for(self, predicate, what: str, timeout: float = TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.005)

    def last_published(self, uri: str) -> types.PublishDiagnosticsParams | None:
        for params in reversed(self.published):
            if params.uri == uri:
                return params
        return None

    async def get_diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The diagnostics for the current version, the way this client gets them."""
        if self.pull:
            report = await self.text_document_diagnostic_async(types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri)))
            assert report.kind == "full"
            return list(report.items)
        version = self.versions[uri]
        params = await self.wait_for(
            lambda: (p := self.last_published(uri)) is not None and p.version == version and p,
            f"diagnostics for {uri} version {version}")
        return list(params.diagnostics)

    def log_text(self) -> str:
        return "\n".join(m.message for m in self.log_messages)


def _record_publish(client: GolensClient, params: types.PublishDiagnosticsParams):
    client.published.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def _record_registration(client: GolensClient, params: types.RegistrationParams):
    client.registrations.extend(params.registrations)


def _record_trace_status(client: GolensClient, params) -> None:
    client.trace_statuses.append(params)


def make_client() -> GolensClient:
    client = GolensClient()
    for method, func in DEFAULT_CLIENT_FEATURES.items():
        if method != types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            client.feature(method)(func)
    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(_record_publish)
    client.feature(types.CLIENT_REGISTER_CAPABILITY)(_record_registration)
    # Registered before initialize: the first status can follow `initialized` immediately.
    client.feature("golens/traceStatus")(_record_trace_status)
    return client


CONFIG = ClientServerConfig(server_command=SERVER, client_factory=make_client)


async def start(client: GolensClient, name: str, root: Path, settings: dict | None = None) -> types.InitializeResult:
    if settings is not None:
        client.set_configuration(settings, section="golens")
    result = await client.initialize_session(types.InitializeParams(
        capabilities=capabilities_for(name),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
    ))
    client.encoding = str(result.capabilities.position_encoding or "utf-16")
    client.pull = result.capabilities.diagnostic_provider is not None
    return result


@contextlib.asynccontextmanager
async def session(name: str, root: Path, settings: dict | None = None):
    """A client started by hand, for tests that need settings in place before initialize."""
    client = await CONFIG.start()
    try:
        await start(client, name, root, settings=settings)
        yield client
        await client.shutdown_session()
    finally:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()  # a failed test must not leave stop() waiting for the server
        await client.stop()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/ws\n\ngo 1.22\n")
    return tmp_path


@pytest_lsp.fixture(config=CONFIG, params=list(CLIENTS))
async def client(lsp_client: GolensClient, request, workspace: Path):
    await start(lsp_client, request.param, workspace)
    lsp_client.client_name = request.param
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def vscode(lsp_client: GolensClient, workspace: Path):
    """One push client, for behaviour that does not depend on the editor."""
    await start(lsp_client, "vscode", workspace)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def nvim011(lsp_client: GolensClient, workspace: Path):
    await start(lsp_client, "nvim-0.11", workspace)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def puller(lsp_client: GolensClient, workspace: Path):
    """A client on the pull model (current VS Code)."""
    await start(lsp_client, "vscode-pull", workspace)
    yield
    await lsp_client.shutdown_session()


TRACES = Path(__file__).resolve().parents[2] / "traces"


@pytest.fixture
def leak_ws(tmp_path: Path) -> Path:
    """A workspace with the bundled handler_leak program and its trace, the trace newer than the
    source (so its evidence is not stale)."""
    shutil.copy(TRACES / "go.mod", tmp_path / "go.mod")
    (tmp_path / "handler_leak").mkdir()
    shutil.copy(TRACES / "handler_leak/main.go", tmp_path / "handler_leak/main.go")
    old = time.time() - 3600
    os.utime(tmp_path / "handler_leak/main.go", (old, old))
    trace = tmp_path / "trace.out"
    shutil.copy(TRACES / "handler_leak/go1.27.trace", trace)
    os.utime(trace, (old + 60, old + 60))
    return tmp_path
