"""GT601: user annotations — regions, tasks and logs at the lines that started them."""

from __future__ import annotations

from collections import Counter, defaultdict

from golens.trace import Trace
from golens.trace.model import Region, Task

from .results import Evidence, Site, Stats, fmt_duration, histogram, severity_at, stale_note
from .walk import Mapper


def user_annotations(trace: Trace, m: Mapper) -> list[Evidence]:
    spans: dict[tuple[Site, str, str], list[int]] = defaultdict(list)
    open_: Counter[tuple[Site, str, str]] = Counter()
    spanning: list[tuple[str, Region | Task]] = [("region", r) for r in trace.regions]
    spanning += [("task", t) for t in trace.tasks.values()]
    for kind, span in spanning:
        site = m.site(span.start_stack)
        if site is None:
            continue
        key = (site, kind, span.name)
        if span.duration is None:
            open_[key] += 1
            spans.setdefault(key, [])
        else:
            spans[key].append(span.duration)
    logs: dict[tuple[Site, str], list[str]] = defaultdict(list)
    for lg in trace.logs:
        site = m.site(lg.stack)
        if site is not None:
            logs[(site, lg.category)].append(lg.message)
    out = []
    for (site, kind, name), durations in spans.items():
        st = Stats.of(durations)
        parts = [f"{kind} {name!r}: {st.count}×"]
        if st.count:
            parts.append(f"p50 {fmt_duration(st.p50)}, p95 {fmt_duration(st.p95)}, max {fmt_duration(st.max)}")
        if open_[(site, kind, name)]:
            parts.append(f"{open_[(site, kind, name)]} not ended within the trace")
        out.append(Evidence("GT601", site, ", ".join(parts) + stale_note(site), severity_at("GT601", site), kind, 0, st, [],
                            {"kind": kind, "name": name, "durations": st.as_dict(), "open": open_[(site, kind, name)]},
                            histogram(durations)))
    for (site, category), messages in logs.items():
        shown = ", ".join(repr(x) for x in messages[:3]) + (", …" if len(messages) > 3 else "")
        label = f"log {category!r}" if category else "log"
        out.append(Evidence("GT601", site, f"{label}: {len(messages)}× ({shown})" + stale_note(site), severity_at("GT601", site),
                            "log", 0, None, [], {"kind": "log", "category": category, "count": len(messages),
                                                 "messages": messages[:20]}))
    return out
