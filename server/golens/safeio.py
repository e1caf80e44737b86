"""Reading and writing files of a workspace that may be hostile.

A repository can ship a FIFO named `x.go`, a `go.mod -> /dev/stdin` link (in the language server
that is the LSP stream itself), `x.go -> /dev/zero`, or a link pointing out of the tree. So every
file golens reads from a workspace goes through `read_regular`: stat first, regular files only,
an open that cannot block (O_NONBLOCK, then fstat to catch a file swapped in between) and a
bounded read. Every file golens writes goes through `atomic_output` (outputs: reports, exports)
or `replace_atomically` (source files it fixes, which must still hold what was read): never
through a link, never leaving a truncated file behind.

Links, decided once for all callers:
- reads follow a link (or a chain of them) when it ends at a regular file, wherever that is: a
  workspace may link shared sources in, as monorepos do, and reading one leaks nothing the user
  could not read anyway. A link ending at a device, FIFO, socket or directory is refused like
  the thing itself; a dangling link or a loop is an OSError, never a hang;
- whether a path may leave the tree is decided where there is a tree: trace frames and `go.work`
  entries go through `within(root, path)`, which resolves links and `..` first;
- writes never follow a link, inside the tree or out of it: `atomic_output` and
  `replace_atomically` refuse a link at the target (reported, not written through).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

# Reads that have no size setting of their own (go.mod, go.work, golens.toml) are cut here: no
# such file is legitimately this big, and an unbounded read of a huge one is a memory bomb.
SMALL_FILE_LIMIT = 1024 * 1024


class UnsafeFileError(OSError):
    """The path is not something golens reads or writes (its message says what it is)."""


class FileTooLargeError(UnsafeFileError):
    def __init__(self, path: str | os.PathLike[str], size: int, limit: int):
        super().__init__(f"{os.fspath(path)}: file is {size} bytes, above the {limit}-byte limit")
        self.size = size
        self.limit = limit


class ContentChangedError(OSError):
    """The file no longer has the content a change was computed from."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link")):
        if test(mode):
            return name
    return "not a regular file"


def regular_stat(path: str | os.PathLike[str]) -> os.stat_result | None:
    """The stat of `path` (links followed) if it is a regular file, else None. Never raises."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    return regular_stat(path) is not None


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """A binary file object for reading a regular file (for streams too big to read at once).

    Raises FileNotFoundError and the other OSErrors of opening, and UnsafeFileError for anything
    that is not a regular file (FIFO, device, socket, directory, a link to one).
    """
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise UnsafeFileError(errno.EINVAL, f"{_kind(before.st_mode)}, not a regular file; not read", os.fspath(path))
    # O_NONBLOCK: if a FIFO replaced the file since the stat, opening it must not wait for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode) or (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
            raise UnsafeFileError(errno.EINVAL, "changed into something else while being opened; not read",
                                  os.fspath(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int = SMALL_FILE_LIMIT) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (the errors of `open_regular`, and
    FileTooLargeError)."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise FileTooLargeError(path, size, limit)
        data = f.read(limit + 1)  # the file may have grown since the fstat
    if len(data) > limit:
        raise FileTooLargeError(path, len(data), limit)
    return data


def read_head(path: str | os.PathLike[str], size: int) -> bytes:
    """The first `size` bytes of a regular file (for recognising a format by its header)."""
    with open_regular(path) as f:
        return f.read(size)


def read_regular_text(path: str | os.PathLike[str], limit: int = SMALL_FILE_LIMIT, errors: str = "strict") -> str:
    return read_regular(path, limit).decode("utf-8", errors)


def within(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path | None:
    """`path` (relative paths taken from `root`) with links and `..` resolved, if the result is
    inside `root`; None when it escapes (`example.com/m/../../x.go`, a link out of the tree)."""
    base = Path(root).resolve()
    try:
        resolved = (base / path).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return resolved if resolved == base or base in resolved.parents else None


def replace_atomically(path: str | os.PathLike[str], expected: bytes, new: bytes) -> None:
    """Replace the content of regular file `path`, which must still be `expected`, by `new`.

    The new content goes to a temporary file in the same directory (flushed and synced, with the
    original's permission bits), which is then renamed over the original: a failure at any point
    (disk full, I/O error) leaves the original untouched. A symbolic link is refused rather than
    written through: the link could point anywhere, and replacing the link itself would turn it
    into a file. ContentChangedError when someone else saved the file in the meantime.
    """
    target = os.fspath(path)
    _refuse_unsafe_target(target, os.lstat(target))
    _ensure_unchanged(target, expected)
    # The check before the rename and the rename leave a window of microseconds instead of the
    # seconds the fixes took; closing it entirely would need a lock no editor takes.
    with atomic_output(target, before_rename=lambda: _ensure_unchanged(target, expected)) as out:
        out.write(new)


def _refuse_unsafe_target(target: str, st: os.stat_result | None) -> None:
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise UnsafeFileError(errno.ELOOP, "a symbolic link; not written through", target)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(errno.EINVAL, f"{_kind(st.st_mode)}, not a regular file; not written", target)


@contextmanager
def atomic_output(path: str | os.PathLike[str],
                  before_rename: Callable[[], None] | None = None) -> Iterator[BinaryIO]:
    """A file golens produces (a report, an export, a fixed source file), new or replacing an
    older one (whose permission bits it keeps): written to a temporary file beside it and renamed
    over it once complete and synced, so that an error or an interrupt leaves the old file or
    none, never half of one. A symbolic link, directory, FIFO or device at `path` is refused, not
    written through. `before_rename` may raise to keep the old file after all."""
    target = os.fspath(path)
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    _refuse_unsafe_target(target, st)
    directory, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".golens-tmp", dir=directory or ".")
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~mask)
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if before_rename is not None:
            before_rename()
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _sync_directory(directory or ".")


def _ensure_unchanged(target: str, expected: bytes) -> None:
    try:
        same = read_regular(target, limit=len(expected)) == expected
    except FileTooLargeError:
        same = False
    if not same:
        raise ContentChangedError(errno.EAGAIN, "changed on disk since it was read; not rewritten", target)


def _sync_directory(directory: str) -> None:
    """Make the rename durable; some file systems cannot sync a directory, which is no error."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
