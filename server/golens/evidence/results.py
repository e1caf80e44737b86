"""What the trace evidence analysis produces: sites, statistics, evidence items, per-line
statistics, the summary; the thresholds it applies; and the formatting its messages share."""

from __future__ import annotations

import datetime as _dt
import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from golens.findings import Severity
from golens.registry import default_registry
from golens.trace import builder

from .mapping import TraceTime

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_T = TypeVar("_T", bound="DataclassInstance")

MS = 1_000_000


@dataclass(frozen=True)
class Thresholds:
    leak_min_fraction: float = 0.25
    leak_min_ns: int = 10 * MS
    leak_accumulate_min: int = 3
    leak_accumulate_spread: float = 0.10
    blocking_min_fraction: float = 0.02
    blocking_min_total_ns: int = 1 * MS
    blocking_min_count: int = 2
    syscall_min_fraction: float = 0.05
    syscall_min_count: int = 20
    syscall_min_total_ns: int = 100_000
    sched_p95_ns: int = 1 * MS
    # The nearest-rank p95 of fewer than 20 delays is their maximum: one delay on a loaded host
    # would make a finding. 20 is the least count at which p95 is a percentile.
    sched_min_samples: int = 20
    running_min_ns: int = 10 * MS
    running_min_preemptions: int = 2

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Thresholds:
        return thresholds_from_mapping(cls, values)


def thresholds_from_mapping(make: Callable[..., _T], values: dict[str, Any] | None) -> _T:
    """A thresholds dataclass from its golens.toml table (`leak-min-fraction` sets
    `leak_min_fraction`). golens.config has already named bad keys to the user; here unknown
    keys and non-numbers are skipped so that one bad value never costs the other thresholds."""
    defaults = make()
    kwargs: dict[str, Any] = {}
    for key, value in (values or {}).items():
        name = key.replace("-", "_")
        if name in {f.name for f in fields(defaults)} and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            kwargs[name] = type(getattr(defaults, name))(value)
    return make(**kwargs)


@dataclass(frozen=True)
class Site:
    """A workspace line a stack was attributed to."""

    path: Path
    line: int
    func: str  # the frame's function symbol
    trace_file: str  # the frame's file as the trace wrote it
    how: str  # module | exact | suffix | moved
    stale: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (str(self.path), self.line)


# Sorting a line's million waits as Python ints takes a second; the compiled sort of the machine
# integers (trace/_speedups.c) a tenth of that. None when it was not built or GOLENS_TRACE_PURE=1.
_speedups = builder._speedups


def sorted_ints(values: Iterable[int], positive_only: bool = False) -> Sequence[int]:
    """The values (only those > 0 if positive_only) in ascending order."""
    sort = getattr(_speedups, "sort_int64", None)
    if sort is not None and isinstance(values, array) and values.typecode == "q":
        out = array("q", values)
        del out[sort(out, positive_only):]
        return out
    return sorted(x for x in values if x > 0) if positive_only else sorted(values)


# ("blocked" | "syscall", site, reason) -> the LineStat of those waits
LineStats = dict[tuple[str, "Site", str], "LineStat"]


@dataclass(frozen=True)
class Stats:
    count: int
    total: int
    p50: int
    p95: int
    max: int
    min: int

    @classmethod
    def of(cls, values: Iterable[int] | Waits) -> Stats:
        if isinstance(values, Waits):
            if values.spilled is None:
                return cls.of(values.values)
            return cls._of_spill(values.spill_with_held())
        if isinstance(values, array) and len(values) > EXACT_QUANTILES_LIMIT:
            return cls._of_spill(_Spill().add(values))
        v = sorted_ints(values)
        if not v:
            return cls(0, 0, 0, 0, 0, 0)
        return cls(len(v), sum(v), percentile(v, 50), percentile(v, 95), v[-1], v[0])

    @classmethod
    def _of_spill(cls, sp: _Spill) -> Stats:
        """Count, total, min and max exact; p50 and p95 from log buckets (within 0.3%)."""
        order = sorted(sp.buckets)

        def quantile(p: float) -> int:
            rank = -(-sp.count * p // 100)  # nearest rank, 1-based
            seen = 0
            for b in order:
                seen += sp.buckets[b]
                if seen >= rank:
                    return min(sp.hi, max(sp.lo, _bucket_middle(b)))
            return sp.hi

        return cls(sp.count, sp.total, quantile(50), quantile(95), sp.hi, sp.lo)

    def as_dict(self) -> dict[str, int]:
        return {"count": self.count, "total_ns": self.total, "p50_ns": self.p50, "p95_ns": self.p95,
                "max_ns": self.max, "min_ns": self.min}


# Above this many values, Stats.of reads p50/p95 from log buckets: the statistics of a line with
# millions of waits then need no sorted copy of them (a list of Python ints costs ~40 bytes a
# value). Below it — every committed trace — they are exact.
EXACT_QUANTILES_LIMIT = 1 << 20
_CHUNK = 1 << 18
_BUCKETS_PER_DOUBLING = 256  # bucket width 2^(1/256) - 1 = 0.27% of the value


class _Spill:
    """Many durations as log buckets: count, total, min, max and smallest positive value exact,
    the rest to within a bucket's width. Filled a sorted chunk at a time, so no sorted copy of
    every value is ever held; the same buckets whatever the order the values came in."""

    def __init__(self) -> None:
        self.buckets: Counter[int] = Counter()
        self.count = self.total = self.lo = self.hi = 0
        self.lo_positive = 0  # 0: none yet

    def add(self, values: array[int]) -> _Spill:
        for i in range(0, len(values), _CHUNK):
            chunk = sorted_ints(values[i:i + _CHUNK])
            if not chunk:
                continue
            self.lo = chunk[0] if not self.count else min(self.lo, chunk[0])
            self.hi = chunk[-1] if not self.count else max(self.hi, chunk[-1])
            self.count += len(chunk)
            self.total += sum(chunk)
            j = bisect_left(chunk, 1)
            if j < len(chunk) and (not self.lo_positive or chunk[j] < self.lo_positive):
                self.lo_positive = chunk[j]
            j = 0
            while j < len(chunk):
                b = _bucket(chunk[j])
                k = bisect_left(chunk, _bucket_start(b + 1), j)
                self.buckets[b] += k - j
                j = k
        return self

    def copy(self) -> _Spill:
        sp = _Spill()
        sp.buckets = Counter(self.buckets)
        sp.count, sp.total, sp.lo, sp.hi, sp.lo_positive = self.count, self.total, self.lo, self.hi, self.lo_positive
        return sp


class Waits:
    """Durations recorded at a line or a go statement, for Stats.of and histogram: every value
    while there are at most EXACT_QUANTILES_LIMIT (statistics exact), then, once spill() is
    called, log buckets (statistics as Stats.of gives them for that many values anyway): a
    trace analysed as it is read holds at most that many values per line, however long it is."""

    __slots__ = ("spilled", "values")

    def __init__(self) -> None:
        self.values: array[int] = array("q")
        self.spilled: _Spill | None = None

    def append(self, value: int) -> None:
        self.values.append(value)

    def frombytes(self, data: bytes) -> None:
        self.values.frombytes(data)

    def __len__(self) -> int:
        return len(self.values) + (self.spilled.count if self.spilled is not None else 0)

    def spill(self) -> None:
        """Fold the values held into buckets if they are more than EXACT_QUANTILES_LIMIT."""
        if len(self) > EXACT_QUANTILES_LIMIT:
            self.spilled = (self.spilled or _Spill()).add(self.values)
            self.values = array("q")

    def __repr__(self) -> str:
        spilled = None if self.spilled is None else (self.spilled.count, self.spilled.total, sorted(self.spilled.buckets.items()))
        return f"Waits({self.values.tolist()!r}, spilled={spilled!r})"

    def spill_with_held(self) -> _Spill:
        assert self.spilled is not None
        return self.spilled.copy().add(self.values)


def _bucket(x: int) -> int:
    return int(math.log2(x) * _BUCKETS_PER_DOUBLING) if x > 0 else -1


def _bucket_start(b: int) -> int:
    """The smallest value in bucket b."""
    if b <= 0:
        return max(b + 1, 0)
    x = math.ceil(2 ** (b / _BUCKETS_PER_DOUBLING))
    while _bucket(x) < b:
        x += 1
    while x > 1 and _bucket(x - 1) >= b:
        x -= 1
    return x


def _bucket_middle(b: int) -> int:
    return 0 if b < 0 else round(2 ** ((b + 0.5) / _BUCKETS_PER_DOUBLING))


def percentile(sorted_values: Sequence[int], p: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0
    k = max(0, min(len(sorted_values) - 1, -(-len(sorted_values) * p // 100) - 1))
    return sorted_values[int(k)]


@dataclass
class Evidence:
    rule: str
    site: Site
    message: str
    severity: Severity
    reason: str = ""
    goroutines: int = 0
    stats: Stats | None = None
    related: list[tuple[Site, str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    histogram: list[int] = field(default_factory=list)  # durations bucketed for sparklines

    @property
    def stale(self) -> str | None:
        return self.site.stale

    def sort_key(self) -> tuple[int, int, str, int]:
        return (int(self.severity), -(self.stats.total if self.stats else 0), str(self.site.path), self.site.line)


@dataclass
class LineStat:
    """Every wait or syscall attributed to one line (all reasons), for hovers and inlay hints."""

    site: Site
    kind: str  # "blocked" | "syscall"
    reason: str
    # Every duration, as machine integers (a big trace has millions of waits, and a list of
    # Python ints costs four to five times the memory); past EXACT_QUANTILES_LIMIT, log buckets.
    durations: Waits = field(default_factory=Waits)
    goroutines: set[int] = field(default_factory=set)
    open: int = 0  # waits still going at trace end
    open_total: int = 0  # time those waits had lasted when the trace ended
    # Waits a goroutine running workspace code ended (a channel op, Unlock, Done, Signal), as
    # opposed to a timer, the network poller, a status change or the standard library's own
    # goroutines: only these are contention between the program's goroutines.
    released: Waits = field(default_factory=Waits)
    releasers: Counter[Site] = field(default_factory=Counter)  # Site of the releasing goroutine -> count
    # Stack ID of the release -> count while walking (int keys hash fast); folded into releasers.
    release_stacks: Counter[int] = field(default_factory=Counter, repr=False)
    # Waits ended by a goroutine running no workspace code (net/http's transport goroutines, the
    # runtime): latency of a dependency, not contention between the program's own goroutines.
    dependency_count: int = 0
    dependency_total: int = 0

    _frozen: tuple[Stats, Stats, list[int]] | None = field(default=None, repr=False)  # (stats, released stats, histogram)

    @property
    def stats(self) -> Stats:
        return self._frozen[0] if self._frozen else Stats.of(self.durations)

    @property
    def released_stats(self) -> Stats:
        return self._frozen[1] if self._frozen else Stats.of(self.released)

    @property
    def histogram(self) -> list[int]:
        return self._frozen[2] if self._frozen else histogram(self.durations)

    def freeze(self) -> None:
        """Keep the statistics, drop the per-wait lists (to ship the result across processes)."""
        self._frozen = (self.stats, self.released_stats, self.histogram)
        self.durations, self.released = Waits(), Waits()


@dataclass(frozen=True)
class Creation:
    """What the trace saw of the goroutines one `go` statement started."""

    site: Site
    created: int  # during the trace
    ended: int
    alive: int


@dataclass
class Summary:
    duration_ns: int
    format: str  # the header: "go 1.26 trace"
    written_by: str  # the Go releases that write that format: "Go 1.26–1.27"
    wall_start: _dt.datetime | None
    goroutines_total: int
    goroutines_created: int
    goroutines_ended: int
    goroutines_alive: int
    gc_cycles: int
    stw_total_ns: int
    stw_count: int
    unresolved_frames: int
    unresolved_examples: list[str]
    parked_without_stack: int  # goroutines that look stuck but have no workspace frame to show them at
    truncated: bool
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["wall_start"] = self.wall_start.isoformat() if self.wall_start else None
        return d


@dataclass
class TraceEvidence:
    evidence: list[Evidence]
    summary: Summary
    line_stats: dict[tuple[str, int], list[LineStat]]
    source: str = ""  # the trace file (display form), if it came from one
    trace_time: TraceTime = field(default_factory=TraceTime)
    creations: dict[tuple[str, int], Creation] = field(default_factory=dict)

    def freeze(self) -> TraceEvidence:
        for stats in self.line_stats.values():
            for ls in stats:
                ls.freeze()
        return self

    def for_path(self, path: Path) -> list[Evidence]:
        p = str(path)
        return [e for e in self.evidence if str(e.site.path) == p]

    def worst(self, n: int = 5) -> list[Evidence]:
        return sorted((e for e in self.evidence if e.rule != "GT601"), key=Evidence.sort_key)[:n]


# -- formatting -----------------------------------------------------------------------------------

def fmt_duration(ns: int) -> str:
    if ns >= 10_000_000_000:
        return f"{ns / 1e9:.0f} s"
    if ns >= 1_000_000_000:
        return f"{ns / 1e9:.1f} s"
    if ns >= 10 * MS:
        return f"{ns / 1e6:.0f} ms"
    if ns >= MS:
        return f"{ns / 1e6:.1f} ms"
    if ns >= 1000:
        return f"{ns / 1e3:.0f} µs"
    return f"{ns} ns"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def histogram(values: Iterable[int] | Waits, buckets: int = 8) -> list[int]:
    """Counts of the positive values over log-spaced buckets between the smallest and largest
    (for a sparkline). Over EXACT_QUANTILES_LIMIT values, each of Stats.of's log buckets counts
    in the bucket of its middle value; the counts never depend on the values' order."""
    if isinstance(values, Waits):
        if values.spilled is not None:
            return _histogram_of_spill(values.spill_with_held(), buckets)
        values = values.values
    if isinstance(values, array) and len(values) > EXACT_QUANTILES_LIMIT:
        return _histogram_of_spill(_Spill().add(values), buckets)
    v = sorted_ints(values, positive_only=True)
    if not v:
        return []
    lo, hi = v[0], v[-1]
    if lo == hi:
        return [len(v)]
    bucket = _log_bucket(lo, hi, buckets)
    # The bucket index grows with the value: the sorted values split at one bisection per edge.
    edges = [0, *(bisect_left(v, i, key=bucket) for i in range(1, buckets)), len(v)]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)]


def _log_bucket(lo: int, hi: int, buckets: int) -> Callable[[int], int]:
    log_lo = math.log(lo)
    span = math.log(hi) - log_lo

    def bucket(x: int) -> int:
        return min(int((math.log(x) - log_lo) / span * buckets), buckets - 1)

    return bucket


def _histogram_of_spill(sp: _Spill, buckets: int) -> list[int]:
    if not sp.lo_positive:
        return []
    lo, hi = sp.lo_positive, sp.hi
    positive = sum(n for b, n in sp.buckets.items() if b >= 0)
    if lo == hi:
        return [positive]
    bucket = _log_bucket(lo, hi, buckets)
    counts = [0] * buckets
    for b, n in sp.buckets.items():
        if b >= 0:
            counts[bucket(min(hi, max(lo, _bucket_middle(b))))] += n
    return counts


def rule_severity(rule_id: str) -> Severity:
    """The severity `rules/<rule_id>*.md` declares (the registry is the one place it is set)."""
    rule = default_registry().get(rule_id)
    if rule is None:
        raise KeyError(f"{rule_id} has no page in rules/")
    return rule.severity


def severity_at(rule_id: str, site: Site) -> Severity:
    base = rule_severity(rule_id)
    if site.stale:
        return Severity(min(int(Severity.HINT), int(base) + 1))
    return base


def stale_note(site: Site) -> str:
    return f" [stale: {site.stale}]" if site.stale else ""
