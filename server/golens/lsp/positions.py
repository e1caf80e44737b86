"""Byte columns <-> client position units: the only place that knows about position encodings.

The engine speaks UTF-8 byte offsets; LSP `Position.character` counts code units of the encoding
negotiated at initialize (UTF-16 by default, UTF-8 for Neovim 0.11, UTF-32 for Emacs). A column
is converted on the text of its own line, so the cost is proportional to the line, not the file.

Out-of-range input never raises: a line past the end maps to the end of the document, a column
past the end of its line to the end of that line (the LSP spec's rule), and a column that falls
inside a character (half a surrogate pair, the middle of a multi-byte sequence) to that
character's start.
"""

from lsprotocol import types

from golens.document import Document
from golens.document.lines import LineIndex

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def normalize_encoding(encoding) -> str:
    """The negotiated encoding as one of our three names (pygls hands us a str-enum or None)."""
    value = str(getattr(encoding, "value", encoding) or UTF16).lower()
    return value if value in (UTF8, UTF16, UTF32) else UTF16


def _char_len(lead: int) -> int:
    """Bytes in the UTF-8 sequence starting with `lead`. A stray continuation or invalid byte
    counts as a character of its own: such bytes cannot come from a JSON client, only from a
    file read from disk, and must not break conversion."""
    if lead < 0x80:
        return 1
    if 0xC0 <= lead < 0xE0:
        return 2
    if 0xE0 <= lead < 0xF0:
        return 3
    if 0xF0 <= lead < 0xF8:
        return 4
    return 1


def _walk(line_text: bytes, encoding: str):
    """(byte column, client column) at the start of every character, then at the line end."""
    byte = 0
    units = 0
    size = len(line_text)
    while byte < size:
        yield byte, units
        width = min(_char_len(line_text[byte]), size - byte)
        byte += width
        if encoding == UTF8:
            units += width
        elif encoding == UTF16 and width == 4:
            units += 2  # astral characters are a surrogate pair in UTF-16
        else:
            units += 1
    yield size, units


def byte_col_to_client(line_text: bytes, byte_col: int, encoding: str) -> int:
    """Client units from the start of the line up to byte column `byte_col`."""
    byte_col = max(0, min(byte_col, len(line_text)))
    if encoding == UTF8 or line_text.isascii():
        return byte_col
    result = 0
    # A byte column inside a character (tree-sitter never produces one) counts only the
    # characters that start at or before it.
    for byte, units in _walk(line_text, encoding):
        if byte > byte_col:
            break
        result = units
    return result


def client_col_to_byte(line_text: bytes, column: int, encoding: str) -> int:
    """Byte column for `column` client units into the line, clamped to the line's length."""
    column = max(0, column)
    if line_text.isascii():
        return min(column, len(line_text))
    result = 0
    for byte, units in _walk(line_text, encoding):
        if units > column:
            break
        result = byte
    return result


def offset_in(source: bytes, lines: LineIndex, position: types.Position, encoding: str) -> int:
    """Byte offset of a client position in `source` (whose LineIndex is `lines`)."""
    if position.line >= lines.line_count:
        return lines.size
    start = lines.line_start(position.line)
    line_text = source[start:lines.line_end(position.line)]
    return start + client_col_to_byte(line_text, position.character, encoding)


class PositionMapper:
    """Converts between one document's byte offsets and LSP positions in one encoding."""

    __slots__ = ("doc", "encoding")

    def __init__(self, doc: Document, encoding: str):
        self.doc = doc
        self.encoding = encoding

    def position(self, offset: int) -> types.Position:
        line, byte_col = self.doc.lines.position(offset)
        if self.encoding != UTF8:
            byte_col = byte_col_to_client(self.doc.line_text(line), byte_col, self.encoding)
        return types.Position(line=line, character=byte_col)

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(max(start, end)))

    def offset(self, position: types.Position) -> int:
        return offset_in(self.doc.source, self.doc.lines, position, self.encoding)
