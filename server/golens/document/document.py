from dataclasses import dataclass
from functools import cached_property

import tree_sitter_go
from tree_sitter import Language, Parser, Tree

from golens.document.goversion import GoVersion, effective_go_version
from golens.document.header import FileHeader, build_expression, build_tag_go_version, is_generated, parse_header
from golens.document.lines import LineIndex
from golens.document.platforms import Platforms, platforms

GO_LANGUAGE = Language(tree_sitter_go.language())

# Past this size a file is not parsed: no hand-written Go file is this big, and parsing one would
# stall the editor for seconds. Overridable through configuration.
DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024


def too_large_reason(size: int, limit: int) -> str:
    return f"file is {size // 1024} KiB, above the {limit // 1024} KiB limit"


@dataclass(frozen=True)
class TextEdit:
    """Replace source[start:end] (byte offsets in the text as it is before this edit)."""

    start: int
    end: int
    new_text: bytes


class Document:
    """One Go file's text and tree, kept in step through incremental edits.

    Everything here is in bytes and byte offsets; the LSP layer converts client positions once.
    """

    def __init__(
        self,
        source: bytes | str,
        path: str | None = None,
        *,
        module_go_version: GoVersion | None = None,
        version: int = 0,
        max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ):
        self.path = path
        self.version = version
        self.module_go_version = module_go_version
        self.max_bytes = max_bytes
        self._parser = Parser(GO_LANGUAGE)
        self.tree: Tree | None = None
        self._set_source(_to_bytes(source))
        self._reparse(old_tree=None)

    # -- text ------------------------------------------------------------------------------------

    def _set_source(self, source: bytes) -> None:
        self.source = source
        self.lines = LineIndex(source)
        for cached in ("header", "skip_reason", "go_version", "is_generated", "editor_lines", "platforms"):
            self.__dict__.pop(cached, None)

    @cached_property
    def editor_lines(self) -> LineIndex:
        """Lines as editors and the LSP count them (also ended by "\r\n" and a lone "\r");
        `lines` counts them as Go and tree-sitter do."""
        return LineIndex.for_editor(self.source) if b"\r" in self.source else self.lines

    def line_text(self, line: int) -> bytes:
        return self.source[self.lines.line_start(line) : self.lines.line_end(line)]

    def apply_edits(self, edits: list[TextEdit], version: int | None = None) -> None:
        """Apply edits in order (each against the text left by the previous one), then reparse
        once, reusing the edited old tree so that tree-sitter only re-lexes what changed."""
        source = self.source
        # A copy (cheap: subtrees are shared) keeps the old tree intact for a snapshot() that a
        # background check may still be reading.
        tree = self.tree.copy() if self.tree is not None else None
        for edit in edits:
            start = max(0, min(edit.start, len(source)))
            end = max(start, min(edit.end, len(source)))
            if tree is not None:
                lines = LineIndex(source) if source is not self.source else self.lines
                start_point = lines.position(start)
                old_end_point = lines.position(end)
                tree.edit(
                    start_byte=start,
                    old_end_byte=end,
                    new_end_byte=start + len(edit.new_text),
                    start_point=start_point,
                    old_end_point=old_end_point,
                    new_end_point=_end_point(start_point, edit.new_text),
                )
            source = source[:start] + edit.new_text + source[end:]
        self._set_source(source)
        if version is not None:
            self.version = version
        self._reparse(old_tree=tree)

    def snapshot(self) -> "Document":
        """This version of the document, unaffected by later edits of this one (text and tree are
        never modified in place), for checking it on another thread."""
        copy = Document.__new__(Document)
        copy.__dict__.update(self.__dict__)
        copy._parser = Parser(GO_LANGUAGE)
        return copy

    def replace_text(self, source: bytes | str, version: int | None = None) -> None:
        self._set_source(_to_bytes(source))
        if version is not None:
            self.version = version
        self._reparse(old_tree=None)

    def _reparse(self, old_tree: Tree | None) -> None:
        if self.skip_reason is not None:
            self.tree = None
            return
        if old_tree is not None:
            self.tree = self._parser.parse(self.source, old_tree)
        else:
            self.tree = self._parser.parse(self.source)

    # -- facts -----------------------------------------------------------------------------------

    @cached_property
    def is_generated(self) -> bool:
        return is_generated(self.source)

    @cached_property
    def skip_reason(self) -> str | None:
        """Why this document is not checked at all, or None."""
        if len(self.source) > self.max_bytes:
            return too_large_reason(len(self.source), self.max_bytes)
        if b"\x00" in self.source[:8192]:
            return "file looks binary (it contains NUL bytes)"
        if self.is_generated:
            return "generated file (// Code generated ... DO NOT EDIT.)"
        return None

    @cached_property
    def header(self) -> FileHeader:
        if self.tree is None:
            return FileHeader(package=None)
        return parse_header(self.tree.root_node)

    @cached_property
    def go_version(self) -> GoVersion | None:
        return effective_go_version(self.module_go_version, build_tag_go_version(self.source))

    @cached_property
    def platforms(self) -> Platforms:
        """The GOOS/GOARCH this file can be built for (its name and `//go:build` line)."""
        return platforms(self.path, build_expression(self.source))

    @property
    def is_test_file(self) -> bool:
        return bool(self.path) and self.path.endswith("_test.go")


def _to_bytes(source: bytes | str) -> bytes:
    if isinstance(source, bytes):
        return source
    # Lone surrogates can arrive through JSON; keep the byte count stable instead of failing.
    return source.encode("utf-8", "surrogatepass")


def _end_point(start_point: tuple[int, int], inserted: bytes) -> tuple[int, int]:
    newlines = inserted.count(b"\n")
    if newlines == 0:
        return start_point[0], start_point[1] + len(inserted)
    return start_point[0] + newlines, len(inserted) - inserted.rfind(b"\n") - 1
