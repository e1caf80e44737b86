"""Property: after any sequence of edits (CRLF, lone CR, astral characters, columns past the end
of a line or inside a character, several changes per notification), the server's text is the
client's, and its diagnostics are those of a fresh open of the same text."""

import random

import pytest
from client_model import BASE, Change, InProcessSession, apply, random_changes, run_in_loop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENCODINGS = ("utf-16", "utf-8", "utf-32")


def _edit_session(tmp_path, encoding: str, seed: int, notifications: int) -> None:
    rng = random.Random(seed)
    session = InProcessSession(encoding)
    session.initialize(tmp_path.as_uri())
    uri = (tmp_path / "a.go").as_uri()
    text = BASE
    session.open(uri, text)
    for version in range(2, notifications + 2):
        changes = random_changes(rng, text, encoding)
        for change in changes:
            text = apply(text, change, encoding)
        session.change(uri, version, changes)
        assert session.text(uri) == text, (seed, version, [c.as_json() for c in changes])
    fresh = (tmp_path / "fresh.go").as_uri()
    session.open(fresh, text)
    assert session.diagnostics(uri) == session.diagnostics(fresh), seed


@pytest.mark.parametrize("encoding", ENCODINGS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2 ** 32))
def test_random_edit_sequences_keep_server_and_client_in_step(tmp_path, encoding, seed):
    run_in_loop(lambda: _edit_session(tmp_path, encoding, seed, notifications=25))


@pytest.mark.parametrize(("encoding", "text", "change", "expected"), [
    # A column past the end of a CRLF line is the end of its content, before the "\r".
    ("utf-16", "ab\r\ncd", Change((0, 9), (0, 9), "X"), "abX\r\ncd"),
    # A lone "\r" ends a line: line 1 is "cd".
    ("utf-16", "ab\rcd\n", Change((1, 1), (1, 1), "X"), "ab\rcXd\n"),
    # Past the end of the last line: the end of the document (not before its last character).
    ("utf-16", "ab\ncd", Change((1, 7), (1, 7), "X"), "ab\ncdX"),
    # Inside a surrogate pair: the character's start, in both changes of one notification.
    ("utf-16", "a😀b", Change((0, 2), (0, 3), "X"), "aXb"),
    # Inside a UTF-8 sequence: the character's start.
    ("utf-8", "aéb", Change((0, 2), (0, 3), "X"), "aXb"),
    ("utf-32", "a😀b\r\n", Change((0, 2), (0, 40), "X"), "a😀X\r\n"),
])
def test_position_rules(tmp_path, encoding, text, change, expected):
    assert apply(text, change, encoding) == expected  # the model itself follows the rules

    def scenario() -> None:
        session = InProcessSession(encoding)
        session.initialize(tmp_path.as_uri())
        uri = (tmp_path / "a.go").as_uri()
        session.open(uri, text)
        session.change(uri, 2, [change, Change((0, 0), (0, 0), "")])
        assert session.text(uri) == expected

    run_in_loop(scenario)


def test_diagnostics_below_a_lone_cr_are_on_the_editor_line(tmp_path):
    text = BASE.replace("package p\n", "package p\r// a comment ending in a lone CR\r", 1)

    def scenario() -> None:
        session = InProcessSession("utf-16")
        session.initialize(tmp_path.as_uri())
        uri = (tmp_path / "a.go").as_uri()
        session.open(uri, text)
        [(rule, line, _, _, _)] = session.diagnostics(uri)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        assert rule == "GL201" and "WithTimeout" in lines[line]

    run_in_loop(scenario)
