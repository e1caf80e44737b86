"""A pprof profile as golens needs it: its kind, its value types and its samples as stacks.

Only the proto form is read (what ``WriteTo(w, 0)``, ``/debug/pprof/<name>`` without ``?debug=``
and ``go test -mutexprofile`` write), gzipped or not. Values are taken as written: since Go 1.17
the runtime already scales mutex and block samples by their sampling rate (``saveBlockEventStack``
in runtime/mprof.go), so totals match ``go tool pprof``.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from google.protobuf.message import DecodeError

from golens.safeio import FileTooLargeError, UnsafeFileError, read_regular
from golens.trace import Frame, Stack

from . import profile_pb2

# Size above which a file, or what it decompresses to, is refused rather than read (a gzip bomb
# must not take the editor's memory): the 100k-goroutine benchmark profile is 20 MB, 31 MB unpacked.
MAX_DECOMPRESSED_BYTES = 256 << 20

GOROUTINE_LEAK = "goroutineleak"
GOROUTINE = "goroutine"
MUTEX = "mutex"
BLOCK = "block"
CPU = "cpu"
# The kinds golens finds evidence in; others (heap, allocs, threadcreate, cpu) are recognised
# only to say they are not used.
USED_KINDS = (GOROUTINE_LEAK, GOROUTINE, MUTEX, BLOCK)

# Mutex samples are charged to the stack that released the lock; block samples to the stack
# that waited. The leaf API frame tells the two apart (their headers are identical).
_RELEASE_FUNCS = (
    "sync.(*Mutex).Unlock", "sync.(*RWMutex).Unlock", "sync.(*RWMutex).RUnlock",
    "internal/sync.(*Mutex).Unlock", "sync.(*Mutex).unlockSlow", "internal/sync.(*Mutex).unlockSlow",
    "runtime.unlock", "runtime.unlock2", "runtime.unlockWithRank", "runtime._LostContendedRuntimeLock",
)
_WAIT_FUNCS = (
    "runtime.chanrecv", "runtime.chansend", "runtime.selectgo", "runtime.block",
    "sync.(*Mutex).Lock", "sync.(*RWMutex).Lock", "sync.(*RWMutex).RLock", "sync.(*WaitGroup).Wait",
    "sync.(*Cond).Wait", "internal/sync.(*Mutex).Lock", "sync.runtime_Semacquire", "runtime.semacquire",
)


class ProfileError(ValueError):
    """The file is not a pprof profile golens can read; the message says why."""


@dataclass(frozen=True)
class ValueType:
    type: str
    unit: str

    def __str__(self) -> str:
        return f"{self.type}/{self.unit}"


class ProfileSample(NamedTuple):
    location_ids: tuple[int, ...]  # leaf first; Profile.locations holds their frames
    values: tuple[int, ...]  # one per Profile.sample_types


@dataclass
class Profile:
    kind: str  # goroutineleak | goroutine | mutex | block | cpu | heap | threadcreate | unknown
    sample_types: tuple[ValueType, ...]
    period_type: ValueType | None
    period: int
    time_nanos: int  # when the profile was written (0: unknown)
    duration_nanos: int
    samples: list[ProfileSample]
    # Location id -> its frames, inlined calls first and the function they were inlined into last.
    locations: dict[int, tuple[Frame, ...]] = field(default_factory=dict)
    source: str = ""
    # Function symbol -> the line its body starts on (a closure's is the line of its `func`).
    start_lines: dict[str, int] = field(default_factory=dict)
    _stacks: dict[tuple[int, ...], Stack] = field(default_factory=dict, repr=False)

    def stack(self, sample: ProfileSample) -> Stack:
        """The sample's frames, leaf first (samples sharing a call path share the Stack)."""
        stack = self._stacks.get(sample.location_ids)
        if stack is None:
            frames = tuple(f for lid in sample.location_ids for f in self.locations[lid])
            stack = self._stacks[sample.location_ids] = Stack(len(self._stacks) + 1, frames)
        return stack

    def value_index(self, type_: str) -> int | None:
        for i, vt in enumerate(self.sample_types):
            if vt.type == type_:
                return i
        return None

    @property
    def count_index(self) -> int:
        """The sample value that counts events or goroutines (pprof's convention: index 0)."""
        for i, vt in enumerate(self.sample_types):
            if vt.unit == "count":
                return i
        return 0

    @property
    def delay_index(self) -> int | None:
        return self.value_index("delay")


def read_profile(path: str | os.PathLike[str], *, expect: str | None = None) -> Profile:
    """Read a profile file. Raises ProfileError with a message fit for the user (OSError for a
    file that cannot be opened). `expect` names the kind the caller asked for."""
    p = Path(path)
    try:
        data = read_regular(p, MAX_DECOMPRESSED_BYTES)
    except FileTooLargeError as exc:
        raise ProfileError(f"{exc.size >> 20} MB, above the {exc.limit >> 20} MB golens reads") from None
    except UnsafeFileError as exc:
        raise ProfileError(exc.strerror or str(exc)) from None
    profile = parse_profile(data, name_hint=p.name)
    profile.source = str(path)
    if expect is not None and profile.kind != expect:
        raise ProfileError(f"is a {describe_kind(profile.kind)}, not a {describe_kind(expect)}")
    return profile


def describe_kind(kind: str) -> str:
    return {CPU: "CPU profile", "unknown": "profile of an unknown kind"}.get(kind, f"{kind} profile")


def _decompress(data: bytes) -> bytes:
    if not data.startswith(b"\x1f\x8b"):
        return data
    out = bytearray()
    try:
        # Profiles written by concatenating gzip members (rare, but legal) are read member by member.
        while data:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += d.decompress(data, MAX_DECOMPRESSED_BYTES + 1 - len(out))
            if len(out) > MAX_DECOMPRESSED_BYTES:
                raise ProfileError(f"decompresses to more than {MAX_DECOMPRESSED_BYTES >> 20} MB")
            if not d.eof:
                raise ProfileError("truncated: the gzip stream ends early")
            data = d.unused_data
    except zlib.error as exc:
        raise ProfileError(f"corrupt gzip data ({exc})") from None
    return bytes(out)


def _not_a_profile(data: bytes) -> str | None:
    """Say what a file that is no profile looks like, when that can be told from its first bytes."""
    head = data[:64]
    if head.startswith(b"go 1."):
        return "is a Go execution trace, not a pprof profile (use golens trace)"
    if head.startswith((b"goroutine profile:", b"--- mutex:", b"--- contention:", b"heap profile:",
                        b"goroutine ", b"goroutineleak profile:")):
        return ("is a text profile (?debug=1 or 2); golens reads the proto form: "
                "WriteTo(w, 0), or /debug/pprof/<name> without ?debug")
    return None


def parse_profile(data: bytes, *, name_hint: str = "") -> Profile:
    if not data:
        raise ProfileError("empty file")
    raw = _decompress(data)
    if not raw:
        raise ProfileError("empty profile (the gzip stream holds no data)")
    why = _not_a_profile(raw)
    if why:
        raise ProfileError(why)
    msg = profile_pb2.Profile()
    try:
        msg.ParseFromString(raw)
    except DecodeError as exc:
        hint = "" if data.startswith(b"\x1f\x8b") else " (and it is not gzip-compressed)"
        raise ProfileError(f"not a pprof profile{hint}: {exc}") from None
    strings: list[str] = list(msg.string_table)
    if not strings or strings[0] != "" or not msg.sample_type:
        hint = "" if data.startswith(b"\x1f\x8b") else " (and it is not gzip-compressed)"
        raise ProfileError(f"not a pprof profile{hint}: no string table or sample types")

    def s(i: int) -> str:
        if 0 <= i < len(strings):
            return strings[i]
        raise ProfileError(f"corrupt profile: string index {i} out of range")

    sample_types = tuple(ValueType(s(vt.type), s(vt.unit)) for vt in msg.sample_type)
    period_type = ValueType(s(msg.period_type.type), s(msg.period_type.unit)) if msg.HasField("period_type") else None

    functions = {fn.id: (s(fn.name), s(fn.filename)) for fn in msg.function}
    locations: dict[int, tuple[Frame, ...]] = {}
    for loc in msg.location:
        frames = []
        for ln in loc.line:
            func, file = functions.get(ln.function_id, ("", ""))
            frames.append(Frame(func, file, ln.line, loc.address))
        if not frames:
            frames.append(Frame("", "", 0, loc.address))  # unsymbolized: kept so stacks stay aligned
        locations[loc.id] = tuple(frames)

    nvalues = len(sample_types)
    samples = []
    # Labels (request ids and the like) are not read: no rule uses them, and on a profile of many
    # labelled goroutines they would cost more than the stacks.
    for sample in msg.sample:
        ids = tuple(sample.location_id)
        values = tuple(sample.value)
        if len(values) != nvalues:
            raise ProfileError(f"corrupt profile: a sample has {len(values)} values for {nvalues} sample types")
        samples.append(ProfileSample(ids, values))
    missing = set().union(*(sample.location_ids for sample in samples)) - locations.keys()
    if missing:
        raise ProfileError(f"corrupt profile: samples refer to missing location {min(missing)}")

    profile = Profile(
        kind="unknown",
        sample_types=sample_types,
        period_type=period_type,
        period=msg.period,
        time_nanos=msg.time_nanos,
        duration_nanos=msg.duration_nanos,
        samples=samples,
        locations=locations,
        start_lines={s(fn.name): fn.start_line for fn in msg.function if fn.start_line},
    )
    profile.kind = _kind(profile, name_hint)
    return profile


def _kind(profile: Profile, name_hint: str) -> str:
    types = {vt.type for vt in profile.sample_types}
    period = profile.period_type.type if profile.period_type else ""
    if period == GOROUTINE_LEAK or types == {GOROUTINE_LEAK}:
        return GOROUTINE_LEAK
    if period == GOROUTINE or types == {GOROUTINE}:
        return GOROUTINE
    if "contentions" in types and "delay" in types:
        return _mutex_or_block(profile, name_hint)
    if "samples" in types and "cpu" in types:
        return CPU
    if types & {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}:
        return "heap"
    if period == "threadcreate" or types == {"threadcreate"}:
        return "threadcreate"
    return "unknown"


def _mutex_or_block(profile: Profile, name_hint: str) -> str:
    release = wait = 0
    for sample in profile.samples:
        for frame in (f for lid in sample.location_ids for f in profile.locations[lid]):
            if frame.func.startswith(_RELEASE_FUNCS):
                release += 1
                break
            if frame.func.startswith(_WAIT_FUNCS):
                wait += 1
                break
    if release != wait:
        return MUTEX if release > wait else BLOCK
    # No sample says (an empty profile): the file name is all there is to go by.
    lowered = name_hint.lower()
    if "mutex" in lowered:
        return MUTEX
    if "block" in lowered:
        return BLOCK
    return MUTEX if not profile.samples else BLOCK
