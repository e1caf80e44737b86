from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.facts import Fact
from golens.syntax.held import declared_in, enclosing_loop, runs_once_in
from golens.syntax.paths import is_terminating_call, statements_of
from golens.syntax.sync import RELEASE_OF, lock_op, method_call, statement_call, summarize_sync
from golens.syntax.unit import Step, descend, walk_named


class GL407Data(TypedDict, total=False):
    """What GL407 hands its fix."""

    lock: str
    unlock: str
    variant: str  # "wrap-func" or "explicit-unlock"


_BREAKABLE = ("for_statement", "expression_switch_statement", "type_switch_statement", "select_statement")


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> Iterator[Report]:
    for defer in unit.nodes("defer_statement"):
        call = statement_call(defer)
        op = lock_op(call, unit) if call is not None else None
        if op is None or op[1] not in RELEASE_OF.values():
            continue
        key, unlock, target = op
        loop = enclosing_loop(defer)
        if loop is None or loop.has_error:
            continue
        lock = _preceding_lock(defer, key, unit)
        if lock is None:
            continue
        if _per_iteration(target, loop):
            continue  # a different mutex each iteration (locking a set of objects), not a relock
        if runs_once_in(defer, loop):
            continue  # a once-guard (`if !held { ...; held = true }`) locks on one iteration only
        if _leaves_loop_after(defer, loop):
            continue  # the iteration that locks never reaches the next Lock
        yield unit.report(
            defer,
            f"defer {key}.{unlock}() in a loop runs only when the function returns: the next "
            f"iteration's {key}.{method_call(lock)[1]}() waits for a lock this goroutine still holds "
            f"(deadlock); unlock at the end of each iteration or wrap the body in a func literal",
            related=((lock, f"{key} locked on every iteration"),),
            data=GL407Data(lock=key, unlock=unlock,
                           variant="wrap-func" if not _has_jumps(loop) else "explicit-unlock"),
        )


def _preceding_lock(defer: Node, key: str, unit: Unit) -> Node | None:
    previous = defer.prev_named_sibling
    while previous is not None and previous.type == "comment":
        previous = previous.prev_named_sibling
    call = statement_call(previous) if previous is not None and previous.type == "expression_statement" else None
    op = lock_op(call, unit) if call is not None else None
    if op is None or op[0] != key or op[1] not in RELEASE_OF:
        return None
    return call


def _per_iteration(target: Node, loop: Node) -> bool:
    names = declared_in(loop)
    return any(n.type == "identifier" and n.text in names for n in [target, *walk_named(target)])


def _leaves_loop_after(statement: Node, loop: Node) -> bool:
    """Every path from after `statement` leaves the loop (return, panic, break) before the
    next iteration, climbing out of nested blocks up to the loop body."""
    current = statement
    while current is not None and current != loop:
        parent = current.parent
        if parent is not None and parent.type == "statement_list":
            siblings = [s for s in parent.named_children if s.type != "comment"]
            if current in siblings and any(_exits(s, loop, nested=False) for s in siblings[siblings.index(current) + 1:]):
                return True
        current = parent
    return False


def _exits(node: Node, loop: Node, nested: bool) -> bool:
    """Does every path through `node` leave `loop`? (`nested`: inside a switch/select/inner loop,
    where a plain break does not leave `loop`.)"""
    return descend(_exit_step(node, loop, nested))


def _exit_step(node: Node, loop: Node, nested: bool) -> Step[bool]:
    # A generator run by `descend`: nested blocks are the input's depth, not Python's.
    kind = node.type
    if kind == "return_statement" or kind == "goto_statement" or is_terminating_call(node):
        return True
    if kind == "break_statement":
        return bool(node.named_children) or not nested  # labelled: assume it leaves (stay silent)
    if kind == "block":
        for statement in statements_of(node):
            if (yield _exit_step(statement, loop, nested)):
                return True
        return False
    if kind == "if_statement":
        consequence = node.child_by_field_name("consequence")
        alternative = node.child_by_field_name("alternative")
        if alternative is None or consequence is None:
            return False
        return bool((yield _exit_step(consequence, loop, nested))) and bool((yield _exit_step(alternative, loop, nested)))
    if kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
        cases = [c for c in node.named_children if c.type.endswith("_case")]
        if node.type != "select_statement" and not any(c.type == "default_case" for c in cases):
            return False
        if not cases:
            return False
        for case in cases:
            left = False
            for statement in statements_of(case):
                if (yield _exit_step(statement, loop, True)):
                    left = True
                    break
            if not left:
                return False
        return True
    if kind == "labeled_statement":
        for child in node.named_children:
            if (yield _exit_step(child, loop, nested)):
                return True
        return False
    return False


def _has_jumps(loop: Node) -> bool:
    body = loop.child_by_field_name("body")
    return body is not None and any(
        n.type in ("return_statement", "break_statement", "continue_statement", "goto_statement")
        for n in walk_named(body, skip_function_literals=True))
