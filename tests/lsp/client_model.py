"""A client's view of document synchronisation, written from the LSP specification alone (no
golens code), and an in-process golens server fed through its protocol object, so that random
edit sequences can be checked by the thousand: the property tests in test_sync_properties.py
and the soak in benchmarks/lsp_soak.py.

Client rules (what VS Code's TextDocument does, plus the one choice the spec leaves open):
lines end at "\\r\\n", "\\r" or "\\n"; a line past the end means the end of the document; a column
past the end of a line means the end of its content (before the terminator); a column that
falls inside a character (half a surrogate pair in UTF-16, inside a UTF-8 sequence) means that
character's start.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from golens.lsp.server import GolensServer, create_server

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _units(char: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(char.encode("utf-8", "surrogatepass"))
    if encoding == "utf-16":
        return 2 if ord(char) > 0xFFFF else 1
    return 1


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end of content) of every line, as str indices."""
    spans = []
    start = 0
    for match in LINE_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def index_of(text: str, line: int, character: int, encoding: str) -> int:
    spans = line_spans(text)
    if line >= len(spans):
        return len(text)
    start, end = spans[line]
    units = 0
    for index in range(start, end):
        width = _units(text[index], encoding)
        if units + width > character:
            return index
        units += width
    return end


def position_of(text: str, index: int, encoding: str) -> tuple[int, int]:
    spans = line_spans(text)
    for line, (start, end) in enumerate(spans):
        next_start = spans[line + 1][0] if line + 1 < len(spans) else len(text) + 1
        if index < next_start:
            return line, sum(_units(c, encoding) for c in text[start:min(index, end)])
    return len(spans) - 1, 0


@dataclass
class Change:
    """One content change: a range (line, character) pair, or None for the whole document."""

    start: tuple[int, int] | None
    end: tuple[int, int] | None
    text: str

    def as_json(self) -> dict[str, Any]:
        if self.start is None or self.end is None:
            return {"text": self.text}
        return {"range": {"start": {"line": self.start[0], "character": self.start[1]},
                          "end": {"line": self.end[0], "character": self.end[1]}}, "text": self.text}


def apply(text: str, change: Change, encoding: str) -> str:
    if change.start is None or change.end is None:
        return change.text
    start = index_of(text, *change.start, encoding)
    end = max(start, index_of(text, *change.end, encoding))
    return text[:start] + change.text + text[end:]


# Pieces random documents and insertions are made of: every line terminator, astral and
# multi-byte characters, and Go that golens has findings for (GL201 lost cancel, GL106 ticker).
PIECES = [
    "a", "b", " ", "\t", "\n", "\r\n", "\r", "é", "😀", "€", "x := 1\n", "}\n", "{\n", '"😀é"',
    "\tctx, _ := context.WithCancel(ctx)\n", "\tt := time.NewTicker(time.Second)\n\tfor range t.C {\n\t}\n",
    "func f(ctx context.Context) {\n", "// comment\r\n",
]

BASE = ("package p\n\nimport (\n\t\"context\"\n\t\"time\"\n)\n\n"
        "func f(ctx context.Context) {\n\t_ = \"é😀\"; ctx, _ := context.WithTimeout(ctx, time.Second)\n}\n")


def random_text(rng: random.Random, pieces: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(pieces))


def random_position(rng: random.Random, text: str, encoding: str) -> tuple[int, int]:
    spans = line_spans(text)
    roll = rng.random()
    if roll < 0.03:
        return len(spans) + rng.randint(0, 3), rng.randint(0, 5)  # past the last line
    line = rng.randrange(len(spans))
    start, end = spans[line]
    width = sum(_units(c, encoding) for c in text[start:end])
    if roll < 0.15:
        return line, width + rng.randint(1, 4)  # past the end of the line
    return line, rng.randint(0, width)  # may fall inside a surrogate pair or UTF-8 sequence


def random_changes(rng: random.Random, text: str, encoding: str) -> list[Change]:
    changes = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if rng.random() < 0.01:
            change = Change(None, None, BASE + random_text(rng, rng.randint(0, 4)))
        else:
            a = random_position(rng, text, encoding)
            b = a if rng.random() < 0.4 else random_position(rng, text, encoding)
            start, end = sorted((a, b))
            change = Change(start, end, random_text(rng, rng.choice((0, 0, 1, 1, 2, 3))))
        changes.append(change)
        text = apply(text, change, encoding)
    return changes


class _DiscardingWriter:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class InProcessSession:
    """golens's server without a transport; messages go through its protocol object exactly as
    they would arrive from the wire (JSON-decoded, then structured by the protocol)."""

    encoding: str
    server: GolensServer = field(default_factory=create_server)
    next_id: int = 0

    def _send(self, message: dict[str, Any]) -> None:
        protocol = self.server.protocol
        protocol.handle_message(json.loads(json.dumps(message), object_hook=protocol.structure_message))

    def initialize(self, root_uri: str) -> None:
        self.server.protocol.set_writer(_DiscardingWriter())
        self.next_id += 1
        capabilities = {"general": {"positionEncodings": [self.encoding]}}
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": "initialize",
                    "params": {"capabilities": capabilities, "rootUri": root_uri}})
        self._send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        assert self.server.encoding == self.encoding, (self.server.encoding, self.encoding)

    def open(self, uri: str, text: str) -> None:
        self._send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": text}}})

    def change(self, uri: str, version: int, changes: list[Change]) -> None:
        self._send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [c.as_json() for c in changes]}})

    def close(self, uri: str) -> None:
        self._send({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})

    def text(self, uri: str) -> str:
        opened = self.server.documents.get(uri)
        assert opened is not None, f"{uri} is not open in the server"
        return opened.doc.source.decode("utf-8", "surrogatepass")

    def diagnostics(self, uri: str) -> list[tuple[str, int, int, int, int]]:
        """(rule, start line, start character, end line, end character) of the current findings."""
        opened = self.server.documents.get(uri)
        assert opened is not None
        mapper = opened.mapper(self.server.encoding)
        found = []
        for finding in self.server.check(opened).findings:
            r = mapper.range(finding.start, finding.end)
            found.append((finding.rule, r.start.line, r.start.character, r.end.line, r.end.character))
        return sorted(found)


def run_in_loop(function: Any) -> Any:
    """Run `function()` inside an event loop (the server schedules its diagnostics there)."""

    async def body() -> Any:
        result = function()
        await asyncio.sleep(0)
        return result

    return asyncio.run(body())
