#!/usr/bin/env python3
"""Benchmark: `golens report` against `golens trace` on a large trace, the report's size, and how
long the page takes to open in headless Chromium.

Targets (issue 17): the report takes at most 1.5x the time of `golens trace` on the same trace
(both read and analyse it; the report also walks the timelines for its pictures and writes the
page), the HTML stays under 5 MB for a 100 MB trace, and the page opens in under 2 s. Also the
size of the Perfetto export (`golens trace --export perfetto`, plain and gzipped), whose target
is well under 10x the trace.

The trace is the paced ``benchmarks/tracegen`` one of trace_bench.py (not committed; generated
once under .cache/bench/). Each command runs in its own process, CPU time counted from
os.wait4 so that other load on the machine skews the ratio less than wall time would.

Usage: python benchmarks/report_bench.py [--size-mb 100] [--trace FILE] [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trace_bench import CACHE, ROOT, find_go, generate  # noqa: E402

TARGET_RATIO = 1.5
TARGET_HTML_BYTES = 5_000_000
TARGET_OPEN_S = 2.0
TARGET_PERFETTO_RATIO = 10.0


def open_seconds(html: Path) -> float | None:
    """Seconds from navigation to the load event (all drawing is done by then), or None without
    Chromium."""
    sys.path.insert(0, str(ROOT / "tests" / "report"))
    from browser import Browser, chromium_path  # the tests' DevTools driver

    binary = chromium_path()
    if binary is None:
        return None
    with Browser(binary) as b:
        b.open(html)  # a first load warms Chromium's own caches
        seconds = b.open(html)
        errors = b.console_errors()
        if errors:
            raise SystemExit(f"the report has script errors: {errors[:3]}")
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--trace", type=Path, help="benchmark this trace instead of generating one")
    ap.add_argument("--runs", type=int, default=1, help="runs of each command; the fastest counts")
    args = ap.parse_args()

    path = args.trace or CACHE / f"tracegen-v2-{args.size_mb}mb-default.trace"
    if args.trace is None and not path.exists():
        print(f"generating {path.relative_to(ROOT)} ...", file=sys.stderr)
        generate(find_go(), path, args.size_mb, 0)
    mb = path.stat().st_size / 1e6
    root = ROOT / "benchmarks" / "tracegen"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "server") + os.pathsep + env.get("PYTHONPATH", "")
    golens = [sys.executable, "-m", "golens"]
    path.read_bytes()  # page cache warm for both

    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        trace_runs, report_runs = [], []
        for _ in range(args.runs):
            trace_runs.append(timed_any([*golens, "trace", str(path), "--root", str(root)], env))
            report_runs.append(timed_any([*golens, "report", str(path), "--root", str(root), "-o", str(html)], env))
        t_wall, t_cpu, t_rss = min(trace_runs, key=lambda r: r[1])
        r_wall, r_cpu, r_rss = min(report_runs, key=lambda r: r[1])
        size = html.stat().st_size
        opened = open_seconds(html)
        exports = []
        for name in ("trace.json", "trace.json.gz"):
            dest = Path(tmp) / name
            wall, cpu, rss = timed_any([*golens, "trace", str(path), "--root", str(root), "--export", "perfetto",
                                        str(dest)], env)
            exports.append((name, dest.stat().st_size, wall, cpu))

    print(f"trace: {path.name}  {mb:.1f} MB")
    print(f"{'command':<16} {'wall s':>7} {'CPU s':>7} {'peak RSS MB':>12}")
    print(f"{'golens trace':<16} {t_wall:7.2f} {t_cpu:7.2f} {t_rss / 1e6:12.1f}")
    print(f"{'golens report':<16} {r_wall:7.2f} {r_cpu:7.2f} {r_rss / 1e6:12.1f}")
    ratio = r_cpu / t_cpu
    print(f"ratio report/trace: {ratio:.2f}x CPU, {r_wall / t_wall:.2f}x wall "
          f"(target <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"report size: {size / 1e6:.2f} MB (target < {TARGET_HTML_BYTES / 1e6:.0f} MB: "
          f"{'met' if size < TARGET_HTML_BYTES else 'NOT met'})")
    if opened is None:
        print("page open: not measured (no Chromium)")
    else:
        print(f"page open in headless Chromium: {opened:.2f} s (target < {TARGET_OPEN_S:.0f} s: "
              f"{'met' if opened < TARGET_OPEN_S else 'NOT met'})")
    for name, bytes_, wall, cpu in exports:
        ratio = bytes_ / path.stat().st_size
        print(f"perfetto export {name:<14} {bytes_ / 1e6:8.1f} MB = {ratio:.2f}x the trace "
              f"(target < {TARGET_PERFETTO_RATIO:.0f}x: {'met' if ratio < TARGET_PERFETTO_RATIO else 'NOT met'}); "
              f"golens trace with it: {wall:.1f} s wall, {cpu:.1f} s CPU")
    return 0


def timed_any(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s, peak RSS bytes); exit status 1 (findings reported) is success too."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[2:4])} failed with exit status {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


if __name__ == "__main__":
    sys.exit(main())
