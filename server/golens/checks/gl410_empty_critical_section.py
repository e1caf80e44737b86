"""GL410 empty-critical-section: `mu.Lock()` immediately followed by `mu.Unlock()`."""

from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.facts import Fact
from golens.syntax.paths import statements_of
from golens.syntax.sync import RELEASE_OF, lock_op, statement_call, summarize_sync


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> Iterator[Report]:
    for block in (*unit.nodes("block"), *unit.nodes("expression_case"), *unit.nodes("communication_case"),
                  *unit.nodes("default_case"), *unit.nodes("type_case")):
        statements = statements_of(block)
        for first, second in zip(statements, statements[1:], strict=False):
            if first.type != "expression_statement" or second.type != "expression_statement":
                continue
            acquire_call, release_call = statement_call(first), statement_call(second)
            acquire = lock_op(acquire_call, unit) if acquire_call is not None else None
            release = lock_op(release_call, unit) if release_call is not None else None
            if acquire is None or release is None or acquire.key != release.key:
                continue
            if RELEASE_OF.get(acquire.method) != release.method:
                continue
            if _comment_between(first, second) or _comment_above(first, unit):
                continue  # a comment right above or between the two says the author means it
            yield unit.report(
                first,
                f"empty critical section: {acquire.key}.{acquire.method}() is followed at once by "
                f"{acquire.key}.{release.method}(), so the lock protects nothing; if this waits for "
                f"another goroutine to release {acquire.key}, use a channel or sync.WaitGroup, which "
                f"say so",
                related=((second, f"{acquire.key} released here"),),
            )


def _comment_between(first: Node, second: Node) -> bool:
    sibling = first.next_sibling
    while sibling is not None and sibling != second:
        if sibling.type == "comment" and sibling.start_point[0] > first.end_point[0]:
            return True
        sibling = sibling.next_sibling
    return False


def _comment_above(statement: Node, unit: Unit) -> bool:
    row = statement.start_point[0] - 1
    return any(c.end_point[0] == row and c.start_point[1] <= statement.start_point[1] for c in unit.nodes("comment"))
