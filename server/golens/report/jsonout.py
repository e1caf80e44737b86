import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, TextIO

from golens.report import LocatedFinding


def findings_json(findings: Iterable[LocatedFinding]) -> list[dict[str, Any]]:
    """Positions 1-based, columns in bytes (`column`) and UTF-16 units; each finding's `fixes`
    (title, whether fix-all applies it, and its edits in the same positions)."""
    return [asdict(f) for f in findings]


def write_json(findings: Iterable[LocatedFinding], out: TextIO, envelope: dict[str, Any] | None = None) -> None:
    """One JSON array, or with `envelope` an object of its keys plus `findings`."""
    body: Any = findings_json(findings)
    if envelope is not None:
        body = {**envelope, "findings": body}
    # default=str: trace evidence may hold values JSON has no type for (paths).
    json.dump(body, out, indent=2, ensure_ascii=False, default=str)
    out.write("\n")
