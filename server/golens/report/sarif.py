"""SARIF 2.1.0, as GitHub code scanning and other viewers read it."""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from golens import __version__
from golens.registry import Registry, Rule
from golens.report import LocatedFinding, Position

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}


def _region(start: Position, end: Position) -> dict:
    return {
        "startLine": start.line,
        "startColumn": start.column_utf16,
        "endLine": end.line,
        "endColumn": end.column_utf16,
    }


def _artifact(path: str) -> dict:
    p = Path(path)
    if p.is_absolute():
        return {"uri": p.as_uri()}
    return {"uri": p.as_posix(), "uriBaseId": "SRCROOT"}


def _rule_descriptor(rule: Rule) -> dict:
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.sections.get("What it does", rule.title)},
        "help": {"text": rule.sections.get("Why is this bad?", ""), "markdown": rule.body},
        "defaultConfiguration": {"level": _LEVELS[rule.severity.label], "enabled": rule.default_enabled},
        "properties": {"category": rule.category, "tags": ["concurrency", rule.category]},
    }


def build_sarif(findings: Iterable[LocatedFinding], registry: Registry, root: Path) -> dict:
    rules = registry.rules
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for f in findings:
        result = {
            "ruleId": f.rule,
            "level": _LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {"artifactLocation": _artifact(f.path), "region": _region(f.start, f.end)},
            }],
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        if f.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "message": {"text": r.message},
                    "physicalLocation": {"artifactLocation": _artifact(r.path), "region": _region(r.start, r.end)},
                }
                for i, r in enumerate(f.related)
            ]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "golens",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(rule) for rule in rules],
            }},
            "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    }


def write_sarif(findings: Iterable[LocatedFinding], out: TextIO, registry: Registry, root: Path) -> None:
    json.dump(build_sarif(findings, registry, root), out, indent=2, ensure_ascii=False)
    out.write("\n")
