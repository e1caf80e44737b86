"""Wait reasons: a stable label for every wait, from the trace's reason string and the API frames
of the blocking stack (Go's reason strings changed between releases; the frames say what the
program called)."""

from __future__ import annotations

from golens.trace import Stack

CHAN_SEND = "chan send"
CHAN_RECV = "chan receive"
SELECT = "select"
FOREVER = "forever"  # select {} or an operation on a nil channel
MUTEX = "sync.Mutex"
RWMUTEX = "sync.RWMutex"
WAITGROUP = "sync.WaitGroup"
COND = "sync.Cond"
NETWORK = "network"
FD_LOCK = "fd lock"  # concurrent reads/writes of one file descriptor (e.g. os.Stdout)
SLEEP = "sleep"
COROUTINE = "coroutine"
SYSTEM = "runtime"
UNKNOWN = "unknown"

# Waits that only another goroutine can end: a goroutine parked on one of these for long is stuck.
STUCK_REASONS = frozenset({CHAN_SEND, CHAN_RECV, SELECT, FOREVER, MUTEX, RWMUTEX, WAITGROUP, COND})
BLOCKING_REASONS = (STUCK_REASONS - {FOREVER}) | {FD_LOCK}
ACCUMULATE_REASONS = STUCK_REASONS | {SLEEP}

_SYSTEM_RAW = ("system goroutine wait", "GC ", "wait until GC ends", "preempted")


def classify_wait(raw: str, stack: Stack | None) -> str:
    """A stable reason label from the trace's reason string and the blocking stack's API frames."""
    if raw.startswith(_SYSTEM_RAW):
        return SYSTEM
    if raw == "forever":
        return FOREVER
    for f in stack.frames if stack else ():
        fn = f.func
        if fn.startswith("sync.(*RWMutex)") or fn.startswith("internal/sync.(*RWMutex)"):
            return RWMUTEX
        if fn.startswith(("sync.(*Mutex)", "internal/sync.(*Mutex)")):
            return MUTEX
        if fn.startswith("sync.(*WaitGroup)"):
            return WAITGROUP
        if fn.startswith("sync.(*Cond)"):
            return COND
        if fn.startswith("runtime.chansend"):
            return CHAN_SEND
        if fn.startswith("runtime.chanrecv"):
            return CHAN_RECV
        if fn == "runtime.selectgo":
            return SELECT
        if fn == "runtime.block":
            return FOREVER
        if fn == "time.Sleep":
            return SLEEP
        if fn.startswith("internal/poll.(*fdMutex)"):
            return FD_LOCK
        if fn.startswith("internal/poll."):
            return NETWORK
        if fn.startswith(("runtime.coro", "iter.")):
            return COROUTINE
        if not fn.startswith(("runtime.", "internal/", "sync.", "time.")):
            break
    return {
        "chan send": CHAN_SEND, "chan receive": CHAN_RECV, "select": SELECT, "sleep": SLEEP,
        "network": NETWORK, "sync.(*Cond).Wait": COND,
    }.get(raw, UNKNOWN if not raw else raw)
