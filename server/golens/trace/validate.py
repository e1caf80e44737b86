"""Per generation: each goroutine's records put in order and compacted, and its state machine
checked (every record leaves the state the previous one entered); corrupt input fails here."""

from __future__ import annotations

import operator
import sys
from array import array
from collections.abc import Callable
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from .errors import TraceError
from .model import KIND_BITS, KIND_FROM, KIND_TO, Goroutine, GoState, Kind

if TYPE_CHECKING:
    from .builder import _GenState

# _speedups.order: (records, previous last tick) -> (first tick, last tick, dts bytes, dts
# typecode, infos bytes, infos typecode, low bytes)
COrder = Callable[["array[int]", int | None], tuple[Any, ...]]

# Per packed record low byte (kind | state << 4): required previous state and resulting state.
_from = bytearray(256)
_to = bytearray(256)
for _b in range(256):
    _k = _b & KIND_BITS
    _s = (_b >> 4) & 7
    if _k == 0:
        _from[_b] = 0xFF
        _to[_b] = 0xFE
    else:
        _k = Kind(_k)
        if _k == Kind.STATUS:
            _from[_b] = _s
            _to[_b] = _s
        else:
            _from[_b] = KIND_FROM[_k]
            _to[_b] = KIND_TO[_k]
_FROM = bytes(_from)
_TO = bytes(_to)
_KIND_ONLY = bytes(b & KIND_BITS for b in range(256))
_LOW = (0xFF).__and__
_LITTLE = sys.byteorder == "little"
_le = operator.le


def order_and_check(st: _GenState, c_order: COrder | None) -> None:
    """Order each goroutine's records and check its state machine.

    Raises TraceError if a goroutine's transitions do not chain (an event
    leaves a state the goroutine was not in), which only happens on
    corrupt input.
    """
    gors = st.b.trace.goroutines
    lows = []
    recs = st.recs
    for gid in list(recs):
        arr = recs.pop(gid)  # free staging as we go: peak memory is per generation
        go = gors.get(gid)
        if c_order is not None and arr:
            # The same order and compact form as below, in C.
            first_t, last_t, dts_b, dts_code, infos_b, infos_code, low = c_order(
                arr, go._tlast if go is not None and go._n else None
            )
            del arr
            check_chain(st, gid, go, low)
            lows.append(low)
            dts = array(dts_code)
            dts.frombytes(dts_b)
            infos = array(infos_code)
            infos.frombytes(infos_b)
            st.sorted[gid] = (first_t, last_t, dts, infos)
            continue
        keys = arr[0::3]
        times = arr[1::3]
        infos = arr[2::3]
        del arr
        n = len(keys)
        if keys.count(0) > 1:
            # Several lifetimes in one generation (a cgo callback goroutine
            # destroyed and re-created under the same ID): sequence keys
            # restart per lifetime, so lifetimes are told apart by time.
            perm = sorted(range(n), key=list(zip(times, keys, strict=True)).__getitem__)
        elif not all(map(_le, keys, islice(keys, 1, None))):
            perm = sorted(range(n), key=keys.__getitem__)
        else:
            perm = None
        if perm is not None:
            times = array("q", map(times.__getitem__, perm))
            infos = array("q", map(infos.__getitem__, perm))
        low = infos.tobytes()[::8] if _LITTLE else bytes(map(_LOW, infos))
        lows.append(low)
        check_chain(st, gid, go, low)
        # Compact now (8 bytes per record instead of 16) so that only this
        # form is held until the generation commits.
        prev_tick = go._tlast if go is not None and go._n else times[0]
        try:
            dts = array("I", map(operator.sub, times, chain((prev_tick,), times)))
        except OverflowError:  # a long gap, or clock skew between threads
            dts = array("q", map(operator.sub, times, chain((prev_tick,), times)))
        try:
            infos = array("I", infos)
        except OverflowError:  # stack IDs beyond 2**17
            pass
        st.sorted[gid] = (times[0], times[-1], dts, infos)
        del times
    kinds = b"".join(lows).translate(_KIND_ONLY)
    st.kind_counts = {k: kinds.count(k) for k in range(1, 16)}


def check_chain(st: _GenState, gid: int, go: Goroutine | None, low: bytes) -> None:
    """Raise TraceError unless each record leaves the state the previous one entered.

    ``low`` holds the low byte (kind | state) of each ordered record.
    """
    froms = low.translate(_FROM)
    tos = low.translate(_TO)
    prev = None
    if go is not None and go._n:
        prev = _TO[go._last_rec() & 0xFF]
    f0 = low[0] & KIND_BITS
    if prev is None:
        if f0 == Kind.STATUS and not st.first:
            raise TraceError(
                f"status for goroutine {gid} first seen after the first generation", st.g.offset
            )
        if f0 != Kind.STATUS and froms[0] != GoState.NOT_EXIST:
            raise TraceError(
                f"goroutine {gid} appears in generation {st.g.gen} with a "
                f"{Kind(f0).name} event before any creation or status event",
                st.g.offset,
            )
    elif froms[0] != prev:
        raise TraceError(
            f"goroutine {gid}: {Kind(f0).name} event while in state {GoState(prev)}", st.g.offset
        )
    if froms[1:] != tos[:-1]:
        k = next(j for j in range(1, len(low)) if froms[j] != tos[j - 1])
        raise TraceError(
            f"goroutine {gid}: {Kind(low[k] & KIND_BITS).name} event while in state "
            f"{GoState(tos[k - 1])} in generation {st.g.gen}",
            st.g.offset,
        )
