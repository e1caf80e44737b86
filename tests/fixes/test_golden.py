"""Golden files for the quick fixes, next to each fixture file X.go:

- X.go.golden: what fix-all (`golens check --fix`, the preferred fixes) makes of X.go; absent
  when fix-all changes nothing;
- X.go.fixes.golden: each fix that fix-all does not apply, as the diff it would make on its own;
  absent when there is none.

test_fixes.py proves every fix valid (finding gone, nothing new, gofmt-clean, compiles); these
pin what the fixes look like, so that a fix changing shape fails with a readable diff. When the
change is intended, regenerate and review the goldens' diff in the commit:

    GOLENS_UPDATE_GOLDEN=1 scripts/test tests/fixes/test_golden.py
"""

import difflib
import os
from pathlib import Path

import pytest

from golens.document import Document, find_module_go_version
from golens.engine import Engine
from golens.fixes import apply_edits, fix_all, fixes_for
from testsupport import FIXTURES, package_facts

UPDATE = os.environ.get("GOLENS_UPDATE_GOLDEN") == "1"
REGENERATE = "GOLENS_UPDATE_GOLDEN=1 scripts/test tests/fixes/test_golden.py"
ENGINE = Engine()
FILES = sorted(FIXTURES.rglob("*.go"))
FIX_ALL_SUFFIX = ".golden"
OTHER_FIXES_SUFFIX = ".fixes.golden"


def document(path: Path, source: bytes | None = None) -> Document:
    return Document(path.read_bytes() if source is None else source, str(path),
                    module_go_version=find_module_go_version(str(path)))


def diff(before: str, after: str, before_name: str, after_name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), before_name, after_name))


def fix_all_result(path: Path) -> str | None:
    source = path.read_bytes()
    fixed = fix_all(document(path), ENGINE, package=package_facts(path, ENGINE))
    return fixed.decode() if fixed != source else None


def other_fixes(path: Path) -> str | None:
    doc = document(path)
    entries = []
    for finding in ENGINE.check(doc, package=package_facts(path, ENGINE)).findings:
        line = doc.lines.position(finding.start)[0] + 1
        for fix in fixes_for(doc, finding):
            if fix.preferred:
                continue
            fixed = apply_edits(doc.source, fix.edits).decode()
            entries.append(f"### {finding.rule} at line {line}: {fix.title}\n"
                           + diff(doc.source.decode(), fixed, path.name, path.name))
    return "\n".join(entries) or None


def check_golden(golden: Path, actual: str | None) -> None:
    name = golden.relative_to(FIXTURES)
    if UPDATE:
        if actual is None:
            golden.unlink(missing_ok=True)
        else:
            golden.write_text(actual, encoding="utf-8")
        return
    if actual is None:
        assert not golden.exists(), f"{name} is stale: nothing to pin any more (regenerate: {REGENERATE})"
        return
    assert golden.exists(), f"{name} is missing (generate: {REGENERATE})"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        pytest.fail(f"{name} changed (if intended, regenerate: {REGENERATE}):\n"
                    + diff(expected, actual, f"{name} (golden)", f"{name} (now)"), pytrace=False)


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_fix_all_matches_golden(path: Path) -> None:
    check_golden(path.with_name(path.name + FIX_ALL_SUFFIX), fix_all_result(path))


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_other_fixes_match_golden(path: Path) -> None:
    check_golden(path.with_name(path.name + OTHER_FIXES_SUFFIX), other_fixes(path))


def test_every_golden_has_its_fixture() -> None:
    orphans = [_id(g) for g in FIXTURES.rglob("*.golden")
               if not g.with_name(g.name.removesuffix(OTHER_FIXES_SUFFIX).removesuffix(FIX_ALL_SUFFIX)).exists()]
    assert not orphans, f"goldens of deleted fixtures: {orphans}"


def test_goldens_exist_for_the_fixable_rules() -> None:
    """The switch above must not silently produce nothing: fix-all changes fixtures of many rules."""
    assert len(list(FIXTURES.rglob("*.go" + FIX_ALL_SUFFIX))) >= 20
    assert list(FIXTURES.rglob("*.go" + OTHER_FIXES_SUFFIX))
