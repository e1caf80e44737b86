"""Reading a trace off the event loop, with progress the editor can show.

The parse runs in a child process (started fresh, so nothing of the server's state is copied): a big
trace takes seconds of CPU, which in a thread would hold the GIL against the event loop and slow
every keystroke and hover. While it reads, the child sends ("progress", bytes read, size) at most
every PROGRESS_EVERY_S and ("partial", evidence so far, bytes read, size) at the cadence of
golens.evidence.load.Streaming; it ends with ("ok", evidence) or ("error", message). Anything it
raises reaches the server as a message.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from golens.childproc import PythonChild
from golens.evidence import TraceEvidence
from golens.lsp.progress import Progress

PROGRESS_MIN_BYTES = 2 * 1024 * 1024  # smaller traces parse in well under a second
PROGRESS_EVERY_S = 0.25  # the child's progress messages; the editor's reports are rate-limited again
# Publish the evidence of the generations read so far this often while a trace is read (the
# golens.trace.partialEverySeconds setting): a 100 MB trace then shows its leaks and hot spots
# within seconds instead of after the whole parse.
PARTIAL_EVERY_S = 2.0

OnPartial = Callable[[TraceEvidence, int, int], None]  # (evidence so far, bytes read, size)


def _parse_in_child(conn: Connection, trace_path: str, root: str, thresholds: dict[str, Any],
                    partial_every_s: float = -1.0) -> None:
    try:
        from golens.evidence import Thresholds as T
        from golens.evidence import load_evidence
        from golens.evidence.load import Streaming
        from golens.trace import TraceError

        last_progress = 0.0

        def progress(bytes_read: int, size: int) -> None:
            nonlocal last_progress
            now = time.monotonic()
            if now - last_progress >= PROGRESS_EVERY_S:
                last_progress = now
                conn.send(("progress", bytes_read, size))

        def partial(te: TraceEvidence, bytes_read: int, size: int) -> None:
            conn.send(("partial", te.freeze(), bytes_read, size))

        streaming = Streaming(partial, progress, partial_every_s)
        try:
            te = load_evidence(trace_path, root=root, thresholds=T.from_mapping(thresholds), streaming=streaming)
            conn.send(("ok", te.freeze()))
        except TraceError as exc:
            conn.send(("error", f"{trace_path} is not a readable Go execution trace: {exc}"))
        except OSError as exc:
            conn.send(("error", f"cannot read {trace_path}: {exc.strerror or exc}"))
    except Exception as exc:  # anything else must still reach the server as a message
        conn.send(("error", f"reading {trace_path} failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class BackgroundParse:
    """One trace being read in a child process."""

    def __init__(self, path: Path, root: str, thresholds: dict[str, Any], partial_every_s: float = PARTIAL_EVERY_S):
        self.path = path
        # Asked for by a command, which reports the outcome itself.
        self.requested = False
        # Not multiprocessing: its spawned child imports from the working directory (see childproc).
        self.process = PythonChild("golens.lsp.trace_child",
                                   [str(path), root, json.dumps(thresholds), repr(float(partial_every_s))])
        self._recv = self.process.connection

    def cancel(self) -> None:
        if self.process.is_alive():
            self.process.terminate()

    async def outcome(self, progress: Progress, on_partial: OnPartial | None = None) -> tuple[str, TraceEvidence | str]:
        """("ok", evidence) or ("error", message), after on_partial(evidence so far, bytes read,
        size) for each partial result; cancelling the awaiting task ends the progress as
        cancelled and lets the caller terminate the child."""
        loop = asyncio.get_running_loop()
        try:
            size = self.path.stat().st_size
        except OSError:
            size = 0
        started = time.monotonic()
        recv = self._recv
        try:
            if size >= PROGRESS_MIN_BYTES:
                await progress.begin("golens: reading trace", f"{self.path.name} ({size / 1e6:.0f} MB)", 0)
            percent = 0
            while True:
                if not recv.poll():
                    if not self.process.is_alive() and not recv.poll():
                        raise EOFError
                    await asyncio.sleep(0.05)
                    progress.report(f"{percent}% read · {time.monotonic() - started:.0f} s", percent)
                    continue
                message = await loop.run_in_executor(None, recv.recv)
                if message[0] in ("progress", "partial"):
                    bytes_read, total = message[-2], message[-1]
                    percent = min(99, bytes_read * 100 // total) if total else 0
                    progress.report(f"{percent}% read · {time.monotonic() - started:.0f} s", percent)
                    if message[0] == "partial" and on_partial is not None:
                        on_partial(message[1], bytes_read, total)
                    continue
                status, payload = message
                break
        except asyncio.CancelledError:
            progress.end("cancelled: a newer trace appeared")
            raise
        except (EOFError, OSError):
            status, payload = "error", (f"reading {self.path} failed: the parser process exited with code "
                                        f"{self.process.exitcode}")
        finally:
            recv.close()
        self.process.join(timeout=1)
        return status, payload
