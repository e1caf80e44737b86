"""`golens.diagnostics.scope = "workspace"`: findings for every Go file of the workspace, not
only the open ones, as gopls gives them for whole packages.

The scan runs in the background on the event loop, one file at a time (a check takes
milliseconds; between files the loop serves the editor), with `$/progress` when the client shows
it. An edit cancels a running scan, which starts over once typing pauses: the user's own file
comes first. Files that are open are left to the normal per-document diagnostics; when one is
opened in a pull client its pushed findings are withdrawn (VS Code would show both), and when one
is closed its findings are recomputed from disk.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types

from golens.document import Document, find_module_go_version
from golens.engine import CheckResult, CheckStopped
from golens.lsp.diagnostics import to_diagnostic
from golens.lsp.documents import uri_to_path
from golens.lsp.positions import PositionMapper
from golens.lsp.progress import Progress
from golens.safeio import read_regular
from golens.workspace_files import go_files

SCOPES = ("openFiles", "workspace")
RESCAN_AFTER_EDIT_SECONDS = 2.0
MAX_FILES = 20_000


def scope_of(raw: Any) -> str:
    """The `diagnostics.scope` setting (nested or dotted; under `golens` or bare)."""
    if not isinstance(raw, Mapping):
        return "openFiles"
    if isinstance(raw.get("golens"), Mapping):
        raw = raw["golens"]
    value = raw.get("diagnostics.scope")
    nested = raw.get("diagnostics")
    if value is None and isinstance(nested, Mapping):
        value = nested.get("scope")
    return value if value in SCOPES else "openFiles"


class WorkspaceDiagnostics:
    def __init__(self, ls: Any):
        self.ls = ls
        self.scope = "openFiles"
        self.published: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._rechecks: set[asyncio.Future[None]] = set()  # closed files back to their disk text
        self.scans_completed = 0

    @property
    def active(self) -> bool:
        return self.scope == "workspace" and self.ls.settings.workspace_root is not None

    def settings_changed(self, raw: Any) -> None:
        """Also after initialize: scope or any rule setting changed, so every finding may have."""
        self.scope = scope_of(raw)
        if self.active:
            self.schedule(0.0)
        else:
            self.cancel()
            for uri in sorted(self.published):
                self._publish(uri, [])
            self.published.clear()

    def edited(self) -> None:
        if self.active:
            self.schedule(RESCAN_AFTER_EDIT_SECONDS)

    def opened(self, uri: str) -> None:
        if uri in self.published:
            self.published.discard(uri)
            if self.ls.pull_mode:
                self._publish(uri, [])

    def closed(self, uri: str) -> None:
        """The closed file is back to its text on disk."""
        if self.active:
            path = uri_to_path(uri)
            if path is not None and path.endswith(".go"):
                task = asyncio.ensure_future(self._check_file(Path(path)))
                self._rechecks.add(task)
                task.add_done_callback(self._rechecks.discard)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def schedule(self, delay: float) -> None:
        self.cancel()
        self._task = asyncio.ensure_future(self._scan(delay))

    # -- the scan -------------------------------------------------------------------------------

    async def _scan(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.ls.wait_for_settings()
        root = self.ls.settings.workspace_root
        loop = asyncio.get_running_loop()
        files = await loop.run_in_executor(None, self._list, root)
        progress = Progress(self.ls, "workspace")
        await progress.begin("golens: checking the workspace", f"{len(files)} Go files", 0)
        done = False
        try:
            for i, path in enumerate(files):
                await self._check_file(path)
                progress.report(f"{i}/{len(files)} files", int(100 * i / max(1, len(files))))
                await asyncio.sleep(0)  # let the editor's requests through between files
            done = True
            self.scans_completed += 1
        finally:
            progress.end(f"{len(files)} files" if done else "cancelled by an edit")

    @staticmethod
    def _list(root: Path) -> list[Path]:
        found = []
        for path in go_files([str(root)]):
            found.append(path)
            if len(found) >= MAX_FILES:
                break
        return found

    async def _check_file(self, path: Path) -> None:
        uri = path.resolve().as_uri()
        if uri in self.ls.documents or path.as_uri() in self.ls.documents:
            return  # open: the per-document diagnostics have it
        config = self.ls.settings.config_for(str(path))
        diagnostics: list[types.Diagnostic] = []
        try:
            doc = Document(read_regular(path, config.max_file_bytes), str(path),
                           module_go_version=find_module_go_version(str(path)), max_bytes=config.max_file_bytes)
        except OSError:
            pass  # gone or not a regular file: no findings
        else:
            # With its package's other files, as `golens check` and open documents see it; on the
            # checker thread and within the per-file budget, like an open document: a
            # pathological file of the workspace must not stop the server answering.
            package = self.ls.packages.others(doc)
            deadline = time.monotonic() + self.ls.settings.check_budget_ms / 1000
            try:
                result = await asyncio.get_running_loop().run_in_executor(
                    self.ls._checker, functools.partial(self.ls.engine.check, doc, None, config, package,
                                                        stop=lambda: time.monotonic() > deadline))
            except CheckStopped:
                result = CheckResult([], skipped="over the check budget")
                self.ls.log_info(f"not checking {uri} for the workspace's findings: it took longer than "
                                 f"{self.ls.settings.check_budget_ms} ms (golens.diagnostics.checkBudgetMs)")
            if uri in self.ls.documents:
                return  # opened meanwhile: the per-document diagnostics have it
            if result.skipped is None:
                mapper = PositionMapper(doc, self.ls.encoding)
                diagnostics = [to_diagnostic(f, mapper, self.ls.engine.registry, uri) for f in result.findings]
        if diagnostics or uri in self.published:
            self._publish(uri, diagnostics)
        if diagnostics:
            self.published.add(uri)
        else:
            self.published.discard(uri)

    def _publish(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        self.ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))


def register(ls: Any) -> None:
    ls.workspace_diagnostics = WorkspaceDiagnostics(ls)
