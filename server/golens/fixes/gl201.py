"""GL201 lost-cancel: name the cancel and `defer cancel()` right after the assignment."""

from golens.fixes.context import FixContext
from golens.syntax.calls import identifiers, selector_parts


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    declaration = ctx.named_node("short_var_declaration", "var_spec")
    if declaration is None:
        return []
    statement = ctx.statement(declaration)
    function = ctx.function()
    if statement is None or function is None:
        return []
    context_name = ctx.data.get("ctx")
    if context_name and _escapes(context_name, function, statement):
        return []  # the context outlives this function: its cancel must travel with it
    form = ctx.data.get("form")
    edits = []
    cancel = ctx.data.get("cancel", "cancel")
    if form == "discarded":
        cancel = ctx.free_name("cancel")
        edits.append(_replace(ctx.node, cancel))
    # Only WithCancelCause hands back a CancelCauseFunc, which takes the cause.
    call = f"{cancel}(nil)" if ctx.data.get("constructor") == "WithCancelCause" else f"{cancel}()"
    edits.append(ctx.insert_after(statement, f"defer {call}"))
    if form == "path":
        later = _later_defer(statement, call)
        if later is not None:
            edits.append(ctx.delete_statement(later))
    return [Fix(f"Call {cancel} when the function returns (defer {call})", tuple(edits), preferred=True)]


def _replace(node, text: str):
    from golens.document import TextEdit

    return TextEdit(node.start_byte, node.end_byte, text.encode())


def _later_defer(statement, call: str):
    """A `defer cancel()` later in the same block, made redundant by the fix."""
    sibling = statement.next_named_sibling
    while sibling is not None:
        if sibling.type == "defer_statement" and sibling.text.decode().replace(" ", "") == f"defer{call}":
            return sibling
        sibling = sibling.next_named_sibling
    return None


def _escapes(name: str, function, after) -> bool:
    """Is the context returned, stored in a field or literal, or sent after `after`?"""
    for ident in identifiers(function, name):
        if ident.start_byte < after.end_byte:
            continue
        parent = ident.parent
        while parent is not None and parent.type in ("expression_list", "parenthesized_expression",
                                                     "keyed_element", "literal_element", "literal_value"):
            if parent.type == "literal_value":
                return True
            parent = parent.parent
        if parent is None:
            continue
        if parent.type == "return_statement" or parent.type == "send_statement":
            return True
        if parent.type == "assignment_statement":
            left = parent.child_by_field_name("left")
            right = parent.child_by_field_name("right")
            if right is not None and right.start_byte <= ident.start_byte and left is not None and \
                    any(selector_parts(t) is not None or t.type == "index_expression" for t in left.named_children):
                return True
    return False
