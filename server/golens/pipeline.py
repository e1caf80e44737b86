"""The checking pipeline behind `golens check`: Go files in, located findings out.

Each file is read, optionally fixed (`--fix`), checked, merged with the runtime evidence that
points into it (`--trace`, `--profile`), and located (lines, columns, fixes) while its document
is at hand, in worker processes when there are many files. Writing the results is
`golens.report`'s job.
"""

import difflib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from golens.config import Config, ConfigError, find_config_file
from golens.document import Document, find_module_go_version
from golens.document.document import too_large_reason
from golens.document.platforms import Platforms
from golens.engine import Engine, UnitCache
from golens.evidence import TraceEvidence
from golens.evidence.merge import evidence_findings, merge_findings
from golens.findings import Finding
from golens.fixes import fix_all, fixes_for
from golens.package import builds_with, group_by_directory
from golens.registry import default_registry
from golens.report import LocatedFinding, locate
from golens.safeio import FileTooLargeError, read_regular, replace_atomically
from golens.syntax.facts import Fact
from golens.workspace_files import display_path, go_files

FixMode = Literal["write", "diff"]

# Below this many files one process is faster than starting workers.
_PARALLEL_MIN_FILES = 64
BATCH_SIZE = 32


@dataclass(frozen=True)
class CheckOptions:
    config: Path | None = None  # one golens.toml for every file instead of the nearest one
    fix_mode: FixMode | None = None  # apply preferred fixes: write the files, or only diff them
    with_fixes: bool = False  # locate every finding's quick fixes (JSON and SARIF carry them)
    # Runtime evidence to fold into the findings of the files it covers, each with the `source`
    # its findings carry: a trace's (evidence.merge.SOURCE) or a ProfileSet's (PROFILE_SOURCE).
    evidence: tuple[tuple[TraceEvidence, str], ...] = ()


@dataclass
class FileResult:
    findings: list[LocatedFinding]
    error: str | None = None
    skipped: str | None = None
    diff: str | None = None  # fix_mode "diff": what the fixes would change


@dataclass
class CheckRun:
    findings: list[LocatedFinding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # input errors, one message each
    diffs: list[str] = field(default_factory=list)


class Checker:
    """Per-process state: one engine, and project configs by directory."""

    def __init__(self, options: CheckOptions, cwd: Path):
        self.options = options
        self.registry = default_registry()
        self.engine = Engine(self.registry)
        self.cwd = cwd
        self.explicit = Config.from_file(options.config, self.registry) if options.config else None
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

    def display(self, path: Path) -> str:
        return display_path(path, self.cwd)

    def check(self, path: Path) -> FileResult:
        return self.check_directory([path])[0]

    def check_directory(self, paths: list[Path]) -> list[FileResult]:
        """Results for files of one directory, in order: each file is checked with the facts of
        the other files of its package (golens.package), those not asked for included."""
        loaded: list[tuple[Path, str, Config, Document] | FileResult] = []
        for path in paths:
            shown = self.display(path)
            try:
                config = self.config_for(path)
            except ConfigError as exc:
                loaded.append(FileResult([], error=str(exc)))
                continue
            doc = self._load(path, shown, config)
            loaded.append(doc if isinstance(doc, FileResult) else (path, shown, config, doc))
        caches: dict[Path, UnitCache] = {}
        # Every file of the directory with what it contributes; a file is checked with the facts
        # of those that `go build` compiles with it (golens.package.builds_with).
        contributions: list[tuple[str | None, str, Platforms, frozenset[Fact]]] = []
        for item in loaded:
            if isinstance(item, FileResult):
                continue
            path, _, _, doc = item
            cache = caches[path] = UnitCache()
            contributions.append((doc.header.package, str(path), doc.platforms, self.engine.summarize(doc, cache)))
        clauses = {package for package, _, _, _ in contributions}
        for path in _siblings(paths):
            try:
                sibling = self._load(path, self.display(path), self.config_for(path))
            except ConfigError:
                continue
            if isinstance(sibling, Document) and sibling.header.package in clauses:
                contributions.append((sibling.header.package, str(path), sibling.platforms,
                                      self.engine.summarize(sibling)))
        # Files alike in package, test-ness and platforms share one set (the engine builds it once).
        shared: dict[tuple[str | None, bool, Platforms], frozenset[Fact]] = {}

        def package_of(doc: Document) -> frozenset[Fact]:
            key = (doc.header.package, doc.is_test_file, doc.platforms)
            if key not in shared:
                shared[key] = frozenset().union(*(facts for package, other, platforms, facts in contributions
                                                  if package == doc.header.package
                                                  and builds_with(doc, other, platforms)))
            return shared[key]
        results = []
        for item in loaded:
            if isinstance(item, FileResult):
                result = item
            else:
                path, shown, config, doc = item
                result = self._check(doc, path, shown, config, caches[path], package_of(doc))
            if self.unreported:
                result.error = "\n".join([*self.unreported, *([result.error] if result.error else [])])
                self.unreported = []
            results.append(result)
        return results

    def _load(self, path: Path, shown: str, config: Config) -> Document | FileResult:
        try:
            source = read_regular(path, config.max_file_bytes)
        except FileTooLargeError as exc:
            return FileResult([], skipped=too_large_reason(exc.size, exc.limit))
        except OSError as exc:
            return FileResult([], error=f"{shown}: {exc.strerror or exc}")
        return Document(source, str(path), module_go_version=find_module_go_version(str(path)),
                        max_bytes=config.max_file_bytes)

    def _check(self, doc: Document, path: Path, shown: str, config: Config, cache: UnitCache,
               package: frozenset[Fact]) -> FileResult:
        source = doc.source
        errors: list[str] = []
        diff = None
        if self.options.fix_mode is not None and doc.skip_reason is None:
            fixed = fix_all(doc, self.engine, config, package=package)
            if fixed != source:
                if self.options.fix_mode == "diff":
                    diff = "".join(difflib.unified_diff(
                        source.decode("utf-8", "replace").splitlines(True),
                        fixed.decode("utf-8", "replace").splitlines(True),
                        f"a/{shown}", f"b/{shown}"))
                else:
                    try:
                        replace_atomically(path, source, fixed)
                    except OSError as exc:
                        # The file keeps its content; its findings are still reported below.
                        errors.append(f"{shown}: fixes not written: {exc.strerror or exc}")
                    else:
                        doc.replace_text(fixed)
                        cache = UnitCache()
        result = self.engine.check(doc, cache, config, package)
        errors += [f"{shown}: internal error in {f.rule}: {f.error}" for f in result.failures]
        findings = result.findings
        if self.options.evidence:
            runtime: list[Finding] = []
            for evidence, evidence_source in self.options.evidence:
                runtime += evidence_findings(doc, path.resolve(), evidence, config=config, registry=self.registry,
                                             source=evidence_source)
            findings = merge_findings(doc, findings, runtime, self.registry)
        located = [
            locate(doc, shown, f, self.registry, display=self.display,
                   fixes=fixes_for(doc, f) if self.options.with_fixes else ())
            for f in findings
        ]
        return FileResult(located, error="\n".join(errors) or None, skipped=result.skipped, diff=diff)


def _siblings(paths: list[Path]) -> list[Path]:
    """The other Go files of the directory of `paths` (all in one directory)."""
    if not paths:
        return []
    given = set(paths)
    try:
        return sorted(p for p in paths[0].parent.iterdir() if p.suffix == ".go" and p not in given and p.is_file())
    except OSError:
        return []


_worker: Checker | None = None


def _init_worker(options: CheckOptions, cwd: Path) -> None:
    global _worker
    _worker = Checker(options, cwd)


def _check_batch(directories: list[list[Path]]) -> list[FileResult]:
    assert _worker is not None, "_init_worker runs first in every worker"
    return [result for paths in directories for result in _worker.check_directory(paths)]


def check_paths(paths: list[str], options: CheckOptions | None = None, jobs: int = 0) -> CheckRun:
    """Every Go file under `paths` (directories recursively, as the go tool walks them), checked
    in `jobs` processes (0: one per CPU). Raises FileNotFoundError for a missing path and
    ConfigError for an unreadable explicit config."""
    options = options or CheckOptions()
    cwd = Path.cwd().resolve()
    unlistable: list[str] = []
    files = list(go_files(paths, unlistable.append))
    # A worker takes whole directories: a package's facts come from all of its files.
    directories = group_by_directory(files)
    batches: list[list[list[Path]]] = []
    size = BATCH_SIZE
    # Largest directories first: one big package must not be the last batch a single worker is left with.
    for directory in sorted(directories, key=len, reverse=True):
        if size + len(directory) > BATCH_SIZE:
            batches.append([])
            size = 0
        batches[-1].append(directory)
        size += len(directory)
    batch_count = len(batches)
    # More workers than batches would only start idle processes.
    jobs = min(jobs or os.cpu_count() or 1, max(1, batch_count))
    results: list[FileResult] = [FileResult([], error=message) for message in unlistable]
    if jobs == 1 or len(files) < _PARALLEL_MIN_FILES:
        checker = Checker(options, cwd)
        results += [result for directory in directories for result in checker.check_directory(directory)]
    else:
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(options, cwd)) as pool:
            for batch in pool.map(_check_batch, batches):
                results.extend(batch)
    return CheckRun(
        findings=[f for r in results for f in r.findings],
        # Each worker process reports a bad configuration once: keep one copy of each message.
        errors=list(dict.fromkeys(line for r in results if r.error for line in r.error.split("\n"))),
        diffs=[r.diff for r in results if r.diff],
    )
