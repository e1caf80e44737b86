"""Before/after: two traces, or two profiles of one kind, of the same program compared per line.

What is compared (all from the public evidence of each side, nothing re-derived):

* per workspace line and reason, the waits each side recorded: for traces every wait at the line
  (count, total blocked time; syscalls too), for mutex and block profiles the contentions and
  their delay, for goroutine and goroutineleak profiles the goroutines parked there;
* leaks: GT101 (traces) and GP101 (goroutineleak profiles) groups by block line and reason —
  gone, new, or still there with their goroutine counts;
* findings: the GT/GP evidence items of each side by (rule, line, reason) — resolved, introduced.

Noise rule (one run's variation is not a change): a row with times counts as changed only when
its total moves by at least ``min_relative`` (20%) of the larger side *and* at least
``min_total_ns`` (1 ms), and its count moves the same way (or stays); a count-only row when the
count moves by at least 20% and at least ``min_count`` (2). A row present on one side only is new
or gone unless that side is itself below those floors (then it is noise). Everything else is
labelled "noise" and kept, so nothing is hidden.

Lines are matched by workspace path, line number and reason: a diff of code whose lines moved
between the runs shows the old line gone and the new one new.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golens.evidence import Workspace, fmt_duration
from golens.evidence.analysis import Evidence
from golens.evidence.load import load_trace_and_evidence
from golens.evidence.mapping import is_stdlib_package, package_of
from golens.safeio import read_head, regular_stat
from golens.trace import Stack, TraceError

from .analysis import ProfileEvidence, ProfileThresholds, analyze_profile
from .reader import GOROUTINE, GOROUTINE_LEAK, USED_KINDS, ProfileError, describe_kind, read_profile

MS = 1_000_000


class DiffError(ValueError):
    """The two inputs cannot be compared; the message says why."""


@dataclass(frozen=True)
class NoiseRule:
    min_relative: float = 0.20
    min_total_ns: int = 1 * MS
    min_count: int = 2

    def describe(self, timed: bool) -> str:
        if timed:
            return (f"a change counts when the total moves by ≥{self.min_relative:.0%} and "
                    f"≥{fmt_duration(self.min_total_ns)} and the count does not move the other way")
        return f"a change counts when the count moves by ≥{self.min_relative:.0%} and ≥{self.min_count}"

    def above_floor(self, count: int, total: int | None) -> bool:
        if total is None:
            return count >= self.min_count
        return total >= self.min_total_ns

    def label(self, before: tuple[int, int | None] | None, after: tuple[int, int | None] | None) -> str:
        if before is None and after is not None:
            return "new" if self.above_floor(*after) else "noise"
        if after is None and before is not None:
            return "gone" if self.above_floor(*before) else "noise"
        assert before is not None and after is not None
        (c0, t0), (c1, t1) = before, after
        if t0 is None or t1 is None:
            delta = c1 - c0
            if abs(delta) >= max(self.min_count, self.min_relative * max(c0, c1)):
                return "better" if delta < 0 else "worse"
            return "noise"
        delta_t = t1 - t0
        if abs(delta_t) < max(self.min_total_ns, self.min_relative * max(t0, t1)):
            return "noise"
        if (c1 - c0) * delta_t < 0:
            return "noise"  # more waits but less time, or the reverse: not one story
        return "better" if delta_t < 0 else "worse"


Measure = tuple[int, int | None]  # (count, total ns or None for count-only values)


@dataclass
class Row:
    path: str
    line: int
    reason: str
    before: Measure | None
    after: Measure | None
    label: str

    def as_dict(self) -> dict[str, Any]:
        def side(m: Measure | None) -> dict[str, int | None] | None:
            return None if m is None else {"count": m[0], "total_ns": m[1]}
        return {"path": self.path, "line": self.line, "reason": self.reason, "before": side(self.before),
                "after": side(self.after), "label": self.label}


@dataclass
class Side:
    """What one input contributes: its kind, per-line measures, leaks and evidence keys."""

    source: str
    kind: str  # "trace" or a profile kind
    measures: dict[tuple[str, int, str], Measure]
    leaks: dict[tuple[str, int, str], int]  # block line and reason -> goroutines
    findings: dict[tuple[str, str, int, str], str]  # (rule, path, line, reason) -> message
    program_files: frozenset[str]  # non-standard-library source files in its stacks
    duration_ns: int | None = None


@dataclass
class DiffResult:
    before: Side
    after: Side
    rows: list[Row]
    leaks_gone: list[tuple[tuple[str, int, str], int]]
    leaks_new: list[tuple[tuple[str, int, str], int]]
    leaks_kept: list[tuple[tuple[str, int, str], int, int]]
    resolved: list[tuple[tuple[str, str, int, str], str]]
    introduced: list[tuple[tuple[str, str, int, str], str]]
    noise_rule: str
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def leak(k: tuple[str, int, str]) -> dict[str, Any]:
            return {"path": k[0], "line": k[1], "reason": k[2]}

        def finding(k: tuple[str, str, int, str], msg: str) -> dict[str, Any]:
            return {"rule": k[0], "path": k[1], "line": k[2], "reason": k[3], "message": msg}

        return {
            "before": {"source": self.before.source, "kind": self.before.kind, "duration_ns": self.before.duration_ns},
            "after": {"source": self.after.source, "kind": self.after.kind, "duration_ns": self.after.duration_ns},
            "noise_rule": self.noise_rule,
            "rows": [r.as_dict() for r in self.rows],
            "leaks": {"gone": [{**leak(k), "goroutines": n} for k, n in self.leaks_gone],
                      "new": [{**leak(k), "goroutines": n} for k, n in self.leaks_new],
                      "still": [{**leak(k), "before": a, "after": b} for k, a, b in self.leaks_kept]},
            "findings": {"resolved": [finding(k, m) for k, m in self.resolved],
                         "introduced": [finding(k, m) for k, m in self.introduced]},
            "notes": self.notes,
        }


# -- reading one side -------------------------------------------------------------------------------

def _is_trace(path: Path) -> bool:
    return read_head(path, 8).startswith(b"go 1.")


def _user_files(stacks: Iterable[Stack]) -> frozenset[str]:
    files = set()
    for stack in stacks:
        for f in stack.frames:
            if f.func and f.file and not is_stdlib_package(package_of(f.func)):
                files.add(f.file)
    return frozenset(files)


def _evidence_keys(evidence: Iterable[Evidence], ws: Workspace) -> dict[tuple[str, str, int, str], str]:
    return {(e.rule, ws.display(e.site.path), e.site.line, e.reason): e.message for e in evidence}


def _leak_groups(evidence: Iterable[Evidence], ws: Workspace) -> dict[tuple[str, int, str], int]:
    out: dict[tuple[str, int, str], int] = {}
    for e in evidence:
        if e.rule in ("GT101", "GP101") and e.data.get("anchor") == "block":
            key = (ws.display(e.site.path), e.site.line, e.reason)
            out[key] = out.get(key, 0) + e.goroutines
    return out


def trace_side(path: Path, ws: Workspace) -> Side:
    trace, te = load_trace_and_evidence(path, workspace=ws)
    measures: dict[tuple[str, int, str], Measure] = {}
    for stats in te.line_stats.values():
        for ls in stats:
            st = ls.stats
            key = (ws.display(ls.site.path), ls.site.line, ls.reason)
            count, total = measures.get(key, (0, 0))
            # Waits still open at the end count with the time they had lasted (a leak's wait).
            measures[key] = (count + st.count + ls.open, (total or 0) + st.total + ls.open_total)
    return Side(str(path), "trace", measures, _leak_groups(te.evidence, ws), _evidence_keys(te.evidence, ws),
                _user_files(trace.stacks), te.summary.duration_ns)


def profile_side(path: Path, ws: Workspace, thresholds: ProfileThresholds | None) -> Side:
    profile = read_profile(path)
    if profile.kind not in USED_KINDS:
        raise ProfileError(f"is a {describe_kind(profile.kind)}, not used: golens compares traces and "
                           "goroutineleak, goroutine, mutex and block profiles")
    pe: ProfileEvidence = analyze_profile(profile, ws, thresholds, source=str(path))
    timed = profile.kind not in (GOROUTINE, GOROUTINE_LEAK)
    measures: dict[tuple[str, int, str], Measure] = {}
    for pl in pe.lines:
        key = (ws.display(pl.site.path), pl.site.line, pl.reason)
        count, total = measures.get(key, (0, 0 if timed else None))
        measures[key] = (count + pl.count, (total or 0) + pl.delay_ns if timed else None)
    return Side(str(path), profile.kind, measures, _leak_groups(pe.evidence, ws), _evidence_keys(pe.evidence, ws),
                _user_files(Stack(0, frames) for frames in profile.locations.values()))


def load_side(path: str | os.PathLike[str], ws: Workspace, thresholds: ProfileThresholds | None = None) -> Side:
    """Raises DiffError with the file named for anything that cannot be read."""
    p = Path(path)
    try:
        if _is_trace(p):
            return trace_side(p, ws)
        return profile_side(p, ws, thresholds)
    except TraceError as exc:
        raise DiffError(f"{path}: not a readable Go execution trace: {exc}") from None
    except ProfileError as exc:
        raise DiffError(f"{path}: {exc}") from None
    except OSError as exc:
        raise DiffError(f"{path}: {exc.strerror or exc}") from None


# -- comparing ----------------------------------------------------------------------------------------

def _what(side: Side) -> str:
    return "a Go execution trace" if side.kind == "trace" else f"a {describe_kind(side.kind)}"


def compare(before: Side, after: Side, rule: NoiseRule | None = None) -> DiffResult:
    rule = rule or NoiseRule()
    if before.kind != after.kind:
        raise DiffError(f"{before.source} is {_what(before)} and {after.source} is {_what(after)}: "
                        "diff compares two traces or two profiles of the same kind")
    if before.program_files and after.program_files and not (before.program_files & after.program_files):
        raise DiffError(f"{before.source} and {after.source} are of different programs: their stacks share "
                        f"no source file (e.g. {sorted(before.program_files)[0]} and {sorted(after.program_files)[0]})")
    rows = []
    for key in sorted(set(before.measures) | set(after.measures), key=lambda k: (k[0], k[1], k[2])):
        b, a = before.measures.get(key), after.measures.get(key)
        rows.append(Row(key[0], key[1], key[2], b, a, rule.label(b, a)))
    order = {"worse": 0, "new": 1, "better": 2, "gone": 3, "noise": 4}
    rows.sort(key=lambda r: (order[r.label], -_magnitude(r), r.path, r.line))
    gone = [(k, n) for k, n in sorted(before.leaks.items()) if k not in after.leaks]
    new = [(k, n) for k, n in sorted(after.leaks.items()) if k not in before.leaks]
    kept = [(k, n, after.leaks[k]) for k, n in sorted(before.leaks.items()) if k in after.leaks]
    resolved = [(k, m) for k, m in sorted(before.findings.items()) if k not in after.findings]
    introduced = [(k, m) for k, m in sorted(after.findings.items()) if k not in before.findings]
    timed = any(m[1] is not None for m in (*before.measures.values(), *after.measures.values())) or \
        before.kind == "trace"
    result = DiffResult(before, after, rows, gone, new, kept, resolved, introduced, rule.describe(timed))
    if before.kind in ("mutex", "block"):
        result.notes.append(f"{describe_kind(before.kind)}s are cumulative since profiling was switched on: "
                            "compare profiles covering the same work")
    if before.duration_ns and after.duration_ns:
        ratio = after.duration_ns / before.duration_ns
        if not 0.5 <= ratio <= 2:
            result.notes.append(f"the traces are {fmt_duration(before.duration_ns)} and "
                                f"{fmt_duration(after.duration_ns)} long: totals are not per unit of time")
    return result


def _magnitude(r: Row) -> int:
    def size(m: Measure | None) -> int:
        return 0 if m is None else (m[1] if m[1] is not None else m[0])
    return abs(size(r.after) - size(r.before))


# Above this many bytes of input, the two sides are read in two processes at once: a diff of two
# big traces then takes about as long as analysing one (below it, starting a process costs more).
PARALLEL_MIN_BYTES = 16 << 20


def _load_in_worker(path: str, root: str, thresholds: ProfileThresholds | None) -> Side:
    return load_side(path, Workspace.scan(root), thresholds)


def diff_files(before: str | os.PathLike[str], after: str | os.PathLike[str], root: str | os.PathLike[str], *,
               thresholds: ProfileThresholds | None = None, rule: NoiseRule | None = None) -> DiffResult:
    sizes = [regular_stat(p) for p in (before, after)]
    if all(st is not None for st in sizes) and sum(st.st_size for st in sizes if st) >= PARALLEL_MIN_BYTES:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork would copy whatever threads the caller runs (an editor's server): always spawn.
        with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
            jobs = [pool.submit(_load_in_worker, os.fspath(p), os.fspath(root), thresholds) for p in (before, after)]
            sides = [job.result() for job in jobs]
        return compare(sides[0], sides[1], rule)
    ws = Workspace.scan(root)
    return compare(load_side(before, ws, thresholds), load_side(after, ws, thresholds), rule)

