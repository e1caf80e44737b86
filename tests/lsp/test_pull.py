"""Pull diagnostics (textDocument/diagnostic) for clients that ask for them, and never both."""

import pytest_lsp
from lsprotocol import types
from test_session import LOST_CANCEL, flagged_range

from conftest import CONFIG, GolensClient


def doc(uri):
    return types.TextDocumentIdentifier(uri=uri)


async def test_pull_client_gets_no_pushed_diagnostics(puller, workspace):
    uri = (workspace / "a.go").as_uri()
    puller.open(uri, LOST_CANCEL)
    [diag] = await puller.get_diagnostics(uri)
    assert diag.range == flagged_range(puller, uri)
    puller.replace(uri, "ctx, _", "ctx, _ ")
    await puller.get_diagnostics(uri)
    puller.close(uri)
    # A round trip after everything else: any publication would have arrived before its answer.
    await puller.text_document_hover_async(types.HoverParams(text_document=doc(uri), position=types.Position(line=0, character=0)))
    assert puller.published == []


async def test_push_client_is_not_offered_pull(vscode):
    assert vscode.pull is False


async def test_pull_without_refresh_support_gets_push(nvim011, workspace):
    # Neovim 0.11 can pull, but re-pulls only after its own edits: a trace loaded later would
    # never reach it. Push keeps it current.
    assert nvim011.pull is False
    uri = (workspace / "a.go").as_uri()
    nvim011.open(uri, LOST_CANCEL)
    [diag] = await nvim011.get_diagnostics(uri)
    assert diag.code == "GL201"


async def test_unchanged_report_until_the_text_or_settings_change(puller, workspace):
    uri = (workspace / "a.go").as_uri()
    puller.open(uri, LOST_CANCEL)
    first = await puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=doc(uri)))
    assert first.kind == "full" and len(first.items) == 1 and first.result_id
    again = await puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=doc(uri), previous_result_id=first.result_id))
    assert again.kind == "unchanged" and again.result_id == first.result_id

    puller.insert(uri, 0, "// header\n")
    moved = await puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=doc(uri), previous_result_id=first.result_id))
    assert moved.kind == "full" and moved.result_id != first.result_id
    assert moved.items[0].range.start.line == first.items[0].range.start.line + 1

    puller.set_configuration({"disable": ["GL201"]}, section="golens")
    puller.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    # The server asks for the new settings asynchronously; poll until the answer changes.
    report = None
    for _ in range(200):
        report = await puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=doc(uri), previous_result_id=moved.result_id))
        if report.kind == "full":
            break
    assert report.kind == "full" and len(report.items) == 0


async def test_unknown_document_gets_an_empty_report(puller, workspace):
    report = await puller.text_document_diagnostic_async(types.DocumentDiagnosticParams(
        text_document=doc((workspace / "never-opened.go").as_uri())))
    assert report.kind == "full" and len(report.items) == 0
    assert "not open" in puller.log_text()


@pytest_lsp.fixture(config=CONFIG)
async def refreshing(lsp_client: GolensClient, workspace):
    capabilities = pytest_lsp.client_capabilities("neovim@v0.11.0")
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    result = await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=workspace.as_uri()))
    lsp_client.encoding = str(result.capabilities.position_encoding)
    lsp_client.pull = result.capabilities.diagnostic_provider is not None
    yield
    await lsp_client.shutdown_session()


async def test_settings_change_asks_a_pull_client_to_refresh(refreshing, workspace):
    uri = (workspace / "a.go").as_uri()
    refreshing.open(uri, LOST_CANCEL)
    assert len(await refreshing.get_diagnostics(uri)) == 1
    assert refreshing.diagnostic_refresh_count == 0
    refreshing.set_configuration({"disable": ["GL201"]}, section="golens")
    refreshing.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await refreshing.wait_for(lambda: refreshing.diagnostic_refresh_count == 1, "workspace/diagnostic/refresh")
    assert len(await refreshing.get_diagnostics(uri)) == 0
