"""A golens.toml with wrong types: a message naming the key and the expected type, the default
for that key, the rest of the file and every file still checked, exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest

from golens.config import Config
from golens.registry import default_registry

LEAKY = (
    "package p\n\nimport (\n\t\"context\"\n\t\"time\"\n)\n\n"
    "func f() error {\n\tctx, _ := context.WithTimeout(context.Background(), time.Second)\n\treturn ctx.Err()\n}\n"
)


def golens(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "golens", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("toml", "key", "expected"), [
    ('severity = "error"\n', "severity", "a table of rule = level"),
    ("disable = 5\n", "disable", "a list of rule ids"),
    ("disable = [[[\"GL201\"]]]\n", "disable", "rule ids (strings)"),
    ("max-file-size = true\n", "max-file-size", "a positive number of bytes"),
    ("max-file-size = -3\n", "max-file-size", "a positive number of bytes"),
    ('[severity]\nGL201 = 3\n', "severity.GL201", "one of error, warning, information, hint"),
    ('trace = "fast"\n', "trace", "a table of thresholds"),
    ('[trace]\nleak-min-fraction = "half"\n', "trace.leak-min-fraction", "a number"),
    ('go-wrappers = "safe.Go"\n', "go-wrappers", 'a list of function names ("pkg.Func" or "Func")'),
    ('go-wrappers = ["safe.Go", 3]\n', "go-wrappers", 'function names ("pkg.Func" or "Func")'),
    ('go-wrappers = ["safe.Go()"]\n', "go-wrappers", 'function names ("pkg.Func" or "Func")'),
])
def test_a_bad_key_is_named_and_keeps_its_default(tmp_path, toml, key, expected):
    (tmp_path / "golens.toml").write_text(toml)
    (tmp_path / "leaky.go").write_text(LEAKY)
    result = golens("check", ".", cwd=tmp_path)
    assert result.returncode == 2, result
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"golens.toml: {key}: expected {expected}" in errors[0] and ", got " in errors[0]
    # The file is still checked with the defaults (GL201 is on by default).
    assert [line.split(" ")[1] for line in result.stdout.splitlines()] == ["GL201"]


def test_other_keys_of_a_partly_bad_file_still_apply(tmp_path):
    config = Config.from_mapping({"disable": ["lost-cancel", 7], "severity": "loud", "max-file-size": 1000},
                                 default_registry(), "golens.toml", other_keys=frozenset())
    assert config.disabled == {"GL201"} and config.max_file_bytes == 1000 and config.severity == {}
    assert len(config.problems) == 2


def test_go_wrappers_are_read_and_editor_settings_add_to_the_file(tmp_path):
    registry = default_registry()
    project = Config.from_mapping({"go-wrappers": ["safe.Go", "GoSafe"]}, registry, "golens.toml", other_keys=frozenset())
    editor = Config.from_mapping({"goWrappers": ["util.Spawn"]}, registry, "settings")
    assert project.problems == () and project.go_wrappers == {"safe.Go", "GoSafe"}
    assert project.overridden_by(editor).go_wrappers == {"safe.Go", "GoSafe", "util.Spawn"}


def test_unknown_top_level_key_is_reported(tmp_path):
    config = Config.from_mapping({"disabled": ["GL201"]}, default_registry(), "golens.toml", other_keys=frozenset())
    assert config.problems == ("golens.toml: unknown key 'disabled' ignored",)


def test_rules_command_reports_a_bad_config(tmp_path):
    (tmp_path / "golens.toml").write_text('severity = "error"\n')
    result = golens("rules", cwd=tmp_path)
    assert result.returncode == 2 and "severity: expected a table" in result.stderr
    assert "GL201" in result.stdout
