"""Property tests: mutated real traces never raise anything but TraceError,
and each read stays within a time and memory budget.

The default run is small; set GOLENS_TRACE_FUZZ_EXAMPLES (e.g. 20000) for a
longer campaign.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golens.trace import TraceError, read_trace

REPO = Path(__file__).resolve().parents[2]
SEEDS = [p for p in sorted((REPO / "traces").glob("*/go1.*.trace")) if p.stat().st_size <= 40_000]
SEED_BYTES = [p.read_bytes() for p in SEEDS]
EXAMPLES = int(os.environ.get("GOLENS_TRACE_FUZZ_EXAMPLES", "60"))
TIME_BUDGET_S = 5.0
MEMORY_BUDGET = 64 << 20


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEED_BYTES)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "byte", "cut", "delete", "insert", "dup"]))
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "byte":
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        else:
            n = draw(st.integers(1, 512))
            data[pos:pos] = data[pos : pos + n]
    return bytes(data)


def check_one(data: bytes) -> None:
    tracemalloc.start()
    t0 = time.process_time()
    try:
        tr = read_trace(data)
        # Exercise the derived views too: they must not fail on whatever was accepted.
        for g in tr.goroutines.values():
            for _ in g.intervals():
                pass
            assert g.last_stack >= 0
            assert isinstance(g.start_function, str)
    except TraceError as e:
        assert e.offset is None or 0 <= e.offset <= len(data) + 16, e
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.process_time() - t0 < TIME_BUDGET_S  # CPU time: wall time is at the mercy of machine load
    assert peak < MEMORY_BUDGET, f"peak {peak} bytes"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_traces_only_raise_trace_error(data):
    check_one(data)


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None)
@given(st.binary(max_size=2048), st.sampled_from([22, 23, 25, 26]))
def test_random_payload_after_valid_header(payload, version):
    check_one(f"go 1.{version} trace".encode() + b"\x00\x00\x00" + payload)
