"""Python child processes that cannot run anything from the workspace.

`multiprocessing`'s spawn start method runs `python -c "from multiprocessing.spawn import …"`,
which puts the working directory first on `sys.path`; an editor starts the server in the
workspace, so a `multiprocessing.py` (or `pickle.py`, …) committed there would be imported and
run. It also copies the parent's `sys.path` and working directory into the child. Children here
are started instead as `python -I -m module` (`-P` when the environment is needed to find
golens) from the file system root, and answer through an inherited pipe.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from multiprocessing.connection import Connection

import golens

NEUTRAL_DIRECTORY = os.path.abspath(os.sep)


def interpreter_flags() -> list[str]:
    """`-I` (isolated: no working directory or script directory on sys.path, no PYTHON* variables,
    no user site) unless golens itself is only importable through PYTHONPATH or the user site;
    then `-P`, which still keeps the working directory off sys.path."""
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(golens.__file__)))
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    from_environment = any(os.path.abspath(p) == package_dir
                           for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)
    if from_environment or (user_site and os.path.abspath(user_site) == package_dir):
        return ["-P"]
    return ["-I"]


class PythonChild:
    """`python -m module FD ARGS…` whose answer arrives on `self.connection`; offers the part of
    multiprocessing.Process's interface that callers of a one-shot worker need."""

    def __init__(self, module: str, args: list[str]):
        read_fd, write_fd = os.pipe()
        try:
            self._popen = subprocess.Popen(
                [sys.executable, *interpreter_flags(), "-m", module, str(write_fd), *args],
                cwd=NEUTRAL_DIRECTORY,
                # The server's stdin and stdout are the LSP stream: the child must not touch them.
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                pass_fds=(write_fd,),
                env={**os.environ, "PYTHONSAFEPATH": "1"},
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        self.connection = Connection(read_fd, writable=False)

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def exitcode(self) -> int | None:
        return self._popen.poll()

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    def terminate(self) -> None:
        if self._popen.poll() is None:
            self._popen.terminate()

    def join(self, timeout: float | None = None) -> None:
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass


def child_connection(argv: list[str]) -> tuple[Connection, list[str]]:
    """In the child: the answer pipe and the remaining arguments."""
    return Connection(int(argv[0]), readable=False), argv[1:]
