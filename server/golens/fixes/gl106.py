"""GL106 ticker-loop-no-exit: give the loop an exit on the context that is in scope."""

from golens.document import TextEdit
from golens.fixes.context import FixContext, pick_context
from golens.syntax.paths import statements_of


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    if ctx.data.get("kind") == "time-tick":
        return _ticker_for_tick(ctx)
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
    # A Stop elsewhere (deferred by the function that made the ticker) already releases it.
    if literal is not None and not ctx.data.get("stopped", False) and "." not in ticker:
        body = literal.child_by_field_name("body")
        first = statements_of(body)
        if first:
            at = ctx.doc.lines.line_start(first[0].start_point[0])
            edits.append(TextEdit(at, at, f"{ctx.indent_at(first[0].start_byte)}defer {ticker}.Stop()\n".encode()))
    return [Fix(f"Stop the loop when {context_expr} is done", tuple(edits), preferred=True)]


def _ticker_for_tick(ctx: FixContext):
    """Before Go 1.23: `time.Tick(d)` → a ticker made just before the statement, stopped when the
    function returns (`t := time.NewTicker(d); defer t.Stop()`), read through `t.C`."""
    from golens.fixes import Fix

    call = ctx.named_node("call_expression")
    statement = ctx.statement(call) if call is not None else None
    args = call.child_by_field_name("arguments") if call is not None else None
    if statement is None or args is None or len(args.named_children) != 1 or statement.parent.type != "statement_list":
        return []
    holder = call.parent
    if holder.type == "range_clause":
        if holder.parent != statement:
            return []
    elif holder.type == "expression_list" and holder.parent == statement and statement.type == "short_var_declaration":
        if len(holder.named_children) != 1:
            return []
    else:
        return []  # elsewhere the hoisted call could run before code that used to run first
    node = statement.parent
    while node is not None and node.type not in ("func_literal", "function_declaration", "method_declaration"):
        if node.type == "for_statement":
            return []  # a new ticker per iteration is not the same as one for the whole loop
        node = node.parent
    time_name = call.child_by_field_name("function").child_by_field_name("operand").text.decode()
    duration = args.named_children[0]
    # NewTicker panics on a duration <= 0 where Tick returned nil: only for constant durations.
    if not _constant_duration(duration, time_name):
        return []
    line_start = ctx.doc.lines.line_start(statement.start_point[0])
    if ctx.doc.source[line_start:statement.start_byte].strip():
        return []
    name = ctx.free_name("ticker")
    indent = ctx.indent_at(statement.start_byte)
    code = f"{indent}{name} := {time_name}.NewTicker({ctx.text(duration)})\n{indent}defer {name}.Stop()\n"
    return [Fix(f"Use a ticker stopped when the function returns ({name} := {time_name}.NewTicker; defer {name}.Stop())",
                (TextEdit(line_start, line_start, code.encode()),
                 TextEdit(call.start_byte, call.end_byte, f"{name}.C".encode())), preferred=True)]


def _constant_duration(node, time_name: str) -> bool:
    if node.type in ("int_literal", "float_literal"):
        try:
            value = int(node.text.decode().replace("_", ""), 0) if node.type == "int_literal" \
                else float(node.text.decode().replace("_", ""))
        except ValueError:
            return False
        return value > 0  # no unary minus gets here: a sum or product of these stays positive
    if node.type == "parenthesized_expression":
        return all(_constant_duration(c, time_name) for c in node.named_children)
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        return operator is not None and operator.type in ("*", "+") and \
            _constant_duration(node.child_by_field_name("left"), time_name) and \
            _constant_duration(node.child_by_field_name("right"), time_name)
    if node.type == "selector_expression":
        operand = node.child_by_field_name("operand")
        field = node.child_by_field_name("field")
        return operand is not None and operand.text.decode() == time_name and field is not None and \
            field.text in (b"Nanosecond", b"Microsecond", b"Millisecond", b"Second", b"Minute", b"Hour")
    return False


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
