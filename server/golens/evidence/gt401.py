"""GT401: scheduling latency (runnable → running) of the goroutines each `go` statement started."""

from __future__ import annotations

from .results import Evidence, Site, Stats, Thresholds, Waits, fmt_duration, histogram, plural, severity_at, stale_note


def scheduling_latency(sched: dict[Site, Waits], sched_g: dict[Site, set[int]], th: Thresholds) -> list[Evidence]:
    out = []
    for site, values in sched.items():
        st = Stats.of(values)
        if st.count < th.sched_min_samples or st.p95 < th.sched_p95_ns:
            continue
        msg = (f"goroutines started here waited to be scheduled {st.count}× (runnable → running): "
               f"p50 {fmt_duration(st.p50)}, p95 {fmt_duration(st.p95)}, max {fmt_duration(st.max)}, "
               f"across {plural(len(sched_g[site]), 'goroutine')}")
        out.append(Evidence("GT401", site, msg + stale_note(site), severity_at("GT401", site), "runnable",
                            len(sched_g[site]), st, [], {"latency": st.as_dict(), "goroutines": len(sched_g[site])},
                            histogram(values)))
    return out
