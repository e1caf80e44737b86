from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import declared_names, identifiers, is_shadowed, local_declarations, mentions, selector_parts
from golens.syntax.goroutines import WAITGROUP_GO, GoStart, goroutine_starts
from golens.syntax.paths import GiveUp, PathScan, statements_of
from golens.syntax.summaries import callees, reaches
from golens.syntax.sync import method_call, statement_call, sync_kind
from golens.syntax.tree import enclosing_function, text, unparen
from golens.syntax.unit import statement_position, walk_named


class GL403Data(TypedDict, total=False):
    """What GL403 hands its fix."""

    wg: str
    variant: str  # "no-done" or "return-before-done"


def check(unit: Unit) -> Iterator[Report]:
    for start in goroutine_starts(unit):
        go = start.statement
        add = _preceding_add(go, unit)
        if add is None:
            continue
        wg = method_call(add)[0]
        name = unit.text(wg)
        if start.wrapper == WAITGROUP_GO:
            continue  # wg.Go counts and signals its goroutine itself: the Add above is another's
        root = name.split(".")[0].lstrip("(*")
        if any(mentions(argument, root) for argument in start.arguments):
            continue  # the group is handed to the goroutine under another name
        literal = start.literal
        if literal is None:
            yield from _function_value(start, add, name, unit)
            continue
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
                related=((start.anchor, "the goroutine without Done"),),
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


def _function_value(start: GoStart, add: Node, name: str, unit: Unit) -> Iterator[Report]:
    """`var wg sync.WaitGroup; wg.Add(1); go worker()`: a named function (or method value) sees
    no local of the caller, so unless the group is handed over — an argument, its address taken,
    stored, captured by a literal — or the function calls Done itself, nothing can balance it."""
    function = enclosing_function(start.statement)
    if "." in name or function is None or name.encode() not in local_declarations(function, unit.file) \
            or name in declared_names(function):
        return  # a field, parameter or package-level group: others may reach it
    value = start.function
    root = value if value.type == "identifier" else unparen(selector_parts(value)[0]) \
        if selector_parts(value) is not None else None
    if root is None or root.type != "identifier" or (value.type == "identifier" and is_shadowed(value, text(value), unit.file)):
        return  # `go done()` with `done := func() {...}` a local: a closure, it may see the group
    for use in identifiers(function, name):
        if enclosing_function(use) != function:
            return  # a literal captures the group: whatever runs it may call Done
        parts = method_call(use.parent.parent) if use.parent is not None and use.parent.parent is not None else None
        if parts is None or parts[0] != use or parts[1] not in ("Add", "Wait"):
            if not _is_declaration(use):
                return  # handed over, or Done here: the count may be balanced elsewhere
    yield unit.report(
        add,
        f"{name}.Add(1) counts a goroutine that cannot call {name}.Done(): {unit.text(start.function)} is not "
        f"handed {name} (a function sees no local of its caller), so {name}.Wait() blocks forever",
        related=((start.anchor, "the goroutine without Done"),),
        data=GL403Data(wg=name, variant="no-done"),
    )


def _is_declaration(identifier: Node) -> bool:
    parent = identifier.parent
    return parent is not None and parent.type in ("var_spec", "short_var_declaration") or (
        parent is not None and parent.type == "expression_list" and parent.parent is not None
        and parent.parent.type == "short_var_declaration" and parent.parent.child_by_field_name("left") == parent)


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
