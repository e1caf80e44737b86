"""In-source suppression comments.

    x := f() //golens:ignore GL201 the caller cancels
    //golens:ignore GL201,GL106 reason       (on the line before the statement)
    //nolint:golens                          (every golens rule)
    //nolint:lost-cancel,errcheck            (rules by slug; other linters' names are ignored)
    //nolint                                 (everything, as golangci-lint reads it)
"""

import re
from dataclasses import dataclass

from tree_sitter import Node

from golens.document import Document

_DIRECTIVE = re.compile(rb"//\s*(?:golens:ignore\s+([\w,-]+)|nolint(?::([\w,-]+))?)")
ALL = "*"

_STATEMENT_LIKE = ("_statement", "_declaration", "_spec")


@dataclass
class Suppressions:
    by_line: dict[int, set[str]]

    @classmethod
    def scan(cls, doc: Document) -> "Suppressions":
        by_line: dict[int, set[str]] = {}
        source = doc.source
        if b"golens:ignore" not in source and b"nolint" not in source:
            return cls(by_line)
        for match in _DIRECTIVE.finditer(source):
            line, _ = doc.lines.position(match.start())
            names = match[1] or match[2]
            if match[0].lstrip(b"/ ").startswith(b"nolint") and names is None:
                tokens = {ALL}
            else:
                tokens = {t.strip().decode().lower() for t in names.split(b",") if t.strip()}
                if "golens" in tokens:
                    tokens.add(ALL)
            by_line.setdefault(line, set()).update(tokens)
        return cls(by_line)

    def _line_matches(self, line: int, keys: set[str]) -> bool:
        tokens = self.by_line.get(line)
        if not tokens:
            return False
        return ALL in tokens or not tokens.isdisjoint(keys)

    def suppresses(self, doc: Document, rule_id: str, slug: str, start: int) -> bool:
        if not self.by_line:
            return False
        keys = {rule_id.lower(), slug.lower()}
        line, _ = doc.lines.position(start)
        statement = _enclosing_statement(doc, start)
        statement_line = statement.start_point[0] if statement is not None else line
        anchors = {line, statement_line}
        if any(self._line_matches(anchor, keys) for anchor in anchors):
            return True
        # A directive on the line above counts only when that line holds nothing but comments.
        return any(
            self._line_matches(anchor - 1, keys) and _comment_only(doc.line_text(anchor - 1))
            for anchor in anchors
        )


def _comment_only(line: bytes) -> bool:
    return line.lstrip().startswith(b"//")


def _enclosing_statement(doc: Document, offset: int) -> Node | None:
    if doc.tree is None:
        return None
    node = doc.tree.root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.parent is not None:
        if node.type.endswith(_STATEMENT_LIKE) and node.parent.type in ("statement_list", "source_file", "block"):
            return node
        node = node.parent
    return None
