"""Builds small synthetic v2 traces byte by byte, for bad-input tests."""

from __future__ import annotations

NO_THREAD = (1 << 64) - 1


def uv(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def padded(v: int) -> bytes:
    """The runtime's fixed 10-byte encoding of batch sizes."""
    out = bytearray()
    for _ in range(9):
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v & 0x7F)
    return bytes(out)


def batch(gen: int, m: int, ts: int, payload: bytes) -> bytes:
    return b"\x01" + uv(gen) + uv(m) + uv(ts) + padded(len(payload)) + payload


def ev(typ: int, *args: int) -> bytes:
    return bytes([typ]) + b"".join(uv(a) for a in args)


def minimal(version: int = 26, events: bytes | None = None, stack_frames: int = 1) -> bytes:
    """A one-generation trace: goroutine 1 running, then blocking on 'sleep' at stack 1."""
    hdr = f"go 1.{version} trace".encode() + b"\x00\x00\x00"
    if version >= 25:
        sync = b"\x32" + ev(0x08, 15_625_000) + ev(0x33, 1, 6400, 1_700_000_000, 5)
    else:
        sync = ev(0x08, 15_625_000)
    if events is None:
        events = (
            ev(13, 1, 0, 1)  # ProcStatus p=0 running
            + ev(25, 1, 1, 1, 2)  # GoStatus g=1 m=1 running
            + ev(20, 5, 1, 1)  # GoBlock reason="sleep" stack=1
        )
    strings = b"\x04" + ev(5, 1, 5) + b"sleep" + ev(5, 2, 9) + b"main.main" + ev(5, 3, 7) + b"main.go"
    stacks = b"\x02" + ev(3, 1, stack_frames) + b"".join(uv(0x1000 + k) + uv(2) + uv(3) + uv(10 + k) for k in range(stack_frames))
    out = hdr + batch(1, NO_THREAD, 100, sync) + batch(1, 1, 100, events) + batch(1, NO_THREAD, 200, stacks) + batch(1, NO_THREAD, 200, strings)
    if version >= 26:
        out += b"\x34"
    return out
