"""Byte columns <-> client units, checked against Python's own encoders on awkward lines."""

import pytest
from lsprotocol import types

from golens.document import Document
from golens.lsp.positions import PositionMapper, byte_col_to_client, client_col_to_byte

LINES = [
    "",
    "plain ascii",
    '\t_ = "é😀"; return errors.New("Bad thing")',
    "😀😀😀",
    "日本語のコメント // 👍🏽 skin tone (two code points)",
    "e\u0301 combining accent, \u2028 line separator inside",
    "\uffff edge of the BMP, \U00010000 first astral",
]


def oracle(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode())
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
@pytest.mark.parametrize("line", LINES)
def test_every_character_boundary_round_trips(line, encoding):
    data = line.encode()
    for index in range(len(line) + 1):
        byte_col = len(line[:index].encode())
        client_col = oracle(line[:index], encoding)
        assert byte_col_to_client(data, byte_col, encoding) == client_col
        assert client_col_to_byte(data, client_col, encoding) == byte_col


def test_columns_inside_a_character_snap_to_its_start():
    data = "a😀b".encode()
    # UTF-16 column 2 is between the two surrogates of 😀 (which starts at column 1, byte 1).
    assert client_col_to_byte(data, 2, "utf-16") == 1
    # UTF-8 column 3 is inside the emoji's four bytes.
    assert client_col_to_byte(data, 3, "utf-8") == 1
    # A byte column inside the emoji counts only the characters before it.
    assert byte_col_to_client(data, 3, "utf-16") == 1


def test_out_of_range_columns_clamp_to_the_line_end():
    data = "é😀".encode()
    for encoding in ("utf-8", "utf-16", "utf-32"):
        assert client_col_to_byte(data, 10_000, encoding) == len(data)
        assert byte_col_to_client(data, 10_000, encoding) == oracle("é😀", encoding)


def test_invalid_utf8_bytes_count_one_unit_each():
    data = b"a\xff\xfeb"
    assert byte_col_to_client(data, 3, "utf-16") == 3
    assert client_col_to_byte(data, 3, "utf-32") == 3


def test_mapper_positions_past_the_end_of_the_document():
    doc = Document("package p\n\nvar s = \"é\"\n", "p.go")
    mapper = PositionMapper(doc, "utf-16")
    assert mapper.offset(types.Position(line=99, character=0)) == len(doc.source)
    assert mapper.offset(types.Position(line=2, character=99)) == doc.lines.line_end(2)
    end = mapper.position(len(doc.source) + 50)
    assert (end.line, end.character) == (3, 0)


def test_long_lines_with_runs_across_scan_chunks():
    """Non-ASCII runs straddling the 4 KiB chunks of the ASCII scan convert like a character walk."""
    import random

    from client_model import index_of, position_of

    rng = random.Random(7)
    for _ in range(40):
        pieces = []
        while sum(len(p) for p in pieces) < 9000:
            pieces.append(rng.choice(["a" * rng.randint(1, 3000), "é", "😀€", "日本語", "\udcff"]))
        line = "".join(pieces)
        data = line.encode("utf-8", "surrogatepass")
        for encoding in ("utf-8", "utf-16", "utf-32"):
            for index in sorted(rng.sample(range(len(line) + 1), 20)) + [len(line)]:
                byte = len(line[:index].encode("utf-8", "surrogatepass"))
                column = position_of(line, index, encoding)[1]
                assert byte_col_to_client(data, byte, encoding) == column
                assert client_col_to_byte(data, column, encoding) == byte
                assert index_of(line, 0, column, encoding) == index
