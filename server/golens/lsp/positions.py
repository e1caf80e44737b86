"""Byte columns <-> client position units: the only place that knows about position encodings.

The engine speaks UTF-8 byte offsets; LSP `Position.character` counts code units of the encoding
negotiated at initialize (UTF-16 by default, UTF-8 for Neovim 0.11, UTF-32 for Emacs). Lines are
the editor's (Document.editor_lines: "\n", "\r\n" and a lone "\r" end a line), not Go's.

Out-of-range input never raises: a line past the end maps to the end of the document, a column
past the end of its line to the end of that line (the LSP spec's rule), and a column that falls
inside a character (half a surrogate pair, the middle of a multi-byte sequence) to that
character's start.
"""

import codecs
import re
from collections.abc import Iterator

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


def _char_start(line_text: bytes, byte_col: int) -> int:
    """`byte_col`, moved back to the start of the UTF-8 sequence it falls into (at most 3 bytes)."""
    back = 0
    while 0 < byte_col < len(line_text) and back < 3 and line_text[byte_col] & 0xC0 == 0x80:
        byte_col -= 1
        back += 1
    return byte_col


def _surrogates_then_bytes(error: UnicodeError) -> tuple[str | bytes, int]:
    """Decoding: a UTF-8-encoded lone surrogate (JSON lets a client send one; we store it with
    "surrogatepass") is that surrogate, one unit; any other invalid byte is a character of its
    own (only possible in a file read from disk)."""
    try:
        return codecs.lookup_error("surrogatepass")(error)
    except UnicodeError:
        return codecs.lookup_error("surrogateescape")(error)


codecs.register_error("golens-positions", _surrogates_then_bytes)


# UTF-8 encodings of surrogates (U+D800-U+DFFF).
_ENCODED_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")


def _text_codec(data: bytes) -> str:
    """The error handler that decodes `data` and encodes its prefixes back to the same bytes.
    Client text never has invalid bytes and a file on disk practically never an encoded
    surrogate; only a line with both would count a stray byte as three."""
    return "golens-positions" if _ENCODED_SURROGATE.search(data) else "surrogateescape"


def _units(text: str, encoding: str) -> int:
    if encoding == UTF32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# Conversions never loop over characters in Python: the ASCII stretches of a line are counted
# arithmetically and only its non-ASCII runs are decoded (in C). A 5 MB line with one non-ASCII
# character used to cost seconds per keystroke, and 1,000 findings on an 85 KB line 20 s.
# Invalid UTF-8 (only possible in a file read from disk) counts one unit per byte.
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")
# The regex engine scans bytes slowly (a 5 MB line: ~300 ms); isascii() on a chunk is a fast C
# loop, so only chunks that hold non-ASCII bytes are scanned.
_CHUNK = 4096


def _non_ascii_runs(data: bytes, end: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of every maximal run of non-ASCII bytes in data[:end], in order."""
    end = min(end, len(data))
    pending: tuple[int, int] | None = None
    for chunk_start in range(0, end, _CHUNK):
        chunk_end = min(chunk_start + _CHUNK, end)
        if data[chunk_start:chunk_end].isascii():
            continue
        for match in _NON_ASCII_RUN.finditer(data, chunk_start, chunk_end):
            if pending is not None and pending[1] == match.start():
                pending = (pending[0], match.end())  # a run that crosses the chunk boundary
                continue
            if pending is not None:
                yield pending
            pending = (match.start(), match.end())
    if pending is not None:
        yield pending


def _run_units(run: bytes, encoding: str) -> int:
    return _units(run.decode("utf-8", _text_codec(run)), encoding)


def _byte_in_run(run: bytes, column: int, encoding: str) -> int:
    """Byte offset of `column` units into a non-ASCII run (which has more than `column` units)."""
    codec = _text_codec(run)
    text = run.decode("utf-8", codec)
    if encoding == UTF32:
        prefix = text[:column]
    else:
        encoded = text.encode("utf-16-le", "surrogatepass")
        cut = min(2 * column, len(encoded))
        if 2 <= cut < len(encoded) and 0xD800 <= int.from_bytes(encoded[cut - 2:cut], "little") <= 0xDBFF \
                and 0xDC00 <= int.from_bytes(encoded[cut:cut + 2], "little") <= 0xDFFF:
            cut -= 2  # the column splits a surrogate pair: the character's start
        prefix = encoded[:cut].decode("utf-16-le", "surrogatepass")
    return len(prefix.encode("utf-8", "surrogatepass" if codec == "golens-positions" else codec))


def byte_col_to_client(line_text: bytes, byte_col: int, encoding: str) -> int:
    """Client units from the start of the line up to byte column `byte_col` (a column inside a
    character counts only the characters before it)."""
    byte_col = max(0, min(byte_col, len(line_text)))
    if encoding == UTF8:
        return byte_col
    end = _char_start(line_text, byte_col)
    units = end
    for start, stop in _non_ascii_runs(line_text, end):
        units -= stop - start - _run_units(line_text[start:stop], encoding)
    return units


def client_col_to_byte(line_text: bytes, column: int, encoding: str) -> int:
    """Byte column for `column` client units into the line: past the end of the line, the end of
    the line (the LSP rule); inside a character (half a surrogate pair, the middle of a UTF-8
    sequence), that character's start."""
    column = max(0, column)
    if encoding == UTF8:
        return _char_start(line_text, min(column, len(line_text)))
    units = 0
    position = 0
    # Every unit takes at most three bytes (an astral character: 4 bytes, 2 units), so the answer
    # lies in the first 3 * column + 3 bytes, whatever the line's length.
    for start, stop in _non_ascii_runs(line_text, 3 * column + 3):
        gap = start - position
        if units + gap >= column:
            break
        units += gap
        position = start
        run = line_text[start:stop]
        run_units = _run_units(run, encoding)
        if units + run_units > column:
            return position + _byte_in_run(run, column - units, encoding)
        units += run_units
        position = stop
    return min(position + column - units, len(line_text))


def offset_in(source: bytes, lines: LineIndex, position: types.Position, encoding: str) -> int:
    """Byte offset of a client position in `source`, whose editor LineIndex is `lines`
    (LineIndex.for_editor: a column past the end of a "\r\n" line is before the "\r")."""
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
        lines = self.doc.editor_lines
        line, byte_col = lines.position(offset)
        start = lines.line_start(line)
        # Only the text before the column matters (and the byte at it, to see a split character).
        line_text = self.doc.source[start:min(lines.line_end(line), start + byte_col + 1)]
        return types.Position(line=line, character=byte_col_to_client(line_text, byte_col, self.encoding))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(max(start, end)))

    def offset(self, position: types.Position) -> int:
        return offset_in(self.doc.source, self.doc.editor_lines, position, self.encoding)
