"""The package model: what every file of a Go package tells the checks of the others.

A package is the Go files of one directory with the same package clause (an external test
package, `foo_test`, is a package of its own). Each file contributes the facts its declarations
summarise (`golens.syntax.facts`); a check of one file sees its own facts plus those of the other
files of its package that `go build` compiles with it (`builds_with`): not the `_test.go` files
unless it is one, not a file for another GOOS/GOARCH (`x_windows.go` beside `x_linux.go`). Files
that do not parse, are generated or too large contribute nothing; a file contributes the facts of
the declarations that parse.

The CLI hands a worker whole directories (`group_by_directory`) and computes each package's facts
once. The server keeps a `PackageIndex`: files that are not open are read from disk (through
`safeio`, so links out of the tree, FIFOs and devices are refused) and re-read when the client
says they changed (`invalidate`, from workspace/didChangeWatchedFiles) or, for clients that cannot
watch files, when their size or modification time changes, looked at no more often than every
`STAT_INTERVAL` seconds.
"""

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from golens.document import Document
from golens.document.platforms import ANY, Platforms
from golens.safeio import UnsafeFileError, read_regular
from golens.syntax.facts import Fact, Facts

log = logging.getLogger(__name__)

STAT_INTERVAL = 2.0  # seconds between looks at the disk for one package (the server)

Summarize = Callable[[Document], frozenset[Fact]]


def package_key(doc: Document) -> tuple[str, str] | None:
    """(directory, package clause) of a parsed file; None when it has no package clause."""
    package = doc.header.package
    if doc.path is None or package is None:
        return None
    return os.path.dirname(os.path.abspath(doc.path)), package


def builds_with(doc: Document, other_path: str, other: Platforms) -> bool:
    """Can the file at `other_path` (of the same package) be compiled together with `doc`?"""
    return (doc.is_test_file or not other_path.endswith("_test.go")) and doc.platforms.overlaps(other)


def group_by_directory(files: Iterable[Path]) -> list[list[Path]]:
    """Files grouped by directory, in first-seen order: the unit of work of a CLI worker."""
    groups: dict[Path, list[Path]] = {}
    for path in files:
        groups.setdefault(path.parent, []).append(path)
    return list(groups.values())


def package_facts(contributions: Iterable[frozenset[Fact]]) -> frozenset[Fact]:
    merged: set[Fact] = set()
    for facts in contributions:
        merged |= facts
    return frozenset(merged)


@dataclass
class _DiskFile:
    stamp: tuple[int, int]  # (size, mtime_ns) the facts were read at
    package: str | None
    facts: frozenset[Fact]
    platforms: Platforms = ANY


@dataclass
class _Directory:
    checked_at: float = 0.0
    files: dict[str, _DiskFile] = field(default_factory=dict)
    # (excluded path, package) -> facts of the others, valid until a file of the directory changes
    others: dict[tuple[str, str], frozenset[Fact]] = field(default_factory=dict)


class PackageIndex:
    """The facts of the files on disk around the documents the server checks.

    `others(doc)` is the union of the facts of every other file of the document's package, as
    on disk, with open documents taking the place of their file (`set_open`)."""

    def __init__(self, summarize: Summarize, max_file_bytes: int = 4 << 20, clock: Callable[[], float] = time.monotonic):
        self._summarize = summarize
        self._max_bytes = max_file_bytes
        self._clock = clock
        self._directories: dict[str, _Directory] = {}
        self._open: dict[str, _DiskFile] = {}  # path -> an open buffer's package and facts
        self.skipped: dict[str, str] = {}  # path -> why it contributes nothing
        # The client reports changes on disk (invalidate): a directory is listed once, not polled.
        self.watched = False

    def set_open(self, doc: Document, facts: frozenset[Fact]) -> bool:
        """An open buffer's facts replace its file's on disk; True when that changed what the
        other files of its directory see."""
        if doc.path is None:
            return False
        path = os.path.abspath(doc.path)
        previous = self._open.get(path)
        entry = _DiskFile((0, 0), doc.header.package, facts, doc.platforms)
        if previous == entry:
            return False
        self._open[path] = entry
        directory = self._directory(os.path.dirname(path))
        # What the file's own checks see is unchanged (it is not among its others): typing in one
        # file of a 500-file package must not rebuild the union of the other 499 per keystroke.
        directory.others = {key: facts for key, facts in directory.others.items() if key[0] == path}
        return True

    def close(self, path: str) -> None:
        path = os.path.abspath(path)
        if self._open.pop(path, None) is not None:
            self._directory(os.path.dirname(path)).others.clear()

    def invalidate(self, path: str) -> bool:
        """The file changed on disk (a watched-files notification, a save): read it again. False
        when no file of its directory was asked about yet (there is nothing to forget)."""
        directory = self._directories.get(os.path.dirname(os.path.abspath(path)))
        if directory is None:
            return False
        directory.files.pop(os.path.abspath(path), None)
        directory.others.clear()
        directory.checked_at = 0.0
        return True

    def others(self, doc: Document) -> frozenset[Fact]:
        key = package_key(doc)
        if key is None or doc.path is None:
            return frozenset()
        directory_name, package = key
        path = os.path.abspath(doc.path)
        directory = self._directory(directory_name)
        self._refresh(directory_name, directory)
        cached = directory.others.get((path, package))
        if cached is not None:
            return cached
        contributions = []
        for other, disk in directory.files.items():
            if other == path:
                continue
            found = self._open.get(other) or disk
            if found.package == package and builds_with(doc, other, found.platforms):
                contributions.append(found.facts)
        merged = directory.others[(path, package)] = package_facts(contributions)
        return merged

    def _directory(self, name: str) -> _Directory:
        found = self._directories.get(name)
        if found is None:
            found = self._directories[name] = _Directory()
        return found

    def _refresh(self, name: str, directory: _Directory) -> None:
        now = self._clock()
        if directory.checked_at and (self.watched or now - directory.checked_at < STAT_INTERVAL):
            return
        directory.checked_at = now
        try:
            entries = [entry for entry in os.scandir(name) if entry.name.endswith(".go")]
        except OSError as exc:
            log.info("package model: cannot list %s: %s", name, exc)
            entries = []
        seen: set[str] = set()
        changed = False
        for entry in entries:
            path = os.path.join(name, entry.name)
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            seen.add(path)
            stamp = (stat.st_size, stat.st_mtime_ns)
            known = directory.files.get(path)
            if known is not None and known.stamp == stamp:
                continue
            changed = True
            if entry.is_symlink():
                # A link may lead out of the workspace: what it points to is not this package's.
                self.skipped[path] = "a symbolic link; not read"
                directory.files[path] = _DiskFile(stamp, None, frozenset())
                continue
            directory.files[path] = self._read(path, stamp)
        for gone in set(directory.files) - seen:
            del directory.files[gone]
            changed = True
        if changed:
            directory.others.clear()

    def _read(self, path: str, stamp: tuple[int, int]) -> _DiskFile:
        try:
            source = read_regular(path, self._max_bytes)
        except (UnsafeFileError, OSError) as exc:
            self.skipped[path] = str(exc)
            log.info("package model: %s contributes nothing: %s", path, exc)
            return _DiskFile(stamp, None, frozenset())
        doc = Document(source, path, max_bytes=self._max_bytes)
        if doc.skip_reason is not None:
            self.skipped[path] = doc.skip_reason
            log.info("package model: %s contributes nothing: %s", path, doc.skip_reason)
            return _DiskFile(stamp, doc.header.package, frozenset())
        self.skipped.pop(path, None)
        return _DiskFile(stamp, doc.header.package, self._summarize(doc), doc.platforms)


def merged_facts(own: Iterable[Fact], others: frozenset[Fact]) -> Facts:
    """A file's facts joined with its package's."""
    if not others:
        return Facts(own)
    return Facts(others.union(own))
