"""Reading a trace off the event loop, with progress the editor can show.

The parse runs in a child process (started fresh, so nothing of the server's state is copied): a big
trace takes tens of seconds of pure-Python CPU, which in a thread would hold the GIL against the
event loop and slow every keystroke and hover. The child answers with ("ok", evidence) or
("error", message); anything it raises reaches the server as a message.
"""

from __future__ import annotations

import asyncio
import json
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from golens.childproc import PythonChild
from golens.evidence import TraceEvidence
from golens.lsp.progress import Progress

PROGRESS_MIN_BYTES = 2 * 1024 * 1024  # smaller traces parse in well under a second


def _parse_in_child(conn: Connection, trace_path: str, root: str, thresholds: dict[str, Any]) -> None:
    try:
        from golens.evidence import Thresholds as T
        from golens.evidence import load_evidence
        from golens.trace import TraceError

        try:
            te = load_evidence(trace_path, root=root, thresholds=T.from_mapping(thresholds)).freeze()
            conn.send(("ok", te))
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

    def __init__(self, path: Path, root: str, thresholds: dict[str, Any]):
        self.path = path
        # Asked for by a command, which reports the outcome itself.
        self.requested = False
        # Not multiprocessing: its spawned child imports from the working directory (see childproc).
        self.process = PythonChild("golens.lsp.trace_child", [str(path), root, json.dumps(thresholds)])
        self._recv = self.process.connection

    def cancel(self) -> None:
        if self.process.is_alive():
            self.process.terminate()

    async def outcome(self, progress: Progress) -> tuple[str, TraceEvidence | str]:
        """("ok", evidence) or ("error", message); cancelling the awaiting task ends the
        progress as cancelled and lets the caller terminate the child."""
        loop = asyncio.get_running_loop()
        try:
            size = self.path.stat().st_size
        except OSError:
            size = 0
        started = time.monotonic()
        recv = self._recv
        try:
            if size >= PROGRESS_MIN_BYTES:
                await progress.begin("golens: reading trace", f"{self.path.name} ({size / 1e6:.0f} MB)")
            while not recv.poll():
                if not self.process.is_alive() and not recv.poll():
                    raise EOFError
                await asyncio.sleep(0.05)
                progress.report(f"{time.monotonic() - started:.0f} s")
            status, payload = await loop.run_in_executor(None, recv.recv)
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
