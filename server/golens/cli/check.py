import argparse
import difflib
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from golens.cli.files import display_path, go_files, printable, write_report
from golens.config import Config, ConfigError, find_config_file
from golens.document import Document, find_module_go_version
from golens.document.document import too_large_reason
from golens.engine import Engine
from golens.fixes import fix_all
from golens.registry import default_registry
from golens.report import LocatedFinding, locate
from golens.safeio import FileTooLargeError, read_regular, replace_atomically

FORMATS = ("text", "json", "sarif")
BATCH_SIZE = 32
MAX_JOBS = 256


def job_count(text: str) -> int:
    """--jobs: 0 (one per CPU) up to MAX_JOBS worker processes."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= jobs <= MAX_JOBS:
        raise argparse.ArgumentTypeError(f"{jobs} is not between 0 (one per CPU) and {MAX_JOBS}")
    return jobs


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check Go files for concurrency anti-patterns",
        description="Check Go files (directories recursively, skipping vendor/, testdata/ and hidden "
        "directories). Exit status: 0 no findings, 1 findings, 2 usage or input error.",
    )
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--config", type=Path, help="golens.toml to use (default: nearest above each file)")
    parser.add_argument("--jobs", "-j", type=job_count, default=0,
                        help=f"worker processes, at most {MAX_JOBS} (default: CPU count)")
    parser.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--fix", action="store_true",
                        help="apply the preferred quick fixes to the files, then report what is left")
    parser.add_argument("--diff", action="store_true",
                        help="with --fix: print the fixes as a unified diff instead of writing files")
    parser.add_argument("--trace", metavar="TRACE",
                        help="a Go execution trace of the program: fold what it saw into the findings "
                        "(see golens trace)")
    parser.add_argument("--trace-root", type=Path, metavar="DIR",
                        help="with --trace: the workspace the trace's frames are mapped onto (default: the first PATH)")
    parser.add_argument("--profile", action="append", default=[], metavar="PROFILE",
                        help="a pprof profile of the program (goroutineleak, goroutine, mutex, block; repeatable): "
                        "fold what it saw into the findings (see golens profile)")


@dataclass
class FileResult:
    findings: list[LocatedFinding]
    error: str | None = None
    skipped: str | None = None
    diff: str | None = None  # --fix --diff: what the fixes would change


class _Checker:
    """Per-process state: one engine, and project configs by directory."""

    def __init__(self, explicit_config: Path | None, cwd: Path, fix_mode: str | None = None):
        self.fix_mode = fix_mode  # None, "write" or "diff"
        self.registry = default_registry()
        self.engine = Engine(self.registry)
        self.cwd = cwd
        self.explicit = Config.from_file(explicit_config, self.registry) if explicit_config else None
        self.configs: dict[Path, Config] = {}
        # Problems of each configuration, reported with the first file checked under it.
        self.unreported: list[str] = list(self.explicit.problems) if self.explicit else []

    def config_for(self, path: Path) -> Config:
        if self.explicit is not None:
            return self.explicit
        found = find_config_file(path)
        if found is None:
            return self.engine.config
        if found not in self.configs:
            self.configs[found] = Config.from_file(found, self.registry)
            self.unreported += self.configs[found].problems
        return self.configs[found]

    def check(self, path: Path) -> FileResult:
        shown = display_path(path, self.cwd)
        try:
            config = self.config_for(path)
        except ConfigError as exc:
            return FileResult([], error=str(exc))
        result = self._check(path, shown, config)
        if self.unreported:
            result.error = "\n".join([*self.unreported, *([result.error] if result.error else [])])
            self.unreported = []
        return result

    def _check(self, path: Path, shown: str, config: Config) -> FileResult:
        try:
            source = read_regular(path, config.max_file_bytes)
        except FileTooLargeError as exc:
            return FileResult([], skipped=too_large_reason(exc.size, exc.limit))
        except OSError as exc:
            return FileResult([], error=f"{shown}: {exc.strerror or exc}")
        doc = Document(source, str(path), module_go_version=find_module_go_version(str(path)),
                       max_bytes=config.max_file_bytes)
        diff = None
        unfixed: str | None = None
        if self.fix_mode is not None and doc.skip_reason is None:
            fixed = fix_all(doc, self.engine, config)
            if fixed != source:
                if self.fix_mode == "diff":
                    diff = "".join(difflib.unified_diff(
                        source.decode("utf-8", "replace").splitlines(True),
                        fixed.decode("utf-8", "replace").splitlines(True),
                        f"a/{shown}", f"b/{shown}"))
                else:
                    try:
                        replace_atomically(path, source, fixed)
                    except OSError as exc:
                        # The file keeps its content; its findings are still reported below.
                        unfixed = f"{shown}: fixes not written: {exc.strerror or exc}"
                    else:
                        doc.replace_text(fixed)
        result = self.engine.check(doc, config=config)
        located = [locate(doc, shown, f, self.registry) for f in result.findings]
        errors = [f"{shown}: internal error in {f.rule}: {f.error}" for f in result.failures]
        if unfixed is not None:
            errors.insert(0, unfixed)
        return FileResult(located, error="\n".join(errors) or None, skipped=result.skipped, diff=diff)


_worker: _Checker | None = None


def _init_worker(explicit_config: Path | None, cwd: Path, fix_mode: str | None) -> None:
    global _worker
    _worker = _Checker(explicit_config, cwd, fix_mode)


def _check_batch(paths: list[Path]) -> list[FileResult]:
    return [_worker.check(p) for p in paths]


def check_paths(paths: list[str], config: Path | None = None, jobs: int = 0,
                fix_mode: str | None = None) -> tuple[list[LocatedFinding], list[str], list[str]]:
    """(findings, input errors, diffs) for the Go files under `paths`."""
    cwd = Path.cwd().resolve()
    unlistable: list[str] = []
    files = list(go_files(paths, unlistable.append))
    batch_count = -(-len(files) // BATCH_SIZE)
    # More workers than batches would only start idle processes.
    jobs = min(jobs or os.cpu_count() or 1, max(1, batch_count))
    results: list[FileResult] = [FileResult([], error=message) for message in unlistable]
    if jobs == 1 or len(files) < 64:
        checker = _Checker(config, cwd, fix_mode)
        results += [checker.check(p) for p in files]
    else:
        batches = [files[i:i + BATCH_SIZE] for i in range(0, len(files), BATCH_SIZE)]
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(config, cwd, fix_mode)) as pool:
            for batch in pool.map(_check_batch, batches):
                results.extend(batch)
    findings = [f for r in results for f in r.findings]
    # Each worker process reports a bad configuration once: keep one copy of each message.
    errors = list(dict.fromkeys(line for r in results if r.error for line in r.error.split("\n")))
    diffs = [r.diff for r in results if r.diff]
    return findings, errors, diffs


def run(args) -> int:
    if getattr(args, "trace", None) or getattr(args, "profile", None):
        from golens.cli.trace import run_check_with_trace
        return run_check_with_trace(args)
    try:
        if args.config is not None:
            Config.from_file(args.config, default_registry())  # fail fast on an unreadable config
        if args.diff and not args.fix:
            print("golens: --diff only makes sense with --fix", file=sys.stderr)
            return 2
        fix_mode = ("diff" if args.diff else "write") if args.fix else None
        findings, errors, diffs = check_paths(args.paths, args.config, args.jobs, fix_mode)
    except FileNotFoundError as exc:
        print(f"golens: no such file or directory: {printable(exc.args[0])}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"golens: {exc}", file=sys.stderr)
        return 2

    def report(out: TextIO) -> None:
        if fix_mode == "diff":
            out.write("".join(diffs))  # a pure patch: `golens check --fix --diff | git apply`
        elif args.format == "json":
            from golens.report.jsonout import write_json
            write_json(findings, out)
        elif args.format == "sarif":
            from golens.report.sarif import write_sarif
            write_sarif(findings, out, default_registry(), Path.cwd())
        else:
            from golens.report.text import write_text
            write_text(findings, out)

    if (unwritten := write_report(args.output, report)) is not None:
        errors.append(unwritten)
    for error in errors:
        print(f"golens: {error}", file=sys.stderr)
    if errors:
        return 2
    if fix_mode == "diff":
        return 1 if diffs else 0
    return 1 if findings else 0
