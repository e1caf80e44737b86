from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import call_arguments, mentions
from golens.syntax.goroutines import start_at
from golens.syntax.held import enclosing_loop
from golens.syntax.paths import statements_of
from golens.syntax.sync import method_call, sync_kind
from golens.syntax.tree import enclosing_function, source
from golens.syntax.unit import walk_named


def check(unit: Unit) -> Iterator[Report]:
    for call in unit.nodes("call_expression"):
        found = method_call(call)
        if found is None or found[1] != "Wait" or call_arguments(call):
            continue
        statement = call.parent
        if statement is None or statement.type != "expression_statement":
            continue
        loop = enclosing_loop(statement)
        body = loop.child_by_field_name("body") if loop is not None else None
        # Directly in the loop body: a Wait under `if last { ... }` is a deliberate batch join.
        if loop is None or body is None or statement not in statements_of(body):
            continue
        wg, name = found[0], unit.text(found[0])
        if sync_kind(wg, unit) != "WAITGROUP":
            continue
        function = enclosing_function(loop)
        spawn = _spawn_before(body, statement, loop, name, unit)
        if spawn is None or _adds_in(body, name) or not _added_before(function, loop, name):
            continue
        yield unit.report(
            call,
            f"{name}.Wait() inside the loop that starts the goroutines: {name}.Add counted them all "
            f"before the loop, so the first Wait blocks until goroutines that are not started yet "
            f"call Done — a deadlock; move {name}.Wait() after the loop",
            related=((spawn, "goroutine started in the same loop"),),
            data={"wg": name},
        )


def _spawn_before(body: Node, wait: Node, loop: Node, name: str, unit: Unit) -> Node | None:
    """A goroutine start (`go`, `g.Go(...)`) of this loop (not of a nested one) before the Wait
    that uses the group."""
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte >= wait.start_byte:
            return None
        if start_at(node, unit) is not None and enclosing_loop(node) == loop and mentions(node, name.split(".")[0]):
            if name.encode() in source(node):
                return node
    return None


def _adds_in(body: Node, name: str) -> bool:
    """Add or Go on the group anywhere in the loop: then each iteration balances its own count."""
    for node in walk_named(body):
        if node.type == "call_expression":
            found = method_call(node)
            if found is not None and found[1] in ("Add", "Go") and found[0].text == name.encode():
                return True
    return False


def _added_before(function: Node | None, loop: Node, name: str) -> bool:
    body = function.child_by_field_name("body") if function is not None else None
    if body is None:
        return False
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte >= loop.start_byte:
            return False
        if node.type == "call_expression":
            found = method_call(node)
            if found is not None and found[1] == "Add" and found[0].text == name.encode():
                return True
    return False
