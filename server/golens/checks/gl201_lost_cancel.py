from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import call_target, function_body, function_name, identifiers, mentions
from golens.syntax.paths import GiveUp, Outcome, PathScan
from golens.syntax.tree import closing_brace, enclosing_function

CONTEXT = "context"
WITH_CANCEL = frozenset({
    "WithCancel", "WithTimeout", "WithDeadline", "WithCancelCause", "WithTimeoutCause", "WithDeadlineCause",
})


def check(unit: Unit) -> Iterator[Report]:
    for declaration in (*unit.nodes("short_var_declaration"), *unit.nodes("var_spec"),
                        *unit.nodes("assignment_statement")):
        found = _cancel_binding(declaration, unit)
        if found is None:
            continue
        call, ctx_node, cancel_node, constructor = found
        function = enclosing_function(declaration)
        if function is None or (unit.file.package == "main" and function_name(function) == "main"
                                and function.type == "function_declaration"):
            continue
        cancel = unit.text(cancel_node)
        ctx = unit.text(ctx_node) if ctx_node is not None else None
        data = {"cancel": cancel, "ctx": ctx, "constructor": constructor}
        if cancel == "_":
            yield unit.report(
                cancel_node,
                f"the cancel function returned by context.{constructor} is discarded: the context "
                f"and its timer live until the parent is cancelled",
                data={**data, "form": "discarded"},
            )
            continue
        if declaration.type == "assignment_statement":
            continue  # cancel declared elsewhere: its other uses may be anywhere (vet skips too)
        later_uses = [i for i in identifiers(function, cancel) if i.start_byte >= declaration.end_byte]
        if not later_uses:
            yield unit.report(
                cancel_node,
                f"{cancel} (from context.{constructor}) is never called: the context leaks until its "
                f"parent is cancelled",
                data={**data, "form": "unused"},
            )
            continue
        if function.has_error:
            continue  # half-typed code: path reasoning would be guesswork
        exit_node = _path_without_cancel(declaration, cancel, function)
        if exit_node is not None:
            end = "the end of the function" if exit_node.type == "block" else "this return"
            yield unit.report(
                cancel_node,
                f"{cancel} is not called on every path: {end} is reached without it (context leak)",
                related=((exit_node if exit_node.type != "block" else closing_brace(exit_node),
                          f"reached without calling {cancel}"),),
                data={**data, "form": "path"},
            )


def _cancel_binding(node: Node, unit: Unit):
    """(call, ctx identifier, cancel identifier, constructor name) for
    `ctx, cancel := context.WithX(...)` and its var/assignment forms."""
    if node.type == "var_spec":
        names = list(node.children_by_field_name("name"))
        values = node.child_by_field_name("value")
    else:
        left = node.child_by_field_name("left")
        values = node.child_by_field_name("right")
        names = list(left.named_children) if left is not None else []
    if len(names) != 2 or values is None or len(values.named_children) != 1:
        return None
    call = values.named_children[0]
    target = call_target(call, unit.file)
    if target is None or target[0] != CONTEXT or target[1] not in WITH_CANCEL:
        return None
    ctx_node, cancel_node = names
    if cancel_node.type != "identifier":
        return None
    return call, ctx_node if ctx_node.type == "identifier" else None, cancel_node, target[1]


def _path_without_cancel(declaration: Node, cancel: str, function: Node) -> Node | None:
    """The first exit reachable after the declaration without any mention of `cancel`."""
    statement = declaration if declaration.type != "var_spec" else declaration.parent
    while statement is not None and statement.parent is not None and statement.parent.type != "statement_list":
        statement = statement.parent
    if statement is None or statement.parent is None:
        return None
    siblings = [s for s in statement.parent.named_children if s.type != "comment"]
    rest = siblings[siblings.index(statement) + 1:] if statement in siblings else []
    scan = PathScan(lambda node: mentions(node, cancel))
    try:
        outcome = scan.scan(rest)
    except GiveUp:
        return None
    if scan.exits:
        return scan.exits[0]
    if outcome is Outcome.OPEN:
        block = statement.parent.parent  # statement_list -> block
        body = function_body(function)
        if block is not None and block == body:
            return body  # falls off the end of the function
        if block is not None and block.type == "block":
            return block  # the variable's scope ends here without a call
    return None

