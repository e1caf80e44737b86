"""GL407 defer-unlock-in-loop: make the unlock happen at the end of each iteration — wrap the
body in a func literal so the defer runs per iteration (preferred), or unlock explicitly at the
end of the body and before every exit."""

from typing import cast

from golens.checks.gl407_defer_unlock_in_loop import GL407Data
from golens.document import TextEdit
from golens.fixes.context import FixContext
from golens.fixes.gl406 import evaluated_safely_unlocked
from golens.syntax.held import enclosing_loop
from golens.syntax.paths import statements_of
from golens.syntax.unit import FUNCTION_TYPES, walk_named

_BREAK_TARGETS = ("for_statement", "expression_switch_statement", "type_switch_statement", "select_statement")


def fixes(ctx: FixContext):
    data = cast(GL407Data, ctx.data)
    from golens.fixes import Fix

    defer = ctx.named_node("defer_statement")
    key, unlock = data.get("lock"), data.get("unlock")
    loop = enclosing_loop(defer) if defer is not None else None
    if loop is None or not key or not unlock:
        return []
    found = []
    if data.get("variant") == "wrap-func":
        wrapped = _wrap(ctx, loop)
        if wrapped is not None:
            body = loop.child_by_field_name("body")
            # Other defers in the body would also move from function exit to iteration end.
            others = any(n.type == "defer_statement" and n != defer
                         for n in walk_named(body, skip_function_literals=True))
            found.append(Fix("Wrap the loop body in a func literal so the deferred unlock runs every iteration",
                             (wrapped,), preferred=not others))
    explicit = _explicit(ctx, loop, defer, key, unlock)
    if explicit is not None:
        found.append(Fix(f"Call {key}.{unlock}() at the end of each iteration instead of deferring it",
                         tuple(explicit)))
    return found


def _wrap(ctx: FixContext, loop) -> TextEdit | None:
    body = loop.child_by_field_name("body")
    if body is None or body.start_point[0] == body.end_point[0]:
        return None
    lines = ctx.doc.lines
    open_row, close_row = body.start_point[0], body.end_point[0]
    if ctx.doc.source[body.start_byte + 1:lines.line_end(open_row)].strip() or \
            ctx.doc.source[lines.line_start(close_row):body.end_byte - 1].strip():
        return None
    if any(n.type == "raw_string_literal" and b"\n" in n.text for n in walk_named(body)):
        return None  # re-indenting would change the string's contents
    start, end = lines.line_start(open_row + 1), lines.line_start(close_row)
    indent = ctx.indent_at(body.end_byte - 1)
    inner = "".join(f"\t{line}" if line.strip() else line
                    for line in ctx.doc.source[start:end].decode("utf-8").splitlines(keepends=True))
    return TextEdit(start, end, f"{indent}\tfunc() {{\n{inner}{indent}\t}}()\n".encode())


def _explicit(ctx: FixContext, loop, defer, key: str, unlock: str) -> list[TextEdit] | None:
    body = loop.child_by_field_name("body")
    statements = statements_of(body)
    if defer not in statements or ctx.own_lines(defer) is None:
        return None  # under a branch, the end of the body does not know whether the lock was taken
    exits = []
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte < defer.end_byte:
            continue
        kind = node.type
        if kind == "goto_statement" or (kind in ("break_statement", "continue_statement") and node.named_children):
            return None
        if kind == "return_statement" or (kind == "break_statement" and _target(node, _BREAK_TARGETS) == loop) \
                or (kind == "continue_statement" and _target(node, ("for_statement",)) == loop):
            if not ctx.starts_line(node) or (kind == "return_statement" and
                                             not evaluated_safely_unlocked(ctx, node, key)):
                return None
            exits.append(node)
    code = f"{key}.{unlock}()"
    last = statements[-1]
    if last == defer:
        return [TextEdit(defer.start_byte, defer.end_byte, code.encode())]
    edits = [ctx.delete_statement(defer), *(ctx.insert_before(e, code) for e in exits)]
    if last not in exits:
        edits.append(ctx.insert_after(last, code))
    return edits


def _target(node, types):
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type in types:
            return parent
        parent = parent.parent
    return None
