"""Which files `golens check` looks at: Go files under the given paths, skipping what the go
tool skips (vendor/, testdata/, hidden and underscore directories)."""

import os
from collections.abc import Iterator
from pathlib import Path

SKIPPED_DIRS = frozenset({"vendor", "testdata", "node_modules"})


def go_files(paths: list[str]) -> Iterator[Path]:
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
        for directory, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith((".", "_")))
            for name in sorted(files):
                if name.endswith(".go") and not name.startswith((".", "_")):
                    yield Path(directory) / name


def display_path(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd))
    except ValueError:
        return str(path)
