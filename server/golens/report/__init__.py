"""Findings rendered for people and machines: text, JSON and SARIF 2.1.0.

Renderers take `LocatedFinding`s: findings already turned into 1-based lines and columns while
their document was at hand (byte columns, as Go tools print them, plus UTF-16 columns for SARIF),
with their quick fixes' edits located the same way.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from golens.document import Document
from golens.evidence.merge import RUNTIME_SOURCES, file_lines
from golens.findings import Finding
from golens.fixes import Fix
from golens.registry import Registry

STATIC_SOURCE = "golens"  # the `source` of static findings; runtime evidence has evidence.merge's


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based, bytes
    column_utf16: int  # 1-based, UTF-16 code units


@dataclass(frozen=True)
class LocatedRelated:
    path: str
    start: Position
    end: Position
    message: str


@dataclass(frozen=True)
class LocatedEdit:
    """Replace the text from `start` to `end` (in the finding's file) with `new_text`."""

    start: Position
    end: Position
    new_text: str


@dataclass(frozen=True)
class LocatedFix:
    title: str
    preferred: bool  # fix-all (`golens check --fix`) applies only preferred fixes
    edits: tuple[LocatedEdit, ...]


@dataclass(frozen=True)
class LocatedFinding:
    path: str
    rule: str
    slug: str
    severity: str
    message: str
    start: Position
    end: Position
    related: tuple[LocatedRelated, ...] = ()
    source: str = STATIC_SOURCE
    # What the trace or a profile saw (GT, GP findings), or the evidence folded into a static finding.
    evidence: Any = None
    fixes: tuple[LocatedFix, ...] = ()


def position(doc: Document, offset: int) -> Position:
    line, column = doc.lines.position(offset)
    prefix = doc.line_text(line)[:column].decode("utf-8", "replace")
    utf16 = len(prefix.encode("utf-16-le", "surrogatepass")) // 2
    return Position(line + 1, column + 1, utf16 + 1)


def position_in_file(path: Path, offset: int) -> Position | None:
    """A position in a file other than the finding's (runtime evidence points across files)."""
    try:
        data, lines = file_lines(str(path), path.stat().st_mtime_ns)
    except OSError:
        return None
    line, column = lines.position(offset)
    prefix = data[lines.line_start(line):offset].decode("utf-8", "replace")
    return Position(line + 1, column + 1, len(prefix.encode("utf-16-le", "surrogatepass")) // 2 + 1)


def locate(doc: Document, path: str, finding: Finding, registry: Registry, *,
           display: Callable[[Path], str] | None = None, fixes: Iterable[Fix] = ()) -> LocatedFinding:
    """`finding` of `doc` (shown as `path`) in lines and columns. Related locations in other files
    are kept when `display` says how to show their paths."""
    rule = registry.get(finding.rule)
    related = []
    for r in finding.related:
        if r.path is None:
            related.append(LocatedRelated(path, position(doc, r.start), position(doc, r.end), r.message))
        elif display is not None:
            other = Path(r.path)
            start, end = position_in_file(other, r.start), position_in_file(other, r.end)
            if start is not None and end is not None:
                related.append(LocatedRelated(display(other), start, end, r.message))
    data = finding.data or {}
    runtime = data.get("source") in RUNTIME_SOURCES
    return LocatedFinding(
        path=path,
        rule=finding.rule,
        slug=rule.slug if rule else "",
        severity=finding.severity.label,
        message=finding.message,
        start=position(doc, finding.start),
        end=position(doc, finding.end),
        related=tuple(related),
        source=data["source"] if runtime else STATIC_SOURCE,
        # Folded trace evidence and evidence quoted from a related line alike (each names its line).
        evidence=data.get("evidence") if runtime else ([*data.get("trace", ()), *data.get("trace_related", ())] or None),
        fixes=tuple(
            LocatedFix(fix.title, fix.preferred, tuple(
                LocatedEdit(position(doc, e.start), position(doc, e.end), e.new_text.decode("utf-8", "replace"))
                for e in fix.edits))
            for fix in fixes),
    )
