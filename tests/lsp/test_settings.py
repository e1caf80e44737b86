"""Settings: editor settings (pulled or pushed), golens.toml as the base, re-checks on change,
debouncing, and suppression comments."""


import pytest
import pytest_lsp
from lsprotocol import types
from test_session import LOST_CANCEL, flagged_range

from conftest import CONFIG, GolensClient, session, start


async def next_publication(client, uri, after: int):
    return await client.wait_for(
        lambda: next((p for p in client.published[after:] if p.uri == uri), None),
        f"a new publication for {uri}")


@pytest_lsp.fixture(config=CONFIG, params=["disable", "severity"])
async def configured(lsp_client: GolensClient, request, workspace):
    settings = {"disable": ["GL201"]} if request.param == "disable" else {"severity": {"lost-cancel": "error"}}
    await start(lsp_client, "vscode", workspace, settings=settings)
    lsp_client.setting = request.param
    yield
    await lsp_client.shutdown_session()


async def test_settings_pulled_at_startup_apply_to_the_first_diagnostics(configured, workspace):
    uri = (workspace / "a.go").as_uri()
    configured.open(uri, LOST_CANCEL)
    diags = await configured.get_diagnostics(uri)
    if configured.setting == "disable":
        assert len(diags) == 0
        # Never published with the rule on, not even transiently before the settings arrived.
        assert all(len(p.diagnostics) == 0 for p in configured.published if p.uri == uri)
    else:
        [diag] = diags
        assert diag.severity == types.DiagnosticSeverity.Error


async def test_did_change_configuration_rechecks_open_documents(vscode, workspace):
    uri = (workspace / "a.go").as_uri()
    vscode.open(uri, LOST_CANCEL)
    assert len(await vscode.get_diagnostics(uri)) == 1
    mark = len(vscode.published)
    # VS Code's pull model: the notification carries nothing, the server asks for the section.
    vscode.set_configuration({"disable": ["lost-cancel"]}, section="golens")
    vscode.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    republished = await next_publication(vscode, uri, mark)
    assert republished.version == 1 and len(republished.diagnostics) == 0
    mark = len(vscode.published)
    vscode.set_configuration({"severity": {"GL201": "hint"}}, section="golens")
    vscode.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    [diag] = (await next_publication(vscode, uri, mark)).diagnostics
    assert diag.severity == types.DiagnosticSeverity.Hint


@pytest_lsp.fixture(config=CONFIG)
async def nvim07(lsp_client: GolensClient, workspace):
    await start(lsp_client, "nvim-0.7", workspace)
    yield
    await lsp_client.shutdown_session()


async def test_pushed_settings_from_a_client_without_workspace_configuration(nvim07, workspace):
    uri = (workspace / "a.go").as_uri()
    nvim07.open(uri, LOST_CANCEL)
    assert len(await nvim07.get_diagnostics(uri)) == 1
    mark = len(nvim07.published)
    nvim07.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"golens": {"disable": ["GL201"]}}))
    assert len((await next_publication(nvim07, uri, mark)).diagnostics) == 0


async def test_project_file_is_the_base_and_editor_settings_win(workspace):
    (workspace / "golens.toml").write_text('disable = ["GL201"]\n')
    (workspace / "pkg").mkdir()
    uri = (workspace / "pkg" / "a.go").as_uri()
    for settings, expected in (({}, 0), ({"enable": ["GL201"]}, 1)):
        async with session("vscode", workspace, settings=settings) as client:
            client.open(uri, LOST_CANCEL)
            assert len(await client.get_diagnostics(uri)) == expected, settings


async def test_bad_settings_are_reported_and_the_rest_applies(workspace):
    async with session("vscode", workspace, settings={
            "disable": ["GL999"], "severity": {"GL201": "fatal"}, "diagnostics": {"debounceMs": "soon"}}) as client:
        uri = (workspace / "a.go").as_uri()
        client.open(uri, LOST_CANCEL)
        [diag] = await client.get_diagnostics(uri)
        assert diag.severity == types.DiagnosticSeverity.Warning  # the rule's own severity
        log = client.log_text()
        assert "GL999" in log and "fatal" in log and "debounceMs" in log


async def test_debounce_coalesces_a_burst_into_one_publication(workspace):
    async with session("vscode", workspace, settings={"diagnostics": {"debounceMs": 300}}) as client:
        uri = (workspace / "a.go").as_uri()
        client.open(uri, LOST_CANCEL)
        await client.get_diagnostics(uri)
        mark = len(client.published)
        for n in range(10):
            client.insert(uri, client.text(uri).index("\t_ = ctx"), f"\t// edit {n}\n")
        diags = await client.get_diagnostics(uri)
        assert diags[0].range == flagged_range(client, uri)
        # A publication left over from the burst would be due before one more edit's debounce
        # ends: once that edit's diagnostics arrive, the burst's are complete.
        client.insert(uri, client.text(uri).index("\t_ = ctx"), "\t// after the burst\n")
        await client.get_diagnostics(uri)
        burst = [p for p in client.published[mark:] if p.uri == uri and p.version <= 11]
        assert [p.version for p in burst] == [11]


async def test_no_publication_describes_another_version(vscode, workspace):
    uri = (workspace / "a.go").as_uri()
    vscode.open(uri, LOST_CANCEL)
    await vscode.get_diagnostics(uri)
    for n in range(40):
        # Alternate flagged and fixed text, sent back to back without waiting.
        if n % 2 == 0:
            vscode.replace(uri, "ctx, _ :=", "ctx, cancel := ")
            vscode.insert(uri, vscode.text(uri).index("\t_ = ctx"), "\tdefer cancel()\n")
        else:
            vscode.replace(uri, "\tdefer cancel()\n", "")
            vscode.replace(uri, "ctx, cancel := ", "ctx, _ :=")
    await vscode.get_diagnostics(uri)
    versions = [p.version for p in vscode.published if p.uri == uri]
    assert versions == sorted(versions)
    for params in vscode.published:
        # What the text of the version a publication names must produce: the discarded `_`,
        # a named but never called `cancel` (between the two edits of a step), or nothing.
        text = vscode.texts[uri][params.version]
        if "defer cancel()" in text:
            assert len(params.diagnostics) == 0, params.version
            continue
        name = "_" if "ctx, _ :=" in text else "cancel"
        index = text.index(f"ctx, {name} :=") + len("ctx, ")
        line = text.count("\n", 0, index)
        column = len(text[text.rfind("\n", 0, index) + 1:index].encode("utf-16-le")) // 2
        [diag] = params.diagnostics
        assert diag.range.start == types.Position(line=line, character=column), params.version
        assert diag.range.end == types.Position(line=line, character=column + len(name)), params.version


@pytest.mark.parametrize("comment, flagged", [
    ("//golens:ignore GL201 the caller's deadline bounds it", False),
    ("//nolint:lost-cancel", False),
    ("//nolint:errcheck", True),
])
async def test_suppression_comments(vscode, workspace, comment, flagged):
    uri = (workspace / "a.go").as_uri()
    vscode.open(uri, LOST_CANCEL.replace("time.Second)\n", f"time.Second) {comment}\n"))
    assert len(await vscode.get_diagnostics(uri)) == int(flagged)


async def test_suppression_comment_on_the_line_before(nvim011, workspace):
    uri = (workspace / "a.go").as_uri()
    nvim011.open(uri, LOST_CANCEL.replace('\ts := "é😀"', '\t//golens:ignore GL201 owned by the pool\n\ts := "é😀"'))
    assert len(await nvim011.get_diagnostics(uri)) == 0
    # Deleting the directive brings the finding back.
    nvim011.replace(uri, "\t//golens:ignore GL201 owned by the pool\n", "")
    [diag] = await nvim011.get_diagnostics(uri)
    assert diag.range == flagged_range(nvim011, uri)


async def test_initialization_options_hold_when_the_client_has_no_section(workspace):
    # VS Code answers workspace/configuration with null when no golens section is set; that
    # must not wipe the options the client passed in initialize.
    client = await CONFIG.start()
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=pytest_lsp.client_capabilities("visual-studio-code"), root_uri=workspace.as_uri(),
            initialization_options={"golens": {"disable": ["GL201"]}}))
        uri = (workspace / "a.go").as_uri()
        client.open(uri, LOST_CANCEL)
        assert len(await client.get_diagnostics(uri)) == 0
        await client.shutdown_session()
    finally:
        if client._server is not None and client._server.returncode is None:
            client._server.kill()
        await client.stop()
