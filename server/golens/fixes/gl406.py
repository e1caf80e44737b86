"""GL406 lock-not-released-on-return: unlock before the return that forgot to (preferred), or
`defer mu.Unlock()` after the Lock instead of the explicit unlocks."""

from typing import cast

from tree_sitter import Node

from golens.checks.gl406_lock_not_released_on_return import GL406Data
from golens.document import TextEdit
from golens.fixes.context import FixContext
from golens.syntax.calls import selector_parts
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named

_LITERALS = frozenset({
    "interpreted_string_literal", "raw_string_literal", "int_literal", "float_literal", "imaginary_literal",
    "rune_literal", "nil", "true", "false", "iota",
})


def fixes(ctx: FixContext):
    data = cast(GL406Data, ctx.data)
    from golens.fixes import Fix

    ret = ctx.named_node("return_statement")
    key, unlock = data.get("lock"), data.get("unlock")
    if ret is None or not key or not unlock or not ctx.finding.related:
        return []
    lock = ctx.doc.tree.root_node.descendant_for_byte_range(ctx.finding.related[0].start, ctx.finding.related[0].end)
    lock_statement = lock.parent if lock is not None else None
    while lock_statement is not None and lock_statement.type != "expression_statement":
        lock_statement = lock_statement.parent
    found = []
    mismatched = _mismatched_release_before(ret, key, unlock)
    if mismatched is not None:
        # `mu.RLock(); ...; mu.Unlock(); return`: the release is there, with the wrong method.
        found.append(Fix(f"Call {key}.{unlock}() instead of {key}.{mismatched.text.decode()}()",
                         (TextEdit(mismatched.start_byte, mismatched.end_byte, unlock.encode()),), preferred=True))
    elif ctx.starts_line(ret) and evaluated_safely_unlocked(ctx, ret, key):
        found.append(Fix(f"Call {key}.{unlock}() before this return",
                         (ctx.insert_before(ret, f"{key}.{unlock}()"),), preferred=True))
    deferred = _defer_instead(ctx, lock_statement, key, unlock) if lock_statement is not None else None
    if deferred is not None:
        found.append(Fix(f"defer {key}.{unlock}() after the {lock_method(ctx, lock)} and drop the explicit unlocks",
                         tuple(deferred)))
    return found


def _mismatched_release_before(ret: Node, key: str, unlock: str) -> Node | None:
    """The method name of `key.Unlock()` (for an `RUnlock` wanted, or the other way round) when
    that call is the statement right before the return."""
    previous = ret.prev_named_sibling
    while previous is not None and previous.type == "comment":
        previous = previous.prev_named_sibling
    call = previous.named_children[0] if previous is not None and previous.type == "expression_statement" \
        and previous.named_children else None
    parts = selector_parts(call.child_by_field_name("function")) if call is not None and \
        call.type == "call_expression" else None
    if parts is None or parts[0].text != key.encode() or parts[1] == unlock or parts[1] not in ("Unlock", "RUnlock"):
        return None
    function = call.child_by_field_name("function") if call is not None else None
    return function.child_by_field_name("field") if function is not None else None


def lock_method(ctx: FixContext, lock) -> str:
    parts = selector_parts(lock.child_by_field_name("function")) if lock.type == "call_expression" else None
    return parts[1] if parts is not None else "Lock"


def lock_root(key: str) -> bytes:
    return key.split(".")[0].split("[")[0].lstrip("(*").encode()


def evaluated_safely_unlocked(ctx: FixContext, statement, key: str) -> bool:
    """Can the return's values be computed after the unlock? Only values that cannot read
    lock-protected state: literals, plain variables other than the lock's owner, package
    members, and calls of package functions on such values. Anything else (fields, index
    expressions, method calls, dereferences) keeps its read under the lock."""
    imports = set(ctx.doc.header.alias_map())
    root = lock_root(key)

    def safe(node) -> bool:
        kind = node.type
        if kind in _LITERALS:
            return True
        if kind == "identifier":
            return node.text != root
        if kind in ("expression_list", "parenthesized_expression", "binary_expression", "argument_list"):
            return all(safe(c) for c in node.named_children)
        if kind == "unary_expression":
            operator = node.child_by_field_name("operator")
            return operator is not None and operator.text in (b"-", b"!", b"+", b"^") and \
                safe(node.child_by_field_name("operand"))
        if kind == "selector_expression":
            operand = node.child_by_field_name("operand")
            return operand is not None and operand.type == "identifier" and operand.text.decode() in imports
        if kind == "call_expression":
            function = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            return function is not None and function.type == "selector_expression" and safe(function) and \
                (arguments is None or safe(arguments))
        return False

    return all(safe(c) for c in statement.named_children if c.type != "comment")


def _defer_instead(ctx: FixContext, lock_statement, key: str, unlock: str) -> list[TextEdit] | None:
    """`defer key.Unlock()` right after the Lock, deleting every explicit release — only where
    that changes nothing but the forgotten paths: the Lock is at the top level of the function
    (not in a loop), nothing locks it again, and each explicit release is the last thing its path
    does before returning."""
    function = enclosing_function(lock_statement)
    body = function.child_by_field_name("body") if function is not None else None
    if body is None or lock_statement.parent is None or lock_statement.parent.parent != body:
        return None
    if ctx.own_lines(lock_statement) is None:
        return None
    encoded = key.encode()
    releases = []
    for node in walk_named(body):
        if node.type != "call_expression":
            continue
        parts = selector_parts(node.child_by_field_name("function"))
        if parts is None or parts[0].text != encoded:
            continue
        if parts[1] in ("Lock", "RLock", "TryLock", "TryRLock") and node.parent != lock_statement:
            return None
        if parts[1] in ("Unlock", "RUnlock"):
            statement = node.parent
            if enclosing_function(node) != function or statement is None or \
                    statement.type not in ("expression_statement", "defer_statement") or \
                    ctx.own_lines(statement) is None:
                return None
            if statement.type == "expression_statement" and not _last_before_return(statement, body):
                return None
            releases.append(statement)
        elif parts[1] not in ("Lock", "RLock"):
            continue
    for node in walk_named(body):
        if node.type == "defer_statement" and node not in releases and node.start_byte > lock_statement.start_byte:
            return None  # another deferred call would now run after the unlock instead of before
    return [ctx.insert_after(lock_statement, f"defer {key}.{unlock}()"), *(ctx.delete_statement(s) for s in releases)]


def _last_before_return(statement, body) -> bool:
    following = statement.next_named_sibling
    while following is not None and following.type == "comment":
        following = following.next_named_sibling
    if following is not None:
        return following.type == "return_statement"
    return statement.parent is not None and statement.parent.parent == body
