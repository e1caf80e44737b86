"""Which files a workspace check looks at (Go files under the given paths, skipping what the go
tool skips: vendor/, testdata/, hidden and underscore directories) and how their names are shown.
Below the CLI: the checking pipeline and the language server's workspace diagnostics use it too."""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

SKIPPED_DIRS = frozenset({"vendor", "testdata", "node_modules"})


def go_files(paths: list[str], on_error: Callable[[str], None] | None = None) -> Iterator[Path]:
    """The Go files under `paths`. A directory that cannot be listed is reported through
    `on_error` (a one-line message) rather than skipped without a word."""

    def unlistable(error: OSError) -> None:
        if on_error is not None:
            on_error(f"{printable(error.filename or '?')}: cannot list the directory: {error.strerror or error}")

    for raw in paths:
        # Go developers name trees the go tool's way: ./... and dir/... mean "this directory,
        # recursively", which is what a directory argument means here anyway.
        if raw == "..." or raw.endswith("/..."):
            raw = raw[:-3].rstrip("/") or "."
        path = Path(raw)
        if path.is_file():
            yield path
            continue
        if not path.is_dir():
            raise FileNotFoundError(raw)
        for directory, dirs, files in os.walk(path, onerror=unlistable):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith((".", "_")))
            for name in sorted(files):
                if name.endswith(".go") and not name.startswith((".", "_")):
                    yield Path(directory) / name


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(name: str | os.PathLike[str]) -> str:
    """A file name as it can be printed on one line of any report: bytes that are not UTF-8 (which
    Python carries as lone surrogates) as `\\xNN`, control characters such as a newline (which
    would forge a line of text output) as `\\n` / `\\xNN`."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def display_path(path: Path, cwd: Path) -> str:
    try:
        return printable(path.resolve().relative_to(cwd))
    except ValueError:
        return printable(path)
