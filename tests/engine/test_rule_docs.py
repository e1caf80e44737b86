"""Every rule's documentation is checked like code: its metadata loads, its bad example is
flagged by the rule, its good example is clean, and both compile."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from golens.document import Document, GoVersion
from golens.engine import Engine
from golens.registry import REQUIRED_SECTIONS, default_registry, rules_dir
from testsupport import run_go

REGISTRY = default_registry()
STATIC = REGISTRY.static_rules
# Doc examples are read as code of a current module; version-specific examples say so with a
# `//go:build go1.N` line, which the document model honours.
EXAMPLE_GO_VERSION = GoVersion(1, 24)


def check(source: str, name: str):
    doc = Document(source.encode(), name, module_go_version=EXAMPLE_GO_VERSION)
    result = Engine(REGISTRY).check(doc)
    assert not result.failures, result.failures
    assert doc.tree is not None and not doc.tree.root_node.has_error, f"{name} does not parse"
    return result.findings


def test_rule_files_are_well_formed():
    ids = [r.id for r in REGISTRY.rules]
    assert len(ids) == len(set(ids))
    assert len(STATIC) >= 4
    for rule in REGISTRY.rules:
        assert re.fullmatch(r"G[LTP]\d{3}", rule.id)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.slug)
        assert rule.id.startswith("GL") == (rule.kind == "static")
        for section in REQUIRED_SECTIONS:
            assert rule.sections.get(section), f"{rule.id}: empty {section}"
        if rule.kind == "static":
            assert rule.check is not None, f"{rule.id}: {rule.module_name} has no check()"


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_bad_example_is_flagged(rule):
    blocks = rule.code_blocks("Example")
    assert blocks, f"{rule.id}: no ```go block under ## Example"
    for index, block in enumerate(blocks):
        findings = check(block, f"example_{index}.go")
        assert any(f.rule == rule.id for f in findings), f"{rule.id} example {index} is not flagged"


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.id)
def test_good_example_is_clean(rule):
    blocks = rule.code_blocks("Use instead")
    assert blocks, f"{rule.id}: no ```go block under ## Use instead"
    for index, block in enumerate(blocks):
        findings = check(block, f"good_{index}.go")
        assert not findings, [(f.rule, f.message) for f in findings]


def test_doc_examples_compile(go, tmp_path):
    (tmp_path / "go.mod").write_text(f"module example.com/docs\n\ngo {EXAMPLE_GO_VERSION.major}.{EXAMPLE_GO_VERSION.minor}\n")
    for rule in STATIC:
        for section, tag in (("Example", "bad"), ("Use instead", "good")):
            for index, block in enumerate(rule.code_blocks(section)):
                package = tmp_path / f"{rule.id.lower()}_{tag}{index}"
                package.mkdir()
                (package / "example.go").write_text(block)
    result = run_go(go, "build", "./...", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow  # builds the wheel
def test_rules_ship_inside_the_wheel(tmp_path):
    repo = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(repo)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    [wheel] = tmp_path.glob("golens-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"golens/_rules/{p.name}" for p in rules_dir().glob("G*.md")}
    assert expected and expected <= names, sorted(expected - names)[:5]
