"""GT201: blocking hot spots — waits at a line that the program's own goroutines released."""

from __future__ import annotations

from .results import Evidence, LineStats, Stats, Thresholds, fmt_duration, histogram, plural, severity_at, stale_note
from .waits import BLOCKING_REASONS


def blocking_hot_spots(line_stats: LineStats, th: Thresholds, dur: int) -> list[Evidence]:
    out = []
    floor = max(th.blocking_min_total_ns, th.blocking_min_fraction * dur)
    for (kind, site, reason), ls in line_stats.items():
        if kind != "blocked" or reason not in BLOCKING_REASONS:
            continue
        st = Stats.of(ls.released)
        if st.count < th.blocking_min_count or st.total < floor:
            continue
        msg = (f"goroutines blocked here {st.count}× on {reason} until another goroutine released them: "
               f"{fmt_duration(st.total)} in total (p50 {fmt_duration(st.p50)}, p95 {fmt_duration(st.p95)}, "
               f"max {fmt_duration(st.max)}) across {plural(len(ls.goroutines), 'goroutine')}")
        related = []
        if ls.releasers:
            rsite, n = ls.releasers.most_common(1)[0]
            if rsite.key != site.key:
                related.append((rsite, f"released {n}× from here"))
        if ls.open:
            msg += f"; {ls.open} more still waiting at trace end"
        out.append(Evidence("GT201", site, msg + stale_note(site), severity_at("GT201", site), reason,
                            len(ls.goroutines), st, related, {"reason": reason, "blocked": st.as_dict(),
                                                          "goroutines": len(ls.goroutines), "open": ls.open,
                                                          "trace_duration_ns": dur},
                            histogram(ls.released)))
    return out
