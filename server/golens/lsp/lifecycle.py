"""initialize / initialized, settings (workspace/configuration, didChangeConfiguration) and
watched project files (golens.toml, go.mod)."""

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from golens.document import find_module_go_version
from golens.document.goversion import forget_go_mod_cache
from golens.lsp import diagnostics, package_files
from golens.lsp.config import SECTION
from golens.lsp.guard import guarded

if TYPE_CHECKING:
    from golens.lsp.server import GolensServer

CONFIGURATION_TIMEOUT_SECONDS = 5.0


def _workspace_root(params: types.InitializeParams) -> Path | None:
    uri = params.root_uri
    if uri is None and params.workspace_folders:
        uri = params.workspace_folders[0].uri
    if uri is not None and uri.startswith("file:"):
        path = to_fs_path(uri)
        return Path(path) if path is not None else None
    if params.root_path:
        return Path(params.root_path)
    return None


def _can_pull_configuration(ls: "GolensServer") -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.configuration)


async def refresh_settings(ls: "GolensServer") -> None:
    """Ask the client for the `golens` section (pull model: the notification carries nothing)."""
    result = await asyncio.wait_for(
        ls.workspace_configuration_async(types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])),
        CONFIGURATION_TIMEOUT_SECONDS,
    )
    ls.settings.set_editor_settings(result[0] if result else None)


def register(ls: "GolensServer") -> None:
    @ls.feature(types.INITIALIZE)
    @guarded()
    def initialize(ls: "GolensServer", params: types.InitializeParams) -> None:
        # Registering the pull handler here is what makes pygls advertise diagnosticProvider,
        # and only to clients that can pull.
        ls.pull_mode = diagnostics.client_can_pull(params.capabilities)
        if ls.pull_mode:
            diagnostics.register_pull(ls)
        ls.settings.workspace_root = _workspace_root(params)
        options = params.initialization_options
        if isinstance(options, dict) and options:
            ls.settings.set_initialization_options(options)
        workspace = params.capabilities.workspace
        if not (workspace and workspace.configuration):
            ls.settings_loaded.set()

    @ls.feature(types.INITIALIZED)
    @guarded()
    async def initialized(ls: "GolensServer", params: types.InitializedParams) -> None:
        try:
            if _can_pull_configuration(ls):
                try:
                    await refresh_settings(ls)
                except TimeoutError:
                    ls.log_warning("the client did not answer workspace/configuration; using defaults")
        finally:
            ls.settings_loaded.set()
        try:
            await _register_dynamic(ls)
        finally:
            if getattr(ls, "trace", None) is not None:
                from golens.lsp import trace_features

                await trace_features.initialized(ls)
            if getattr(ls, "profiles", None) is not None:
                from golens.lsp import profile_state

                await profile_state.initialized(ls)

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded()
    async def did_change_configuration(ls: "GolensServer", params: types.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get(SECTION), dict):
            ls.settings.set_editor_settings(settings)
        elif _can_pull_configuration(ls):
            await refresh_settings(ls)
        elif settings is not None:
            ls.settings.set_editor_settings(settings)
        if getattr(ls, "trace", None) is not None:
            ls.trace.settings_changed(ls.settings.raw)
        if getattr(ls, "profiles", None) is not None:
            ls.profiles.refresh()  # after the trace's settings: trust and autoLoad are read from them
        ls.workspace_diagnostics.settings_changed(ls.settings.raw)
        ls.recheck_all()

    @ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded()
    def did_change_watched_files(ls: "GolensServer", params: types.DidChangeWatchedFilesParams) -> None:
        names = {Path(change.uri).name for change in params.changes}
        if "golens.toml" in names:
            ls.settings.project_files_changed()
        if "go.mod" in names:
            forget_go_mod_cache()
            for opened in ls.documents.all():
                version = find_module_go_version(opened.path) if opened.path else None
                if version != opened.doc.module_go_version:
                    opened.doc.module_go_version = version
                    ls.documents.rebuild(opened, opened.doc.max_bytes)
        if names & {"golens.toml", "go.mod"}:
            ls.recheck_all()
        package_files.files_changed(ls, params.changes)
        if getattr(ls, "trace", None) is not None:
            ls.trace.files_changed(list(params.changes))
        if getattr(ls, "profiles", None) is not None:
            ls.profiles.files_changed(params.changes)


async def _register_dynamic(ls: "GolensServer") -> None:
    """Ask for the notifications that clients send only after dynamic registration."""
    workspace = ls.client_capabilities.workspace
    registrations = []
    if workspace and workspace.did_change_configuration and workspace.did_change_configuration.dynamic_registration:
        registrations.append(types.Registration(
            id="golens-configuration",
            method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
            register_options=types.DidChangeConfigurationRegistrationOptions(section=SECTION),
        ))
    watch = package_files.can_watch(ls)
    if watch:
        registrations.append(types.Registration(
            id="golens-project-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                types.FileSystemWatcher(glob_pattern="**/golens.toml"),
                types.FileSystemWatcher(glob_pattern="**/go.mod"),
                package_files.WATCHER,
            ]),
        ))
    if registrations:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=registrations))
        if watch:
            package_files.watching(ls)
