"""Every offered quick fix, on every fixture finding and every rule's bad example, must:
(1) make the finding go away, (2) add no other finding, (3) leave code that parses without
error nodes, (4) be gofmt-clean, (5) still compile. Fix-all applied twice changes nothing the
second time."""

import functools
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from golens.document import Document, GoVersion, find_module_go_version
from golens.engine import Engine
from golens.findings import Finding
from golens.fixes import apply_edits, fix_all, fixes_for, has_fix, suppress_fix
from golens.registry import default_registry
from golens.syntax.facts import Fact
from testsupport import FIXTURES, gofmt_binary, run_go

ENGINE = Engine()
DOC_GO_VERSION = GoVersion(1, 24)


@dataclass
class Case:
    name: str
    source: bytes
    path: str  # where the file lives, for go.mod lookup and the compile step
    module_go_version: GoVersion | None
    package_dir: Path | None  # fixture package to compile the fixed file in; None: standalone


def cases() -> list[Case]:
    found = []
    for path in sorted(FIXTURES.rglob("*.go")):
        found.append(Case(str(path.relative_to(FIXTURES)), path.read_bytes(), str(path),
                          find_module_go_version(str(path)), path.parent))
    for rule in default_registry().static_rules:
        for index, block in enumerate(rule.code_blocks("Example")):
            found.append(Case(f"{rule.id}-example-{index}", block.encode(), f"{rule.id.lower()}_example.go",
                              DOC_GO_VERSION, None))
    return found


CASES = cases()


def document(case: Case, source: bytes | None = None) -> Document:
    return Document(source if source is not None else case.source, case.path, module_go_version=case.module_go_version)


@functools.cache
def other_files_facts(path: str) -> "frozenset[Fact]":
    """The facts of the other files of a fixture's package: a fixed file is checked as the CLI
    checks it, so that findings about types declared in another file are fixed and verified too."""
    here = Path(path)
    package = Document(here.read_bytes(), path).header.package
    others = [Document(p.read_bytes(), str(p)) for p in sorted(here.parent.glob("*.go")) if p != here]
    return frozenset().union(*(ENGINE.summarize(doc) for doc in others if doc.header.package == package))


def check(case: Case, doc: Document) -> list[Finding]:
    package = other_files_facts(case.path) if case.package_dir is not None else frozenset()
    return ENGINE.check(doc, package=package).findings


def rule_counts(case: Case, doc: Document) -> Counter:
    return Counter(f.rule for f in check(case, doc))


@dataclass
class Applied:
    case: Case
    rule: str
    title: str
    fixed: bytes


def applied_fixes() -> list[Applied]:
    result = []
    for case in CASES:
        doc = document(case)
        for finding in check(case, doc):
            for fix in fixes_for(doc, finding):
                result.append(Applied(case, finding.rule, fix.title, apply_edits(doc.source, fix.edits)))
    return result


APPLIED = applied_fixes()


def _id(applied: Applied) -> str:
    return f"{applied.case.name}:{applied.rule}:{applied.title}"


def test_fixes_exist_for_the_foundation_rules():
    rules_with_fixes = {a.rule for a in APPLIED}
    assert {"GL106", "GL107", "GL201", "GL202"} <= rules_with_fixes


@pytest.mark.parametrize("applied", APPLIED, ids=_id)
def test_fix_resolves_the_finding_and_adds_none(applied):
    before = rule_counts(applied.case, document(applied.case))
    after_doc = document(applied.case, applied.fixed)
    assert not after_doc.tree.root_node.has_error, applied.fixed.decode()
    after = rule_counts(applied.case, after_doc)
    assert after[applied.rule] < before[applied.rule], "the finding is still there"
    grown = {rule: (before[rule], after[rule]) for rule in after if after[rule] > before[rule]}
    assert not grown, f"new findings: {grown}\n{applied.fixed.decode()}"


def test_fixed_files_are_gofmt_clean_and_compile(go, tmp_path):
    module = tmp_path / "fixed"
    module.mkdir()
    (module / "go.mod").write_text("module example.com/fixed\n\ngo 1.24\n" + _local_replacements())
    written = []
    for index, applied in enumerate(APPLIED):
        package = module / f"p{index:03d}"
        if applied.case.package_dir is not None:
            shutil.copytree(applied.case.package_dir, package, ignore=shutil.ignore_patterns("go.mod", "*_test.go"))
            target = package / Path(applied.case.path).name
        else:
            package.mkdir()
            target = package / "example.go"
        if target.name.endswith("_test.go"):
            continue
        target.write_bytes(applied.fixed)
        written.append((target, applied))
    unformatted = subprocess.run([gofmt_binary(go), "-l", "."], cwd=module, capture_output=True, text=True)
    bad = [line for line in unformatted.stdout.splitlines() if line.strip()]
    by_file = {str(t.relative_to(module)): a for t, a in written}
    assert not bad, "not gofmt-clean: " + ", ".join(f"{b} ({_id(by_file[b])})" if b in by_file else b for b in bad)
    build = run_go(go, "build", "./...", cwd=module)
    assert build.returncode == 0, build.stderr


def _local_replacements() -> str:
    """The fixture modules' requirements on local copies (go_wrappers' golang.org/x/sync, built
    without a download), pointed at their directories, for the one module of fixed files."""
    lines = []
    for go_mod in sorted(FIXTURES.rglob("go.mod")):
        for line in go_mod.read_text().splitlines():
            if line.startswith("require "):
                lines.append(line)
            elif line.startswith("replace ") and " => ./" in line:
                old, target = line.split(" => ")
                lines.append(f"{old} => {(go_mod.parent / target).resolve()}")
    return "\n" + "\n".join(lines) + "\n" if lines else ""


@pytest.mark.parametrize("case", [c for c in CASES if c.package_dir is not None], ids=lambda c: c.name)
def test_fix_all_is_idempotent(case):
    once = fix_all(document(case), ENGINE)
    twice = fix_all(document(case, once), ENGINE)
    assert twice == once
    assert not document(case, once).tree.root_node.has_error


def test_suppress_action_silences_exactly_that_finding():
    case = next(c for c in CASES if c.name == "lostcancel/lostcancel.go")
    doc = document(case)
    findings = ENGINE.check(doc).findings
    target = findings[0]
    fixed = apply_edits(doc.source, suppress_fix(doc, target).edits)
    after = ENGINE.check(document(case, fixed)).findings
    assert len(after) == len(findings) - 1
    line = fixed.splitlines()[doc.lines.position(target.start)[0]]
    assert line.strip() == f"//golens:ignore {target.rule}".encode()


def test_no_fix_is_offered_on_broken_code():
    source = b"""package p

import (
	"context"
	"time"
)

func f() error {
	ctx, _ := context.WithTimeout(context.Background(), time.Second)
	if ctx.Err() != nil {
	return ctx.Err()
}
"""
    doc = Document(source, "p.go")
    findings = ENGINE.check(doc).findings
    assert [f.rule for f in findings] == ["GL201"]
    assert fixes_for(doc, findings[0]) == []


def test_fix_modules_exist_only_for_known_rules():
    known = {r.id for r in default_registry().static_rules}
    modules = {p.stem.upper() for p in Path(__import__("golens.fixes").fixes.__file__).parent.glob("gl*.py")}
    assert modules <= known
    assert all(has_fix(rule) for rule in modules)
