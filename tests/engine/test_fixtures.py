"""Fixture files annotated in place, in the go/analysis style:

    ctx, _ := context.WithTimeout(parent, d) // want "GL201"
    resp, err := http.Get(u) // want "GL202: cannot be cancelled"

Each quoted string is a rule id, optionally followed by `: <regexp>` that the message must match.
Every line without a `want` must produce no finding at all.
"""

import re
from pathlib import Path

import pytest

from golens.document import Document, find_module_go_version
from golens.engine import Engine
from testsupport import FIXTURES, package_facts

WANT = re.compile(r"//\s*want\s+((?:\"[^\"]*\"\s*)+)")
FIXTURE_FILES = sorted(FIXTURES.rglob("*.go"))


def expectations(source: str) -> dict[int, list[tuple[str, str | None]]]:
    wanted: dict[int, list[tuple[str, str | None]]] = {}
    for number, line in enumerate(source.splitlines()):
        match = WANT.search(line)
        if not match:
            continue
        for item in re.findall(r"\"([^\"]*)\"", match[1]):
            rule, _, pattern = item.partition(":")
            wanted.setdefault(number, []).append((rule.strip(), pattern.strip() or None))
    return wanted


def load(path: Path) -> Document:
    return Document(path.read_bytes(), str(path), module_go_version=find_module_go_version(str(path)))


def check_file(path: Path):
    """Checked as the CLI checks it: with the facts of the other files of its package."""
    engine = Engine()
    doc = load(path)
    package = package_facts(path, engine)
    result = engine.check(doc, package=package)
    assert not result.failures, result.failures
    return doc, result.findings


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path):
    source = path.read_text()
    doc, findings = check_file(path)
    wanted = expectations(source)
    got: dict[int, list] = {}
    for finding in findings:
        got.setdefault(doc.lines.position(finding.start)[0], []).append(finding)
    problems = []
    for line in sorted(set(wanted) | set(got)):
        expected = wanted.get(line, [])
        actual = list(got.get(line, []))
        for rule, pattern in expected:
            match = next((f for f in actual if f.rule == rule and (pattern is None or re.search(pattern, f.message))), None)
            if match is None:
                problems.append(f"line {line + 1}: expected {rule}{': ' + pattern if pattern else ''}, got "
                                f"{[(f.rule, f.message) for f in got.get(line, [])]}")
            else:
                actual.remove(match)
        for finding in actual:
            problems.append(f"line {line + 1}: unexpected {finding.rule}: {finding.message}")
    assert not problems, "\n".join(problems)


def test_every_static_rule_has_fixtures():
    text = "\n".join(p.read_text() for p in FIXTURE_FILES)
    for rule in Engine().static_rules:
        assert f'"{rule.id}' in text, f"{rule.id} has no fixture case"


def test_half_typed_code_reports_an_uncalled_cancel():
    # The compiler rejects an unused cancel, so this only exists while typing: still say it.
    source = b"""package p

import "context"

func f(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	go use(ctx
}
"""
    doc = Document(source, "p.go")
    findings = Engine().check(doc).findings
    assert [(f.rule, doc.lines.position(f.start)) for f in findings] == [("GL201", (5, 6))]
    assert "never called" in findings[0].message
