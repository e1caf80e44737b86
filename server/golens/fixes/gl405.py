"""GL405 lock-held-across-blocking: release the lock just before the blocking statement. Never
preferred: whether the statement needs the lock depends on what the lock protects, which syntax
cannot see. Offered only when the blocking statement ends the critical section and mentions
nothing the critical section wrote."""

from golens.fixes.context import FixContext
from golens.fixes.gl406 import evaluated_safely_unlocked, lock_root
from golens.syntax.calls import selector_parts
from golens.syntax.tree import enclosing_function, unparen
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    key, unlock = ctx.data.get("lock"), ctx.data.get("unlock")
    blocking = ctx.statement()
    if not key or not unlock or blocking is None or not ctx.finding.related or not ctx.starts_line(blocking):
        return []
    related = ctx.finding.related[0]
    lock = ctx.doc.tree.root_node.descendant_for_byte_range(related.start, related.end)
    lock_statement = ctx.statement(lock) if lock is not None else None
    if lock_statement is None or lock_statement.parent != blocking.parent or \
            lock_statement.type != "expression_statement":
        return []
    siblings = [s for s in blocking.parent.named_children if s.type != "comment"]
    section = siblings[siblings.index(lock_statement) + 1:siblings.index(blocking)]
    if _conflicts(ctx, blocking, section, key):
        return []
    if not [s for s in section if s.type != "defer_statement"]:
        return []  # releasing before the blocking statement would leave an empty critical section (GL410)
    release = f"{key}.{unlock}()"
    following = siblings[siblings.index(blocking) + 1:]
    if not ctx.data.get("deferred"):
        if not following or ctx.text(following[0]).replace(" ", "") != release or ctx.own_lines(following[0]) is None:
            return []
        edits = [ctx.delete_statement(following[0]), ctx.insert_before(blocking, release)]
    else:
        edits = _undefer(ctx, lock_statement, section, blocking, following, key, release)
        if edits is None:
            return []
    return [Fix(f"Call {release} before this blocking statement", tuple(edits))]


def _undefer(ctx: FixContext, lock_statement, section, blocking, following, key: str, release: str):
    """`Lock; defer Unlock; ...; BLOCK [; return]` -> explicit unlocks before BLOCK and before
    every return of the critical section."""
    function = enclosing_function(lock_statement)
    body = function.child_by_field_name("body") if function is not None else None
    if body is None or lock_statement.parent.parent != body or not section:
        return None
    defer = section[0]
    if defer.type != "defer_statement" or ctx.text(defer).replace(" ", "") != f"defer{release}" or \
            ctx.own_lines(defer) is None:
        return None
    if len(following) > 1 or (following and (following[0].type != "return_statement" or
                                             not evaluated_safely_unlocked(ctx, following[0], key))):
        return None
    returns = []
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte <= defer.end_byte:
            continue
        if node.type == "defer_statement":
            return None  # it would now run after the unlock instead of before
        if node.type == "return_statement" and node.start_byte < blocking.start_byte:
            if not ctx.starts_line(node) or not evaluated_safely_unlocked(ctx, node, key):
                return None
            returns.append(node)
    return [ctx.delete_statement(defer), *(ctx.insert_before(r, release) for r in returns),
            ctx.insert_before(blocking, release)]


def _conflicts(ctx: FixContext, blocking, section, key: str) -> bool:
    """Does the blocking statement read what the critical section wrote (or the lock itself)?"""
    written = {key.encode(), b"&" + key.encode()}
    root = lock_root(key)
    for statement in section:
        for node in [statement, *walk_named(statement)]:
            if node.type in ("assignment_statement", "short_var_declaration"):
                left = node.child_by_field_name("left")
                written.update(_base(t) for t in (left.named_children if left is not None else ()))
            elif node.type in ("inc_statement", "dec_statement") and node.named_children:
                written.add(_base(node.named_children[0]))
            elif node.type == "call_expression":
                function = node.child_by_field_name("function")
                parts = selector_parts(function) if function is not None else None
                if parts is not None and ctx.text(parts[0]) != key and lock_root(ctx.text(parts[0])) == root:
                    written.add(root)  # a method of the lock's owner may write any of its fields
                arguments = node.child_by_field_name("arguments")
                for argument in arguments.named_children if arguments is not None else ():
                    if function is not None and function.text in (b"delete", b"clear", b"copy"):
                        written.add(_base(argument))
                    elif argument.type == "unary_expression" and argument.text.startswith(b"&"):
                        written.add(_base(argument.child_by_field_name("operand")))
    for node in [blocking, *walk_named(blocking)]:
        if node.type not in ("identifier", "selector_expression"):
            continue
        parent = node.parent
        if parent is not None and parent.type == "selector_expression" and parent.child_by_field_name("operand") == node:
            continue  # `s` in `s.notify`: the whole chain is what is read
        text = node.text
        for target in written:
            if target and (text == target or text.startswith(target + b".") or target.startswith(text + b".")):
                return True
    return False


def _base(node) -> bytes:
    """`s.m[k]` -> `s.m`, `*p` -> `p`: the variable or field a write lands in."""
    node = unparen(node)
    while node.type in ("index_expression", "slice_expression", "unary_expression"):
        inner = node.child_by_field_name("operand")
        if inner is None:
            break
        node = unparen(inner)
    return node.text
