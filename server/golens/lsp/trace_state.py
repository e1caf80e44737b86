"""Trace evidence in the language server: which trace, parsing it off the event loop, and the
evidence of each open document (merged with its static findings, shifted with its edits).

Which trace: the `golens.trace.path` setting (absolute, or relative to the workspace root), else
the newest file in the workspace whose first bytes are a Go trace header (`go 1.NN trace`),
among files named `*.trace`, `*.out` or `trace*`. Watched-file events for those names (registered
dynamically) trigger a reload.

Parsing runs in a child process (started fresh, so nothing of the server's state is copied): a big
trace takes tens of seconds of pure-Python CPU, which in a thread would hold the GIL against the
event loop and slow every keystroke and hover. A newer trace terminates the running parse; the
previous evidence stays in force until a new one is ready. A trace that cannot be read is
reported once with window/showMessage and changes nothing else.

Shifting: evidence lines refer to the files as they were when the trace was loaded. For an open
document whose text differs, lines are mapped through a line diff of that baseline and the
current text; evidence on a line that was itself edited is marked stale rather than moved.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as _dt
import difflib
import json
import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types

from golens.childproc import PythonChild
from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.engine import CheckResult
from golens.evidence import TraceEvidence
from golens.evidence.analysis import Evidence, Site
from golens.evidence.merge import evidence_findings, merge_findings
from golens.safeio import read_head, read_regular

log = logging.getLogger(__name__)

HEADER = re.compile(rb"^go 1\.\d+ trace\x00")
WATCH_GLOBS = ("**/*.trace", "**/*.out", "**/trace*")
_SKIP_DIRS = frozenset({"node_modules", "vendor", "testdata", "__pycache__"})
PROGRESS_MIN_BYTES = 2 * 1024 * 1024  # smaller traces parse in well under a second


def is_trace_file(path: Path) -> bool:
    try:
        # read_head: a `trace.out -> /dev/stdin` link would read the LSP stream itself.
        return bool(HEADER.match(read_head(path, 16)))
    except OSError:
        return False


def _candidate_name(name: str) -> bool:
    return name.endswith((".trace", ".out")) or name.startswith("trace")


def discover(root: Path, limit: int = 50_000) -> Path | None:
    """The newest trace file under root (hidden, vendor and dependency directories skipped)."""
    best: tuple[float, Path] | None = None
    seen = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
        for name in files:
            seen += 1
            if seen > limit:
                return best[1] if best else None
            if not _candidate_name(name):
                continue
            p = Path(directory) / name
            try:
                mtime = p.stat().st_mtime
            except OSError:
                continue
            if (best is None or mtime > best[0]) and is_trace_file(p):
                best = (mtime, p)
    return best[1] if best else None


def _parse_in_child(conn, trace_path: str, root: str, thresholds: dict) -> None:
    """Child process: read and analyse, send back ("ok", evidence) or ("error", message)."""
    try:
        from golens.evidence import Thresholds as T
        from golens.evidence import load_evidence
        from golens.trace import TraceError

        try:
            te = load_evidence(trace_path, root=root, thresholds=T.from_mapping(thresholds)).freeze()
            conn.send(("ok", te))
        except TraceError as exc:
            conn.send(("error", f"{trace_path} is not a readable Go execution trace: {exc}"))
        except OSError as exc:
            conn.send(("error", f"cannot read {trace_path}: {exc.strerror or exc}"))
    except Exception as exc:  # anything else must still reach the server as a message
        conn.send(("error", f"reading {trace_path} failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


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
        return cls(
            path=path if isinstance(path, str) and path.strip() else None,
            inlay_hints=trace.get("inlayHints", True) is not False,
            code_lens=trace.get("codeLens", True) is not False,
            thresholds=trace.get("thresholds") if isinstance(trace.get("thresholds"), dict) else {},
            auto_load=trace.get("autoLoad", True) is not False,
            trusted=raw.get("trusted", True) is not False,
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
        self._parse: tuple[Path, Any, Any] | None = None  # (path, process, task)
        self._merged: dict[str, tuple[tuple, CheckResult]] = {}
        self._shifted: dict[str, tuple[tuple, list[Evidence]]] = {}
        self.parses_started = 0

    # -- settings and discovery -----------------------------------------------------------------

    @property
    def root(self) -> Path | None:
        return self.ls.settings.workspace_root

    def settings_changed(self, raw: Any) -> None:
        new = TraceSettings.from_raw(raw)
        old, self.settings = self.settings, new
        if (new.path, new.thresholds, new.auto_load, new.trusted) != (old.path, old.thresholds, old.auto_load, old.trusted):
            self.refresh()
        elif (new.inlay_hints, new.code_lens) != (old.inlay_hints, old.code_lens):
            self._refresh_client_views()

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
        if self.root is None or not self.settings.auto_load:
            self.notify_status()
            return
        root = self.root

        async def discover_then_load():
            found = await asyncio.get_running_loop().run_in_executor(None, discover, root)
            if found is not None and self.configured_path() is None:
                self.load(found)
            elif found is None:
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

    def load(self, path: Path, force: bool = False) -> None:
        if not self.settings.trusted:
            return
        path = Path(path)
        if not force and self.trace_path == path and self.evidence is not None:
            return
        if self._parse is not None:
            running_path, proc, task = self._parse
            if running_path == path and not force:
                return
            self._cancel_parse()
        self.parses_started += 1
        root = str(self.root or path.parent)
        # Not multiprocessing: its spawned child imports from the working directory (see childproc).
        proc = PythonChild("golens.lsp.trace_child", [str(path), root, json.dumps(self.settings.thresholds)])
        task = asyncio.ensure_future(self._await_parse(path, proc, proc.connection))
        self._parse = (path, proc, task)

    def _cancel_parse(self) -> None:
        if self._parse is None:
            return
        _, proc, task = self._parse
        self._parse = None
        task.cancel()
        if proc.is_alive():
            proc.terminate()

    async def _await_parse(self, path: Path, proc, recv) -> None:
        loop = asyncio.get_running_loop()
        token = None
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        started = time.monotonic()
        try:
            if size >= PROGRESS_MIN_BYTES:
                token = await self._progress_begin(path, size)
            while not recv.poll():
                if not proc.is_alive() and not recv.poll():
                    raise EOFError
                await asyncio.sleep(0.05)
                if token is not None:
                    self._progress_report(token, time.monotonic() - started)
            status, payload = await loop.run_in_executor(None, recv.recv)
        except asyncio.CancelledError:
            self._progress_end(token, "cancelled: a newer trace appeared")
            raise
        except (EOFError, OSError):
            status, payload = "error", f"reading {path} failed: the parser process exited with code {proc.exitcode}"
        finally:
            recv.close()
        if self._parse is not None and self._parse[0] == path:
            self._parse = None
        if status == "ok":
            self._install(path, payload)
            self._progress_end(token, f"{len(payload.evidence)} evidence items")
        else:
            self._progress_end(token, "failed")
            self.last_error = payload
            self.ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Error,
                                                                message=f"golens: {payload}"))
            self.ls.log_warning(payload)
            self.notify_status()
        proc.join(timeout=1)

    def _install(self, path: Path, te: TraceEvidence) -> None:
        self.evidence = te
        self.trace_path = path
        self.loaded_at = time.time()
        self.last_error = None
        self.baselines = {}
        for p in {str(e.site.path) for e in te.evidence} | {k[0] for k in te.line_stats} | {k[0] for k in te.creations}:
            try:
                self.baselines[p] = read_regular(p, DEFAULT_MAX_FILE_BYTES)
            except OSError:
                pass
        self._bump()
        self.ls.log_info(f"trace evidence from {path}: {len(te.evidence)} items")
        self.notify_status()

    def clear(self) -> None:
        self._cancel_parse()
        self.evidence = None
        self.trace_path = None
        self.loaded_at = None
        self.baselines = {}
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
        self._refresh_client_views()

    def _refresh_client_views(self) -> None:
        workspace = self.ls.client_capabilities.workspace
        if workspace is None:
            return
        if workspace.inlay_hint and workspace.inlay_hint.refresh_support:
            self.ls.workspace_inlay_hint_refresh(None)
        if workspace.code_lens and workspace.code_lens.refresh_support:
            self.ls.workspace_code_lens_refresh(None)

    # -- progress -------------------------------------------------------------------------------

    async def _progress_begin(self, path: Path, size: int):
        window = self.ls.client_capabilities.window
        if not (window and window.work_done_progress):
            return None
        token = f"golens-trace-{uuid.uuid4().hex[:8]}"
        try:
            await asyncio.wait_for(self.ls.work_done_progress.create_async(token), 5)
        except Exception:
            return None
        self.ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title="golens: reading trace", message=f"{path.name} ({size / 1e6:.0f} MB)", cancellable=False))
        self._last_report = 0.0
        return token

    def _progress_report(self, token, elapsed: float) -> None:
        if elapsed - getattr(self, "_last_report", 0.0) >= 1.0:
            self._last_report = elapsed
            self.ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=f"{elapsed:.0f} s"))

    def _progress_end(self, token, message: str) -> None:
        if token is not None:
            self.ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))

    # -- per document ---------------------------------------------------------------------------

    def _line_map(self, base: bytes, current: bytes) -> dict[int, tuple[int | None, bool]] | None:
        """1-based baseline line -> (current line, edited?); None when the texts are identical.

        An edited line keeps the position of its counterpart in the replacing block (None when
        the block was deleted outright)."""
        if base == current:
            return None
        a, b = base.split(b"\n"), current.split(b"\n")
        mapping: dict[int, tuple[int | None, bool]] = {}
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            for k in range(i1, i2):
                if tag == "equal":
                    mapping[k + 1] = (j1 + (k - i1) + 1, False)
                elif j2 > j1:
                    mapping[k + 1] = (j1 + min(k - i1, j2 - j1 - 1) + 1, True)
                else:
                    mapping[k + 1] = (None, True)
        return mapping

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
        mapping = self._line_map(base, opened.doc.source) if base is not None else None
        if mapping is not None:
            evs = [self._shift(e, mapping, path) for e in evs]
        self._shifted[path] = (key, evs)
        return evs

    def map_line(self, opened, line: int) -> int | None:
        base = self.baselines.get(str(Path(opened.path).resolve())) if opened.path else None
        if base is None:
            return line
        mapping = self._line_map(base, opened.doc.source)
        if mapping is None:
            return line
        now, edited = mapping.get(line, (None, True))
        return None if edited else now

    @staticmethod
    def _shift(e: Evidence, mapping: dict, path: str) -> Evidence:
        def move(site: Site) -> Site:
            if str(site.path) != path:
                return site
            new, edited = mapping.get(site.line, (None, True))
            if edited:
                return dataclasses.replace(site, line=new if new is not None else site.line,
                                           stale=site.stale or "the line was edited since the trace")
            return dataclasses.replace(site, line=new)

        site = move(e.site)
        related = [(move(s), m) for s, m in e.related]
        if site.stale and not e.site.stale:
            from golens.findings import Severity

            return dataclasses.replace(e, site=site, related=related,
                                       severity=Severity(min(int(Severity.HINT), int(e.severity) + 1)),
                                       message=e.message + f" [stale: {site.stale}]")
        return dataclasses.replace(e, site=site, related=related)

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
            view = _EvidenceView(evs)
            config = self.ls.settings.config_for(opened.path)
            trace = evidence_findings(opened.doc, path, view, config=config, registry=self.ls.engine.registry)
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

    def age(self) -> str:
        if self.loaded_at is None or self.trace_path is None:
            return ""
        try:
            mtime = self.trace_path.stat().st_mtime
        except OSError:
            mtime = self.loaded_at
        return _ago(time.time() - mtime)


class _EvidenceView:
    """Duck-typed TraceEvidence holding one document's (shifted) evidence."""

    def __init__(self, evs: list[Evidence]):
        self._evs = evs

    def for_path(self, path: Path) -> list[Evidence]:
        return self._evs


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
