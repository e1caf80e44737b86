"""Findings rendered for people and machines: text, JSON and SARIF 2.1.0.

Renderers take `LocatedFinding`s: findings already turned into 1-based lines and columns while
their document was at hand (byte columns, as Go tools print them, plus UTF-16 columns for SARIF).
"""

from dataclasses import dataclass

from golens.document import Document
from golens.findings import Finding
from golens.registry import Registry


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
class LocatedFinding:
    path: str
    rule: str
    slug: str
    severity: str
    message: str
    start: Position
    end: Position
    related: tuple[LocatedRelated, ...] = ()
    source: str = "golens"


def position(doc: Document, offset: int) -> Position:
    line, column = doc.lines.position(offset)
    prefix = doc.line_text(line)[:column].decode("utf-8", "replace")
    utf16 = len(prefix.encode("utf-16-le", "surrogatepass")) // 2
    return Position(line + 1, column + 1, utf16 + 1)


def locate(doc: Document, path: str, finding: Finding, registry: Registry) -> LocatedFinding:
    rule = registry.get(finding.rule)
    return LocatedFinding(
        path=path,
        rule=finding.rule,
        slug=rule.slug if rule else "",
        severity=finding.severity.label,
        message=finding.message,
        start=position(doc, finding.start),
        end=position(doc, finding.end),
        related=tuple(
            LocatedRelated(path, position(doc, r.start), position(doc, r.end), r.message)
            for r in finding.related if r.path is None
        ),
    )
