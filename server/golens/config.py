"""Project and editor configuration.

Project file: `golens.toml`, found in the checked file's directory or the nearest parent:

    disable = ["GL601", "print-in-hot-path"]   # rule ids or slugs
    enable = ["GL203"]                         # rules that are off by default
    max-file-size = 4194304                    # bytes; larger files are not checked

    [severity]
    GL202 = "error"                            # error | warning | information | hint

    [tests]
    enable = ["GL202"]                         # rules that are off in _test.go files by default

Editor settings (LSP `golens` section) use the same keys and win over the file.
"""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from golens.document.document import DEFAULT_MAX_FILE_BYTES
from golens.findings import Severity
from golens.registry import Registry

CONFIG_FILE = "golens.toml"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Config:
    disabled: frozenset[str] = frozenset()
    enabled: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    enabled_in_tests: frozenset[str] = frozenset()

    def is_enabled(self, rule, in_test_file: bool = False) -> bool:
        if rule.id in self.disabled:
            return False
        if in_test_file and not rule.enabled_in_tests and rule.id not in self.enabled_in_tests:
            return False
        return rule.default_enabled or rule.id in self.enabled

    def severity_for(self, rule) -> Severity:
        return self.severity.get(rule.id, rule.severity)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], registry: Registry, origin: str) -> "Config":
        def rule_ids(key: str, section: Mapping[str, Any] = data) -> frozenset[str]:
            values = section.get(key, [])
            if isinstance(values, str):
                values = [values]
            ids = set()
            for value in values:
                rule = registry.get(str(value))
                if rule is None:
                    raise ConfigError(f"{origin}: {key}: unknown rule {value!r}")
                ids.add(rule.id)
            return frozenset(ids)

        severities = {}
        for key, value in (data.get("severity") or {}).items():
            rule = registry.get(str(key))
            if rule is None:
                raise ConfigError(f"{origin}: severity: unknown rule {key!r}")
            try:
                severities[rule.id] = Severity.parse(str(value))
            except ValueError as exc:
                raise ConfigError(f"{origin}: severity.{key}: {exc}") from None
        max_bytes = data.get("max-file-size", data.get("maxFileSize", DEFAULT_MAX_FILE_BYTES))
        if not isinstance(max_bytes, int) or max_bytes <= 0:
            raise ConfigError(f"{origin}: max-file-size must be a positive number of bytes")
        tests = data.get("tests") or {}
        if not isinstance(tests, Mapping):
            raise ConfigError(f"{origin}: tests must be a table ([tests] enable = [...])")
        return cls(rule_ids("disable"), rule_ids("enable"), severities, max_bytes, rule_ids("enable", tests))

    @classmethod
    def from_file(cls, path: Path, registry: Registry) -> "Config":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return cls.from_mapping(data, registry, str(path))

    def overridden_by(self, other: "Config") -> "Config":
        """This config with another layered on top (editor settings over the project file)."""
        return replace(
            self,
            disabled=(self.disabled - other.enabled) | other.disabled,
            enabled=(self.enabled - other.disabled) | other.enabled,
            severity={**self.severity, **other.severity},
            max_file_bytes=other.max_file_bytes if other.max_file_bytes != DEFAULT_MAX_FILE_BYTES else self.max_file_bytes,
            enabled_in_tests=self.enabled_in_tests | other.enabled_in_tests,
        )


def find_config_file(start: Path) -> Path | None:
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None
