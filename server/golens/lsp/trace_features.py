"""Trace evidence features: inlay hints at the end of hot lines, code lenses on `go` statements
and regions, hover tables, and the commands clients call (golens.loadTrace, golens.clearTrace,
golens.showTraceSummary). State and loading live in trace_state."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from golens.evidence.analysis import LineStat, fmt_duration
from golens.evidence.merge import SOURCE, summary_lines
from golens.findings import Finding
from golens.lsp.guard import guarded, guarded_command
from golens.lsp.trace_state import WATCH_GLOBS, TraceManager

LOAD = "golens.loadTrace"
CLEAR = "golens.clearTrace"
SUMMARY = "golens.showTraceSummary"
SPARK = "▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    if not counts:
        return ""
    top = max(counts) or 1
    return "".join(SPARK[min(len(SPARK) - 1, round(c / top * (len(SPARK) - 1)))] if c else " " for c in counts)


# -- hover ------------------------------------------------------------------------------------------

def _stats_row(label: str, st, hist: list[int]) -> str:
    return (f"| {label} | {st.count} | {fmt_duration(st.total)} | {fmt_duration(st.p50)} | {fmt_duration(st.p95)} "
            f"| {fmt_duration(st.max)} | `{sparkline(hist)}` |")


def _trace_footer(ls) -> str:
    tm: TraceManager = ls.trace
    if tm.trace_path is None or tm.evidence is None:
        return ""
    s = tm.evidence.summary
    when = f", captured {s.wall_start:%Y-%m-%d %H:%M} UTC" if s.wall_start else ""
    partial = f"; {tm.partial_note()}" if tm.partial else ""
    return f"trace `{tm.trace_path.name}` ({fmt_duration(s.duration_ns)}{when}, file written {tm.age()}{partial})"


def evidence_markdown(ls, finding: Finding, markdown: bool) -> str | None:
    """The evidence behind a GT finding, or folded into a static one, as a compact table."""
    data = finding.data or {}
    items = ([data["evidence"]] if data.get("source") == SOURCE
             else [*data.get("trace", ()), *data.get("trace_related", ())])
    if not items:
        return None
    rows = []
    for e in items:
        for key, label in (("blocked", f"{e['rule']} {e.get('reason', '')} (blocked)"), ("syscall", "syscalls"),
                           ("latency", "runnable → running"), ("running", "on CPU without blocking"),
                           ("durations", e.get("kind", ""))):
            st = e.get(key)
            if isinstance(st, dict) and "count" in st:
                rows.append((label, st, e.get("histogram") or []))
    if not markdown:
        lines = [f"{label}: {st['count']}× total {fmt_duration(st['total_ns'])}, p50 {fmt_duration(st['p50_ns'])}, "
                 f"p95 {fmt_duration(st['p95_ns'])}, max {fmt_duration(st['max_ns'])}" for label, st, _ in rows]
        footer = _trace_footer(ls)
        return "\n".join(["Trace evidence:", *lines] + ([footer] if footer else []))
    table = ["| | count | total | p50 | p95 | max | distribution |", "|---|---:|---:|---:|---:|---:|---|"]
    for label, st, hist in rows:
        table.append(f"| {label} | {st['count']} | {fmt_duration(st['total_ns'])} | {fmt_duration(st['p50_ns'])} | "
                     f"{fmt_duration(st['p95_ns'])} | {fmt_duration(st['max_ns'])} | `{sparkline(hist)}` |")
    extra = []
    for e in items:
        if e.get("goroutines"):
            extra.append(f"{e['goroutines']} goroutines" + (f" · {e['criterion']}" if e.get("criterion") else ""))
        if e.get("stale"):
            extra.append(f"**stale**: {e['stale']}")
    footer = _trace_footer(ls)
    parts = ["**Trace evidence**", "\n".join(table)]
    if extra:
        parts.append(" · ".join(dict.fromkeys(extra)))
    if footer:
        parts.append(f"_{footer}_")
    return "\n\n".join(parts)


def line_markdown(ls, opened, line: int, markdown: bool) -> str | None:
    """Every wait and syscall the trace attributed to one (current) line."""
    for now, stats in ls.trace.line_stats_for(opened):
        if now == line:
            if not markdown:
                return "\n".join(f"{ls_.reason}: {ls_.stats.count}× {fmt_duration(ls_.stats.total)}" for ls_ in stats)
            table = ["| trace at this line | count | total | p50 | p95 | max | distribution |",
                     "|---|---:|---:|---:|---:|---:|---|"]
            table += [_stats_row(f"{ls_.reason}" + (" (blocked)" if ls_.kind == "blocked" else ""), ls_.stats,
                                 ls_.histogram) for ls_ in stats]
            footer = _trace_footer(ls)
            return "\n".join(table) + (f"\n\n_{footer}_" if footer else "")
    return None


def summary_markdown(ls) -> str:
    tm: TraceManager = ls.trace
    if tm.evidence is None:
        if tm.last_error:
            return f"**golens trace**: no evidence loaded — {tm.last_error}"
        return "**golens trace**: no trace loaded (set `golens.trace.path`, or put a `trace.out` in the workspace)"
    root = ls.settings.workspace_root

    def display(p) -> str:
        try:
            return str(Path(p).relative_to(root)) if root else str(p)
        except ValueError:
            return str(p)

    lines = summary_lines(tm.evidence, display)
    out = ["**golens trace summary**", "", *[f"- {x}" for x in lines], f"- file written {tm.age()}"]
    if tm.partial:
        out.append(f"- {tm.partial_note()}")
    worst = tm.evidence.worst(5)
    if worst:
        out += ["", "**Worst findings**", ""]
        out += [f"- `{w.rule}` {display(w.site.path)}:{w.site.line} — {w.message}" for w in worst]
    return "\n".join(out)


def package_hover(ls, opened, offset: int, markdown: bool):
    """Hover on the package clause: the trace-wide summary."""
    if ls.trace.evidence is None or opened.doc.tree is None:
        return None
    for node in opened.doc.tree.root_node.named_children:
        if node.type == "package_clause" and node.start_byte <= offset <= node.end_byte:
            text = summary_markdown(ls)
            return text if markdown else text.replace("**", "")
    return None


# -- inlay hints and code lenses --------------------------------------------------------------------

def hint_label(stats: list[LineStat]) -> str | None:
    blocked = [s for s in stats if s.kind == "blocked" and (s.stats.count or s.open)]
    sys = [s for s in stats if s.kind == "syscall" and s.stats.count]
    parts = []
    if blocked:
        # Waits still open at the end count with the time they had lasted: a line where every
        # goroutine is still stuck has blocked the longest.
        total = sum(s.stats.total + s.open_total for s in blocked)
        main = max(blocked, key=lambda s: s.stats.total + s.open_total)
        count = sum(s.stats.count + s.open for s in blocked)
        # Waits only runtime or standard-library goroutines ended (an HTTP round trip) are a
        # dependency's latency, not contention: said so, as GT201 leaves them out.
        dependency = all(s.dependency_count == s.stats.count and not s.open for s in blocked)
        parts.append(f"⏳ {fmt_duration(total)} {'waiting on a dependency' if dependency else 'blocked'} · "
                     f"{main.reason} ×{count}")
        stuck = sum(s.open for s in blocked)
        if stuck:
            parts.append(f"{stuck} still waiting at end")
    if sys:
        st = sys[0].stats
        parts.append(f"⚙ {st.count} syscalls · {fmt_duration(st.total)}")
    return " · ".join(parts) if parts else None


def _line_end(opened, mapper, line: int) -> types.Position | None:
    doc = opened.doc
    if line < 1 or line > doc.lines.line_count:
        return None
    end = doc.lines.line_end(line - 1)
    text = doc.line_text(line - 1)
    end -= len(text) - len(text.rstrip())
    return mapper.position(end)


def _hot(ls, stats: list[LineStat]) -> bool:
    dur = ls.trace.evidence.summary.duration_ns or 1
    total = sum(s.stats.total + s.open_total for s in stats)
    return total >= 0.01 * dur or any(s.open for s in stats) or sum(s.stats.count for s in stats) >= 20


def inlay_hints(ls, opened, first: int, last: int) -> list[types.InlayHint]:
    if ls.trace.evidence is None or not ls.trace.settings.inlay_hints:
        return []
    mapper = opened.mapper(ls.encoding)
    out = []
    for line, stats in ls.trace.line_stats_for(opened):
        if not (first <= line <= last) or not _hot(ls, stats):
            continue
        label = hint_label(stats)
        pos = _line_end(opened, mapper, line)
        if label and pos is not None:
            out.append(types.InlayHint(position=pos, label=label, padding_left=True,
                                       tooltip=line_markdown(ls, opened, line, False)))
    for e in ls.trace.shifted_evidence(opened):
        if e.rule == "GT601" and first <= e.site.line <= last:
            pos = _line_end(opened, mapper, e.site.line)
            if pos is not None:
                out.append(types.InlayHint(position=pos, label=f"⏱ {e.message}", padding_left=True))
    return out


def code_lenses(ls, opened) -> list[types.CodeLens]:
    if not ls.trace.settings.code_lens:
        return []
    mapper = opened.mapper(ls.encoding)
    out = []
    profiles = getattr(ls, "profiles", None)
    for line, title in profiles.baseline_lenses(opened) if profiles is not None else ():
        if line <= opened.doc.lines.line_count:
            start = opened.doc.lines.line_start(line - 1)
            out.append(types.CodeLens(range=mapper.range(start, start),
                                      command=types.Command(title=title, command=SUMMARY, arguments=[])))
    if ls.trace.evidence is None:
        return out
    for line, c in ls.trace.creations_for(opened):
        if line > opened.doc.lines.line_count:
            continue
        start = opened.doc.lines.line_start(line - 1)
        title = (f"trace: {c.created} goroutine{'s' if c.created != 1 else ''} started here · {c.ended} exited · "
                 f"{c.alive} alive at the end")
        out.append(types.CodeLens(range=mapper.range(start, start),
                                  command=types.Command(title=title, command=SUMMARY, arguments=[])))
    for e in ls.trace.shifted_evidence(opened):
        if e.rule == "GT601" and e.data.get("kind") in ("region", "task") and e.site.line <= opened.doc.lines.line_count:
            start = opened.doc.lines.line_start(e.site.line - 1)
            out.append(types.CodeLens(range=mapper.range(start, start),
                                      command=types.Command(title=f"trace: {e.message}", command=SUMMARY, arguments=[])))
    return out


# -- registration -----------------------------------------------------------------------------------

async def initialized(ls) -> None:
    """After initialize: watch for trace files (dynamic registration, else from the server) and
    load the current one."""
    ls.trace.settings_changed(getattr(ls.settings, "raw", None))
    ls.trace.refresh()
    ls.workspace_diagnostics.settings_changed(getattr(ls.settings, "raw", None))
    workspace = ls.client_capabilities.workspace
    if workspace and workspace.did_change_watched_files and workspace.did_change_watched_files.dynamic_registration:
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
                id="golens-traces",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]),
            )]))
            return
        except Exception as exc:  # the client refused: the server watches the trace itself
            ls.log_warning(f"the editor cannot watch trace files ({exc}); golens polls the loaded trace instead")
    # Neovim 0.7 cannot register watchers, 0.11 disables them on Linux.
    ls.trace.use_server_side_watch()


def register(ls) -> None:
    ls.trace = TraceManager(ls)

    @ls.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    @guarded(list)
    def inlay_hint(ls, params: types.InlayHintParams):
        opened = ls.documents.get(params.text_document.uri)
        if opened is None:
            return []
        return inlay_hints(ls, opened, params.range.start.line + 1, params.range.end.line + 1)

    @ls.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    @guarded(list)
    def code_lens(ls, params: types.CodeLensParams):
        opened = ls.documents.get(params.text_document.uri)
        if opened is None:
            return []
        return code_lenses(ls, opened)

    # Commands take their arguments positionally (*args): pygls maps executeCommand arguments
    # onto the handler's signature.
    @ls.command(LOAD)
    @guarded_command(LOAD)
    async def load_trace(ls, *args):
        return await _load_command(ls, args)

    @ls.command(CLEAR)
    def clear_trace(ls, *args):
        ls.trace.clear()
        return None

    @ls.command(SUMMARY)
    @guarded_command(SUMMARY)
    def show_summary(ls, *args):
        return summary_markdown(ls)


async def _load_command(ls, args) -> dict:
    """The trace's status once it is read (with a one-line `message`), or `error` alone: the
    editor reports either, so nothing claims success before the parse."""
    path = args[0] if args else None
    if isinstance(path, dict):
        path = path.get("path") or path.get("uri")
    if not isinstance(path, str) or not path:
        return {"loaded": False, "error": "golens.loadTrace needs a trace file path"}
    from golens.lsp.documents import uri_to_path

    p = Path(uri_to_path(path) or path) if path.startswith("file:") else Path(path)
    if not p.is_absolute() and ls.settings.workspace_root is not None:
        p = ls.settings.workspace_root / p
    if not ls.trace.settings.trusted:
        return {"loaded": False, "error": "traces are not loaded in an untrusted workspace (static checks only)"}
    if not p.is_file():
        return {"loaded": False, "error": f"no such file: {p}"}
    result = await ls.trace.load_requested(p)
    if result.get("loaded"):
        ls.trace.settings.path = str(p)  # an explicit choice wins over discovery until cleared
    return result
