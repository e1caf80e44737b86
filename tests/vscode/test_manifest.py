"""The extension's manifest against the server it drives (fast: no Node, no browser)."""

import json
from pathlib import Path

from golens.findings import Severity
from golens.registry import default_registry

MANIFEST = Path(__file__).resolve().parents[2] / "vscode-client" / "package.json"


def setting(key: str) -> dict:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for section in manifest["contributes"]["configuration"]:
        if key in section["properties"]:
            return section["properties"][key]
    raise AssertionError(f"{key} is not contributed")


def test_severity_is_an_object_the_settings_editor_can_edit_with_every_rule_listed():
    """VS Code's settings editor edits an object setting in place only when every value schema is
    a plain type; listing each rule as a property gives its key picker the rule ids."""
    severity = setting("golens.severity")
    levels = severity["additionalProperties"]["enum"]
    assert severity["type"] == "object" and severity["additionalProperties"]["type"] == "string"
    rules = default_registry().rules
    assert list(severity["properties"]) == [r.id for r in rules], "run scripts/update-vscode-manifest.py"
    for rule in rules:
        prop = severity["properties"][rule.id]
        assert prop == {"type": "string", "enum": levels,
                        "description": f"{rule.slug}: {rule.title} (default: {rule.severity.label})"}
    assert {Severity.parse(level) for level in levels} == set(Severity)  # every level the server knows
