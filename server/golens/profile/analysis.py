"""From a pprof profile's samples to evidence at workspace lines (GP101–GP202).

Each sample's stack is attributed to its innermost workspace frame with the same module-path
mapping as traces (golens.evidence.mapping). The rules, and why their thresholds are what they are:

* GP101 proven leaks (goroutineleak profile, Go 1.26+): every sample counts — the garbage
  collector found the goroutines blocked on objects no runnable goroutine can reach, so nothing
  can ever wake them. Reported at the block line and, when the goroutine's entry function is a
  workspace closure or ``go`` wrapper whose first line is a ``go`` statement, at that statement.
* GP102 goroutine pile-ups (goroutine profile): ``pileup_min_goroutines`` or more goroutines
  parked at one line for one reason when the profile was written. Network waits and the
  runtime's own goroutines never count: idle connections wait like that by design.
* GP201 mutex contention (mutex profile): delay is charged to the ``Unlock`` that released a
  contended lock, i.e. where it was held too long. Reported at that line, with the lock call
  found in the same function as related information, when the line's delay reaches
  ``mutex_min_total_ns`` and ``mutex_min_fraction`` of all the profile's delay.
* GP202 blocked waits (block profile): per line and reason (channel, select, lock, WaitGroup,
  Cond), when the delay reaches ``block_min_total_ns`` and ``block_min_fraction`` of all the
  profile's delay.

Mutex and block profiles are cumulative since profiling was switched on; the values are already
scaled by the runtime for the sampling rate (see reader), so totals are those of ``go tool pprof``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from golens.evidence.analysis import (
    NETWORK,
    SYSTEM,
    UNKNOWN,
    Evidence,
    Site,
    classify_wait,
    fmt_duration,
)
from golens.evidence.mapping import Where, Workspace, functions_in, stale_reason
from golens.evidence.results import thresholds_from_mapping
from golens.findings import Severity
from golens.trace import Frame, Stack

from .reader import BLOCK, GOROUTINE, GOROUTINE_LEAK, MUTEX, Profile, describe_kind

MS = 1_000_000
# Waits that are not a pile-up however many goroutines share them.
_IDLE_REASONS = frozenset({NETWORK, SYSTEM, UNKNOWN})


@dataclass(frozen=True)
class ProfileThresholds:
    pileup_min_goroutines: int = 10
    mutex_min_total_ns: int = 1 * MS
    mutex_min_fraction: float = 0.05
    block_min_total_ns: int = 1 * MS
    block_min_fraction: float = 0.05

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> ProfileThresholds:
        """The `[profile]` table of golens.toml."""
        return thresholds_from_mapping(cls, values)


@dataclass
class ProfileLine:
    """Everything one profile attributed to one workspace line and reason (for hovers and diff)."""

    site: Site
    reason: str
    count: int = 0  # goroutines (goroutine, goroutineleak) or contentions (mutex, block)
    delay_ns: int = 0  # mutex and block profiles only
    creations: dict[Site, int] = field(default_factory=dict)  # go statement -> goroutines from it


@dataclass
class ProfileSummary:
    kind: str
    samples: int
    total_count: int  # goroutines or contentions, all samples
    total_delay_ns: int
    mapped_count: int  # the part attributed to workspace lines
    unresolved_frames: int
    unresolved_examples: list[str]
    time_nanos: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ProfileEvidence:
    kind: str
    source: str
    evidence: list[Evidence]
    lines: list[ProfileLine]
    summary: ProfileSummary

    def for_path(self, path: Path) -> list[Evidence]:
        p = str(path)
        return [e for e in self.evidence if str(e.site.path) == p]


def label(kind: str) -> str:
    """How a profile kind is named in messages ("mutex profile")."""
    return describe_kind(kind)


# -- attribution ----------------------------------------------------------------------------------

class _Attributor:
    def __init__(self, profile: Profile, ws: Workspace):
        self.profile = profile
        self.ws = ws
        self._sites: dict[tuple[Path, int, str], Site] = {}
        # Per location id: its innermost workspace line (None: no workspace frame in it).
        self._locations: dict[int, Site | None] = {}
        self._creations: dict[int, Site | None] = {}  # root location id -> `go` statement
        self._reasons: dict[tuple[int, ...], str] = {}  # leaf locations up to the workspace frame -> reason
        self.unresolved: dict[str, None] = {}

    def site(self, frame: Frame, path: Path, how: str, line: int | None = None) -> Site:
        line = frame.line if line is None else line
        key = (path, line, frame.func)
        site = self._sites.get(key)
        if site is None:
            stale = stale_reason(path, line, frame.func)
            site = self._sites[key] = Site(path, line, frame.func, frame.file, how, stale)
        return site

    def attribute(self, ids: tuple[int, ...]) -> tuple[Site | None, str, Site | None]:
        """(innermost workspace line, the wait's reason, the `go` statement that started the
        goroutine if known) for a sample's location ids. Work is cached per location, so a profile
        of 100k distinct stacks through a few hundred call sites costs a few dict lookups each."""
        site: Site | None = None
        n = 0
        for n, lid in enumerate(ids, 1):  # noqa: B007 (n is the prefix length after the loop)
            if lid in self._locations:
                site = self._locations[lid]
            else:
                site = self._locations[lid] = self._location_site(lid)
            if site is not None:
                break
        prefix = ids[:n]
        reason = self._reasons.get(prefix)
        if reason is None:
            frames = tuple(f for lid in prefix for f in self.profile.locations[lid])
            reason = self._reasons[prefix] = classify_wait("", Stack(0, frames))
        root = ids[-1] if ids else 0
        if root in self._creations:
            creation = self._creations[root]
        else:
            creation = self._creations[root] = self._creation(root)
        return site, reason, creation

    def _location_site(self, lid: int) -> Site | None:
        for frame in self.profile.locations[lid]:
            if not frame.func or not frame.file:
                continue
            res = self.ws.resolve_frame(frame)
            if res.where is Where.WORKSPACE and res.path is not None:
                return self.site(frame, res.path, res.how)
            if res.where is Where.UNRESOLVED:
                self.unresolved.setdefault(frame.file, None)
        return None

    def _creation(self, root: int) -> Site | None:
        frames = self.profile.locations.get(root)
        entry = frames[-1] if frames else None
        if entry is None or not entry.func:
            return None
        start = self.profile.start_lines.get(entry.func)
        if not start:
            return None
        res = self.ws.resolve_frame(entry)
        if res.where is not Where.WORKSPACE or res.path is None:
            return None
        if not _is_go_statement(res.path, start):
            return None
        return self.site(entry, res.path, res.how, start)


_GO_STATEMENT = re.compile(rb"^\s*go\s")


@lru_cache(maxsize=256)
def _lines(path: str, mtime_ns: int) -> tuple[bytes, ...]:
    try:
        return tuple(Path(path).read_bytes().splitlines())
    except OSError:
        return ()


def _source_line(path: Path, line: int) -> bytes:
    try:
        lines = _lines(str(path), path.stat().st_mtime_ns)
    except OSError:
        return b""
    return lines[line - 1] if 0 < line <= len(lines) else b""


def _is_go_statement(path: Path, line: int) -> bool:
    """A closure (or the compiler's `gowrap` for `go f(x)`) starting on a `go` line was started there."""
    return bool(_GO_STATEMENT.match(_source_line(path, line)))


_UNLOCK = re.compile(rb"([\w.\[\]()*]+?)\.(R?)Unlock\(\)")


def lock_line(path: Path, unlock_line: int) -> int | None:
    """The line of the Lock (RLock) call, in the same function, that the Unlock at `unlock_line`
    releases: the nearest one above it on the same receiver. A deferred Unlock reports the line
    the function returned from, so the function's `defer x.Unlock()` names the receiver then."""
    span = next(((a, b) for a, b, _, _ in functions_in(path) if a <= unlock_line <= b), None)
    if span is None:
        return None
    first, _ = span
    m = _UNLOCK.search(_source_line(path, unlock_line))
    if m is None:
        for n in range(unlock_line - 1, first - 1, -1):
            text = _source_line(path, n)
            if text.lstrip().startswith(b"defer "):
                m = _UNLOCK.search(text)
                if m is not None:
                    unlock_line = n
                    break
    if m is None:
        return None
    lock = m[1] + b"." + m[2] + b"Lock()"
    for n in range(unlock_line - 1, first - 1, -1):
        if lock in _source_line(path, n):
            return n
    return None


# -- analysis -------------------------------------------------------------------------------------

def analyze_profile(profile: Profile, workspace: Workspace, thresholds: ProfileThresholds | None = None, *,
                    source: str = "") -> ProfileEvidence:
    th = thresholds or ProfileThresholds()
    att = _Attributor(profile, workspace)
    count_i, delay_i = profile.count_index, profile.delay_index
    by_line: dict[tuple[Site, str], ProfileLine] = {}
    total_count = total_delay = mapped = 0
    for sample in profile.samples:
        count = sample.values[count_i] if sample.values else 0
        delay = sample.values[delay_i] if delay_i is not None else 0
        total_count += count
        total_delay += delay
        site, reason, creation = att.attribute(sample.location_ids)
        if site is None:
            continue
        mapped += count
        pl = by_line.get((site, reason))
        if pl is None:
            pl = by_line[(site, reason)] = ProfileLine(site, reason)
        pl.count += count
        pl.delay_ns += delay
        if creation is not None:
            pl.creations[creation] = pl.creations.get(creation, 0) + count
    lines = sorted(by_line.values(), key=lambda pl: (-pl.delay_ns, -pl.count, str(pl.site.path), pl.site.line))
    summary = ProfileSummary(profile.kind, len(profile.samples), total_count, total_delay, mapped,
                             len(att.unresolved), list(att.unresolved)[:5], profile.time_nanos)
    if not profile.samples:
        summary.notes.append(_empty_note(profile.kind))
    disp = workspace.display
    evidence: list[Evidence] = []
    if profile.kind == GOROUTINE_LEAK:
        evidence = _leaks(lines, disp)
    elif profile.kind == GOROUTINE:
        evidence = _pileups(lines, th, total_count, disp)
    elif profile.kind == MUTEX:
        evidence = _contention(lines, th, total_delay, att, disp)
    elif profile.kind == BLOCK:
        evidence = _waits(lines, th, total_delay)
    for e in evidence:
        e.data.setdefault("profile_kind", profile.kind)
        e.data["evidence_source"] = label(profile.kind)
    return ProfileEvidence(profile.kind, source or profile.source, evidence, lines, summary)


def _empty_note(kind: str) -> str:
    if kind == MUTEX:
        return "no samples: mutex profiling is off until runtime.SetMutexProfileFraction(n) (or go test -mutexprofile)"
    if kind == BLOCK:
        return "no samples: block profiling is off until runtime.SetBlockProfileRate(n) (or go test -blockprofile)"
    if kind == GOROUTINE_LEAK:
        return "no leaked goroutines: the garbage collector proved none are stuck"
    return "no samples"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _stale_note(site: Site) -> str:
    return f" [stale: {site.stale}]" if site.stale else ""


def _severity(base: Severity, site: Site) -> Severity:
    return Severity(min(int(Severity.HINT), int(base) + 1)) if site.stale else base


def _loc(site: Site, disp: Callable[[Path], str], here: Site) -> str:
    return f"line {site.line}" if site.path == here.path else f"{disp(site.path)}:{site.line}"


def _site_dict(site: Site, disp: Callable[[Path], str]) -> dict[str, Any]:
    return {"path": disp(site.path), "line": site.line, "func": site.func, "stale": site.stale}


def _leaks(lines: Iterable[ProfileLine], disp: Callable[[Path], str]) -> list[Evidence]:
    out: list[Evidence] = []
    for pl in lines:
        block, n, reason = pl.site, pl.count, pl.reason
        were = "is" if n == 1 else "are"
        creations = sorted(pl.creations, key=lambda c: (str(c.path), c.line))
        data: dict[str, Any] = {"reason": reason, "goroutines": n, "block": _site_dict(block, disp),
                                "creation": [_site_dict(c, disp) for c in creations]}
        for c in creations:
            if c.key == block.key:
                continue
            k = pl.creations[c]
            msg = (f"{_plural(k, 'goroutine')} started here {were} leaked: the garbage collector proved "
                   f"{'it' if k == 1 else 'they'} can never wake up ({reason} at {_loc(block, disp, c)})")
            out.append(Evidence("GP101", c, msg + _stale_note(c), _severity(Severity.ERROR, c), reason, k,
                                None, [(block, f"blocked here forever: {reason}")], {**data, "anchor": "creation"}))
        msg = (f"{_plural(n, 'leaked goroutine')} {were} blocked here forever ({reason}): the garbage collector "
               f"proved nothing can wake {'it' if n == 1 else 'them'}")
        if creations:
            msg += "; started at " + ", ".join(_loc(c, disp, block) for c in creations)
        related = [(c, "the goroutines were started here") for c in creations if c.key != block.key]
        out.append(Evidence("GP101", block, msg + _stale_note(block), _severity(Severity.ERROR, block), reason, n,
                            None, related, {**data, "anchor": "block"}))
    return out


def _pileups(lines: Iterable[ProfileLine], th: ProfileThresholds, total: int,
             disp: Callable[[Path], str]) -> list[Evidence]:
    out: list[Evidence] = []
    for pl in lines:
        if pl.reason in _IDLE_REASONS or pl.count < th.pileup_min_goroutines:
            continue
        site = pl.site
        creations = sorted(pl.creations, key=lambda c: (str(c.path), c.line))
        msg = (f"{pl.count} goroutines were parked here ({pl.reason}) when the goroutine profile was taken "
               f"({pl.count * 100 // max(total, 1)}% of {total})")
        if creations:
            msg += "; started at " + ", ".join(_loc(c, disp, site) for c in creations)
        related = [(c, "the goroutines were started here") for c in creations if c.key != site.key]
        out.append(Evidence("GP102", site, msg + _stale_note(site), _severity(Severity.WARNING, site), pl.reason,
                            pl.count, None, related,
                            {"reason": pl.reason, "goroutines": pl.count, "profile_goroutines": total,
                             "creation": [_site_dict(c, disp) for c in creations]}))
    return out


def _contention(lines: Iterable[ProfileLine], th: ProfileThresholds, total_delay: int, att: _Attributor,
                disp: Callable[[Path], str]) -> list[Evidence]:
    out: list[Evidence] = []
    floor = max(th.mutex_min_total_ns, th.mutex_min_fraction * total_delay)
    for pl in lines:
        if pl.delay_ns < floor:
            continue
        site = pl.site
        share = pl.delay_ns * 100 // max(total_delay, 1)
        msg = (f"a contended lock was released here {pl.count}×: {fmt_duration(pl.delay_ns)} of waiting is "
               f"charged to this unlock ({share}% of the mutex profile's {fmt_duration(total_delay)}) — "
               f"the lock was held too long")
        related = []
        data: dict[str, Any] = {"reason": pl.reason, "contentions": pl.count, "delay_ns": pl.delay_ns,
                                "profile_delay_ns": total_delay}
        lock = lock_line(site.path, site.line)
        if lock is not None:
            lock_site = att.site(Frame(site.func, site.trace_file, lock, 0), site.path, site.how)
            msg += f" since line {lock}"
            related.append((lock_site, "the lock is taken here"))
            data["lock"] = _site_dict(lock_site, disp)
        out.append(Evidence("GP201", site, msg + _stale_note(site), _severity(Severity.INFORMATION, site),
                            pl.reason, 0, None, related, data))
    return out


def _waits(lines: Iterable[ProfileLine], th: ProfileThresholds, total_delay: int) -> list[Evidence]:
    out: list[Evidence] = []
    floor = max(th.block_min_total_ns, th.block_min_fraction * total_delay)
    for pl in lines:
        if pl.delay_ns < floor or pl.reason in _IDLE_REASONS:
            continue
        site = pl.site
        share = pl.delay_ns * 100 // max(total_delay, 1)
        avg = pl.delay_ns // max(pl.count, 1)
        msg = (f"goroutines waited here {pl.count}× on {pl.reason}: {fmt_duration(pl.delay_ns)} in total "
               f"(average {fmt_duration(avg)}; {share}% of the block profile's {fmt_duration(total_delay)})")
        out.append(Evidence("GP202", site, msg + _stale_note(site), _severity(Severity.INFORMATION, site),
                            pl.reason, 0, None, [],
                            {"reason": pl.reason, "contentions": pl.count, "delay_ns": pl.delay_ns,
                             "profile_delay_ns": total_delay}))
    return out


def combine(results: Iterable[ProfileEvidence]) -> list[Evidence]:
    """The evidence of several profiles together: a pile-up the goroutineleak profile proves to be
    a leak is reported once, as the leak."""
    results = list(results)
    leaked = {(e.site.key, e.reason) for r in results for e in r.evidence if e.rule == "GP101"}
    return [e for r in results for e in r.evidence if not (e.rule == "GP102" and (e.site.key, e.reason) in leaked)]


@dataclass
class ProfileSet:
    """Several profiles of one program read together (what `--profile P --profile Q` loads)."""

    profiles: list[ProfileEvidence]

    @property
    def evidence(self) -> list[Evidence]:
        return combine(self.profiles)

    def for_path(self, path: Path) -> list[Evidence]:
        p = str(path)
        return [e for e in self.evidence if str(e.site.path) == p]

