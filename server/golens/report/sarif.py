"""SARIF 2.1.0, as GitHub code scanning and other viewers read it."""

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote_from_bytes

from golens import __version__
from golens.registry import Registry, Rule
from golens.report import STATIC_SOURCE, LocatedFinding, LocatedFix, Position

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}


def _region(start: Position, end: Position) -> dict[str, int]:
    return {
        "startLine": start.line,
        "startColumn": start.column_utf16,
        "endLine": end.line,
        "endColumn": end.column_utf16,
    }


def _artifact(path: str) -> dict[str, str]:
    p = Path(path)
    if p.is_absolute():
        return {"uri": p.as_uri()}
    # A URI reference (RFC 3986): the file name's bytes percent-encoded, so that a name that is
    # not UTF-8, a space, `#` or `%` still names the file.
    return {"uri": quote_from_bytes(_name_bytes(p.as_posix()), safe="/"), "uriBaseId": "SRCROOT"}


_ESCAPED = re.compile(r"\\(x[0-9a-f]{2}|[ntr])")
_NAMED = {"n": 0x0A, "t": 0x09, "r": 0x0D}


def _name_bytes(shown: str) -> bytes:
    """The bytes of a file name as `workspace_files.printable` shows it: its `\\xNN` are the
    bytes that are not UTF-8 (or control characters), `\\n`/`\\t`/`\\r` control characters."""
    parts: list[bytes] = []
    last = 0
    for match in _ESCAPED.finditer(shown):
        parts.append(os.fsencode(shown[last:match.start()]))
        code = match[1]
        parts.append(bytes([_NAMED[code] if code in _NAMED else int(code[1:], 16)]))
        last = match.end()
    parts.append(os.fsencode(shown[last:]))
    return b"".join(parts)


def _fix(path: str, fix: LocatedFix) -> dict[str, Any]:
    """SARIF's fix object; `preferred` (what fix-all applies) has no SARIF field: a property."""
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{
            "artifactLocation": _artifact(path),
            "replacements": [
                {"deletedRegion": _region(e.start, e.end), "insertedContent": {"text": e.new_text}}
                for e in fix.edits
            ],
        }],
        "properties": {"preferred": fix.preferred},
    }


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.sections.get("What it does", rule.title)},
        "help": {"text": rule.sections.get("Why is this bad?", ""), "markdown": rule.body},
        "defaultConfiguration": {"level": _LEVELS[rule.severity.label], "enabled": rule.default_enabled},
        "properties": {"category": rule.category, "tags": ["concurrency", rule.category]},
    }


def build_sarif(findings: Iterable[LocatedFinding], registry: Registry, root: Path,
                run_properties: dict[str, Any] | None = None) -> dict[str, Any]:
    rules = registry.rules
    index = {rule.id: i for i, rule in enumerate(rules)}
    results = []
    for f in findings:
        result: dict[str, Any] = {
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
        if f.fixes:
            result["fixes"] = [_fix(f.path, fix) for fix in f.fixes]
        if f.source != STATIC_SOURCE or f.evidence:
            result["properties"] = {"source": f.source, **({"evidence": f.evidence} if f.evidence else {})}
        results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "golens",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_rule_descriptor(rule) for rule in rules],
        }},
        "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
        "columnKind": "utf16CodeUnits",
        "results": results,
    }
    if run_properties:
        run["properties"] = run_properties
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def write_sarif(findings: Iterable[LocatedFinding], out: TextIO, registry: Registry, root: Path,
                run_properties: dict[str, Any] | None = None) -> None:
    # default=str: trace evidence may hold values JSON has no type for (paths).
    json.dump(build_sarif(findings, registry, root, run_properties), out, indent=2, ensure_ascii=False, default=str)
    out.write("\n")
