"""GL106 ticker-loop-no-exit: give the loop an exit on the context that is in scope."""

from golens.document import TextEdit
from golens.fixes.context import FixContext, pick_context
from golens.syntax.paths import statements_of


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    loop = ctx.named_node("for_statement")
    ticker = ctx.data.get("ticker")
    context_expr = pick_context(ctx)
    if loop is None or ticker is None or context_expr is None:
        return []
    channel = f"{ticker}.C"
    indent = ctx.indent_at(loop.start_byte)
    range_clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    edits = []
    if range_clause is not None:
        body = loop.child_by_field_name("body")
        if body is None or _has_multiline_raw_string(body):
            return []  # re-indenting would change the string's contents
        left = range_clause.child_by_field_name("left")
        receive = f"case {ctx.text(left)} := <-{channel}:" if left is not None else f"case <-{channel}:"
        statements = statements_of(body)
        inner = "".join(
            f"\n{indent}\t\t{line}" if line.strip() else "\n"
            for statement in statements
            for line in _dedent(ctx, statement).split("\n")
        )
        code = (f"for {{\n{indent}\tselect {{\n{indent}\tcase <-{context_expr}.Done():\n{indent}\t\treturn\n"
                f"{indent}\t{receive}{inner}\n{indent}\t}}\n{indent}}}")
        edits.append(TextEdit(loop.start_byte, loop.end_byte, code.encode()))
    else:
        select = statements_of(loop.child_by_field_name("body"))[0]
        first_case = next(c for c in select.named_children if c.type == "communication_case")
        case_indent = ctx.indent_at(first_case.start_byte)
        at = ctx.doc.lines.line_start(first_case.start_point[0])
        edits.append(TextEdit(at, at, f"{case_indent}case <-{context_expr}.Done():\n{case_indent}\treturn\n".encode()))
    literal = _goroutine_literal(loop)
    if literal is not None and ctx.data.get("stoppable", True) and "." not in ticker:
        body = literal.child_by_field_name("body")
        first = statements_of(body)
        if first:
            at = ctx.doc.lines.line_start(first[0].start_point[0])
            edits.append(TextEdit(at, at, f"{ctx.indent_at(first[0].start_byte)}defer {ticker}.Stop()\n".encode()))
    return [Fix(f"Stop the loop when {context_expr} is done", tuple(edits), preferred=True)]


def _dedent(ctx: FixContext, statement) -> str:
    """The statement's text with its own indentation removed from every line."""
    base = ctx.indent_at(statement.start_byte)
    lines = ctx.text(statement).split("\n")
    return "\n".join([lines[0]] + [line[len(base):] if line.startswith(base) else line for line in lines[1:]])


def _has_multiline_raw_string(node) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "raw_string_literal" and b"\n" in current.text:
            return True
        stack.extend(current.named_children)
    return False


def _goroutine_literal(loop):
    node = loop.parent
    while node is not None and node.type != "func_literal":
        node = node.parent
    if node is None:
        return None
    call = node.parent
    if call is not None and call.type == "call_expression" and call.parent is not None and call.parent.type == "go_statement":
        return node
    return None
