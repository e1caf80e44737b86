"""read_trace: file or bytes -> Trace, one generation at a time."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import BinaryIO

from golens.safeio import open_regular

from . import wire
from .builder import Builder, Generation, _Truncatable
from .errors import EmptyTraceError, TraceError
from .model import Trace

# Called after each generation is committed to the model: (the trace so far, the byte offset
# where that generation ends).
OnGeneration = Callable[[Trace, int], None]


def read_trace(source: str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO,
               on_generation: OnGeneration | None = None) -> Trace:
    """Read a Go execution trace (format go 1.22 … go 1.26) into a Trace.

    ``source`` is a path, the trace bytes, or a binary file object. Only one
    generation's batches are held in memory at a time. Raises TraceError for
    input that is not a readable trace. A trace cut short (program killed,
    download interrupted) yields the complete generations, with
    ``Trace.truncated`` set and a message in ``Trace.warnings``.

    ``on_generation(trace, end)`` runs after each generation is in the model,
    for readers that analyse the trace read so far: the model is then what
    reading the file's first ``end`` bytes would give (except ``event_counts``,
    set at the end).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return _read(io.BytesIO(data), len(data), on_generation)
    if isinstance(source, (str, os.PathLike)):
        # open_regular: a FIFO or device named like a trace would block or never end.
        with open_regular(source) as f:
            size = os.fstat(f.fileno()).st_size
            return _read(f, size, on_generation)
    try:
        size = os.fstat(source.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        size = 0
    return _read(source, size, on_generation)


def _read(f: BinaryIO, size: int, on_generation: OnGeneration | None = None) -> Trace:
    header = f.read(wire.HEADER_LEN)
    version = wire.parse_header(header)
    builder = Builder(version, size)
    reader = wire.BatchReader(f, version)
    gen: Generation | None = None
    pending: wire.Batch | None = None
    truncated_at: int | None = None
    truncated_why = ""

    def finish_gen(g: Generation, at_eof: bool, end: int) -> bool:
        """Process g (which ends at byte offset `end`); at EOF of pre-26 formats a generation
        missing tables was cut short."""
        nonlocal truncated_at, truncated_why
        try:
            builder.process(g)
        except _Truncatable as e:
            if at_eof and version < 26:
                truncated_at = e.offset if e.offset is not None else g.offset
                truncated_why = f"the last generation ({g.gen}) is incomplete: {e.message}"
                return False
            raise TraceError(e.message, e.offset) from None
        if on_generation is not None:
            on_generation(builder.trace, end)
        return True

    while True:
        if pending is not None:
            b, pending = pending, None
        else:
            try:
                b = reader.next()
            except EOFError as e:
                truncated_at = e.args[0]
                truncated_why = "the file ends inside a batch"
                break
        if b is None:
            if gen is not None:
                if version >= 26:
                    truncated_at = reader.pos
                    truncated_why = f"generation {gen.gen} has no end-of-generation marker"
                else:
                    finish_gen(gen, at_eof=True, end=reader.pos)
            break
        if isinstance(b, wire.EndOfGeneration):
            if gen is None:
                raise TraceError("end-of-generation marker outside a generation", b.offset)
            finish_gen(gen, at_eof=False, end=reader.pos)
            gen = None
            continue
        if gen is None:
            gen = Generation(b.gen, b.offset)
        elif b.gen != gen.gen:
            if version >= 26:
                raise TraceError(
                    f"batch of generation {b.gen} inside generation {gen.gen} (missing end-of-generation marker)",
                    b.offset,
                )
            finish_gen(gen, at_eof=False, end=b.offset)  # b, the next generation's first batch
            gen = None
            pending = b
            continue
        gen.add(b, version)

    tr = builder.finish()
    if truncated_at is not None:
        if tr.generations == 0:
            raise TraceError(
                f"trace truncated before its first generation was complete: {truncated_why}", truncated_at
            )
        tr.truncated = True
        tr.warnings.append(
            f"trace truncated at byte offset {truncated_at}: {truncated_why}; "
            f"returning the {tr.generations} complete generation(s)"
        )
    elif tr.generations == 0:
        raise EmptyTraceError("trace has a header but no events", wire.HEADER_LEN, version)
    return tr
