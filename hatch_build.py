"""Hatchling build hook: compiles the optional trace-reader accelerator.

golens.trace._speedups (server/golens/trace/_speedups.c) speeds up reading
large execution traces several times over; golens.trace falls back to pure
Python when it is missing, so a failed compile (no C compiler, no Python
headers) only prints a warning and the install goes on without it.

Regular wheels get the module added at golens/trace/; editable installs,
whose path entry is the source tree's server/ directory, get it built in
place next to the source (git-ignored). Set GOLENS_NO_SPEEDUPS=1 to skip.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sysconfig
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("server", "golens", "trace", "_speedups.c")


def _compile(src: Path, out: Path, workdir: Path) -> None:
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "")
    ldshared = shlex.split(sysconfig.get_config_var("LDSHARED") or "")
    if not cc or not ldshared:
        raise RuntimeError("this Python does not describe a C compiler (sysconfig CC/LDSHARED)")
    cflags = shlex.split(sysconfig.get_config_var("CFLAGS") or "")
    ccshared = shlex.split(sysconfig.get_config_var("CCSHARED") or "")
    include = sysconfig.get_paths()["include"]
    obj = workdir / "_speedups.o"
    for cmd in (
        [*cc, *cflags, *ccshared, "-O2", "-I", include, "-c", str(src), "-o", str(obj)],
        [*ldshared, str(obj), "-o", str(out)],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(cmd)} failed:\n{proc.stderr.strip()}")


class SpeedupsBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or os.environ.get("GOLENS_NO_SPEEDUPS", "") not in ("", "0"):
            return
        src = Path(self.root) / SOURCE
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        if not src.exists() or not suffix:
            return
        name = "_speedups" + suffix
        self._tmp = tempfile.TemporaryDirectory(prefix="golens-build-")
        work = Path(self._tmp.name)
        out = src.with_name(name) if version == "editable" else work / name
        try:
            _compile(src, out, work)
        except (OSError, RuntimeError) as e:
            self.app.display_warning(
                f"golens: could not compile the trace reader accelerator ({e}); "
                "installing the pure-Python trace reader, which is correct but several times slower"
            )
            return
        if version != "editable":
            build_data["force_include"][str(out)] = f"golens/trace/{name}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            tmp.cleanup()
