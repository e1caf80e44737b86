"""The compiled walk loop (golens.trace._speedups) against the pure-Python one.

Both must give the same model, down to goroutine order and array contents,
for every committed trace, and the same TraceError (message and offset) or
the same model for mutated ones. Skipped when the extension was not built
(no C compiler at install time); the other trace tests then run the pure
path, and with GOLENS_TRACE_PURE=1 they run it even when it was built.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from array import array
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from test_fuzz import mutated

from golens.trace import TraceError, builder, read_trace

REPO = Path(__file__).resolve().parents[2]
TRACES = sorted((REPO / "traces").glob("*/go1.*.trace"))

try:
    from golens.trace import _speedups
except ImportError:
    _speedups = None

pytestmark = pytest.mark.skipif(_speedups is None, reason="golens.trace._speedups was not built (no C compiler at install)")


def plain(obj, seen=None):
    """A comparable rendering of a model object graph (order-preserving)."""
    if isinstance(obj, (str, bytes, int, float, bool, type(None), enum.Enum)):
        return obj
    if isinstance(obj, array):
        return (obj.typecode, obj.tolist())
    if isinstance(obj, dict):
        return [(plain(k), plain(v)) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [plain(x) for x in obj]
    if dataclasses.is_dataclass(obj):
        return (type(obj).__name__, [(f.name, plain(getattr(obj, f.name))) for f in dataclasses.fields(obj) if f.name != "_trace"])
    if hasattr(obj, "__dict__"):
        return (type(obj).__name__, [(k, plain(v)) for k, v in vars(obj).items()])
    if hasattr(obj, "__slots__"):
        return (type(obj).__name__, [(k, plain(getattr(obj, k, None))) for k in obj.__slots__])
    return repr(obj)


def outcome(data, monkeypatch, accel):
    with monkeypatch.context() as m:
        m.setattr(builder, "_speedups", _speedups if accel else None)
        try:
            tr = read_trace(data)
        except TraceError as e:
            return ("error", type(e).__name__, str(e), e.offset)
    return ("ok", plain(tr))


def test_env_var_forces_the_pure_path():
    import subprocess
    import sys

    code = "from golens.trace import builder; print(builder._speedups is None)"
    env = dict(os.environ, GOLENS_TRACE_PURE="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
    env["GOLENS_TRACE_PURE"] = ""
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("path", TRACES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_same_model_as_pure_python(path: Path, monkeypatch):
    data = path.read_bytes()
    fast = outcome(data, monkeypatch, True)
    assert fast[0] == "ok"
    assert fast == outcome(data, monkeypatch, False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutated_traces_same_outcome(monkeypatch, data):
    assert outcome(data, monkeypatch, True) == outcome(data, monkeypatch, False)


def test_decode_matches_pure_decoder():
    from golens.trace import wire

    cases = [b"", b"\x00", b"\x7f\x80\x01", b"\xff" * 9 + b"\x01", b"\xff" * 9 + b"\x02", b"\xff" * 10 + b"\x00", b"\x80",
             bytes(range(256)) + b"\x00"]
    for payload in cases:
        buf = _speedups.decode(payload)
        try:
            want = wire.decode_varints(payload, 0)
        except TraceError:
            assert buf is None, payload
        else:
            assert buf is not None and memoryview(buf).cast("Q").tolist() == want, payload
