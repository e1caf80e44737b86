"""pprof profiles in the language server, beside the trace: which profiles are in force, their GP
evidence folded into each open document's findings, and the golens.loadProfile /
golens.clearProfiles commands.

Which profiles: the newest readable profile of each kind (goroutineleak, goroutine, mutex, block)
found in the workspace by content — a file named like a profile (`*.pprof`, `*.pb.gz`, `*.prof`,
`*.out`, `*profile*`) that is gzip data and parses as one of those kinds — plus any loaded with
golens.loadProfile (which replaces the profile of its kind). Watched-file events for those names
reload. As for traces, nothing is loaded in a workspace the editor does not trust
(`golens.trusted: false`), and `golens.trace.autoLoad: false` turns discovery off. A profile that
cannot be read is reported once and changes nothing else: the profiles in force stay.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.engine import CheckResult
from golens.evidence import fmt_duration
from golens.evidence.mapping import Workspace
from golens.evidence.merge import PROFILE_SOURCE, DocumentEvidence, evidence_findings, merge_findings
from golens.lsp.guard import guarded_command
from golens.lsp.line_shift import current_line, line_map, shift_evidence
from golens.lsp.trace_discovery import candidates
from golens.lsp.trace_watch import ServerSideWatch
from golens.profile import (
    USED_KINDS,
    ProfileError,
    ProfileEvidence,
    ProfileSet,
    describe_kind,
    load_profile_evidence,
    read_profile,
)
from golens.profile.diff import DiffError, DiffResult, Row, diff_files
from golens.safeio import read_head, read_regular, regular_stat

LOAD = "golens.loadProfile"
CLEAR = "golens.clearProfiles"
BASELINE = "golens.setBaseline"
STATUS = "golens/profileStatus"
WATCH_GLOBS = ("**/*.pprof", "**/*.pb.gz", "**/*.prof", "**/*profile*")
# Discovery reads no profile bigger than this (a 100k-goroutine profile is ~20 MB).
MAX_DISCOVERED_BYTES = 64 << 20


def is_candidate_name(name: str) -> bool:
    return name.endswith((".pprof", ".pb.gz", ".prof", ".out")) or "profile" in name


def _gzip_candidates(root: Path) -> Iterator[tuple[float, Path]]:
    for mtime, p in candidates(root, accept=is_candidate_name):
        st = regular_stat(p)
        if st is None or st.st_size > MAX_DISCOVERED_BYTES:
            continue
        try:
            if read_head(p, 2) == b"\x1f\x8b":
                yield mtime, p
        except OSError:
            continue


def discover(root: Path, workspace: Workspace, exclude: frozenset[Path] = frozenset()) -> dict[str, ProfileEvidence]:
    """The newest readable profile of each used kind under root, but those in `exclude` (the
    baseline is an earlier run, not the one in force); runs in a worker thread."""
    found: dict[str, ProfileEvidence] = {}
    for _, p in sorted(_gzip_candidates(root), key=lambda c: c[0], reverse=True):
        if p.resolve() in exclude:
            continue
        try:
            pe = load_profile_evidence(p, workspace=workspace)
        except (ProfileError, OSError):
            continue  # a CPU profile, a gzip of something else: not ours
        found.setdefault(pe.kind, pe)
        if len(found) == len(USED_KINDS):
            break
    return found


class ProfileManager:
    def __init__(self, ls: Any):
        self.ls = ls
        self.by_kind: dict[str, ProfileEvidence] = {}
        self.generation = 0
        self.last_error: str | None = None
        self._merged: dict[str, tuple[tuple[int, int, int], CheckResult]] = {}
        self._discovery: asyncio.Future[None] | None = None
        # Each evidence file's text when the profiles were installed: evidence follows the user's
        # edits from there (golens.lsp.line_shift), as the trace's does.
        self.baselines: dict[str, bytes] = {}
        # Before/after in the hover: a trace or profile of an earlier run (golens.setBaseline, or
        # the golens.trace.baseline setting) against the trace or same-kind profile in force.
        self.baseline_path: Path | None = None
        self.baseline_diff: DiffResult | None = None
        self._baseline_key: tuple[str, str, float] | None = None
        self._baseline_job: asyncio.Future[None] | None = None
        self._baseline_from_setting = False
        # For clients that cannot watch files (Neovim 0.7; 0.11 on Linux): the server polls the
        # loaded profiles itself, as it does the trace (golens.lsp.trace_watch).
        self.watch = ServerSideWatch(self._watched_file_settled)

    @property
    def trusted(self) -> bool:
        trace = getattr(self.ls, "trace", None)
        return trace is None or bool(trace.settings.trusted)

    @property
    def auto_load(self) -> bool:
        trace = getattr(self.ls, "trace", None)
        return trace is None or bool(trace.settings.auto_load)

    @property
    def profiles(self) -> ProfileSet:
        return ProfileSet([self.by_kind[k] for k in USED_KINDS if k in self.by_kind])

    def _workspace(self) -> Workspace | None:
        root = self.ls.settings.workspace_root
        return Workspace.scan(root) if root is not None else None

    # -- discovery and loading ------------------------------------------------------------------

    def refresh(self, rewritten: frozenset[Path] = frozenset()) -> None:
        """Look for profiles in the workspace (in a thread: a large tree must not stall the loop);
        `rewritten` files are read again even where the same file is in force."""
        configured = _baseline_setting(getattr(self.ls.settings, "raw", None), self.ls.settings.workspace_root)
        if configured != self.baseline_path and (configured is not None or self._baseline_from_setting):
            self.baseline_path, self.baseline_diff, self._baseline_key = configured, None, None
            self.notify_status()
        self._baseline_from_setting = configured is not None
        if not self.trusted:
            if self.by_kind:
                self.clear()
            return
        root = self.ls.settings.workspace_root
        if root is None or not self.auto_load:
            return

        async def discover_then_install() -> None:
            loop = asyncio.get_running_loop()
            ws = await loop.run_in_executor(None, Workspace.scan, root)
            exclude = frozenset({self.baseline_path.resolve()} if self.baseline_path is not None else ())
            found = await loop.run_in_executor(None, discover, root, ws, exclude)
            if found and self.trusted:
                changed = {k: v for k, v in found.items()
                           if k not in self.by_kind or self.by_kind[k].source != v.source
                           or Path(v.source) in rewritten}
                if changed:
                    self.by_kind.update(changed)
                    self._installed()

        self._discovery = asyncio.ensure_future(discover_then_install())

    async def load(self, path: Path) -> dict[str, Any]:
        """Read one profile and put it in force for its kind; the status, or `error` alone."""
        if not self.trusted:
            return {"loaded": False, "error": "profiles are not loaded in an untrusted workspace (static checks only)"}
        loop = asyncio.get_running_loop()
        try:
            ws = self._workspace() or Workspace.scan(path.parent)
            pe = await loop.run_in_executor(None, lambda: load_profile_evidence(path, workspace=ws))
        except ProfileError as exc:
            return self._failed(f"{path}: {exc}")
        except OSError as exc:
            return self._failed(f"{path}: {exc.strerror or exc}")
        self.by_kind[pe.kind] = pe
        self._installed()
        return {**self.status(), "message": f"loaded {describe_kind(pe.kind)} {path}: "
                                            f"{len(pe.evidence)} findings"}

    def _failed(self, message: str) -> dict[str, Any]:
        self.last_error = message
        self.ls.log_warning(message)
        return {"loaded": False, "error": message}

    def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        from golens.lsp.documents import uri_to_path

        if not self.trusted:
            return
        loaded = {Path(pe.source) for pe in self.by_kind.values()}
        for change in changes:
            path = uri_to_path(change.uri)
            if path is None or not is_candidate_name(Path(path).name):
                continue
            if change.type == types.FileChangeType.Deleted and Path(path) in loaded:
                self.by_kind = {k: v for k, v in self.by_kind.items() if Path(v.source) != Path(path)}
                self._installed()
                continue
            if change.type != types.FileChangeType.Deleted and (self.auto_load or Path(path) in loaded):
                self.refresh(rewritten=frozenset({Path(path)}))
                return

    def clear(self) -> None:
        self.by_kind = {}
        self.last_error = None
        self._installed()

    def _watched_file_settled(self, path: Path) -> None:
        self.files_changed([types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Changed)])

    def _installed(self) -> None:
        self.watch.poller.watch(Path(pe.source) for pe in self.by_kind.values())
        for pe in self.by_kind.values():
            self.watch.poller.settled(Path(pe.source))
        self.baselines = {}
        paths = {str(e.site.path) for pe in self.by_kind.values() for e in pe.evidence}
        paths |= {str(pl.site.path) for pe in self.by_kind.values() for pl in pe.lines}
        for p in paths:
            try:
                self.baselines[p] = read_regular(p, DEFAULT_MAX_FILE_BYTES)
            except OSError:
                pass
        self.generation += 1
        self._merged.clear()
        self.ls.settings.generation += 1  # new input for every document's cached check
        self.ls.recheck_all()
        self.notify_status()

    def status(self) -> dict[str, Any]:
        """What an editor's status item shows about the profiles in force."""
        profiles = [{"path": pe.source, "kind": pe.kind, "findings": len(pe.evidence),
                     "writtenAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(pe.summary.time_nanos / 1e9))
                     if pe.summary.time_nanos else None}
                    for pe in self.profiles.profiles]
        status: dict[str, Any] = {"loaded": bool(profiles), "profiles": profiles,
                                  "leaks": sum(pe.summary.total_count for pe in self.profiles.profiles
                                               if pe.kind == "goroutineleak")}
        if self.baseline_path is not None:
            status["baseline"] = str(self.baseline_path)
        if self.last_error:
            status["error"] = self.last_error
        return status

    def notify_status(self) -> None:
        try:
            self.ls.protocol.notify(STATUS, self.status())
        except Exception as exc:  # a status item is not worth failing a load for
            self.ls.log_warning(f"could not send the profile status: {exc}")

    # -- per document ---------------------------------------------------------------------------

    def merge(self, opened: Any, result: CheckResult) -> CheckResult:
        """The document's findings (static, and trace evidence already folded in) with its profile
        evidence folded in too (cached per text and profiles)."""
        if not self.by_kind or result.skipped is not None or not opened.path:
            return result
        key = (self.generation, opened.token, id(result))
        hit = self._merged.get(opened.uri)
        if hit is not None and hit[0] == key:
            return hit[1]
        path = Path(opened.path).resolve()
        config = self.ls.settings.config_for(opened.path)
        registry = self.ls.engine.registry
        evs = self.profiles.for_path(path)
        base = self.baselines.get(str(path))
        mapping = line_map(base, opened.doc.source) if base is not None else None
        if mapping is not None:
            evs = [shift_evidence(e, mapping, str(path)) for e in evs]
        found = evidence_findings(opened.doc, path, DocumentEvidence(evs), config=config,
                                  registry=registry, source=PROFILE_SOURCE)
        merged = result
        if found:
            merged = CheckResult(merge_findings(opened.doc, result.findings, found, registry),
                                 skipped=result.skipped, failures=result.failures)
        self._merged[opened.uri] = (key, merged)
        return merged


    # -- baseline ---------------------------------------------------------------------------------

    def _current_for(self, baseline: Path) -> Path | None:
        """The input in force that `baseline` is compared with: the trace, or the profile of its kind."""
        try:
            if read_head(baseline, 5) == b"go 1.":
                trace = getattr(self.ls, "trace", None)
                return trace.trace_path if trace is not None else None
            kind = read_profile(baseline).kind
        except (OSError, ProfileError):
            return None
        pe = self.by_kind.get(kind)
        return Path(pe.source) if pe is not None else None

    def update_baseline(self) -> None:
        """Recompute the before/after comparison in the background when its inputs changed."""
        baseline = self.baseline_path
        if baseline is None or not self.trusted or self.ls.settings.workspace_root is None:
            self.baseline_diff, self._baseline_key = None, None
            return
        current = self._current_for(baseline)
        st = regular_stat(current) if current is not None else None
        if current is None or st is None:
            return
        key = (str(baseline), str(current), st.st_mtime)
        if key == self._baseline_key or (self._baseline_job is not None and not self._baseline_job.done()):
            return
        root = self.ls.settings.workspace_root

        async def compare() -> None:
            try:
                result = await asyncio.get_running_loop().run_in_executor(None, diff_files, baseline, current, root)
            except DiffError as exc:
                self.ls.log_warning(f"baseline: {exc}")
                self._baseline_key = key
                return
            self.baseline_diff, self._baseline_key = result, key
            self.ls.trace.refresh_client_views()  # the baseline's code lenses

        self._baseline_job = asyncio.ensure_future(compare())

    async def set_baseline(self, path: Path | None) -> dict[str, Any]:
        if not self.trusted:
            return {"baseline": None, "error": "nothing is loaded in an untrusted workspace"}
        self.baseline_path, self.baseline_diff, self._baseline_key = path, None, None
        self.notify_status()
        self.update_baseline()
        if self._baseline_job is not None:
            await asyncio.shield(self._baseline_job)
        if path is not None and self.baseline_diff is None:
            return {"baseline": str(path), "error": f"nothing in force to compare {path.name} with yet "
                                                    "(load a trace or a profile of its kind)"}
        return {"baseline": str(path) if path else None}

    def _baseline_rows(self, opened: Any) -> list[Row]:
        """This document's rows of the comparison with the baseline."""
        self.update_baseline()
        result, root = self.baseline_diff, self.ls.settings.workspace_root
        if result is None or root is None or not opened.path:
            return []
        try:
            shown = Path(opened.path).resolve().relative_to(root).as_posix()
        except ValueError:
            return []
        return [r for r in result.rows if r.path == shown]

    def baseline_lenses(self, opened: Any) -> list[tuple[int, str]]:
        """(line, title) for each line whose change since the baseline is beyond the noise rule:
        "since baseline: chan send 20× → — (gone)"."""
        by_line: dict[int, list[str]] = {}
        for r in self._baseline_rows(opened):
            if r.label != "noise":
                by_line.setdefault(r.line, []).append(f"{r.reason} {_measure(r.before)} → {_measure(r.after)} ({r.label})")
        return [(line, "since baseline: " + "; ".join(parts)) for line, parts in sorted(by_line.items())]

    def baseline_markdown(self, opened: Any, line: int, markdown: bool) -> str | None:
        """The hovered line's change since the baseline ("chan send 20× 3.9 s → — (gone)")."""
        rows = [r for r in self._baseline_rows(opened) if r.line == line]
        result = self.baseline_diff
        if not rows or result is None:
            return None
        what = "trace" if result.before.kind == "trace" else describe_kind(result.before.kind)
        lines = [f"{r.reason}: {_measure(r.before)} → {_measure(r.after)} ({r.label})" for r in rows]
        head = f"since the baseline {what} {Path(result.before.source).name}"
        if not markdown:
            return "\n".join([head + ":", *lines])
        return f"**{head}**\n\n" + "\n".join(f"- {x}" for x in lines)

    def line_markdown(self, opened: Any, line: int, markdown: bool) -> str | None:
        """What each profile attributed to one (current) line, one sentence per profile and reason:
        "mutex profile: 154 contended unlocks, 370 ms of waiting charged here"."""
        if not opened.path:
            return None
        path = str(Path(opened.path).resolve())
        base = self.baselines.get(path)
        mapping = line_map(base, opened.doc.source) if base is not None else None
        out = []
        for pe in self.profiles.profiles:
            for pl in pe.lines:
                if str(pl.site.path) != path or current_line(mapping, pl.site.line) != line:
                    continue
                out.append(f"{describe_kind(pe.kind)}: {_line_sentence(pe.kind, pl.count, pl.delay_ns, pl.reason)}")
        since = self.baseline_markdown(opened, line, markdown)
        if not out:
            return since
        text = "\n".join(out) if not markdown else "**Profiles at this line**\n\n" + "\n".join(f"- {x}" for x in out)
        return text + ("\n\n" + since if since else "")


def _baseline_setting(raw: Any, root: Path | None) -> Path | None:
    """`golens.trace.baseline` (or `trace.baseline` in a flat section), made absolute."""
    if not isinstance(raw, dict):
        return None
    raw = raw.get("golens", raw) if isinstance(raw.get("golens"), dict) else raw
    trace = raw.get("trace") if isinstance(raw.get("trace"), dict) else {}
    value = raw.get("trace.baseline", trace.get("baseline"))
    if not isinstance(value, str) or not value.strip():
        return None
    p = Path(os.path.expanduser(value))
    return root / p if not p.is_absolute() and root is not None else p


def _measure(m: tuple[int, int | None] | None) -> str:
    if m is None:
        return "—"
    return f"{m[0]}×" if m[1] is None else f"{m[0]}× {fmt_duration(m[1])}"


def _line_sentence(kind: str, count: int, delay_ns: int, reason: str) -> str:
    if kind == "goroutineleak":
        return f"{count} leaked goroutine{'s' if count != 1 else ''} blocked here for good ({reason})"
    if kind == "goroutine":
        return f"{count} goroutine{'s' if count != 1 else ''} parked here ({reason})"
    if kind == "mutex":
        return f"{fmt_duration(delay_ns)} of contention released here ({count} contended unlocks, {reason})"
    return f"{fmt_duration(delay_ns)} waited here ({count} waits, {reason})"


async def initialized(ls: Any) -> None:
    """After the handshake: watch profile files (when the client can) and look for profiles."""
    workspace = ls.client_capabilities.workspace
    if workspace and workspace.did_change_watched_files and workspace.did_change_watched_files.dynamic_registration:
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
                id="golens-profiles",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]),
            )]))
        except Exception as exc:  # the client refused: the server watches the loaded profiles itself
            ls.log_warning(f"the editor cannot watch profile files ({exc})")
            ls.profiles.watch.start()
    else:
        ls.profiles.watch.start()
    ls.profiles.refresh()


def register(ls: LanguageServer) -> None:
    setattr(ls, "profiles", ProfileManager(ls))  # noqa: B010 (golens's server type is untyped)

    # Arguments come positionally (*args), as for the trace commands.
    @ls.command(LOAD)
    @guarded_command(LOAD)
    async def load_profile(ls: Any, *args: Any) -> dict[str, Any] | None:
        return await _load_command(ls, args)

    @ls.command(CLEAR)
    def clear_profiles(ls: Any, *args: Any) -> None:
        ls.profiles.clear()

    @ls.command(BASELINE)
    @guarded_command(BASELINE)
    async def set_baseline(ls: Any, *args: Any) -> dict[str, Any] | None:
        """Argument: a trace or profile of an earlier run (a path), or nothing to clear it."""
        path = _path_argument(ls, args)
        return await ls.profiles.set_baseline(path)  # type: ignore[no-any-return]


def _path_argument(ls: Any, args: Sequence[Any]) -> Path | None:
    """A command's path argument (a path, a file: URI, or {"path"|"uri": …}), made absolute."""
    path = args[0] if args else None
    if isinstance(path, dict):
        path = path.get("path") or path.get("uri")
    if not isinstance(path, str) or not path:
        return None
    from golens.lsp.documents import uri_to_path

    p = Path(uri_to_path(path) or path) if path.startswith("file:") else Path(path)
    if not p.is_absolute() and ls.settings.workspace_root is not None:
        p = ls.settings.workspace_root / p
    return p


async def _load_command(ls: Any, args: Sequence[Any]) -> dict[str, Any]:
    p = _path_argument(ls, args)
    if p is None:
        return {"loaded": False, "error": f"{LOAD} needs a profile file path"}
    result: dict[str, Any] = await ls.profiles.load(p)
    return result
