"""The fixtures are real Go: every package must type-check, so that the near misses are code
people write and the quick-fix tests can compile their results."""

import subprocess

from testsupport import FIXTURES, gofmt_binary, run_go


def test_fixture_modules_build(go):
    modules = sorted(p.parent for p in FIXTURES.rglob("go.mod"))
    assert modules
    for module in modules:
        result = run_go(go, "build", "./...", cwd=module)
        assert result.returncode == 0, f"{module.relative_to(FIXTURES)}:\n{result.stderr}"


def test_fixtures_are_gofmt_clean(go):
    # Quick fixes are held to gofmt; a fixture that is not formatted would blame them for it.
    result = subprocess.run([gofmt_binary(go), "-l", "."], cwd=FIXTURES, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", f"run gofmt -w on: {result.stdout.split()}"
