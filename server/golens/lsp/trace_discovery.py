"""Which file in a workspace is a Go execution trace, and which one to use when none is named.

Candidates are files named `*.trace`, `*.out` or `trace*` whose first bytes are a Go trace header
(`go 1.NN trace`). The newest one wins, unless it cannot be read through: a trace still being
written (or cut short) has a valid header and nothing usable after it, so discovery can be told to
skip such files and fall back to the next newest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from golens.safeio import read_head

HEADER = re.compile(rb"^go 1\.\d+ trace\x00")
WATCH_GLOBS = ("**/*.trace", "**/*.out", "**/trace*")
_SKIP_DIRS = frozenset({"node_modules", "vendor", "testdata", "__pycache__"})


def is_trace_file(path: Path) -> bool:
    try:
        # read_head: a `trace.out -> /dev/stdin` link would read the LSP stream itself.
        return bool(HEADER.match(read_head(path, 16)))
    except OSError:
        return False


def is_candidate_name(name: str) -> bool:
    return name.endswith((".trace", ".out")) or name.startswith("trace")


def candidates(root: Path, limit: int = 50_000,
               accept: Callable[[str], bool] = is_candidate_name) -> Iterator[tuple[float, Path]]:
    """(mtime, path) of the regular files under root whose names `accept` takes (hidden, vendor
    and dependency directories skipped; links and special files never; at most `limit` files
    looked at). Profile discovery walks with its own names (golens.lsp.profile_state)."""
    seen = 0
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS]
        for name in files:
            seen += 1
            if seen > limit:
                return
            if not accept(name):
                continue
            p = Path(directory) / name
            try:
                if p.is_symlink() or not p.is_file():
                    # A link may point out of the workspace, a FIFO would block the header read.
                    continue
                mtime = p.stat().st_mtime
            except OSError:
                continue
            yield mtime, p


def discover_all(root: Path, limit: int = 50_000) -> list[Path]:
    """Every trace file under root, newest first (hidden, vendor and dependency directories
    skipped; at most `limit` files looked at)."""
    found = [(mtime, p) for mtime, p in candidates(root, limit) if is_trace_file(p)]
    found.sort(key=lambda item: item[0], reverse=True)
    return [p for _, p in found]


def discover(root: Path, limit: int = 50_000, readable: Callable[[Path], bool] | None = None) -> Path | None:
    """The newest trace file under root; with `readable`, the newest one it accepts."""
    for p in discover_all(root, limit):
        if readable is None or readable(p):
            return p
    return None
