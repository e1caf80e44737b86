"""Each GT rule's documented Example is a program whose own trace shows the evidence; its
Use instead program's trace does not (for the rules whose fix removes the cause outright)."""

from pathlib import Path

import pytest

from golens.evidence import load_evidence
from golens.registry import default_registry
from testsupport import run_doc_program

TRACE_RULES = [r for r in default_registry().rules if r.kind == "trace"]
# GT401's fix bounds the goroutines to the Ps; the workers then run long CPU stretches (GT501),
# and how much scheduling delay remains depends on the machine: only the bad example is pinned.
CLEAN_AFTER_FIX = {"GT101", "GT201", "GT301", "GT501"}


def traced(go: str, block: str, tmp_path: Path, name: str):
    recorded = run_doc_program(go, block, tmp_path, name, "trace.out")
    return load_evidence(recorded, root=recorded.parent)


def test_every_trace_rule_is_documented():
    assert [r.id for r in TRACE_RULES] == ["GT101", "GT201", "GT301", "GT401", "GT501", "GT601"]


@pytest.mark.parametrize("rule", TRACE_RULES, ids=lambda r: r.id)
def test_example_trace_shows_the_evidence(go, tmp_path, rule):
    [bad] = rule.code_blocks("Example")
    te = traced(go, bad, tmp_path, "bad")
    hits = [e for e in te.evidence if e.rule == rule.id]
    assert hits, [(e.rule, e.site.line) for e in te.evidence]
    lines = bad.splitlines()
    for e in hits:
        assert e.site.stale is None
        text = lines[e.site.line - 1]
        # Each rule lands on the line that explains it.
        expected = {"GT101": ("go fetch", 'results <- "done"'), "GT201": ("c.mu.Lock()",),
                    "GT301": ("fmt.Fprintln",), "GT401": ("go func()",), "GT501": ("spins++", "select", "for {", "case <-done:", "default:"),
                    "GT601": ("trace.NewTask", "trace.StartRegion")}[rule.id]
        assert any(x in text for x in expected), (rule.id, e.site.line, text)
    if rule.id == "GT601":
        region = next(e for e in hits if e.data["kind"] == "region")
        assert region.data["open"] == 1


@pytest.mark.parametrize("rule", [r for r in TRACE_RULES if r.id in CLEAN_AFTER_FIX], ids=lambda r: r.id)
def test_fixed_example_trace_is_clean(go, tmp_path, rule):
    [good] = rule.code_blocks("Use instead")
    te = traced(go, good, tmp_path, "good")
    assert not [e for e in te.evidence if e.rule == rule.id], [(e.rule, e.site.line, e.message) for e in te.evidence]
