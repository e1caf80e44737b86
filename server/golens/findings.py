"""Findings: what a check reports, in byte offsets of the checked document (no LSP types)."""

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    # Same numbering as LSP's DiagnosticSeverity, so the LSP face converts without a table.
    ERROR = 1
    WARNING = 2
    INFORMATION = 3
    HINT = 4

    @classmethod
    def parse(cls, text: str) -> "Severity":
        key = text.strip().upper()
        aliases = {"INFO": "INFORMATION", "WARN": "WARNING"}
        try:
            return cls[aliases.get(key, key)]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning, information or hint)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Related:
    """A second location that explains a finding: same document unless `path` is set."""

    start: int
    end: int
    message: str
    path: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    start: int
    end: int
    message: str
    severity: Severity
    related: tuple[Related, ...] = ()
    # Position-free facts a fix needs (names, chosen variant): fixes recompute every range from
    # the current tree, so nothing here goes stale when text moves.
    data: dict[str, Any] | None = field(default=None, hash=False, compare=False)
