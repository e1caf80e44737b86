"""Rules whose findings have little value in test code (GL202 against test servers, GL203,
GL601) are off in `_test.go` files unless golens.toml's `[tests] enable` lists them; rules that
find real leaks in tests (GL101, GL106) stay on."""

import pytest

from golens.config import Config
from golens.document import Document
from golens.engine import Engine
from golens.registry import default_registry

SOURCE = b"""package svc

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestHealth(t *testing.T) {
	resp, err := http.Get("http://127.0.0.1:1/health")
	if err == nil {
		resp.Body.Close()
	}
	ch := make(chan int)
	go func() { ch <- 1 }()
	select {
	case <-ch:
	case <-time.After(time.Second):
		return
	}
	tick := time.NewTicker(time.Millisecond)
	go func() {
		for range tick.C {
			fmt.Println("tick")
		}
	}()
}
"""


def rules_found(path: str, config: Config | None = None) -> set[str]:
    result = Engine(config=config).check(Document(SOURCE, path)) if config else Engine().check(Document(SOURCE, path))
    assert not result.failures, result.failures
    return {f.rule for f in result.findings}


def test_test_only_noise_is_off_in_test_files_and_leaks_stay_on():
    found = rules_found("svc_test.go")
    assert "GL202" not in found and "GL601" not in found
    assert {"GL101", "GL106"} <= found


def test_the_same_code_outside_a_test_file_reports_them():
    assert {"GL202", "GL601", "GL101", "GL106"} <= rules_found("svc.go")


def test_tests_enable_turns_a_rule_back_on_in_test_files():
    config = Config.from_mapping({"tests": {"enable": ["GL202", "print-in-hot-path"]}}, default_registry(), "golens.toml")
    found = rules_found("svc_test.go", config)
    assert {"GL202", "GL601", "GL101"} <= found


def test_editor_settings_add_to_the_file_list():
    registry = default_registry()
    project = Config.from_mapping({"tests": {"enable": ["GL202"]}}, registry, "golens.toml")
    editor = Config.from_mapping({"tests": {"enable": ["GL601"]}}, registry, "settings")
    assert project.overridden_by(editor).enabled_in_tests == {"GL202", "GL601"}


@pytest.mark.parametrize("tests, message", [
    ({"enable": ["GL999"]}, "golens.toml: tests.enable: unknown rule 'GL999' ignored"),
    (["GL202"], "golens.toml: tests: expected a table"),
])
def test_bad_tests_section_is_reported_and_keeps_the_default(tests, message):
    config = Config.from_mapping({"tests": tests}, default_registry(), "golens.toml", other_keys=frozenset())
    assert config.enabled_in_tests == frozenset()
    assert any(p.startswith(message) for p in config.problems), config.problems
