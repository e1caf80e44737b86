"""Where a `golens` command's report goes, and what happens when writing it fails."""

import io
import os
import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TextIO

from golens.safeio import atomic_output
from golens.workspace_files import printable


def write_report(output: Path | None, write: Callable[[TextIO], None]) -> str | None:
    """Write the report to `output` (stdout when None); a one-line message when that fails
    (a missing directory, a directory, a full disk), None when it worked."""
    try:
        if output is None:
            write(sys.stdout)
            sys.stdout.flush()
        else:
            # Atomically, and never through a link or onto a device: an `-o` that fails half-way
            # leaves the previous report (or none), and `report.txt -> ~/.bashrc` planted in a
            # repository is refused instead of overwritten.
            with atomic_output(output) as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8")
                write(out)
                out.flush()
                out.detach()  # atomic_output syncs and closes the file itself
        return None
    except OSError as exc:
        if output is None:
            silence_stdout()
        return f"cannot write the report to {printable(output) if output else 'standard output'}: {exc.strerror or exc}"


def silence_stdout() -> None:
    """Point stdout at /dev/null, so that what is still buffered for a full or closed stdout does
    not fail again (with a traceback) when the interpreter flushes it at exit."""
    with suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
