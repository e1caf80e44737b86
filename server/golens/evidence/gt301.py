"""GT301: syscall hot spots per line, with the time spent getting a P back afterwards."""

from __future__ import annotations

from array import array

from .results import (
    Evidence,
    LineStats,
    Site,
    Stats,
    Thresholds,
    fmt_duration,
    histogram,
    plural,
    severity_at,
    stale_note,
)


def syscall_hot_spots(line_stats: LineStats, sys_lost: dict[Site, array[int]], th: Thresholds,
                      dur: int) -> list[Evidence]:
    out = []
    for (kind, site, _), ls in line_stats.items():
        if kind != "syscall":
            continue
        st = ls.stats
        lost = sys_lost.get(site, array("q"))
        total = st.total + sum(lost)
        if st.count < th.syscall_min_count or total < max(th.syscall_min_total_ns, th.syscall_min_fraction * dur):
            continue
        msg = (f"{st.count} syscalls here: {fmt_duration(st.total)} in the kernel "
               f"(p50 {fmt_duration(st.p50)}, max {fmt_duration(st.max)})")
        if lost:
            msg += f", plus {fmt_duration(sum(lost))} waiting to get a P back after {plural(len(lost), 'syscall')} that lost it"
        msg += f", across {plural(len(ls.goroutines), 'goroutine')}"
        out.append(Evidence("GT301", site, msg + stale_note(site), severity_at("GT301", site), "syscall",
                            len(ls.goroutines), st, [], {"syscall": st.as_dict(), "lost_p": Stats.of(lost).as_dict(),
                                                         "total_ns": total, "goroutines": len(ls.goroutines),
                                                         "trace_duration_ns": dur},
                            histogram(ls.durations)))
    return out
