"""Errors raised by the trace reader."""

from __future__ import annotations


class TraceError(Exception):
    """The input is not a readable Go execution trace.

    ``offset`` is the byte offset in the file where the problem was found
    (``None`` only when no byte position applies).
    """

    def __init__(self, message: str, offset: int | None = None):
        self.message = message
        self.offset = offset
        if offset is not None:
            message = f"{message} (at byte offset {offset})"
        super().__init__(message)


class EmptyTraceError(TraceError):
    """A valid trace header and nothing after it: a trace stopped before anything was recorded.
    Still unreadable for the evidence; a picture of it can say there is nothing to show."""

    def __init__(self, message: str, offset: int | None, format_version: int):
        super().__init__(message, offset)
        self.format_version = format_version  # the header's go 1.NN
