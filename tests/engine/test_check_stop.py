"""A check stops at its cancellation points (between declarations, between rules) when its
caller's `stop` says so (the editor's newer text, the per-file budget), and what it left in the
cache is whole: the next check finds exactly what a fresh one does."""

import pytest

from golens.document import Document
from golens.engine import CheckStopped, Engine, UnitCache
from testsupport import FIXTURES

FILES = sorted(FIXTURES.rglob("*.go"), key=lambda p: p.stat().st_size)[-6:]


def _stop_after(asks: int):
    count = 0

    def stop() -> bool:
        nonlocal count
        count += 1
        return count > asks

    return stop


def _shape(result):
    return [(f.rule, f.start, f.end, f.message) for f in result.findings]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_stopped_check_leaves_a_cache_the_next_check_can_trust(engine: Engine, path):
    doc = Document(path.read_bytes(), str(path))
    expected = _shape(engine.check(doc))
    assert expected, "a fixture with findings"
    for asks in (0, 1, 3, 10, 40, 200):
        cache = UnitCache()
        try:
            engine.check(doc, cache, stop=_stop_after(asks))
        except CheckStopped:
            pass
        assert _shape(engine.check(doc, cache)) == expected, asks


def test_stop_is_asked_between_the_rules_of_one_huge_declaration(engine: Engine):
    source = "package p\n\nfunc f() {\n" + "go func() {\n" * 300 + "}()\n" * 300 + "}\n"
    asked = 0

    def stop() -> bool:
        nonlocal asked
        asked += 1
        return asked > 5

    with pytest.raises(CheckStopped):
        engine.check(Document(source.encode(), "huge.go"), UnitCache(), stop=stop)
    assert asked == 6  # the summary's ask, then one per rule until the sixth
