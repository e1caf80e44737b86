"""The other files of an open document's package: when what they contribute to the package model
changes, the open documents of that package are checked again.

Two sources of change: an open document whose facts changed with an edit (`facts_changed`), and
files on disk, reported by `workspace/didChangeWatchedFiles` for clients that let the server
register a `**/*.go` watcher (`files_changed`). Clients that cannot watch files keep the stat
fallback of `golens.package.PackageIndex`: the disk is looked at again when an open file of the
directory is checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from lsprotocol import types

from golens.lsp.documents import OpenDocument, uri_to_path

WATCHER = types.FileSystemWatcher(glob_pattern="**/*.go")


def can_watch(ls: Any) -> bool:
    workspace = ls.client_capabilities.workspace
    return bool(workspace and workspace.did_change_watched_files and workspace.did_change_watched_files.dynamic_registration)


def watching(ls: Any) -> None:
    """The client registered the watcher: it reports changes, the directories need no polling."""
    ls.packages.watched = True


def _directory(path: str | None) -> str | None:
    return os.path.dirname(os.path.abspath(path)) if path is not None else None


def _dependents(ls: Any, directories: set[str], changed: OpenDocument | None = None) -> list[OpenDocument]:
    return [opened for opened in ls.documents.all()
            if opened is not changed and _directory(opened.path) in directories]


def _recheck(ls: Any, documents: Iterable[OpenDocument]) -> None:
    documents = list(documents)
    if not documents:
        return
    if ls.pull_mode:
        # A pull client asks again after a refresh; documents whose findings did not change are
        # answered `unchanged` (golens.lsp.diagnostics).
        ls.workspace_diagnostic_refresh(None)
        return
    for opened in documents:
        ls.schedule_diagnostics(opened.uri)


def facts_changed(ls: Any, changed: OpenDocument) -> None:
    """`changed` was checked and contributes other facts than before to its package."""
    directory = _directory(changed.path)
    if directory is not None:
        _recheck(ls, _dependents(ls, {directory}, changed))


def closed(ls: Any, path: str | None) -> None:
    """A document was closed: its package sees the file on disk again."""
    directory = _directory(path)
    if directory is not None:
        _recheck(ls, _dependents(ls, {directory}))


def files_changed(ls: Any, changes: Iterable[types.FileEvent]) -> None:
    """Go files created, changed or deleted on disk."""
    directories: set[str] = set()
    for change in changes:
        path = uri_to_path(change.uri)
        if path is None or not path.endswith(".go"):
            continue
        if ls.packages.invalidate(path):
            directories.add(_directory(path) or "")
    if directories:
        _recheck(ls, _dependents(ls, directories))

