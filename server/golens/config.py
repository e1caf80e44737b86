"""Project and editor configuration.

Project file: `golens.toml`, found in the checked file's directory or the nearest parent:

    disable = ["GL601", "print-in-hot-path"]   # rule ids or slugs
    enable = ["GL203"]                         # rules that are off by default
    max-file-size = 4194304                    # bytes; larger files are not checked

    [severity]
    GL202 = "error"                            # error | warning | information | hint

    [tests]
    enable = ["GL202"]                         # rules that are off in _test.go files by default

    go-wrappers = ["safe.Go", "GoSafe"]        # calls that run their last argument in a new goroutine

Editor settings (LSP `golens` section) use the same keys and win over the file.
"""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.findings import Severity
from golens.registry import Registry
from golens.safeio import is_regular_file, read_regular_text

CONFIG_FILE = "golens.toml"
_WRAPPER_NAME = re.compile(r"(?:[A-Za-z_]\w*\.)?[A-Za-z_]\w*")


# The top-level keys of golens.toml; `trace` is the table of golens.evidence.Thresholds.
CONFIG_KEYS = frozenset({"disable", "enable", "severity", "max-file-size", "maxFileSize", "trace", "tests",
                         "go-wrappers", "goWrappers"})


class ConfigError(ValueError):
    """The file cannot be used at all (unreadable, not TOML)."""


def _describe(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
             dict: "a table"}
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{kinds.get(type(value), type(value).__name__)} ({shown})"


@dataclass(frozen=True)
class Config:
    disabled: frozenset[str] = frozenset()
    enabled: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    # What was wrong with the source of this configuration (each bad key kept its default).
    problems: tuple[str, ...] = field(default=(), compare=False)
    enabled_in_tests: frozenset[str] = frozenset()
    # Functions that start a goroutine running their last argument: `pkg.Func` (pkg as imported)
    # or `Func` (of the checked package). golens.syntax.goroutines reads them.
    go_wrappers: frozenset[str] = frozenset()

    def is_enabled(self, rule, in_test_file: bool = False) -> bool:
        if rule.id in self.disabled:
            return False
        if in_test_file and not rule.enabled_in_tests and rule.id not in self.enabled_in_tests:
            return False
        return rule.default_enabled or rule.id in self.enabled

    def severity_for(self, rule) -> Severity:
        return self.severity.get(rule.id, rule.severity)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], registry: Registry, origin: str,
                     *, other_keys: frozenset[str] | None = None) -> "Config":
        """The configuration `data` describes, checked against the schema key by key: a key with
        a wrong type or value keeps its default and adds a message (key, what was expected, what
        was found) to `problems`; unknown rules are dropped from their list the same way.

        `other_keys`: top-level keys that belong to someone else (the `[trace]` table, editor-only
        settings); None accepts any key, as editor settings must.
        """
        problems: list[str] = []

        def problem(key: str, expected: str, value: Any) -> None:
            problems.append(f"{origin}: {key}: expected {expected}, got {_describe(value)}; the default is used")

        def rule_ids(key: str, section: Mapping[str, Any] = data, shown: str = "") -> frozenset[str]:
            values = section.get(key, [])
            key = shown or key
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list):
                problem(key, "a list of rule ids", values)
                return frozenset()
            ids = set()
            for value in values:
                if not isinstance(value, str):
                    problem(key, "rule ids (strings)", value)
                elif (rule := registry.get(value)) is None:
                    problems.append(f"{origin}: {key}: unknown rule {value!r} ignored")
                else:
                    ids.add(rule.id)
            return frozenset(ids)

        severities: dict[str, Severity] = {}
        table = data.get("severity", {})
        if not isinstance(table, Mapping):
            problem("severity", "a table of rule = level (error, warning, information, hint)", table)
            table = {}
        for key, value in table.items():
            rule = registry.get(str(key))
            if rule is None:
                problems.append(f"{origin}: severity: unknown rule {key!r} ignored")
            elif not isinstance(value, str):
                problem(f"severity.{key}", "one of error, warning, information, hint", value)
            else:
                try:
                    severities[rule.id] = Severity.parse(value)
                except ValueError as exc:
                    problems.append(f"{origin}: severity.{key}: {exc}; the default is used")
        size_key = "max-file-size" if "max-file-size" in data or "maxFileSize" not in data else "maxFileSize"
        max_bytes = data.get(size_key, DEFAULT_MAX_FILE_BYTES)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
            problem(size_key, "a positive number of bytes", max_bytes)
            max_bytes = DEFAULT_MAX_FILE_BYTES
        trace = data.get("trace", {})
        if not isinstance(trace, Mapping):
            problem("trace", "a table of thresholds", trace)
        else:
            for key, value in trace.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    problem(f"trace.{key}", "a number", value)
        if other_keys is not None:
            for key in sorted(set(data) - CONFIG_KEYS - other_keys):
                problems.append(f"{origin}: unknown key {key!r} ignored")
        tests = data.get("tests", {})
        if not isinstance(tests, Mapping):
            problem("tests", "a table ([tests] enable = [rule ids])", tests)
            tests = {}
        tests_enabled = rule_ids("enable", tests, "tests.enable")
        wrappers_key = "go-wrappers" if "go-wrappers" in data or "goWrappers" not in data else "goWrappers"
        wrappers = data.get(wrappers_key, [])
        if not isinstance(wrappers, list):
            problem(wrappers_key, "a list of function names (\"pkg.Func\" or \"Func\")", wrappers)
            wrappers = []
        go_wrappers = set()
        for name in wrappers:
            if isinstance(name, str) and _WRAPPER_NAME.fullmatch(name):
                go_wrappers.add(name)
            else:
                problem(wrappers_key, "function names (\"pkg.Func\" or \"Func\")", name)
        return cls(rule_ids("disable"), rule_ids("enable"), severities, max_bytes, tuple(problems), tests_enabled,
                   frozenset(go_wrappers))

    @classmethod
    def from_file(cls, path: Path, registry: Registry) -> "Config":
        try:
            data = tomllib.loads(read_regular_text(path))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return cls.from_mapping(data, registry, str(path), other_keys=frozenset())

    def overridden_by(self, other: "Config") -> "Config":
        """This config with another layered on top (editor settings over the project file)."""
        return replace(
            self,
            disabled=(self.disabled - other.enabled) | other.disabled,
            enabled=(self.enabled - other.disabled) | other.enabled,
            severity={**self.severity, **other.severity},
            max_file_bytes=other.max_file_bytes if other.max_file_bytes != DEFAULT_MAX_FILE_BYTES else self.max_file_bytes,
            enabled_in_tests=self.enabled_in_tests | other.enabled_in_tests,
            go_wrappers=self.go_wrappers | other.go_wrappers,
        )


def find_config_file(start: Path) -> Path | None:
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        candidate = directory / CONFIG_FILE
        if is_regular_file(candidate):
            return candidate
    return None
