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
WITHOUT_TIMER = frozenset({"WithCancel", "WithCancelCause"})


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
            # Only the Timeout/Deadline constructors start a timer.
            what = "the context" if constructor in WITHOUT_TIMER else "the context and its timer"
            yield unit.report(
                cancel_node,
                f"the cancel function returned by context.{constructor} is discarded: {what} "
                f"live{'s' if what == 'the context' else ''} until the parent is cancelled",
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
        found_exit = _path_without_cancel(declaration, cancel, ctx, function)
        if found_exit is not None:
            exit_node, end = found_exit
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


def _path_without_cancel(declaration: Node, cancel: str, ctx: str | None,
                         function: Node) -> tuple[Node, str] | None:
    """The first exit reachable after the declaration without any mention of `cancel`, and how
    the message names it. A path that has received from the context's Done() needs no cancel:
    the context is already cancelled (its own deadline or its parent)."""
    statement = declaration if declaration.type != "var_spec" else declaration.parent
    while statement is not None and statement.parent is not None and statement.parent.type != "statement_list":
        statement = statement.parent
    if statement is None or statement.parent is None:
        return None
    siblings = [s for s in statement.parent.named_children if s.type != "comment"]
    rest = siblings[siblings.index(statement) + 1:] if statement in siblings else []
    scan = PathScan(lambda node: mentions(node, cancel) or (ctx is not None and _receives_done(node, ctx)))
    try:
        outcome = scan.scan(rest)
    except GiveUp:
        return None
    if scan.exits:
        return scan.exits[0], "this return"
    if outcome is Outcome.OPEN:
        block = statement.parent.parent  # statement_list -> block
        body = function_body(function)
        if block is not None and block == body:
            return body, "the end of the function"
        if block is not None and block.type == "block":
            if block.parent is not None and block.parent.type == "for_statement":
                return block, "the end of the loop body"
            return block, "the end of the block that declares it"
    return None


def _receives_done(node: Node, ctx: str) -> bool:
    """`<-ctx.Done()` anywhere in the node (a receive statement or a select case)."""
    done_call = f"{ctx}.Done()".encode()
    if done_call not in (node.text or b""):
        return False
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "unary_expression" and current.children and current.children[0].type == "<-":
            operand = current.child_by_field_name("operand")
            if operand is not None and operand.text == done_call:
                return True
        if current.type not in ("func_literal",):
            stack.extend(current.named_children)
    return False

