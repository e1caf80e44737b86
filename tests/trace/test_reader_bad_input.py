"""Bad input: every failure is a TraceError with a byte offset, or, for a
trace cut short, the complete generations plus a warning."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tracebuild import NO_THREAD, batch, ev, minimal, padded, uv

from golens.trace import TraceError, read_trace, wire

REPO = Path(__file__).resolve().parents[2]
TRACES = REPO / "traces"


def batch_offsets(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every batch / end-of-generation byte of a valid trace."""
    version = wire.parse_header(data)
    r = wire.BatchReader(io.BytesIO(data[wire.HEADER_LEN:]), version)
    out = []
    while True:
        start = r.pos
        b = r.next()
        if b is None:
            return out
        out.append((start, r.pos))


def expect_error(data: bytes, *words: str) -> TraceError:
    with pytest.raises(TraceError) as info:
        read_trace(data)
    e = info.value
    assert e.offset is not None and 0 <= e.offset <= len(data), e
    for w in words:
        assert w in str(e), str(e)
    return e


def test_minimal_synthetic_trace_reads():
    for v in (22, 23, 25, 26):
        tr = read_trace(minimal(v))
        (t0, t1) = list(tr.goroutines[1].transitions())
        assert (str(t0.from_state), str(t0.to_state)) == ("Undetermined", "Running")
        assert (t1.reason, tr.stacks[t1.stack].frames[0].func) == ("sleep", "main.main")
        assert t1.time == (100 + 1 + 1 + 5) * 64  # batch ts + three dts, 64 ns per tick


def test_empty_file():
    e = expect_error(b"", "empty")
    assert e.offset == 0


def test_wrong_magic():
    expect_error(b"\x89PNG\r\n\x1a\n" + bytes(100), "not a Go execution trace")
    expect_error(b"go 1.26 trac\x00\x00\x00\x00" + bytes(10), "not a Go execution trace")


@pytest.mark.parametrize("minor", range(11, 22))
def test_old_formats_name_their_version(minor):
    data = f"go 1.{minor} trace".encode() + b"\x00\x00\x00" + bytes(64)
    e = expect_error(data, f"1.{minor}", "not supported")
    assert e.offset == 0


def test_future_format():
    expect_error(b"go 1.99 trace\x00\x00\x00" + bytes(8), "unsupported", "1.99")


def test_header_only():
    expect_error(b"go 1.26 trace\x00\x00\x00", "no events")


def test_short_header():
    expect_error(b"go 1.26 trace\x00", "header")


def test_varint_longer_than_10_bytes():
    data = minimal(26)
    bad = data[:16] + b"\x01" + b"\x81" * 11 + b"\x01" + data[17:]
    e = expect_error(bad, "longer than 10 bytes")
    assert e.offset == 17
    # Inside an event batch payload too.
    events = ev(13, 1, 0, 1) + bytes([25]) + b"\x80" * 11 + b"\x01" + uv(1) + uv(1) + uv(2)
    expect_error(minimal(26, events), "longer than 10 bytes")


def test_batch_size_claiming_gigabytes():
    hdr = b"go 1.26 trace\x00\x00\x00"
    data = hdr + b"\x01" + uv(1) + uv(1) + uv(100) + padded(3 << 30) + b"\x0b\x01"
    e = expect_error(data, "batch claims")
    assert e.offset == 16 + 4


def test_string_size_claiming_gigabytes():
    data = minimal(26)
    strings = b"\x04" + ev(5, 1) + uv(2 << 30) + b"sleep"
    hdr = b"go 1.26 trace\x00\x00\x00"
    sync = b"\x32" + ev(0x08, 15_625_000) + ev(0x33, 1, 6400, 1, 5)
    bad = hdr + batch(1, NO_THREAD, 100, sync) + batch(1, NO_THREAD, 200, strings) + b"\x34"
    expect_error(bad, "exceeds")
    assert data  # the valid variant reads (covered above)


def test_stack_id_with_no_stack():
    events = ev(13, 1, 0, 1) + ev(25, 1, 1, 1, 2) + ev(20, 5, 1, 42)
    e = expect_error(minimal(26, events), "stack ID 42")
    assert e.offset > 16


def test_unknown_event_type():
    events = ev(13, 1, 0, 1) + ev(60, 1, 2, 3)
    expect_error(minimal(26, events), "unknown event type 60")
    # Coroutine events do not exist in the 1.22 format.
    events = ev(13, 1, 0, 1) + ev(25, 1, 1, 1, 2) + ev(45, 1, 2, 1)
    expect_error(minimal(22, events), "unknown event type 45")
    # Structural event ids cannot appear among timed events.
    expect_error(minimal(26, ev(13, 1, 0, 1) + ev(5, 1)), "unknown event type 5")


def test_event_without_running_goroutine():
    expect_error(minimal(26, ev(13, 1, 0, 1) + ev(20, 5, 1, 1)), "without a running goroutine")


def test_inconsistent_goroutine_states():
    # GoStart of a goroutine that is running.
    events = ev(13, 1, 0, 1) + ev(25, 1, 1, 1, 2) + ev(16, 1, 1, 1)
    expect_error(minimal(26, events), "goroutine 1")


def test_too_many_frames():
    expect_error(minimal(26, stack_frames=129), "129 frames")


def test_bad_goroutine_status():
    events = ev(13, 1, 0, 1) + ev(25, 1, 1, 1, 9)
    expect_error(minimal(26, events), "status 9")


def test_missing_frequency():
    hdr = b"go 1.26 trace\x00\x00\x00"
    data = hdr + batch(1, 1, 100, ev(13, 1, 0, 1)) + b"\x34"
    expect_error(data, "frequency")


def test_garbage_between_batches():
    data = minimal(26)
    expect_error(data[:-1] + b"\x07" + data[-1:], "expected a batch")


def test_generation_going_backwards():
    one = minimal(25)
    two = one[16:].replace(b"\x01\x01", b"\x01\x02", 1)  # first batch of a copy claims generation 2
    expect_error(one + two + one[16:], "generation")


ALL_TRACES = sorted(TRACES.glob("*/go1.*.trace"))
CUT_TRACES = [p for p in ALL_TRACES if p.parent.name in ("multigen", "handler_leak")]


@pytest.mark.slow  # parses the trace once per cut: thousands of parses
@pytest.mark.parametrize("path", CUT_TRACES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_truncation_at_every_batch_boundary_and_mid_batch(path: Path):
    data = path.read_bytes()
    full = read_trace(data)
    version = wire.parse_header(data)
    cuts = set()
    for start, end in batch_offsets(data):
        cuts.add(start)
        cuts.add((start + end) // 2)
        cuts.add(end - 1)
    cuts.discard(len(data))
    truncated_results = 0
    for cut in sorted(cuts):
        try:
            tr = read_trace(data[:cut])
        except TraceError as e:
            assert e.offset is not None and e.offset <= cut
            assert "truncated" in str(e) or "no events" in str(e) or "does not define" in str(e), str(e)
            continue
        assert tr.generations <= full.generations
        if tr.truncated:
            truncated_results += 1
            assert tr.warnings and "truncated" in tr.warnings[0]
            assert tr.generations < full.generations or version < 26
        else:
            # A cut exactly after an end-of-generation marker, or (formats < 26,
            # which have no marker) at a batch boundary, leaves a trace that
            # is indistinguishable from a complete one.
            assert version < 26 or data[cut - 1] == 0x34
        # Complete generations are the same as in the full read.
        for gid, g in tr.goroutines.items():
            mine = list(g.transitions())
            theirs = list(full.goroutines[gid].transitions())
            if version >= 26 or tr.truncated:
                assert mine == theirs[: len(mine)]
    if full.generations > 1:
        assert truncated_results > 0


def test_truncated_multigeneration_keeps_complete_generations():
    data = (TRACES / "multigen" / "go1.27.trace").read_bytes()
    full = read_trace(data)
    tr = read_trace(data[: len(data) * 2 // 3])
    assert tr.truncated and 0 < tr.generations < full.generations
    assert "returning the" in tr.warnings[0]


def test_timestamps_and_sequence_numbers_out_of_range():
    # A batch timestamp near 2^64 ticks cannot be a time on any clock.
    data = minimal(26).replace(batch(1, 1, 100, ev(13, 1, 0, 1) + ev(25, 1, 1, 1, 2) + ev(20, 5, 1, 1)),
                               batch(1, 1, (1 << 64) - 2, ev(13, 1, 0, 1) + ev(25, 1, 1, 1, 2) + ev(20, 5, 1, 1)))
    expect_error(data, "out of range")
    # A goroutine sequence number of 2^63.
    events = ev(13, 1, 0, 1) + ev(25, 1, 1, 1, 2) + ev(20, 5, 1, 1) + ev(21, 1, 1, 1 << 63, 0)
    expect_error(minimal(26, events), "out of range")


def test_absurd_wall_clock_is_dropped_with_a_warning():
    good = b"\x32" + ev(0x08, 15_625_000) + ev(0x33, 1, 6400, 1_700_000_000, 5)
    bad = b"\x32" + ev(0x08, 15_625_000) + ev(0x33, 1, 6400, 1 << 62, 5)
    data = minimal(26).replace(batch(1, NO_THREAD, 100, good), batch(1, NO_THREAD, 100, bad))
    tr = read_trace(data)
    assert tr.wall_start is None and "out of range" in tr.warnings[0]
    assert read_trace(minimal(26)).wall_start.year == 2023


def test_generations_with_different_clock_frequencies():
    # Gen 1 at 64 ns per tick, gen 2 at 32 ns per tick: gen 2's times are
    # expressed in gen 1's unit (to 64 ns) and stay on one time line.
    def gen(n, freq, ts, events):
        sync = b"\x32" + ev(0x08, freq) + ev(0x33, 1, ts * 64, 1_700_000_000, 5)
        strings = b"\x04" + ev(5, 1, 5) + b"sleep" + ev(5, 2, 9) + b"main.main" + ev(5, 3, 7) + b"main.go"
        stacks = b"\x02" + ev(3, 1, 1) + uv(0x1000) + uv(2) + uv(3) + uv(10)
        return (batch(n, NO_THREAD, ts, sync) + batch(n, 1, ts, events) + batch(n, NO_THREAD, ts, stacks)
                + batch(n, NO_THREAD, ts, strings) + b"\x34")
    g1 = gen(1, 15_625_000, 100, ev(13, 1, 0, 1) + ev(25, 1, 1, 1, 2) + ev(20, 5, 1, 1))
    # Gen 2: ticks of 32 ns; goroutine 1 is woken and runs at tick 1000 + 10 + 10.
    g2 = gen(2, 31_250_000, 1000, ev(13, 1, 0, 1) + ev(25, 10, 1, NO_THREAD, 4) + ev(21, 10, 1, 1, 0) + ev(16, 10, 1, 2))
    tr = read_trace(b"go 1.26 trace\x00\x00\x00" + g1 + g2)
    times = [t.time for t in tr.goroutines[1].transitions()]
    kinds = [t.kind.name for t in tr.goroutines[1].transitions()]
    assert kinds == ["STATUS", "BLOCK", "STATUS", "UNBLOCK", "START"]
    assert times[:2] == [(100 + 1 + 1) * 64, (100 + 1 + 1 + 5) * 64]
    for got, ticks32 in zip(times[2:], (1000 + 1 + 10, 1000 + 1 + 10 + 10, 1000 + 1 + 10 + 10 + 10), strict=True):
        assert abs(got - ticks32 * 32) < 64
