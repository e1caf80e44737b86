"""Each GP rule's documented Example is a program whose own profile shows the evidence at the line
that explains it; its Use instead program's profile does not."""

from pathlib import Path

import pytest

from golens.profile import load_profile_evidence
from golens.registry import default_registry
from testsupport import run_doc_program

PROFILE_RULES = [r for r in default_registry().rules if r.kind == "profile"]
EXPECTED_LINE = {"GP101": ("go func()", "result <- 42"), "GP102": ("for j := range jobs",),
                 "GP201": ("c.mu.Unlock()",), "GP202": ("for r := range results",)}


def profiled(go: str, block: str, tmp_path: Path, name: str):
    recorded = run_doc_program(go, block, tmp_path, name, "profile.pb.gz")
    return load_profile_evidence(recorded, root=recorded.parent)


def test_every_profile_rule_is_documented():
    assert [r.id for r in PROFILE_RULES] == ["GP101", "GP102", "GP201", "GP202"]


@pytest.mark.slow
@pytest.mark.parametrize("rule", PROFILE_RULES, ids=lambda r: r.id)
def test_example_profile_shows_the_evidence(go, tmp_path, rule):
    [bad] = rule.code_blocks("Example")
    pe = profiled(go, bad, tmp_path, "bad")
    found = [e for e in pe.evidence if e.rule == rule.id]
    assert found, [(e.rule, e.site.line) for e in pe.evidence]
    lines = bad.splitlines()
    for e in found:
        assert e.site.stale is None
        assert any(x in lines[e.site.line - 1] for x in EXPECTED_LINE[rule.id]), (e.site.line, lines[e.site.line - 1])
    if rule.id == "GP201":
        [(lock, _)] = found[0].related
        assert "c.mu.Lock()" in lines[lock.line - 1]


@pytest.mark.slow
@pytest.mark.parametrize("rule", PROFILE_RULES, ids=lambda r: r.id)
def test_fixed_example_profile_is_clean(go, tmp_path, rule):
    [good] = rule.code_blocks("Use instead")
    pe = profiled(go, good, tmp_path, "good")
    assert not [e for e in pe.evidence if e.rule == rule.id], [(e.rule, e.site.line, e.message) for e in pe.evidence]
