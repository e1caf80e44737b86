"""GL504 pool-use-after-put: put the value back after its last use, or hand the caller a copy
of the pooled buffer's bytes."""

from tree_sitter import Node

from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.calls import selector_parts
from golens.syntax.paths import is_terminating_call
from golens.syntax.tree import unparen
from golens.syntax.unit import walk_named

_JUMPS = ("return_statement", "break_statement", "continue_statement", "goto_statement",
          "defer_statement", "go_statement", "labeled_statement", "fallthrough_statement")
# Names for a value computed from the pooled object before it goes back.
_HOIST_NAMES = {"Len": "n", "Cap": "n", "String": "s", "Available": "n"}


def fixes(ctx: FixContext) -> list[Fix]:
    name, pool = ctx.data.get("var"), ctx.data.get("pool")
    if not name or not pool or not ctx.finding.related:
        return []
    if ctx.data.get("variant") == "defer-put-alias":
        return _clone(ctx, name)
    related = ctx.finding.related[0]
    put = ctx.root.descendant_for_byte_range(related.start, related.end)
    while put is not None and put.type != "call_expression":
        put = put.parent
    statement = put.parent if put is not None else None
    if statement is None or statement.type != "expression_statement":
        return []
    edits = _move_put(ctx, statement, name)
    if edits is None:
        return []
    return [Fix(f"Put {name} back after its last use", tuple(edits), preferred=True)]


def _move_put(ctx: FixContext, put: Node, name: str) -> list[TextEdit] | None:
    text = ctx.own_lines(put)
    if text is None or put.start_point[0] != put.end_point[0]:
        return None
    encoded = name.encode()
    last: Node | None = None
    passed: list[Node] = []
    sibling = put.next_named_sibling
    while sibling is not None:
        if sibling.type != "comment":
            if _rebinds(sibling, encoded):
                break
            passed.append(sibling)
            if any(n.type == "identifier" and n.text == encoded for n in [sibling, *walk_named(sibling)]):
                last = sibling
        sibling = sibling.next_named_sibling
    if last is None:
        return None
    passed = passed[:passed.index(last) + 1]
    # The Put must still run on every path it ran on before: nothing it moves past may leave.
    for statement in passed:
        if statement is last and statement.type == "return_statement":
            continue
        if any(n.type in _JUMPS or is_terminating_call(n) for n in [statement, *walk_named(statement, skip_function_literals=True)]):
            return None
    if last.type != "return_statement":
        return [ctx.delete_statement(put), ctx.insert_after(last, text)]
    return _hoist_return(ctx, put, last, text, encoded)


def _hoist_return(ctx: FixContext, put: Node, ret: Node, text: str, encoded: bytes) -> list[TextEdit] | None:
    """`return buf.Len()` -> `n := buf.Len()`, the Put, `return n`."""
    if not ctx.starts_line(ret):
        return None
    values = ret.named_children[0] if ret.named_children else None
    if values is None:
        return None
    expressions = list(values.named_children) if values.type == "expression_list" else [values]
    mentioning = [e for e in expressions if any(n.type == "identifier" and n.text == encoded for n in [e, *walk_named(e)])]
    others = [e for e in expressions if e not in mentioning]
    if any(n.type == "call_expression" for e in others for n in [e, *walk_named(e)]):
        return None  # hoisting would reorder calls
    if any(_aliases(unparen(e), encoded) for e in mentioning):
        return None  # the value itself (or its memory) would still reach the caller after the Put
    if len(mentioning) != 1:
        return None
    expression = mentioning[0]
    if expression.start_point[0] != expression.end_point[0]:
        return None
    parts = selector_parts(expression.child_by_field_name("function")) if expression.type == "call_expression" else None
    local = ctx.free_name(_HOIST_NAMES.get(parts[1], "v") if parts is not None else "v")
    indent = ctx.indent_at(ret.start_byte)
    at = ctx.doc.lines.line_start(ret.start_point[0])
    hoisted = f"{indent}{local} := {ctx.text(expression)}\n{indent}{text}\n"
    return [ctx.delete_statement(put), TextEdit(at, at, hoisted.encode()),
            TextEdit(expression.start_byte, expression.end_byte, local.encode())]


def _rebinds(statement: Node, encoded: bytes) -> bool:
    if statement.type not in ("assignment_statement", "short_var_declaration"):
        return False
    left = statement.child_by_field_name("left")
    operator = statement.child_by_field_name("operator")
    if operator is not None and operator.text not in (b"=", b":="):
        return False
    return left is not None and any(n.text == encoded for n in left.named_children)


def _aliases(expression: Node, encoded: bytes) -> bool:
    """Shares memory with the pooled value: the value, a slice or dereference of it, its Bytes."""
    if expression.type == "identifier":
        return expression.text == encoded
    if expression.type in ("unary_expression", "slice_expression", "parenthesized_expression"):
        operand = expression.child_by_field_name("operand")
        if operand is None and expression.named_children:
            operand = expression.named_children[0]
        return operand is not None and _aliases(unparen(operand), encoded)
    if expression.type == "call_expression":
        parts = selector_parts(expression.child_by_field_name("function"))
        return parts is not None and parts[1] in ("Bytes", "Peek", "AvailableBuffer") and unparen(parts[0]).text == encoded
    return False


def _clone(ctx: FixContext, name: str) -> list[Fix]:
    expression = ctx.node
    while expression.parent is not None and (expression.parent.start_byte, expression.parent.end_byte) == \
            (expression.start_byte, expression.end_byte):
        expression = expression.parent
    expression = unparen(expression)
    parts = selector_parts(expression.child_by_field_name("function")) \
        if expression.type == "call_expression" else None
    if parts is None or parts[1] != "Bytes" or unparen(parts[0]).text != name.encode():
        return []  # returning the pooled value itself, or a slice of unknown element type
    text = ctx.text(expression)
    package = ctx.package_name("bytes")
    if ctx.data.get("clone") == "bytes.Clone" and package is not None:
        copy = f"{package}.Clone({text})"
    else:
        copy = f"append([]byte(nil), {text}...)"
    return [Fix(f"Hand out a copy that the pool cannot reuse ({copy})", (TextEdit(expression.start_byte, expression.end_byte, copy.encode()),), preferred=True)]
