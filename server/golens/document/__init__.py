"""The document model: Go source bytes, an incrementally maintained tree-sitter tree, a line
index and the file-level facts (package, imports, Go version, generated/test file) rules need."""

from golens.document.document import Document, TextEdit
from golens.document.goversion import GoVersion, find_module_go_version
from golens.document.header import FileHeader, parse_header
from golens.document.lines import LineIndex

__all__ = [
    "Document",
    "TextEdit",
    "LineIndex",
    "FileHeader",
    "parse_header",
    "GoVersion",
    "find_module_go_version",
]
