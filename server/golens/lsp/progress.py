"""`$/progress` for server-initiated work (a trace being read, the workspace being checked), when
the client supports it; every method is a no-op otherwise."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from lsprotocol import types

REPORT_INTERVAL_SECONDS = 1.0


class Progress:
    def __init__(self, ls: Any, name: str):
        self.ls = ls
        self.name = name  # in the token, for logs
        self.token: str | None = None
        self._last_report = 0.0

    async def begin(self, title: str, message: str, percentage: int | None = None) -> None:
        window = self.ls.client_capabilities.window
        if not (window and window.work_done_progress):
            return
        token = f"golens-{self.name}-{uuid.uuid4().hex[:8]}"
        try:
            await asyncio.wait_for(self.ls.work_done_progress.create_async(token), 5)
        except Exception:  # a client that refuses the token gets no progress, not an error
            return
        self.token = token
        self.ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title=title, message=message, cancellable=False, percentage=percentage))

    def report(self, message: str, percentage: int | None = None) -> None:
        """At most one report a second: a client redraws on each."""
        now = time.monotonic()
        if self.token is not None and now - self._last_report >= REPORT_INTERVAL_SECONDS:
            self._last_report = now
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(
                message=message, percentage=percentage))

    def end(self, message: str) -> None:
        if self.token is not None:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.token = None
