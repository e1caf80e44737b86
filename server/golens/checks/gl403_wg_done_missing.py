from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import mentions
from golens.syntax.paths import GiveUp, PathScan, statements_of
from golens.syntax.summaries import callees, reaches
from golens.syntax.sync import method_call, statement_call, sync_kind
from golens.syntax.unit import statement_position, walk_named


class GL403Data(TypedDict, total=False):
    """What GL403 hands its fix."""

    wg: str
    variant: str  # "no-done" or "return-before-done"


def check(unit: Unit) -> Iterator[Report]:
    for go in unit.nodes("go_statement"):
        call = statement_call(go)
        literal = call.child_by_field_name("function") if call is not None else None
        if literal is None or literal.type != "func_literal":
            continue
        add = _preceding_add(go, unit)
        if add is None:
            continue
        wg = method_call(add)[0]
        name = unit.text(wg)
        root = name.split(".")[0].lstrip("(*")
        args = call.child_by_field_name("arguments")
        if args is not None and mentions(args, root):
            continue  # the group is handed to the goroutine under another name
        body = literal.child_by_field_name("body")
        if body is None:
            continue
        if not _mentions_text(body, name):
            if mentions(body, root):
                continue  # the group (or its owner) is passed on inside: the callee may call Done
            if _done_in_callee(body, name, unit):
                continue
            yield unit.report(
                add,
                f"{name}.Add(1) counts a goroutine that never calls {name}.Done(): {name}.Wait() "
                f"blocks forever; add `defer {name}.Done()` at the top of the goroutine",
                related=((go.children[0], "the goroutine without Done"),),
                data=GL403Data(wg=name, variant="no-done"),
            )
            continue
        if literal.has_error or _has_done(body, name, deferred_only=True):
            continue
        if _hands_on(body, name, root):
            continue
        scan = PathScan(lambda node, name=name: _has_done(node, name, deferred_only=False))
        try:
            scan.scan(statements_of(body))
        except GiveUp:
            continue
        if scan.exits:
            exit_node = scan.exits[0]
            yield unit.report(
                exit_node,
                f"this return leaves the goroutine without calling {name}.Done(): {name}.Wait() "
                f"blocks forever; use `defer {name}.Done()` at the top of the goroutine",
                related=((add, f"{name}.Add(1) counted this goroutine"),),
                data=GL403Data(wg=name, variant="return-before-done"),
            )


def _done_in_callee(body: Node, name: str, unit: Unit) -> bool:
    """A function of the package that the goroutine calls (or one it calls) calls `name`.Done():
    `go func() { setup(); work() }()` where work starts with `defer wg.Done()`."""
    field = name.rsplit(".", 1)[-1]
    for call in walk_named(body):
        if call.type != "call_expression":
            continue
        started = callees(call, unit)
        if started and reaches(started, unit.file.facts,
                               lambda s: any(d == name or d.rsplit(".", 1)[-1] == field for d in s.done)):
            return True
    return False


def _preceding_add(go: Node, unit: Unit) -> Node | None:
    """`W.Add(1)` as the statement right before the go statement, W a wait group."""
    position = statement_position(unit, go)
    if position is not None:
        siblings, index = position
        previous = siblings[index - 1] if index > 0 else None
    else:  # a labelled go statement: rare enough to ask the tree
        previous = go.prev_named_sibling
        while previous is not None and previous.type == "comment":
            previous = previous.prev_named_sibling
    add = statement_call(previous) if previous is not None and previous.type == "expression_statement" else None
    found = method_call(add) if add is not None else None
    if found is None or found[1] != "Add" or unit.text(add.child_by_field_name("arguments")) != "(1)":
        return None
    return add if sync_kind(found[0], unit) == "WAITGROUP" else None


def _mentions_text(node: Node, text: str) -> bool:
    encoded = text.encode()
    return any(c.type in ("identifier", "selector_expression") and c.text == encoded for c in walk_named(node))


def _has_done(node: Node, name: str, deferred_only: bool) -> bool:
    encoded = name.encode()
    nodes = [node, *walk_named(node)] if node.named_children else [node]
    for child in nodes:
        if deferred_only and child.type != "defer_statement":
            continue
        calls = [child] if child.type == "call_expression" else []
        if deferred_only:
            calls = [c for c in walk_named(child) if c.type == "call_expression"]
        for call in calls:
            found = method_call(call)
            if found is not None and found[1] == "Done" and found[0].text == encoded:
                return True
    return False


def _hands_on(body: Node, name: str, root: str) -> bool:
    """The group is passed to a call inside the goroutine: that callee may call Done."""
    encoded, address = name.encode(), b"&" + name.encode()
    for node in walk_named(body):
        if node.type == "argument_list" and any(a.text in (encoded, address) for a in node.named_children):
            return True
    return False
