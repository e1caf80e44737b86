"""GL105 handler-goroutine-unbound: hand the goroutine the request context and make every place
it can wait or spin give up when that context is done."""

from golens.document import TextEdit
from golens.fixes.channels import alone_on_line, guard_send, unit_of
from golens.fixes.context import FixContext, pick_context
from golens.fixes.imports import ensure_import
from golens.syntax.calls import is_package_call
from golens.syntax.flow import ranges_over_ticker
from golens.syntax.paths import statements_of
from golens.syntax.unit import FUNCTION_TYPES, walk_named

_WAITS = ("for_statement", "send_statement", "select_statement")


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    if ctx.data.get("uses_response") or ctx.data.get("form") != "literal":
        return []  # a goroutine using w or r.Body must finish before the handler returns: no edit does that
    go = ctx.named_node("go_statement")
    call = go.named_children[0] if go is not None and go.named_children else None
    literal = call.child_by_field_name("function") if call is not None else None
    if literal is None or literal.type != "func_literal" or literal.child_by_field_name("result") is not None:
        return []
    argument = pick_context(ctx)
    body = literal.child_by_field_name("body")
    if argument is None or body is None:
        return []
    unit = unit_of(ctx)
    name = ctx.free_name("ctx", scope=literal)
    edits = _bound(ctx, unit, body, f"{name}")
    if edits is None:
        return []
    context_name, import_edits = ensure_import(ctx, "context")
    params = literal.child_by_field_name("parameters")
    args = call.child_by_field_name("arguments")
    # First, as Go's convention has it for a context.
    edits.append(_prepend(params, f"{name} {context_name}.Context"))
    edits.append(_prepend(args, argument))
    edits.extend(import_edits)
    return [Fix(f"Pass {argument} to the goroutine and stop when it is done", tuple(edits), preferred=False)]


def _prepend(list_node, item: str) -> TextEdit:
    """`item` as the first element of a parameter or argument list `( ... )`."""
    opening = list_node.children[0]
    separator = ", " if list_node.named_children else ""
    return TextEdit(opening.end_byte, opening.end_byte, f"{item}{separator}".encode())


def _bound(ctx: FixContext, unit, body, name: str) -> list[TextEdit] | None:
    """Edits making each wait in the goroutine's body end with the context; None when one of
    them is beyond a mechanical edit (a blocking call, a ticker loop, a received value)."""
    from golens.checks import gl105_handler_goroutine_unbound as check

    # The check's blocking-call list, whichever module currently provides it.
    blocking = getattr(check, "blocking_call", None) or check._blocking_call
    done = f"<-{name}.Done()"
    edits: list[TextEdit] = []
    bounded_loops: set[int] = set()
    loops = []
    for node in walk_named(body):
        kind = node.type
        if kind in FUNCTION_TYPES:
            if any(_waits(n, unit, blocking) for n in walk_named(node)):
                return None  # a `return` added in there would leave the inner literal only
            continue
        if _inside_literal(node, body):
            continue
        if kind == "for_statement":
            clause = next((c for c in node.named_children if c.type in ("for_clause", "range_clause")), None)
            if clause is None or (clause.type == "for_clause" and clause.child_by_field_name("condition") is None):
                loops.append(node)
            elif clause.type == "range_clause" and (ranges_over_ticker(clause, unit.file) or _channel_range(clause, body)):
                return None  # waiting in the range itself: no place for a Done case
        elif kind == "call_expression":
            if is_package_call(node, unit.file, "time", "Sleep"):
                statement = node.parent
                args = node.child_by_field_name("arguments")
                if statement.type != "expression_statement" or not alone_on_line(ctx, statement) \
                        or args is None or len(args.named_children) != 1:
                    return None
                time_name = node.child_by_field_name("function").child_by_field_name("operand").text.decode()
                indent = ctx.indent_at(statement.start_byte)
                code = (f"select {{\n{indent}case {done}:\n{indent}\treturn\n"
                        f"{indent}case <-{time_name}.After({ctx.text(args.named_children[0])}):\n{indent}}}")
                edits.append(TextEdit(statement.start_byte, statement.end_byte, code.encode()))
                bounded_loops.update(_loop_of(statement))
            elif blocking(node, unit) is not None:
                return None
        elif kind == "select_statement":
            first = next((c for c in node.named_children if c.type in ("communication_case", "default_case")), None)
            if first is None or not _alone_on_line_start(ctx, first):
                return None
            indent = ctx.indent_at(first.start_byte)
            at = ctx.doc.lines.line_start(first.start_point[0])
            edits.append(TextEdit(at, at, f"{indent}case {done}:\n{indent}\treturn\n".encode()))
            if not any(c.type == "default_case" for c in node.named_children):
                bounded_loops.update(_loop_of(node))
        elif kind == "send_statement" or (kind == "unary_expression" and _is_receive(node)):
            if _in_select_case(node):
                continue
            statement = node if kind == "send_statement" else node.parent
            if statement.type not in ("send_statement", "expression_statement") or not alone_on_line(ctx, statement):
                return None  # `v := <-ch`: the value would need a declared type in a select case
            edit = guard_send(ctx, statement, done)
            if edit is None:
                return None
            edits.append(edit)
            bounded_loops.update(_loop_of(statement))
    for loop in loops:
        if loop.start_byte in bounded_loops:
            continue
        # A loop that never waits: check the context once per iteration.
        statements = statements_of(loop.child_by_field_name("body"))
        if not statements or not _alone_on_line_start(ctx, statements[0]):
            return None
        indent = ctx.indent_at(statements[0].start_byte)
        at = ctx.doc.lines.line_start(statements[0].start_point[0])
        edits.append(TextEdit(at, at, f"{indent}if {name}.Err() != nil {{\n{indent}\treturn\n{indent}}}\n".encode()))
    return edits


def _waits(node, unit, blocking) -> bool:
    if node.type in _WAITS or (node.type == "unary_expression" and _is_receive(node)):
        return True
    return node.type == "call_expression" and (
        is_package_call(node, unit.file, "time", "Sleep") or blocking(node, unit) is not None)


def _inside_literal(node, body) -> bool:
    parent = node.parent
    while parent is not None and parent != body:
        if parent.type in FUNCTION_TYPES:
            return True
        parent = parent.parent
    return False


def _loop_of(statement) -> list[int]:
    """The loop whose body runs `statement` on every iteration (it sits directly in the body):
    a wait there bounds the loop; one in a branch leaves the other branch spinning."""
    block = statement.parent.parent if statement.parent is not None else None
    loop = block.parent if block is not None else None
    return [loop.start_byte] if loop is not None and loop.type == "for_statement" else []


def _channel_range(clause, body) -> bool:
    """`for v := range ch` where the functions around declare ch as a channel (a parameter
    of channel type, a `make(chan T)`)."""
    right = clause.child_by_field_name("right")
    if right is None or right.type != "identifier":
        return right is not None and right.type == "unary_expression"  # range <-chs
    function = body
    while function is not None:
        for node in walk_named(function):
            if node.type != "identifier" or node.text != right.text or node.parent is None:
                continue
            holder = node.parent
            if holder.type == "expression_list":
                holder = holder.parent
            if holder is not None and holder.type in ("parameter_declaration", "var_spec", "short_var_declaration") \
                    and any(n.type == "channel_type" for n in walk_named(holder)):
                return True
        function = function.parent
        while function is not None and function.type not in FUNCTION_TYPES:
            function = function.parent
    return False


def _is_receive(node) -> bool:
    operator = node.child_by_field_name("operator")
    return operator is not None and operator.type == "<-"


def _in_select_case(node) -> bool:
    parent = node.parent
    if parent is not None and parent.type == "receive_statement":
        parent = parent.parent
    return parent is not None and parent.type == "communication_case"


def _alone_on_line_start(ctx: FixContext, node) -> bool:
    start = ctx.doc.lines.line_start(node.start_point[0])
    return not ctx.doc.source[start:node.start_byte].strip()
