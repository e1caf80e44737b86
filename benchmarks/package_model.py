"""The package model's cost: reading, parsing and summarising every file of a package.

    python benchmarks/package_model.py [FILES] [LINES_PER_FILE]

Builds a package of FILES generated files (default 500 x 200 lines, benchmarks/gen_go.py) in a
temporary directory and measures, as the server sees it (golens.package.PackageIndex):
- cold: the facts of every other file of the package, for the first check of one of its files
  (target <= 1 s at 500 files);
- warm: the same question again (nothing changed on disk);
- after one file changed on disk: that file read again, the others kept.
Then a 5,000-file package of small files: the model must be built without failing.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_go import generate  # noqa: E402
from golens.document import Document  # noqa: E402
from golens.engine import Engine  # noqa: E402
from golens.package import PackageIndex  # noqa: E402

TARGET_S = 1.0


class Clock:
    """A clock the benchmark moves past the index's stat interval when it means to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def build(directory: Path, files: int, lines: int) -> list[Path]:
    paths = []
    for index in range(files):
        path = directory / f"f{index:04d}.go"
        path.write_text(generate(lines, seed=index + 1, first=1000 * index))
        paths.append(path)
    return paths


def measure(files: int, lines: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = build(Path(tmp), files, lines)
        engine = Engine()
        clock = Clock()
        index = PackageIndex(engine.summarize, max_file_bytes=4 << 20, clock=clock)
        doc = Document(paths[0].read_bytes(), str(paths[0]))
        start, cpu_start = time.perf_counter(), time.process_time()
        facts = index.others(doc)
        cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu_start
        start = time.perf_counter()
        index.others(doc)
        warm = time.perf_counter() - start
        paths[1].write_text(generate(lines, seed=10_000, first=1000))
        clock.now += 60
        start = time.perf_counter()
        index.others(doc)
        changed = time.perf_counter() - start
        total_lines = sum(p.read_text().count("\n") for p in paths)
        verdict = "ok" if cold_cpu <= TARGET_S or files != 500 else "OVER TARGET"
        print(f"package of {files} files ({total_lines} lines): model cold {cold * 1000:.0f} ms wall, "
              f"{cold_cpu * 1000:.0f} ms CPU (target <= {TARGET_S * 1000:.0f} ms at 500 files: {verdict}), "
              f"{len(facts)} facts; warm {warm * 1e6:.0f} us; one file changed {changed * 1000:.1f} ms; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def many_small(files: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for index in range(files):
            (directory / f"s{index:05d}.go").write_text(
                f"package big\n\nfunc f{index}() {{ f{(index + 1) % files}() }}\n")
        doc = Document((directory / "s00000.go").read_bytes(), str(directory / "s00000.go"))
        index = PackageIndex(Engine().summarize)
        start = time.perf_counter()
        facts = index.others(doc)
        elapsed = time.perf_counter() - start
        print(f"package of {files} small files (a call cycle through all of them): model {elapsed:.2f} s, "
              f"{len(facts)} facts, {len(index.skipped)} skipped")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    measure(count, size)
    many_small(5000)
