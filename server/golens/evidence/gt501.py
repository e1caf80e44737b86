"""GT501: long running stretches, on CPU without blocking, with the preemptions they had."""

from __future__ import annotations

from .results import Evidence, Site, Stats, Thresholds, fmt_duration, histogram, plural, severity_at, stale_note


def long_running_stretches(running: dict[Site, list[tuple[int, int, int, int]]], th: Thresholds,
                           dur: int) -> list[Evidence]:
    out = []
    for site, stretches in running.items():
        cpu = [c for c, _, _, _ in stretches]
        st = Stats.of(cpu)
        gs = {g for _, _, g, _ in stretches}
        preemptions = sum(p for _, _, _, p in stretches)
        stretch_words = plural(st.count, 'stretch').replace('stretchs', 'stretches')
        msg = (f"{plural(len(gs), 'goroutine')} ran here for {stretch_words} without blocking: longest "
               f"{fmt_duration(st.max)} on CPU, {fmt_duration(st.total)} in total ({st.total / dur * 100:.0f}% of "
               f"the trace), preempted or yielding {plural(preemptions, 'time')} meanwhile")
        out.append(Evidence("GT501", site, msg + stale_note(site), severity_at("GT501", site), "running",
                            len(gs), st, [], {"running": st.as_dict(), "wall_max_ns": max(w for _, w, _, _ in stretches),
                                              "goroutines": len(gs), "preemptions": preemptions,
                                              "trace_duration_ns": dur},
                            histogram(cpu)))
    return out
