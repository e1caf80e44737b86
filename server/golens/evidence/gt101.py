"""GT101: goroutines still blocked when the trace ended, grouped by `go` statement, block line and reason."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from golens.trace import GoState, Trace
from golens.trace.model import Goroutine

from .results import Evidence, Site, Stats, Thresholds, fmt_duration, histogram, plural, severity_at, stale_note
from .waits import ACCUMULATE_REASONS, STUCK_REASONS
from .walk import Mapper

# gid -> (reason, block site, wait ns, leaf function) of every goroutine parked at the end
Parked = dict[int, tuple[str, Site | None, int, str]]
# (creation site, block site, reason, leaf function when there is no block site)
GroupKey = tuple[Site | None, Site | None, str, str]
Members = list[tuple[Goroutine, int]]  # (goroutine, wait ns)
Display = Callable[[Path], str]


def _loc(site: Site, ws_display: Display, here: Site | None = None) -> str:
    if here is not None and here.path == site.path:
        return f"line {site.line}"
    return f"{ws_display(site.path)}:{site.line}"


def leaks(trace: Trace, m: Mapper, by_creation: dict[Site, list[Goroutine]], ended_by_creation: Counter[Site],
          parked: Parked, th: Thresholds, dur: int) -> list[Evidence]:
    stuck_min = max(th.leak_min_ns, th.leak_min_fraction * dur)
    # Every goroutine parked at the end on a wait that can leak, grouped by (creation, block,
    # reason): the thresholds decide which groups are reported, never how many of a group count.
    candidates: dict[GroupKey, Members] = defaultdict(list)
    for gid, (reason, bsite, wait, leaf) in parked.items():
        if reason not in ACCUMULATE_REASONS:
            continue
        g = trace.goroutines[gid]
        csite = None
        if g.creation_stack and m.is_go_statement_in_workspace(g.creation_stack):
            csite = m.site(g.creation_stack)
        if csite is None and bsite is None:
            continue
        candidates[(csite, bsite, reason, leaf if bsite is None else "")].append((g, wait))
    # Accumulating: one go statement, several goroutines spread over the trace, none exited.
    alive_from: dict[Site, int] = {}
    for csite, gs in by_creation.items():
        created = [g.created_ns for g in gs if g.created_ns is not None]
        if (len(gs) >= th.leak_accumulate_min and ended_by_creation[csite] == 0 and len(created) == len(gs)
                and max(created) - min(created) >= th.leak_accumulate_spread * dur
                # Parked in a loop's wait, or just woken from it: a goroutine caught running or
                # runnable at the end has not exited either.
                and all((g.id in parked and parked[g.id][0] in ACCUMULATE_REASONS)
                        or (g.id not in parked and g.final_state in (GoState.RUNNABLE, GoState.RUNNING)) for g in gs)
                and sum(1 for g in gs if g.id in parked) >= th.leak_accumulate_min):
            alive_from[csite] = len(gs)
    # Stuck: parked long (the group's longest wait) on something only another goroutine can release.
    groups: dict[GroupKey, tuple[Members, str]] = {}
    for key, members in candidates.items():
        csite, _, reason, _ = key
        if reason in STUCK_REASONS and max(w for _, w in members) >= stuck_min:
            groups[key] = (members, "stuck")
        elif csite in alive_from:
            groups[key] = (members, "accumulating")

    out: list[Evidence] = []
    disp = m.ws.display
    # At the go statement: one item per (creation, block, reason).
    by_block: dict[tuple[Site, str], list[tuple[Site | None, Members, str]]] = defaultdict(list)
    for (csite, bsite, reason, leaf), (members, criterion) in groups.items():
        if bsite is not None:
            by_block[(bsite, reason)].append((csite, members, criterion))
        if csite is None:
            continue
        text, data, stats, hist = _leak_text(members, criterion, dur, reason, bsite, leaf, disp, csite,
                                             alive_from.get(csite))
        related = [(bsite, f"blocked here: {reason}")] if bsite is not None and bsite.key != csite.key else []
        data.update(creation=[_site_dict(csite, disp)], block=_site_dict(bsite, disp), anchor="creation")
        out.append(Evidence("GT101", csite, text["creation"] + stale_note(csite), severity_at("GT101", csite),
                            reason, len(members), stats, related, data, hist))
    # At the block line: one item per (block, reason), pointing back to every creation site.
    for (bsite, reason), parts in by_block.items():
        members = [x for _, ms, _ in parts for x in ms]
        csites = [c for c, _, _ in parts if c is not None]
        if any(c.key == bsite.key for c in csites) and len(parts) == 1:
            continue  # `go func() { <-ch }()` on one line: the creation item already says it all
        criterion = "stuck" if any(k == "stuck" for _, _, k in parts) else "accumulating"
        text, data, stats, hist = _leak_text(members, criterion, dur, reason, bsite, "", disp, bsite)
        msg = text["block"]
        if csites:
            msg += "; started at " + ", ".join(_loc(c, disp, bsite) for c in csites)
        unknown = sum(len(ms) for c, ms, _ in parts if c is None)
        if unknown and csites:
            msg += f" ({unknown} already running when the trace started)"
        elif unknown:
            msg += "; already running when the trace started"
        related = [(c, "the goroutines were started here") for c in csites if c.key != bsite.key]
        data.update(creation=[_site_dict(c, disp) for c in csites], block=_site_dict(bsite, disp), anchor="block")
        out.append(Evidence("GT101", bsite, msg + stale_note(bsite), severity_at("GT101", bsite), reason,
                            len(members), stats, related, data, hist))
    return out


def _leak_text(members: Members, criterion: str, dur: int, reason: str, bsite: Site | None, leaf: str,
               disp: Display, here: Site | None = None,
               alive: int | None = None) -> tuple[dict[str, str], dict[str, Any], Stats, list[int]]:
    waits = [w for _, w in members]
    n = len(members)
    stats = Stats.of(waits)
    frac_lo, frac_hi = stats.min / dur * 100, stats.max / dur * 100
    span = fmt_duration(stats.min) if fmt_duration(stats.min) == fmt_duration(stats.max) else \
        f"{fmt_duration(stats.min)}–{fmt_duration(stats.max)}"
    pct = f"{frac_lo:.0f}%" if round(frac_lo) == round(frac_hi) else f"{frac_lo:.0f}–{frac_hi:.0f}%"
    where_block = f"{reason} at {_loc(bsite, disp, here)}" if bsite else f"{reason} in {leaf or 'runtime code'}"
    was = "was" if n == 1 else "were"
    data = {
        "reason": reason,
        "goroutines": n,
        "goroutine_ids": sorted(g.id for g, _ in members)[:50],
        "blocked": stats.as_dict(),
        "trace_duration_ns": dur,
        "criterion": criterion,
    }
    if alive:
        data["alive_from_creation"] = alive
    if criterion == "stuck":
        text = {
            "creation": f"{plural(n, 'goroutine')} started here {was} still blocked when the trace ended: "
                        f"{where_block} for {span} ({pct} of the {fmt_duration(dur)} trace)",
            "block": f"{plural(n, 'goroutine')} {was} blocked here ({reason}) when the trace ended, "
                     f"for {span} ({pct} of the {fmt_duration(dur)} trace)",
        }
    else:
        created = sorted(g.created_ns for g, _ in members if g.created_ns is not None)
        over = fmt_duration(created[-1] - created[0]) if len(created) > 1 else "0 ns"
        alive = max(alive or n, n)
        parked = "each was parked" if alive == n else f"{n} were parked"
        text = {
            "creation": f"{plural(alive, 'goroutine')} started here over {over} never exited (none from this line "
                        f"ended during the {fmt_duration(dur)} trace); at trace end {parked}: {where_block}, "
                        f"waiting {span}",
            "block": f"{plural(n, 'goroutine')} that never exited {was} parked here at trace end ({reason}, "
                     f"waiting {span})",
        }
    return text, data, stats, histogram(waits)


def _site_dict(site: Site | None, disp: Display) -> dict[str, Any] | None:
    if site is None:
        return None
    return {"path": disp(site.path), "line": site.line, "func": site.func, "stale": site.stale}
