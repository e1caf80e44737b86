"""Where a `golens` command's report goes, and what happens when writing it fails."""

import os
import sys
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TextIO

from golens.workspace_files import printable


def write_report(output: Path | None, write: Callable[[TextIO], None]) -> str | None:
    """Write the report to `output` (stdout when None); a one-line message when that fails
    (a missing directory, a directory, a full disk), None when it worked."""
    try:
        if output is None:
            write(sys.stdout)
            sys.stdout.flush()
        else:
            with open(output, "w", encoding="utf-8") as out:
                write(out)
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
