#!/usr/bin/env python3
"""Writes the rule list into vscode-client/package.json's `golens.severity` schema (one property per
rule, so VS Code's settings editor offers the rule ids). Run after adding or renaming a rule;
tests/vscode/test_manifest.py fails until then."""

import json
from pathlib import Path

from golens.registry import default_registry

MANIFEST = Path(__file__).resolve().parents[1] / "vscode-client" / "package.json"


def main() -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    for section in manifest["contributes"]["configuration"]:
        severity = section["properties"].get("golens.severity")
        if severity is None:
            continue
        levels = severity["additionalProperties"]["enum"]
        severity["properties"] = {
            rule.id: {"type": "string", "enum": levels,
                      "description": f"{rule.slug}: {rule.title} (default: {rule.severity.label})"}
            for rule in default_registry().rules
        }
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
