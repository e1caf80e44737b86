"""Incremental checks across the files of a package: a file's declarations are re-checked when
the package facts they read change, and only then (golens.engine records what each declaration's
checks read; golens.package keeps the facts of the other files)."""

from pathlib import Path

from golens.document import Document, TextEdit
from golens.engine import CheckResult, Engine, UnitCache
from golens.package import PackageIndex

TYPES = b"""package shop

import (
	"sync"
	"time"
)

type Store struct {
	mu    sync.Mutex
	items map[string]int
}

func (s *Store) settle() {
	s.items = nil
}

func pause() {
	time.Sleep(time.Millisecond)
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

func (s *Store) Reset() {
	s.mu.Lock()
	s.settle()
	s.mu.Unlock()
}

func double(n int) int {
	return n * 2
}
"""


class Package:
    """Two open files of one package, checked the way the server checks them."""

    def __init__(self, root: Path):
        (root / "types.go").write_bytes(TYPES)
        (root / "methods.go").write_bytes(METHODS)
        self.engine = Engine()
        self.index = PackageIndex(self.engine.summarize)
        self.types = Document(TYPES, str(root / "types.go"))
        self.methods = Document(METHODS, str(root / "methods.go"))
        self.caches = {id(self.types): UnitCache(), id(self.methods): UnitCache()}
        self.check(self.types)

    def check(self, doc: Document) -> CheckResult:
        result = self.engine.check(doc, self.caches[id(doc)], package=self.index.others(doc))
        self.index.set_open(doc, result.facts)
        return result

    def edit_types(self, old: bytes, new: bytes) -> None:
        start = self.types.source.index(old)
        self.types.apply_edits([TextEdit(start, start + len(old), new)])
        self.check(self.types)


def lines(doc: Document, result: CheckResult) -> list[tuple[str, int]]:
    return [(f.rule, doc.source.count(b"\n", 0, f.start) + 1) for f in result.findings]


def test_a_field_type_changed_in_another_file_rechecks_only_the_declaration_that_reads_it(tmp_path: Path):
    package = Package(tmp_path)
    first = package.check(package.methods)
    assert lines(package.methods, first) == [("GL406", 6)]
    assert first.checked_units == 3

    seen_by_types = package.index.others(package.types)
    package.edit_types(b"mu    sync.Mutex", b"mu    int")
    # The edited file is not among its own others: what its checks see is the same object.
    assert package.index.others(package.types) is seen_by_types
    after = package.check(package.methods)
    # s.mu is no mutex any more: Get's finding goes. Get and Reset read the field kinds; double
    # read nothing and keeps its cached result.
    assert lines(package.methods, after) == []
    assert after.checked_units == 2

    package.edit_types(b"mu    int", b"mu    sync.Mutex")
    assert lines(package.methods, package.check(package.methods)) == [("GL406", 6)]


def test_an_edit_that_changes_nothing_a_file_read_leaves_its_checks_cached(tmp_path: Path):
    package = Package(tmp_path)
    package.check(package.methods)

    # A new function and a new comment: facts of the package change (a new summary), but no
    # declaration of methods.go looked up `helper`.
    package.edit_types(b"func pause() {", b"func helper() int {\n\treturn 1\n}\n\n// pause waits.\nfunc pause() {")
    assert package.check(package.methods).checked_units == 0
    # The body of pause changes its summary; nothing in methods.go calls pause.
    package.edit_types(b"time.Sleep(time.Millisecond)", b"time.Sleep(2 * time.Millisecond)")
    assert package.check(package.methods).checked_units == 0


def test_a_callee_that_starts_blocking_rechecks_its_callers_in_other_files(tmp_path: Path):
    package = Package(tmp_path)
    assert lines(package.methods, package.check(package.methods)) == [("GL406", 6)]

    # settle (types.go) now sleeps: Reset (methods.go) holds s.mu across a call that blocks.
    package.edit_types(b"s.items = nil", b"s.items = nil\n\tpause()")
    after = package.check(package.methods)
    assert lines(package.methods, after) == [("GL406", 6), ("GL409", 15)]
    assert after.checked_units == 1  # Reset only: it looked up settle; Get and double did not
    fresh = Engine().check(Document(package.methods.source, package.methods.path),
                           package=package.index.others(package.methods))
    assert lines(package.methods, fresh) == lines(package.methods, after)


def test_cached_findings_follow_settings_moves_and_suppressions():
    from golens.config import Config
    from golens.findings import Severity

    doc, cache, engine = Document(METHODS, "methods.go"), UnitCache(), Engine()
    package = Engine().summarize(Document(TYPES, "types.go"))
    first = engine.check(doc, cache, package=package)
    assert [(f.rule, f.severity) for f in first.findings] == [("GL406", Severity.ERROR)]
    quiet = Config(severity={"GL406": Severity.HINT})
    assert [(f.rule, f.severity) for f in engine.check(doc, cache, quiet, package).findings] == [("GL406", Severity.HINT)]
    assert engine.check(doc, cache, Config(disabled=frozenset({"GL406"})), package).findings == []
    # Moved down by a line: the same finding, at its new offset.
    doc.apply_edits([TextEdit(len(b"package shop\n"), len(b"package shop\n"), b"\n")])
    moved = engine.check(doc, cache, package=package)
    assert [doc.source[f.start:f.end] for f in moved.findings] == [b"return 0"]
    assert moved.checked_units == 0
    # A suppression comment elsewhere in the file: every finding is decided again.
    start = doc.source.index(b"\t\treturn 0")
    doc.apply_edits([TextEdit(start + len(b"\t\treturn 0"), start + len(b"\t\treturn 0"), b" //golens:ignore GL406")])
    assert engine.check(doc, cache, package=package).findings == []
