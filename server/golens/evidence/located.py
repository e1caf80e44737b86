"""Trace-aware findings for the CLI reports: related locations in other files, the evidence kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golens.document import Document
from golens.findings import Finding
from golens.registry import Registry
from golens.report import LocatedFinding, LocatedRelated, Position, position

from .merge import RUNTIME_SOURCES, file_lines


@dataclass(frozen=True)
class EvidenceLocatedFinding(LocatedFinding):
    # What the trace saw (GT findings) or the trace evidence folded into a static finding.
    evidence: Any = None


def _position_in_file(path: Path, offset: int) -> Position | None:
    try:
        data, lines = file_lines(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
    line, column = lines.position(offset)
    prefix = data[lines.line_start(line):offset].decode("utf-8", "replace")
    return Position(line + 1, column + 1, len(prefix.encode("utf-16-le", "surrogatepass")) // 2 + 1)


def locate_with_evidence(doc: Document, shown: str, f: Finding, registry: Registry,
                         display: Callable[[Path], str]) -> LocatedFinding:
    rule = registry.get(f.rule)
    related = []
    for r in f.related:
        if r.path is None:
            related.append(LocatedRelated(shown, position(doc, r.start), position(doc, r.end), r.message))
        else:
            p = Path(r.path)
            a, b = _position_in_file(p, r.start), _position_in_file(p, r.end)
            if a is not None and b is not None:
                related.append(LocatedRelated(display(p), a, b, r.message))
    data = f.data or {}
    is_trace = data.get("source") in RUNTIME_SOURCES
    evidence = data.get("evidence") if is_trace else data.get("trace")
    return EvidenceLocatedFinding(
        path=shown,
        rule=f.rule,
        slug=rule.slug if rule else "",
        severity=f.severity.label,
        message=f.message,
        start=position(doc, f.start),
        end=position(doc, f.end),
        related=tuple(related),
        source=data["source"] if is_trace else "golens",
        evidence=evidence,
    )
