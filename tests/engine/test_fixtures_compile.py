"""The fixtures are real Go: every package must type-check, so that the near misses are code
people write and the quick-fix tests can compile their results."""

from testsupport import FIXTURES, run_go


def test_fixture_modules_build(go):
    modules = sorted(p.parent for p in FIXTURES.rglob("go.mod"))
    assert modules
    for module in modules:
        result = run_go(go, "build", "./...", cwd=module)
        assert result.returncode == 0, f"{module.relative_to(FIXTURES)}:\n{result.stderr}"
