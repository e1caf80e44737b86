"""Wire-level decoding of v2 Go execution traces (headers go 1.22 … go 1.26).

Framing: a 16-byte header, then batches (``0x01 gen m ts size payload``),
experimental batches (``0x31 exp gen m ts size payload``) and, from format
26 on, a lone ``0x34`` byte closing each generation. Every integer is an
unsigned LEB128 varint except the type bytes.

Payload decoding is done a whole batch at a time: a regular expression cuts
the payload into varint tokens and a dictionary maps the one- and two-byte
tokens (the vast majority) to their values, both in C. Event type bytes are
below 0x80 so they come out as one-byte tokens; the experimental ids
0x80–0x88 merge with the following ``dt`` varint into one token whose low
seven bits give the id and whose remaining bits are ``dt`` (see ``split_exp``).
"""

from __future__ import annotations

import re
from typing import BinaryIO, NamedTuple

from .errors import TraceError

HEADER_LEN = 16
MAX_BATCH_SIZE = 64 << 10
MAX_STRING_LEN = 1 << 10
MAX_FRAMES = 128
NO_THREAD = (1 << 64) - 1

EV_BATCH = 0x01
EV_STACKS = 0x02
EV_STACK = 0x03
EV_STRINGS = 0x04
EV_STRING = 0x05
EV_CPU_SAMPLES = 0x06
EV_CPU_SAMPLE = 0x07
EV_FREQUENCY = 0x08
EV_EXPERIMENTAL_BATCH = 0x31
EV_SYNC = 0x32
EV_CLOCK_SNAPSHOT = 0x33
EV_END_OF_GENERATION = 0x34

# Ordinary events (format 22+), named as Go's internal/trace/tracev2 names them.
EV_PROCS_CHANGE = 9
EV_PROC_START = 10
EV_PROC_STOP = 11
EV_PROC_STEAL = 12
EV_PROC_STATUS = 13
EV_GO_CREATE = 14
EV_GO_CREATE_SYSCALL = 15
EV_GO_START = 16
EV_GO_DESTROY = 17
EV_GO_DESTROY_SYSCALL = 18
EV_GO_STOP = 19
EV_GO_BLOCK = 20
EV_GO_UNBLOCK = 21
EV_GO_SYSCALL_BEGIN = 22
EV_GO_SYSCALL_END = 23
EV_GO_SYSCALL_END_BLOCKED = 24
EV_GO_STATUS = 25
EV_STW_BEGIN = 26
EV_STW_END = 27
EV_GC_ACTIVE = 28
EV_GC_BEGIN = 29
EV_GC_END = 30
EV_GC_SWEEP_ACTIVE = 31
EV_GC_SWEEP_BEGIN = 32
EV_GC_SWEEP_END = 33
EV_GC_MARK_ASSIST_ACTIVE = 34
EV_GC_MARK_ASSIST_BEGIN = 35
EV_GC_MARK_ASSIST_END = 36
EV_HEAP_ALLOC = 37
EV_HEAP_GOAL = 38
EV_GO_LABEL = 39
EV_USER_TASK_BEGIN = 40
EV_USER_TASK_END = 41
EV_USER_REGION_BEGIN = 42
EV_USER_REGION_END = 43
EV_USER_LOG = 44
EV_GO_SWITCH = 45
EV_GO_SWITCH_DESTROY = 46
EV_GO_CREATE_BLOCKED = 47
EV_GO_STATUS_STACK = 48

SUPPORTED_VERSIONS = (22, 23, 25, 26)
# Go toolchains that write each format version.
WRITTEN_BY = {22: "Go 1.22", 23: "Go 1.23–1.24", 25: "Go 1.25", 26: "Go 1.26–1.27"}

# Timed events: name and number of varints after the type byte (dt included).
EVENTS: dict[int, tuple[str, int]] = {
    9: ("ProcsChange", 3),
    10: ("ProcStart", 3),
    11: ("ProcStop", 1),
    12: ("ProcSteal", 4),
    13: ("ProcStatus", 3),
    14: ("GoCreate", 4),
    15: ("GoCreateSyscall", 2),
    16: ("GoStart", 3),
    17: ("GoDestroy", 1),
    18: ("GoDestroySyscall", 1),
    19: ("GoStop", 3),
    20: ("GoBlock", 3),
    21: ("GoUnblock", 4),
    22: ("GoSyscallBegin", 3),
    23: ("GoSyscallEnd", 1),
    24: ("GoSyscallEndBlocked", 1),
    25: ("GoStatus", 4),
    26: ("STWBegin", 3),
    27: ("STWEnd", 1),
    28: ("GCActive", 2),
    29: ("GCBegin", 3),
    30: ("GCEnd", 2),
    31: ("GCSweepActive", 2),
    32: ("GCSweepBegin", 2),
    33: ("GCSweepEnd", 3),
    34: ("GCMarkAssistActive", 2),
    35: ("GCMarkAssistBegin", 2),
    36: ("GCMarkAssistEnd", 1),
    37: ("HeapAlloc", 2),
    38: ("HeapGoal", 2),
    39: ("GoLabel", 2),
    40: ("UserTaskBegin", 5),
    41: ("UserTaskEnd", 3),
    42: ("UserRegionBegin", 4),
    43: ("UserRegionEnd", 4),
    44: ("UserLog", 5),
    45: ("GoSwitch", 3),
    46: ("GoSwitchDestroy", 3),
    47: ("GoCreateBlocked", 4),
    48: ("GoStatusStack", 5),
    # AllocFree experiment (GODEBUG=traceallocfree=1), inside ordinary batches.
    128: ("Span", 4),
    129: ("SpanAlloc", 4),
    130: ("SpanFree", 2),
    131: ("HeapObject", 3),
    132: ("HeapObjectAlloc", 3),
    133: ("HeapObjectFree", 2),
    134: ("GoroutineStack", 3),
    135: ("GoroutineStackAlloc", 3),
    136: ("GoroutineStackFree", 2),
}


def valid_event_types(version: int) -> frozenset[int]:
    last = 44 if version == 22 else 48
    ids = set(range(9, last + 1))
    if version >= 23:
        ids.update(range(128, 137))
    return frozenset(ids)


def parse_header(data: bytes) -> int:
    """Return the format version (22, 23, 25 or 26) or raise TraceError."""
    if not data:
        raise TraceError("empty file: not a Go execution trace", 0)
    m = re.match(rb"go 1\.(\d{1,3}) trace\x00\x00\x00", data)
    if m is None or len(data) < HEADER_LEN:
        if re.match(rb"go 1\.(\d{1,3}) trace", data) and len(data) < HEADER_LEN:
            raise TraceError("file ends inside the 16-byte trace header", len(data))
        raise TraceError("not a Go execution trace (missing 'go 1.NN trace' header)", 0)
    minor = int(m.group(1))
    if minor in SUPPORTED_VERSIONS:
        return minor
    if 5 <= minor <= 21:
        raise TraceError(
            f"Go 1.{minor} trace format (written by Go 1.{minor} or earlier toolchains up to 1.21) "
            "is not supported: golens reads the format of Go 1.22 and later; "
            "re-record the trace with Go 1.22+",
            0,
        )
    raise TraceError(f"unknown or unsupported trace format version 'go 1.{minor} trace'", 0)


def read_uvarint(buf, pos: int, limit: int) -> tuple[int, int]:
    """Decode one uvarint at ``buf[pos:limit]``; return (value, next position).

    Raises IndexError when the buffer ends inside the varint and ValueError
    when it is longer than 10 bytes or overflows 64 bits.
    """
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    value = b & 0x7F
    shift = 7
    start = pos
    pos += 1
    while True:
        if pos >= limit:
            raise IndexError(pos)
        b = buf[pos]
        pos += 1
        if pos - start > 10:
            raise ValueError("varint longer than 10 bytes")
        value |= (b & 0x7F) << shift
        if b < 0x80:
            if value >> 64:
                raise ValueError("varint overflows 64 bits")
            return value, pos
        shift += 7


_TOKEN = re.compile(rb"[\x80-\xff]*+[\x00-\x7f]")  # possessive: no backtracking state


class _TokenValues(dict):
    """bytes token -> varint value; one- and two-byte tokens are precomputed."""

    def __missing__(self, tok: bytes) -> int:
        n = len(tok)
        if n == 3:
            # Sequence numbers of busy goroutines/Ps are 3-byte varints that
            # recur across goroutines; a bounded cache keeps them in C.
            value = (tok[0] & 0x7F) | (tok[1] & 0x7F) << 7 | tok[2] << 14
            if len(self) < _CACHE_LIMIT:
                self[tok] = value
            return value
        if n > 10:
            raise _BadToken("varint longer than 10 bytes")
        value = 0
        shift = 0
        for b in tok:
            value |= (b & 0x7F) << shift
            shift += 7
        if value >> 64:
            raise _BadToken("varint overflows 64 bits")
        return value


_CACHE_LIMIT = 16384 + 128 + 65_536


class _BadToken(ValueError):
    pass


_VALUES = _TokenValues({bytes([i]): i for i in range(128)})
_VALUES.update({bytes([a | 0x80, b]): a | (b << 7) for a in range(128) for b in range(128)})
_getv = _VALUES.__getitem__
_findall = _TOKEN.findall


def decode_varints(payload: bytes, offset: int) -> list[int]:
    """All varints of a payload, in order. ``offset`` is used in errors."""
    if payload and payload[-1] >= 0x80:
        raise TraceError("batch ends inside a varint", offset + len(payload))
    toks = _findall(payload)
    try:
        return list(map(_getv, toks))
    except _BadToken as e:
        pos = offset
        for t in toks:
            if len(t) > 10 or len(t) == 10 and t[-1] > 1:
                break
            pos += len(t)
        raise TraceError(str(e), pos) from None


def token_offset(payload: bytes, offset: int, index: int) -> int:
    """Byte offset of the ``index``-th varint token of a payload."""
    pos = offset
    for i, t in enumerate(_findall(payload)):
        if i == index:
            return pos
        pos += len(t)
    return pos


class Batch(NamedTuple):
    offset: int  # file offset of the batch's first byte
    payload_offset: int
    gen: int
    m: int
    ts: int
    payload: bytes
    exp: int  # experiment id, 0 for ordinary batches


class EndOfGeneration(NamedTuple):
    """The byte that closes a generation (format 26+)."""

    offset: int


class BatchReader:
    """Reads batches one at a time from a binary stream positioned after the header."""

    def __init__(self, f: BinaryIO, version: int):
        self.f = f
        self.version = version
        self.pos = HEADER_LEN

    def _byte(self) -> int:
        b = self.f.read(1)
        if not b:
            raise EOFError(self.pos)
        self.pos += 1
        return b[0]

    def _uvarint(self) -> int:
        start = self.pos
        value = 0
        shift = 0
        n = 0
        while True:
            b = self._byte()
            n += 1
            if n > 10:
                raise TraceError("varint longer than 10 bytes in batch header", start)
            value |= (b & 0x7F) << shift
            if b < 0x80:
                break
            shift += 7
        if value >> 64:
            raise TraceError("varint overflows 64 bits in batch header", start)
        return value

    def next(self) -> Batch | EndOfGeneration | None:
        """Return a Batch, an EndOfGeneration for the marker byte (format 26+), or None at EOF.

        Raises EOFError(offset) when the file ends inside a batch.
        """
        start = self.pos
        first = self.f.read(1)
        if not first:
            return None
        self.pos += 1
        kind = first[0]
        exp = 0
        if kind == EV_END_OF_GENERATION and self.version >= 26:
            return EndOfGeneration(start)
        if kind == EV_EXPERIMENTAL_BATCH and self.version >= 23:
            exp = self._byte()
        elif kind != EV_BATCH:
            raise TraceError(f"expected a batch, found byte 0x{kind:02x}: corrupt trace", start)
        gen = self._uvarint()
        m = self._uvarint()
        ts = self._uvarint()
        size_at = self.pos
        size = self._uvarint()
        if size > MAX_BATCH_SIZE:
            raise TraceError(f"batch claims {size} bytes, more than the {MAX_BATCH_SIZE}-byte maximum", size_at)
        if gen == 0:
            raise TraceError("batch with generation 0", start)
        payload = self.f.read(size)
        payload_offset = self.pos
        self.pos += len(payload)
        if len(payload) != size:
            raise EOFError(start)
        return Batch(start, payload_offset, gen, m, ts, payload, exp)
