"""Trace evidence in the language server: which trace is in force, and the evidence of each open
document (merged with its static findings, shifted with its edits).

Which trace: the `golens.trace.path` setting (absolute, or relative to the workspace root), else
the newest trace in the workspace (trace_discovery). Watched-file events for those names
(registered dynamically) trigger a reload. Parsing runs in a child process (trace_parse); a newer
trace terminates the running parse, and the previous evidence stays in force until a new one is
ready. While a trace is read, the evidence of the generations read so far is installed every
`trace.partialEverySeconds` (a partial result: the status says how much was read) and replaced
by the final one; a parse that fails or is superseded puts back what was in force before it. A
trace that cannot be read is reported once with window/showMessage and changes nothing else.
Evidence follows the user's edits through line_shift.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.engine import CheckResult
from golens.evidence import TraceEvidence
from golens.evidence.analysis import Evidence
from golens.evidence.merge import DocumentEvidence, evidence_findings, merge_findings
from golens.lsp.line_shift import current_line, line_map, shift_evidence
from golens.lsp.progress import Progress
from golens.lsp.trace_discovery import WATCH_GLOBS, discover_all, is_trace_file
from golens.lsp.trace_parse import PARTIAL_EVERY_S, BackgroundParse
from golens.lsp.trace_watch import ServerSideWatch
from golens.safeio import read_regular

__all__ = ["WATCH_GLOBS", "TraceManager", "TraceSettings"]

log = logging.getLogger(__name__)


@dataclasses.dataclass
class TraceSettings:
    path: str | None = None
    inlay_hints: bool = True
    code_lens: bool = True
    thresholds: dict = dataclasses.field(default_factory=dict)
    # Discover the newest trace in the workspace when no path is configured.
    auto_load: bool = True
    # A trace is input from the repository: in a workspace the editor does not trust, none is
    # loaded at all (VS Code's Restricted Mode sends trusted: false).
    trusted: bool = True
    # Seconds between partial results while a trace is read (0: after every generation, negative:
    # only the final result).
    partial_every_s: float = PARTIAL_EVERY_S

    @classmethod
    def from_raw(cls, raw: Any) -> TraceSettings:
        if not isinstance(raw, dict):
            return cls()
        if isinstance(raw.get("golens"), dict):
            raw = raw["golens"]
        trace = raw.get("trace")
        flat = {k[len("trace."):]: v for k, v in raw.items() if isinstance(k, str) and k.startswith("trace.")}
        if not isinstance(trace, dict):
            trace = {}
        trace = {**trace, **flat}
        path = trace.get("path")
        every = trace.get("partialEverySeconds")
        if not isinstance(every, (int, float)) or isinstance(every, bool) or not math.isfinite(every):
            every = PARTIAL_EVERY_S
        return cls(
            path=path if isinstance(path, str) and path.strip() else None,
            inlay_hints=trace.get("inlayHints", True) is not False,
            code_lens=trace.get("codeLens", True) is not False,
            thresholds=trace.get("thresholds") if isinstance(trace.get("thresholds"), dict) else {},
            auto_load=trace.get("autoLoad", True) is not False,
            trusted=raw.get("trusted", True) is not False,
            partial_every_s=float(every),
        )


class TraceManager:
    def __init__(self, ls):
        self.ls = ls
        self.evidence: TraceEvidence | None = None
        self.trace_path: Path | None = None
        self.loaded_at: float | None = None
        self.generation = 0
        self.settings = TraceSettings()
        self.baselines: dict[str, bytes] = {}
        self.last_error: str | None = None
        # (bytes read, trace size) while the evidence in force is a partial result; and what was
        # in force before the parse's first partial result, put back if that parse fails.
        self.partial: tuple[int, int] | None = None
        self._before_partial: tuple[TraceEvidence | None, Path | None, bool] | None = None
        self._parse: tuple[BackgroundParse, asyncio.Future[tuple[str, Any]]] | None = None
        # Discovered traces older than the one being read, tried in turn when it cannot be read
        # (the newest is often still being written); and the newer ones skipped, with why.
        self._fallbacks: list[Path] = []
        self._unreadable: dict[Path, str] = {}
        self.note: str | None = None
        # The trace in force (or being read) was asked for by a command, not configured or found.
        self.by_request = False
        self.watch = ServerSideWatch(self._watched_file_settled)
        self._merged: dict[str, tuple[tuple, CheckResult]] = {}
        self._shifted: dict[str, tuple[tuple, list[Evidence]]] = {}

    # -- settings and discovery -----------------------------------------------------------------

    @property
    def root(self) -> Path | None:
        return self.ls.settings.workspace_root

    def settings_changed(self, raw: Any) -> None:
        new = TraceSettings.from_raw(raw)
        old, self.settings = self.settings, new
        if (new.path, new.thresholds, new.auto_load, new.trusted, new.partial_every_s) != \
                (old.path, old.thresholds, old.auto_load, old.trusted, old.partial_every_s):
            self.refresh()
        elif (new.inlay_hints, new.code_lens) != (old.inlay_hints, old.code_lens):
            self.refresh_client_views()

    def configured_path(self) -> Path | None:
        if not self.settings.path:
            return None
        p = Path(os.path.expanduser(self.settings.path))
        if not p.is_absolute() and self.root is not None:
            p = self.root / p
        return p

    def refresh(self) -> None:
        """Find the trace to use now and load it if it is not the one in force (the workspace
        walk runs in a thread: a large tree must not stall the event loop). When the answer is
        "no trace", the status says so too: a client learns that the decision has been made."""
        if not self.settings.trusted:
            if self.evidence is not None or self._parse is not None:
                self.clear()
            else:
                self.notify_status()
            return
        target = self.configured_path()
        if target is not None:
            self.load(target)
            return
        if self._requested_in_force():
            return  # the user's explicit choice stays until they clear it or configure a path
        if not self.settings.auto_load:
            # Auto-loading turned off (or the editor sent it off from the start, as a restart
            # that keeps a cleared trace does): a discovered trace goes too.
            if self.evidence is not None or self._parse is not None:
                self.clear()
            else:
                self.notify_status()
            return
        if self.root is None:
            self.notify_status()
            return
        root = self.root

        async def discover_then_load() -> None:
            found = await asyncio.get_running_loop().run_in_executor(None, discover_all, root)
            if found and self.configured_path() is None and self.settings.auto_load and not self._requested_in_force():
                self._fallbacks = found[1:]
                self._unreadable = {}
                self.load(found[0])
            elif not found:
                self.notify_status()

        self._discovery = asyncio.ensure_future(discover_then_load())

    def files_changed(self, changes: list[types.FileEvent]) -> None:
        from golens.lsp.documents import uri_to_path

        if not self.settings.trusted:
            return
        configured = self.configured_path()
        for change in changes:
            path = uri_to_path(change.uri)
            if path is None:
                continue
            p = Path(path)
            if configured is not None:
                if p == configured and change.type != types.FileChangeType.Deleted:
                    self.load(p, force=True)
                continue
            if change.type == types.FileChangeType.Deleted:
                if self.trace_path == p:
                    self.refresh()
                continue
            if (self.settings.auto_load or p == self.trace_path) and is_trace_file(p):
                self.load(p, force=True)

    # -- loading --------------------------------------------------------------------------------

    def load(self, path: Path, force: bool = False, requested: bool = False) -> asyncio.Future[tuple[str, Any]] | None:
        """Start reading `path` (unless it is already in force or being read); the returned task
        ends with ("ok", evidence) or ("error", message). A `requested` load (a command) leaves
        reporting an error to its caller."""
        if not self.settings.trusted:
            return None
        path = Path(path)
        if not force and self.trace_path == path and self.evidence is not None:
            return None
        if self._parse is not None:
            running, task = self._parse
            if running.path == path and not force:
                return task
            self._cancel_parse()
        if requested:
            self._fallbacks, self._unreadable = [], {}
        parse = BackgroundParse(path, str(self.root or path.parent), self.settings.thresholds,
                                self.settings.partial_every_s)
        parse.requested = requested
        task = asyncio.ensure_future(self._await_parse(parse))
        self._parse = (parse, task)
        return task

    async def load_requested(self, path: Path) -> dict[str, Any]:
        """An explicit load (golens.loadTrace): the status once the trace is read, with a
        one-line message, or only the error."""
        if not self.settings.trusted:
            return {"loaded": False, "error": "traces are not loaded in an untrusted workspace (static checks only)"}
        task = self.load(path, force=True, requested=True)
        if task is None:
            return self.status()
        try:
            status, payload = await asyncio.shield(task)
        except asyncio.CancelledError:
            return {"loaded": False, "error": f"loading {path} was superseded by a newer trace"}
        if status != "ok":
            return {"loaded": False, "error": str(payload)}
        return {**self.status(), "message": f"loaded trace {path}: {self.headline()}"}

    def headline(self) -> str:
        """What the loaded trace holds, in a few words."""
        te = self.evidence
        if te is None:
            return "no trace"
        status = self.status()
        leaks = f", {status['leaks']} leaked" if status.get("leaks") else ""
        return f"{te.summary.goroutines_total} goroutines{leaks}, {len(te.evidence)} findings"

    def _requested_in_force(self) -> bool:
        return (self._parse is not None and self._parse[0].requested) or (self.evidence is not None and self.by_request)

    def _cancel_parse(self) -> None:
        if self._parse is None:
            return
        parse, task = self._parse
        self._parse = None
        task.cancel()
        parse.cancel()
        self._restore_before_partial()

    def _restore_before_partial(self) -> None:
        """A parse that published partial results did not finish: what was in force before it
        is in force again."""
        if self._before_partial is None:
            return
        (self.evidence, self.trace_path, self.by_request), self._before_partial = self._before_partial, None
        self.partial = None
        self._bump()
        self.notify_status()

    def _install_partial(self, parse: BackgroundParse, te: TraceEvidence, bytes_read: int, size: int) -> None:
        if self._parse is None or self._parse[0] is not parse:
            return  # superseded while the message was on its way
        if self._before_partial is None:
            self._before_partial = (self.evidence, self.trace_path, self.by_request)
        self.by_request = parse.requested or (self.by_request and parse.path == self.trace_path)
        self._install(parse.path, te, partial=(bytes_read, size))

    async def _await_parse(self, parse: BackgroundParse) -> tuple[str, Any]:
        progress = Progress(self.ls, "trace")
        status, payload = await parse.outcome(
            progress, lambda te, bytes_read, size: self._install_partial(parse, te, bytes_read, size))
        if self._parse is not None and self._parse[0] is parse:
            self._parse = None
        if status == "ok" and isinstance(payload, TraceEvidence):
            self._before_partial = None
            # A reload of the user's trace (it changed on disk) is still the user's choice.
            self.by_request = parse.requested or (self.by_request and parse.path == self.trace_path)
            self._install(parse.path, payload)
            progress.end(f"{len(payload.evidence)} evidence items")
            self._say_which_was_skipped(parse.path)
            return status, payload
        progress.end("failed")
        self._restore_before_partial()
        message = str(payload)
        self.ls.log_warning(message)
        if not parse.requested and self._fallbacks and parse.path != self.trace_path:
            # A discovered trace that cannot be read (yet): the next newest one, and say so.
            self._unreadable[parse.path] = message
            self.load(self._fallbacks.pop(0))
            self._watch_files()
            return status, payload
        if parse.path in self._unreadable:
            # Still not readable: already said; the server-side watch tries again when it changes.
            self._unreadable[parse.path] = message
            return status, payload
        self.last_error = message
        if not parse.requested:
            self.ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                                message=f"golens: {message}"))
        self.notify_status()
        return status, payload

    def _say_which_was_skipped(self, loaded: Path) -> None:
        self._unreadable.pop(loaded, None)
        if not self._unreadable:
            self.note = None
            return
        newest, why = next(iter(self._unreadable.items()))
        self.note = (f"{newest.name} could not be read ({why}); showing {loaded.name}, the newest readable trace. "
                     f"golens reloads {newest.name} when it changes.")
        self.ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=f"golens: {self.note}"))
        self.ls.log_warning(self.note)
        self.notify_status()

    # -- server-side watching -----------------------------------------------------------------------

    def use_server_side_watch(self) -> None:
        """The client cannot watch files for us: poll the loaded trace (and newer unreadable ones)."""
        self.watch.start()
        self._watch_files()

    def _watch_files(self) -> None:
        paths = set(self._unreadable)
        if self.trace_path is not None:
            paths.add(self.trace_path)
        self.watch.poller.watch(paths)

    def _watched_file_settled(self, path: Path) -> None:
        if not self.settings.trusted:
            return
        if path == self.trace_path or is_trace_file(path):
            self.load(path, force=True)

    def _install(self, path: Path, te: TraceEvidence, partial: tuple[int, int] | None = None) -> None:
        self.evidence = te
        self.trace_path = path
        self.partial = partial
        self.loaded_at = time.time()
        self.last_error = None
        self.baselines = {}
        for p in {str(e.site.path) for e in te.evidence} | {k[0] for k in te.line_stats} | {k[0] for k in te.creations}:
            try:
                self.baselines[p] = read_regular(p, DEFAULT_MAX_FILE_BYTES)
            except OSError:
                pass
        self._bump()
        read = f" (partial: {partial[0] * 100 // max(partial[1], 1)}% read)" if partial else ""
        self.ls.log_info(f"trace evidence from {path}: {len(te.evidence)} items{read}")
        self.watch.poller.settled(path)
        self._watch_files()
        self.notify_status()

    def clear(self) -> None:
        self._cancel_parse()
        self.evidence = None
        self.trace_path = None
        self.partial = None
        self.loaded_at = None
        self.baselines = {}
        self._fallbacks, self._unreadable, self.note = [], {}, None
        self.by_request = False
        self._watch_files()
        self._bump()
        self.notify_status()

    def status(self) -> dict[str, Any]:
        """What an editor's status bar shows about the trace in force."""
        if self.evidence is None:
            status: dict[str, Any] = {"loaded": False}
            if self.last_error:
                status["error"] = self.last_error
            return status
        captured = self.evidence.trace_time.captured_end
        if captured is None and self.trace_path is not None:
            try:
                captured = _dt.datetime.fromtimestamp(self.trace_path.stat().st_mtime, _dt.UTC)
            except OSError:
                captured = None
        leaks = sum(e.goroutines for e in self.evidence.evidence
                    if e.rule == "GT101" and e.data.get("anchor") == "creation")
        return {
            "loaded": True,
            "path": str(self.trace_path),
            "capturedAt": captured.isoformat() if captured is not None else None,
            "goroutines": self.evidence.summary.goroutines_total,
            "leaks": leaks,
            "stale": any(e.stale for e in self.evidence.evidence),
            **({"note": self.note} if self.note else {}),
            **({"partial": True, "bytesRead": self.partial[0], "size": self.partial[1]} if self.partial else {}),
        }

    def notify_status(self) -> None:
        try:
            self.ls.protocol.notify("golens/traceStatus", self.status())
        except Exception as exc:  # a status bar is not worth failing a load for
            self.ls.log_warning(f"could not send the trace status: {exc}")

    def _bump(self) -> None:
        self.generation += 1
        self._merged.clear()
        self._shifted.clear()
        # The check cache and pull result ids are keyed by the settings generation: a new trace
        # is new input for every document.
        self.ls.settings.generation += 1
        self.ls.recheck_all()
        self.refresh_client_views()

    def refresh_client_views(self) -> None:
        workspace = self.ls.client_capabilities.workspace
        if workspace is None:
            return
        if workspace.inlay_hint and workspace.inlay_hint.refresh_support:
            self.ls.workspace_inlay_hint_refresh(None)
        if workspace.code_lens and workspace.code_lens.refresh_support:
            self.ls.workspace_code_lens_refresh(None)

    # -- per document ---------------------------------------------------------------------------

    def shifted_evidence(self, opened) -> list[Evidence]:
        """This document's evidence at its current lines."""
        te = self.evidence
        if te is None or not opened.path:
            return []
        path = str(Path(opened.path).resolve())
        key = (self.generation, opened.token)
        hit = self._shifted.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
        evs = te.for_path(Path(path))
        base = self.baselines.get(path)
        mapping = line_map(base, opened.doc.source) if base is not None else None
        if mapping is not None:
            evs = [shift_evidence(e, mapping, path) for e in evs]
        self._shifted[path] = (key, evs)
        return evs

    def map_line(self, opened, line: int) -> int | None:
        base = self.baselines.get(str(Path(opened.path).resolve())) if opened.path else None
        if base is None:
            return line
        return current_line(line_map(base, opened.doc.source), line)

    def merge(self, opened, result: CheckResult) -> CheckResult:
        """The document's static findings with its trace evidence folded in (cached per text+trace)."""
        if self.evidence is None or result.skipped is not None or not opened.path:
            return result
        key = (self.generation, opened.token, id(result))
        hit = self._merged.get(opened.uri)
        if hit is not None and hit[0] == key:
            return hit[1]
        evs = self.shifted_evidence(opened)
        if not evs:
            merged = result
        else:
            path = Path(opened.path).resolve()
            config = self.ls.settings.config_for(opened.path)
            trace = evidence_findings(opened.doc, path, DocumentEvidence(evs), config=config, registry=self.ls.engine.registry)
            merged = CheckResult(merge_findings(opened.doc, result.findings, trace, self.ls.engine.registry),
                                 skipped=result.skipped, failures=result.failures)
        self._merged[opened.uri] = (key, merged)
        return merged

    def line_stats_for(self, opened):
        """(current line, [LineStat]) of this document."""
        te = self.evidence
        if te is None or not opened.path:
            return []
        path = str(Path(opened.path).resolve())
        out = []
        for (p, line), stats in te.line_stats.items():
            if p != path:
                continue
            now = self.map_line(opened, line)
            if now is not None:
                out.append((now, stats))
        return sorted(out, key=lambda x: x[0])

    def creations_for(self, opened):
        te = self.evidence
        if te is None or not opened.path:
            return []
        path = str(Path(opened.path).resolve())
        out = []
        for (p, line), c in te.creations.items():
            if p == path:
                now = self.map_line(opened, line)
                if now is not None:
                    out.append((now, c))
        return sorted(out, key=lambda x: x[0])

    def partial_note(self) -> str:
        """What a partial result covers (empty for a final one)."""
        if self.partial is None:
            return ""
        read, size = self.partial
        return f"partial: the first {read * 100 // max(size, 1)}% of the file read, still reading"

    def age(self) -> str:
        if self.loaded_at is None or self.trace_path is None:
            return ""
        try:
            mtime = self.trace_path.stat().st_mtime
        except OSError:
            mtime = self.loaded_at
        return _ago(time.time() - mtime)


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
