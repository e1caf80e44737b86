"""Settings: the project's `golens.toml` as the base, the editor's `golens` section on top.

Editor settings use the keys of `golens.toml` plus LSP-only ones:

    {"golens": {"disable": ["GL201"], "severity": {"GL202": "error"},
                "diagnostics": {"debounceMs": 0, "checkBudgetMs": 3000}}}

Settings are checked key by key (golens.config.Config.from_mapping): a bad key keeps its
default with a warning instead of rejecting the whole section, so that a settings file shared
across golens versions cannot switch every rule back on. Problems of a project's golens.toml are
also shown to the user (window/showMessage) once per message.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golens.config import Config, ConfigError, find_config_file
from golens.registry import Registry

log = logging.getLogger(__name__)

SECTION = "golens"
MAX_DEBOUNCE_MS = 5000
# How long one file's check may run before it is abandoned with a message for that file: long
# enough for any real file (a 20k-line file checks in well under a second), short enough that a
# pathological one does not keep the other files' checks waiting behind it on the checker thread.
DEFAULT_CHECK_BUDGET_MS = 3000


@dataclass
class EditorSettings:
    config: Config = field(default_factory=Config)
    debounce_ms: int = 0
    check_budget_ms: int = DEFAULT_CHECK_BUDGET_MS


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """`diagnostics.debounceMs` as a nested key or as a flat dotted one (clients send both)."""
    if dotted in data:
        return data[dotted]
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def parse_editor_settings(raw: Any, registry: Registry, warn) -> EditorSettings:
    """EditorSettings from whatever the client sent; problems go to `warn(message)`."""
    if raw is None:
        return EditorSettings()
    if not isinstance(raw, Mapping):
        warn(f"golens settings must be an object, got {type(raw).__name__}; using defaults")
        return EditorSettings()
    if isinstance(raw.get(SECTION), Mapping):
        # didChangeConfiguration pushes the whole settings tree; take our section out of it.
        raw = raw[SECTION]

    settings = dict(raw)
    size = _lookup(raw, "max-file-size")
    if size is not None:
        settings["max-file-size"] = size
    elif (size := _lookup(raw, "maxFileSize")) is not None:
        settings["max-file-size"] = size
    settings.pop("maxFileSize", None)
    # The trace section of editor settings is golens.lsp.trace_state's (path, autoLoad, ...).
    settings.pop("trace", None)
    config = Config.from_mapping(settings, registry, "golens settings")
    for problem in config.problems:
        warn(problem)

    debounce = _lookup(raw, "diagnostics.debounceMs")
    debounce_ms = 0
    if debounce is not None:
        if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
            debounce_ms = int(min(debounce, MAX_DEBOUNCE_MS))
        else:
            warn("golens.diagnostics.debounceMs must be a non-negative number; using 0")
    budget = _lookup(raw, "diagnostics.checkBudgetMs")
    check_budget_ms = DEFAULT_CHECK_BUDGET_MS
    if budget is not None:
        if isinstance(budget, (int, float)) and not isinstance(budget, bool) and budget > 0:
            check_budget_ms = int(budget)
        else:
            warn(f"golens.diagnostics.checkBudgetMs must be a positive number; using {DEFAULT_CHECK_BUDGET_MS}")
    return EditorSettings(config, debounce_ms, check_budget_ms)


class ConfigManager:
    """Effective configuration per document; `generation` changes whenever any input does, so
    check results can be cached against it."""

    def __init__(self, registry: Registry, warn: Callable[[str], None],
                 show: Callable[[str], None] | None = None):
        self.registry = registry
        self.warn = warn
        self.show = show or warn
        self.editor = EditorSettings()
        self.initialization_options: Any = None
        self.raw: Any = None
        self.workspace_root: Path | None = None
        self.generation = 0
        self._project: dict[Path | None, Config] = {}
        self._reported: set[str] = set()

    def set_initialization_options(self, raw: Any) -> None:
        """Settings a client passed in initialize: used until, and whenever, the client's
        configuration has no `golens` section of its own."""
        self.initialization_options = raw
        self.set_editor_settings(raw)

    def set_editor_settings(self, raw: Any) -> None:
        if raw is None:
            raw = self.initialization_options
        self.raw = raw  # sections read by other features (golens.trace.*)
        self.editor = parse_editor_settings(raw, self.registry, self.warn)
        self.generation += 1

    def project_files_changed(self) -> None:
        self._project.clear()
        self._reported.clear()
        self.generation += 1

    @property
    def debounce_ms(self) -> int:
        return self.editor.debounce_ms

    @property
    def check_budget_ms(self) -> int:
        return self.editor.check_budget_ms

    def _project_config(self, directory: Path | None) -> Config:
        if directory in self._project:
            return self._project[directory]
        start = directory or self.workspace_root
        config = Config()
        if start is not None:
            path = find_config_file(start)
            if path is not None:
                problems: tuple[str, ...]
                try:
                    config = Config.from_file(path, self.registry)
                    problems = config.problems
                except ConfigError as exc:
                    problems = (f"{exc}; the file is ignored until it is fixed",)
                for message in problems:
                    if message not in self._reported:
                        self._reported.add(message)
                        self.show(message)
        self._project[directory] = config
        return config

    def config_for(self, path: str | None) -> Config:
        directory = Path(path).parent if path else None
        return self._project_config(directory).overridden_by(self.editor.config)
