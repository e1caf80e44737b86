"""Which Go language version applies to a file: the nearest go.mod's `go` line, or a
`//go:build go1.N` constraint in the file (as go/types decides file versions)."""

import os
import re
from functools import lru_cache
from typing import NamedTuple

from golens.safeio import read_regular


class GoVersion(NamedTuple):
    major: int
    minor: int

    def __str__(self) -> str:
        return f"go{self.major}.{self.minor}"

    @classmethod
    def parse(cls, text: str) -> "GoVersion | None":
        match = re.fullmatch(r"(?:go)?(\d+)\.(\d+)(?:\.\d+|rc\d+|beta\d+)?", text.strip())
        return cls(int(match[1]), int(match[2])) if match else None


_GO_DIRECTIVE = re.compile(rb"^go\s+(\d+\.\d+)", re.MULTILINE)


def go_mod_version(go_mod_text: bytes) -> GoVersion | None:
    match = _GO_DIRECTIVE.search(go_mod_text)
    return GoVersion.parse(match[1].decode()) if match else None


@lru_cache(maxsize=1024)
def _go_mod_for_dir(directory: str) -> tuple[str, GoVersion | None] | None:
    path = os.path.join(directory, "go.mod")
    try:
        # read_regular: a go.mod that is a FIFO, or a link to /dev/stdin (in the server: the LSP
        # stream itself), is not a go.mod.
        return path, go_mod_version(read_regular(path))
    except OSError:
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        return _go_mod_for_dir(parent)


def find_module_go_version(file_path: str | None) -> GoVersion | None:
    """The `go` line of the nearest go.mod above `file_path`, or None when there is none."""
    if not file_path:
        return None
    found = _go_mod_for_dir(os.path.dirname(os.path.abspath(file_path)))
    return found[1] if found else None


def forget_go_mod_cache() -> None:
    """go.mod files changed on disk (the LSP sees it through file watching)."""
    _go_mod_for_dir.cache_clear()


# Since Go 1.21 a file's //go:build version cannot take the file below 1.21 when the module is
# at 1.21 or later (go/types FileVersions); older build tags still set it in older modules.
_FLOOR_FOR_DOWNGRADES = GoVersion(1, 21)


def effective_go_version(module: GoVersion | None, build_tag: GoVersion | None) -> GoVersion | None:
    if build_tag is None:
        return module
    if module is not None and module >= _FLOOR_FOR_DOWNGRADES and build_tag < _FLOOR_FOR_DOWNGRADES:
        return _FLOOR_FOR_DOWNGRADES
    return build_tag
