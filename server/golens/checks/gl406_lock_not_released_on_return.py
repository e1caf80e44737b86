from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.facts import Fact
from golens.syntax.held import functions_with_locks, hands_off, shared_locks
from golens.syntax.paths import GiveUp, PathScan
from golens.syntax.sync import RELEASE_OF, Releases, lock_op, releases, summarize_sync
from golens.syntax.unit import walk_named


class GL406Data(TypedDict, total=False):
    """What GL406 hands its fix."""

    lock: str  # the lock expression, `s.mu`
    unlock: str  # Unlock or RUnlock


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> Iterator[Report]:
    for function, locks in functions_with_locks(unit):
        if function.has_error or hands_off(function, unit):
            continue
        for lock in locks:
            statement = lock.parent
            if statement is None or statement.type != "expression_statement" or \
                    statement.parent is None or statement.parent.type != "statement_list":
                continue  # `if mu.TryLock()`-like or nested use: not a plain critical section
            key, method, _ = lock_op(lock, unit)
            if key in shared_locks(unit):
                continue  # locked here, unlocked by another goroutine: a signal, not a critical section
            # Lock pairs with Unlock and RLock with RUnlock, on the same expression: `r.mu.Unlock()`
            # does not end `r.client.mu.RLock()`'s critical section.
            unlock = RELEASE_OF[method]
            rest = _following(statement)
            if rest and rest[0].type == "defer_statement" and releases(rest[0], key, unlock):
                continue
            if _deferred_release_before(function, lock, key, unlock):
                continue  # an earlier `defer mu.Unlock()` also covers this re-acquisition
            if not _unlocks_somewhere(function, key, unit):
                continue  # never released here: the caller owns the lock (a hand-off)
            scan = PathScan(Releases(key, unlock))
            try:
                scan.scan(rest)
            except GiveUp:
                continue
            for exit_node in scan.exits:
                yield unit.report(
                    exit_node,
                    f"this return leaves {key} locked: {key}.{method}() has no matching "
                    f"{key}.{unlock}() on this path, so the next {method} deadlocks",
                    related=((lock, f"{key} locked here"),),
                    data=GL406Data(lock=key, unlock=unlock),
                )


def _following(statement: Node) -> list[Node]:
    siblings = [s for s in statement.parent.named_children if s.type != "comment"]
    return siblings[siblings.index(statement) + 1:]


def _deferred_release_before(function: Node, lock: Node, key: str, unlock: str) -> bool:
    body = function.child_by_field_name("body")
    for node in walk_named(body, skip_function_literals=True) if body is not None else ():
        if node.start_byte >= lock.start_byte:
            return False
        if node.type == "defer_statement" and releases(node, key, unlock):
            return True
    return False


def _unlocks_somewhere(function: Node, key: str, unit: Unit) -> bool:
    """Ownership evidence: the function itself releases the lock on some path."""
    for node in walk_named(function):
        if node.type == "call_expression":
            op = lock_op(node, unit)
            if op is not None and op[0] == key and op[1] in RELEASE_OF.values():
                return True
    return False
