"""Watching trace files from the server, for clients that cannot watch them.

`workspace/didChangeWatchedFiles` is how an editor tells the server that a file changed, but
Neovim 0.7 cannot register watchers and Neovim 0.11 turns them off on Linux: a loaded trace
that a test run rewrites would never be reloaded. The server then polls the few files it cares
about (the loaded trace, and a newer one that could not be read yet) with `stat` alone. A change
is reported once the file has stopped changing for one interval, so a trace still being written
is not parsed half-way.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from pathlib import Path

# (mtime_ns, size, inode) of a file, or None when it does not exist.
Stamp = tuple[int, int, int] | None

POLL_SECONDS = 1.0


def stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class FilePoller:
    """Which of the watched files changed and then held still since the last `poll()`."""

    def __init__(self) -> None:
        self._known: dict[Path, Stamp] = {}
        self._pending: dict[Path, Stamp] = {}

    def watch(self, paths: Iterable[Path]) -> None:
        """Watch exactly these files, taking their current state as the known one."""
        wanted = {Path(p) for p in paths}
        self._known = {p: self._known[p] if p in self._known else stamp(p) for p in wanted}
        self._pending = {p: s for p, s in self._pending.items() if p in wanted}

    def settled(self, path: Path) -> None:
        """`path` was just (re)read as it is now: not a change any more."""
        if path in self._known:
            self._known[path] = stamp(path)
            self._pending.pop(path, None)

    @property
    def watched(self) -> frozenset[Path]:
        return frozenset(self._known)

    def poll(self) -> list[Path]:
        changed = []
        for path, known in self._known.items():
            now = stamp(path)
            if now == known:
                self._pending.pop(path, None)
                continue
            if self._pending.get(path, known) == now and path in self._pending:
                # Unchanged for a whole interval: done being written.
                self._known[path] = now
                del self._pending[path]
                if now is not None:
                    changed.append(path)
            else:
                self._pending[path] = now
        return changed


class ServerSideWatch:
    """Runs a FilePoller on the event loop and calls `on_change` for each settled change."""

    def __init__(self, on_change: Callable[[Path], None], interval: float = POLL_SECONDS) -> None:
        self.poller = FilePoller()
        self._on_change = on_change
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            # A few stat calls: cheaper on the loop than a hop to a thread.
            for path in self.poller.poll():
                self._on_change(path)
