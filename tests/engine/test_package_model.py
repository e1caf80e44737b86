"""The package model: a file is checked with the facts of the other files of its package, as
the CLI and the server see them (golens.package)."""

import os
from pathlib import Path

from golens.document import Document
from golens.engine import Engine
from golens.package import PackageIndex
from golens.pipeline import check_paths
from golens.syntax.facts import FieldKind, SyncField

TYPES = b"""package shop

import "sync"

type Store struct {
	mu    sync.Mutex
	items map[string]int
}
"""

METHODS = b"""package shop

func (s *Store) Get(k string) int {
	s.mu.Lock()
	if s.items == nil {
		return 0
	}
	v := s.items[k]
	s.mu.Unlock()
	return v
}
"""


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def index(clock: Clock | None = None) -> PackageIndex:
    engine = Engine()
    return PackageIndex(engine.summarize, max_file_bytes=1 << 16, clock=clock or Clock())


def doc_at(path: Path, source: bytes | None = None) -> Document:
    return Document(source if source is not None else path.read_bytes(), str(path))


def rules_of(findings) -> list[tuple[str, int]]:
    return sorted((f.rule, f.start.line) for f in findings)


def test_a_method_sees_the_struct_declared_in_another_file(tmp_path: Path):
    (tmp_path / "types.go").write_bytes(TYPES)
    (tmp_path / "methods.go").write_bytes(METHODS)
    run = check_paths([str(tmp_path / "methods.go")])
    assert not run.errors
    assert rules_of(run.findings) == [("GL406", 6)]
    # Without the other file there is no evidence that s.mu is a mutex: nothing to say.
    alone = Engine().check(doc_at(tmp_path / "methods.go"))
    assert alone.findings == []


def test_other_package_clauses_and_test_packages_stay_apart(tmp_path: Path):
    (tmp_path / "types.go").write_bytes(TYPES.replace(b"package shop", b"package other"))
    (tmp_path / "types_test.go").write_bytes(TYPES.replace(b"package shop", b"package shop_test"))
    (tmp_path / "methods.go").write_bytes(METHODS)
    packages = index()
    assert packages.others(doc_at(tmp_path / "methods.go")) == frozenset()
    run = check_paths([str(tmp_path)])
    assert not run.errors and run.findings == []


# A provider's RWMutex `mu` is released inside the loop while the manager holds its own lock;
# a test-only struct also has a field `mu`, of another kind. Found on prometheus's
# discovery/manager.go, whose true GL405 went away when manager_test.go was in the package.
MANAGER = b"""package disc

import "sync"

type Provider struct {
	mu   sync.RWMutex
	subs int
}

type Manager struct {
	mtx       sync.RWMutex
	providers []*Provider
}

func (m *Manager) Apply() {
	m.mtx.Lock()
	defer m.mtx.Unlock()

	var wg sync.WaitGroup
	for _, prov := range m.providers {
		prov.mu.RLock()
		if prov.subs == 0 {
			wg.Add(1)
			prov.mu.RUnlock()
			continue
		}
		prov.mu.RUnlock()
	}
	wg.Wait()
}
"""

MANAGER_TEST = b"""package disc

import "sync"

type lockedConfig struct {
	mu *sync.Mutex
}

func (c lockedConfig) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return 1
}
"""


def test_test_files_declarations_are_seen_only_by_test_files(tmp_path: Path):
    (tmp_path / "manager.go").write_bytes(MANAGER)
    (tmp_path / "manager_test.go").write_bytes(MANAGER_TEST)
    # `go build` compiles manager.go without manager_test.go: the test struct's `mu` must not make
    # prov.mu's kind ambiguous (an unknown RUnlock counts as releasing every lock held).
    for paths in ([tmp_path / "manager.go"], [tmp_path]):
        run = check_paths([str(p) for p in paths])
        assert not run.errors
        assert rules_of(run.findings) == [("GL405", 29)], paths
    packages = index()
    assert FieldKind("lockedConfig", "mu", "MUTEX") not in packages.others(doc_at(tmp_path / "manager.go"))
    test_doc = doc_at(tmp_path / "manager_test.go")
    assert FieldKind("Provider", "mu", "RWMUTEX") in packages.others(test_doc)


# One type per platform (moby's portallocator): the Linux one holds only a pointer, the Windows
# one a mutex. A value receiver on the Linux type copies no lock.
ALLOCATOR_LINUX = b"""package alloc

type Table struct{}

type OSAllocator struct {
	table *Table
}

func (pa OSAllocator) Request(port int) int {
	return port
}
"""

ALLOCATOR_WINDOWS = b"""package alloc

import "sync"

type OSAllocator struct {
	lock  sync.Mutex
	ports map[int]bool
}
"""


def test_files_for_other_platforms_are_not_part_of_the_package(tmp_path: Path):
    (tmp_path / "osalloc_linux.go").write_bytes(ALLOCATOR_LINUX)
    (tmp_path / "osalloc_windows.go").write_bytes(ALLOCATOR_WINDOWS)
    run = check_paths([str(tmp_path)])
    assert not run.errors and run.findings == []
    linux = doc_at(tmp_path / "osalloc_linux.go")
    assert SyncField("OSAllocator", "lock", "MUTEX", False) not in index().others(linux)
    # A //go:build line rules a file out too; a file without constraints builds with both.
    (tmp_path / "osalloc_windows.go").rename(tmp_path / "osalloc_other.go")
    (tmp_path / "osalloc_other.go").write_bytes(b"//go:build windows || plan9\n\n" + ALLOCATOR_WINDOWS)
    assert check_paths([str(tmp_path)]).findings == []
    (tmp_path / "osalloc_other.go").write_bytes(ALLOCATOR_WINDOWS)
    assert SyncField("OSAllocator", "lock", "MUTEX", False) in index().others(linux)


def test_a_file_that_does_not_parse_contributes_what_parses(tmp_path: Path):
    broken = TYPES + b"\nfunc broken( {\n"
    (tmp_path / "types.go").write_bytes(broken)
    (tmp_path / "methods.go").write_bytes(METHODS)
    others = index().others(doc_at(tmp_path / "methods.go"))
    assert SyncField("Store", "mu", "MUTEX", False) in others
    assert FieldKind("Store", "mu", "MUTEX") in others


def test_generated_oversized_and_special_files_are_skipped_with_a_reason(tmp_path: Path):
    (tmp_path / "gen.go").write_bytes(b"// Code generated by hand. DO NOT EDIT.\n\n" + TYPES)
    (tmp_path / "big.go").write_bytes(TYPES + b"// " + b"x" * (1 << 17) + b"\n")
    os.mkfifo(tmp_path / "fifo.go")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.go"
    outside.write_bytes(TYPES)
    (tmp_path / "link.go").symlink_to(outside)
    (tmp_path / "methods.go").write_bytes(METHODS)
    packages = index()
    assert packages.others(doc_at(tmp_path / "methods.go")) == frozenset()
    assert set(map(os.path.basename, packages.skipped)) == {"gen.go", "big.go", "fifo.go", "link.go"}
    assert all(packages.skipped.values())


def test_an_open_buffer_takes_the_place_of_its_file_and_disk_changes_are_seen(tmp_path: Path):
    clock = Clock()
    (tmp_path / "types.go").write_bytes(TYPES)
    (tmp_path / "methods.go").write_bytes(METHODS)
    packages = index(clock)
    methods = doc_at(tmp_path / "methods.go")
    assert SyncField("Store", "mu", "MUTEX", False) in packages.others(methods)
    first = packages.others(methods)
    assert packages.others(methods) is first  # unchanged: the same object, for identity checks

    edited = doc_at(tmp_path / "types.go", TYPES.replace(b"sync.Mutex", b"sync.RWMutex"))
    packages.set_open(edited, Engine().summarize(edited))
    assert SyncField("Store", "mu", "RWMUTEX", False) in packages.others(methods)

    packages.close(str(tmp_path / "types.go"))
    (tmp_path / "types.go").write_bytes(TYPES.replace(b"items", b"entries"))
    assert SyncField("Store", "mu", "MUTEX", False) in packages.others(methods)
    clock.now += 10  # past the stat interval: the new size is noticed
    assert FieldKind("Store", "mu", "MUTEX") in packages.others(methods)
    (tmp_path / "types.go").unlink()
    clock.now += 10
    assert packages.others(methods) == frozenset()


def test_mutually_recursive_functions_and_a_large_package(tmp_path: Path):
    (tmp_path / "a.go").write_bytes(b"package big\n\nfunc ping(n int) int { if n == 0 { return 0 }; return pong(n - 1) }\n")
    (tmp_path / "b.go").write_bytes(b"package big\n\nfunc pong(n int) int { return ping(n) }\n")
    for i in range(300):
        (tmp_path / f"f{i}.go").write_bytes(f"package big\n\nfunc f{i}() {{ ping({i}) }}\n".encode())
    run = check_paths([str(tmp_path)])
    assert not run.errors and run.findings == []


def test_summaries_follow_calls_a_few_levels_and_stop_at_recursion():
    from golens.syntax.facts import Facts, FuncSummary
    from golens.syntax.summaries import reaches

    source = b"""package p

import "sync"

var wg sync.WaitGroup

func ping() { pong() }
func pong() { ping(); level1() }
func level1() { level2() }
func level2() { level3() }
func level3() { wg.Done() }
"""
    result = Engine().check(Document(source, "p.go"))
    facts = Facts(result.facts)
    summaries = facts.by_name(FuncSummary)
    done = lambda s: "wg" in s.done  # noqa: E731
    assert reaches(summaries["level2"], facts, done) is not None
    assert reaches(summaries["level1"], facts, done) is not None  # three levels: level1 -> 2 -> 3
    assert reaches(summaries["ping"], facts, done) is None  # deeper than followed; the cycle ends
