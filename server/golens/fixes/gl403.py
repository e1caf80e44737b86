"""GL403 wg-done-missing: `defer wg.Done()` first thing in the goroutine, so that every path
(early returns included) signals the group exactly once."""

from typing import cast

from golens.checks.gl403_wg_done_missing import GL403Data
from golens.document import TextEdit
from golens.fixes.context import FixContext
from golens.syntax.calls import selector_parts
from golens.syntax.paths import statements_of
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext):
    data = cast(GL403Data, ctx.data)
    from golens.fixes import Fix

    name = data.get("wg")
    variant = data.get("variant")
    if not name:
        return []
    if variant == "no-done":
        add = ctx.named_node("call_expression")
        statement = add.parent if add is not None else None
        go = statement.next_named_sibling if statement is not None else None
        while go is not None and go.type == "comment":
            go = go.next_named_sibling
    else:
        literal = enclosing_function(ctx.node)
        go = literal.parent.parent if literal is not None and literal.parent is not None else None
        if go is not None and go.type == "call_expression":  # the literal is a wrapper's argument
            go = go.parent
    literal = _started_literal(go) if go is not None else None
    body = literal.child_by_field_name("body") if literal is not None else None
    if go is None or body is None:
        return []
    encoded = name.encode()
    dones = [n for n in walk_named(body) if n.type == "call_expression" and _is_done(n, encoded)]
    deleted = []
    for call in dones:
        statement = call.parent
        if statement is None or statement.type != "expression_statement" or enclosing_function(call) != literal \
                or ctx.own_lines(statement) is None:
            return []  # a Done in a callback or an expression: its count is not ours to move
        deleted.append(statement)
    insert = _prepend(ctx, go, body, f"defer {name}.Done()")
    if insert is None:
        return []
    edits = [*insert, *(ctx.delete_statement(s) for s in deleted)]
    if variant == "no-done":
        # Done could be called for this goroutine by someone else (the parent, after a result
        # arrives); then a second Done would panic. Preferred only when the function calls
        # Done on the group nowhere else.
        outer = enclosing_function(go)
        preferred = outer is not None and not any(
            n.type == "call_expression" and _is_done(n, encoded) for n in walk_named(outer))
    else:
        # Deferring a Done that had work after it would make Wait wait for that work too.
        preferred = all(_final(s, body) for s in deleted)
    return [Fix(f"Call {name}.Done() when the goroutine returns (defer {name}.Done())", tuple(edits),
                preferred=preferred)]


def _started_literal(statement):
    """The literal a `go func() {...}()` statement runs, or the one a goroutine wrapper the check
    recognised runs (`g.Go(func() error {...})`: its last argument)."""
    call = statement.named_children[0] if statement.type in ("go_statement", "expression_statement") and \
        statement.named_children else None
    if call is None or call.type != "call_expression":
        return None
    if statement.type == "go_statement":
        function = call.child_by_field_name("function")
        return function if function is not None and function.type == "func_literal" else None
    arguments = call.child_by_field_name("arguments")
    last = arguments.named_children[-1] if arguments is not None and arguments.named_children else None
    return last if last is not None and last.type == "func_literal" else None


def _is_done(call, encoded: bytes) -> bool:
    parts = selector_parts(call.child_by_field_name("function"))
    return parts is not None and parts[1] == "Done" and parts[0].text == encoded


def _final(statement, body) -> bool:
    following = statement.next_named_sibling
    while following is not None and following.type == "comment":
        following = following.next_named_sibling
    if following is not None:
        return following.type == "return_statement" and not following.named_children
    return statement.parent is not None and statement.parent.parent == body


def _prepend(ctx: FixContext, go, body, code: str) -> list[TextEdit] | None:
    """Edits making `code` the first statement of the literal's body."""
    statements = statements_of(body)
    if body.start_point[0] != body.end_point[0]:
        first = next((c for c in body.named_children), None)
        if first is not None and first.type == "statement_list":
            first = first.named_children[0] if first.named_children else None
        if first is None:
            indent = ctx.indent_at(body.end_byte - 1)
            at = body.start_byte + 1
            return [TextEdit(at, at, f"\n{indent}\t{code}".encode())]
        if first.start_point[0] == body.start_point[0]:
            return None
        return [ctx.insert_before(first, code)]
    # `go func() { work() }()`: one statement per line, as gofmt keeps a literal with several.
    if any(c.type == "comment" for c in walk_named(body)):
        return None
    indent = ctx.indent_at(go.start_byte)
    lines = [code, *(ctx.text(s) for s in statements)]
    text = "{\n" + "".join(f"{indent}\t{line}\n" for line in lines) + f"{indent}}}"
    return [TextEdit(body.start_byte, body.end_byte, text.encode())]
