"""What keeps the rule set and the release consistent: every check module has its page and every
static page its module, nothing scaffolded ships unfilled, one version everywhere, and
scripts/new-rule makes a rule that passes the rule tests once its check is written."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import golens
from golens.registry import default_registry
from testsupport import REPO

CHECKS = REPO / "server" / "golens" / "checks"
SCAFFOLD_MARK = "Scaffold:"


def test_every_check_module_has_a_page_and_every_static_page_a_module() -> None:
    modules = {p.stem for p in CHECKS.glob("gl*.py")}
    documented = {rule.module_name.rsplit(".", 1)[1] for rule in default_registry().static_rules}
    assert not modules - documented, f"check modules without a page in rules/: {sorted(modules - documented)}"
    assert not documented - modules, f"pages without a check module: {sorted(documented - modules)}"


def test_nothing_scaffolded_is_left_unfilled() -> None:
    unfilled = [str(p.relative_to(REPO)) for p in [*REPO.glob("rules/*.md"), *CHECKS.glob("gl*.py")]
                if SCAFFOLD_MARK in p.read_text(encoding="utf-8")]
    assert not unfilled, f"scripts/new-rule placeholders left in {unfilled}"


def test_one_version() -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    extension = json.loads((REPO / "vscode-client" / "package.json").read_text(encoding="utf-8"))["version"]
    assert golens.__version__ == version, "golens.__version__ comes from the installed metadata: reinstall"
    assert extension == version, "vscode-client/package.json and pyproject.toml disagree on the version"


# A check that finds what the scaffolded page, fixture and examples describe.
FILLED_IN_CHECK = '''
    for call in unit.nodes("call_expression"):
        if is_package_call(call, unit.file, "runtime", "LockOSThread"):
            yield unit.report(call, "runtime.LockOSThread pins this goroutine to its thread")
'''


@pytest.mark.slow  # a copy of the rule machinery and a pytest run inside it
def test_new_rule_passes_the_rule_tests_once_its_check_is_filled_in(tmp_path: Path) -> None:
    copy = tmp_path / "golens"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("server", "rules", "scripts", "tests/fixtures", "tests/corpus/counts", "tests/engine", "tests/fixes"):
        shutil.copytree(REPO / part, copy / part, ignore=ignore)
    for part in ("pyproject.toml", "tests/conftest.py", "tests/testsupport.py", "tests/corpus/test_stdlib_counts.py"):
        shutil.copy(REPO / part, copy / part)

    made = subprocess.run([sys.executable, str(copy / "scripts" / "new-rule"), "GL999", "pinned-thread",
                           "--category", "leak"], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert sorted(made.stdout.split()) == sorted([
        "rules/GL999-pinned-thread.md", "server/golens/checks/gl999_pinned_thread.py",
        "tests/fixtures/pinned_thread/pinned_thread.go", "tests/corpus/counts/gl999.json"])
    again = subprocess.run([sys.executable, str(copy / "scripts" / "new-rule"), "GL999", "other", "--category", "leak"],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "GL999 is taken" in again.stderr

    check = copy / "server" / "golens" / "checks" / "gl999_pinned_thread.py"
    text = check.read_text().replace("from golens.syntax import Report, Unit\n",
                                     "from golens.syntax import Report, Unit\nfrom golens.syntax.calls import is_package_call\n")
    check.write_text(text[:text.index("    # Scaffold:")] + FILLED_IN_CHECK.lstrip("\n"))

    env = {**os.environ, "PYTHONPATH": str(copy / "server")}
    selection = ["tests/engine/test_rule_docs.py", "tests/engine/test_fixtures.py", "tests/fixes/test_golden.py",
                 "tests/corpus/test_stdlib_counts.py::test_every_static_rule_is_pinned",
                 "tests/engine/test_rule_kit.py::test_every_check_module_has_a_page_and_every_static_page_a_module"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", *selection],
                         cwd=copy, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "GL999" in subprocess.run([sys.executable, "-m", "golens", "rules"], cwd=copy, env=env,
                                     capture_output=True, text=True, timeout=60).stdout
    # The page still says what is scaffold: this check fails until the author rewrites it.
    unfilled = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "tests/engine/test_rule_kit.py::test_nothing_scaffolded_is_left_unfilled"],
                              cwd=copy, env=env, capture_output=True, text=True, timeout=300)
    assert unfilled.returncode == 1 and "rules/GL999-pinned-thread.md" in unfilled.stdout
