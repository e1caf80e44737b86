"""GL503 pool-put-without-reset: reset the pooled value as soon as it is taken from the pool."""

from typing import cast

from golens.checks.gl503_pool_put_without_reset import GL503Data
from golens.document import TextEdit
from golens.fixes.context import FixContext
from golens.syntax.calls import identifiers, selector_parts
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named

# Reset() without arguments; bufio, gzip and flate readers and writers take the stream they are
# reset onto, which only the code using them knows.
_NO_ARG_RESET = {("bytes", "Buffer"), ("strings", "Builder")}


def fixes(ctx: FixContext):
    data = cast(GL503Data, ctx.data)
    from golens.fixes import Fix

    put = ctx.named_node("call_expression")
    name, pool = data.get("var"), data.get("pool")
    function = enclosing_function(put) if put is not None else None
    if function is None or not name or not pool or not _plain_reset(ctx, data.get("type", "")):
        return []
    get = _binding(ctx, function, put, name, pool)
    if get is None:
        return []
    found = [Fix(f"Reset {name} right after the Get ({name}.Reset())",
                 (ctx.insert_after(get, f"{name}.Reset()"),), preferred=True)]
    defer = put.parent
    if defer is not None and defer.type == "defer_statement" and ctx.own_lines(defer) is not None and \
            not _reassigned_after(function, defer, name):
        indent = ctx.indent_at(defer.start_byte)
        code = f"defer func() {{\n{indent}\t{name}.Reset()\n{indent}\t{ctx.text(put)}\n{indent}}}()"
        found.append(Fix(f"Reset {name} in the deferred Put",
                         (TextEdit(defer.start_byte, defer.end_byte, code.encode()),)))
    return found


def _plain_reset(ctx: FixContext, type_name: str) -> bool:
    inner = type_name.removeprefix("*")
    if "." not in inner:
        return bool(inner)  # a type of this file: the check requires `func (*T) Reset()`
    package, _, name = inner.partition(".")
    return (ctx.doc.header.alias_map().get(package), name) in _NO_ARG_RESET


def _binding(ctx: FixContext, function, put, name: str, pool: str):
    """The statement `name := pool.Get()...` (or `=`, `var`) that last bound `name` before the Put."""
    best = None
    for node in walk_named(function):
        if node.start_byte >= put.start_byte:
            break
        if node.type != "call_expression":
            continue
        parts = selector_parts(node.child_by_field_name("function"))
        if parts is None or parts[1] != "Get" or parts[0].text != pool.encode():
            continue
        statement = ctx.statement(node)
        holder = node.parent
        while holder is not None and holder.type not in ("short_var_declaration", "assignment_statement", "var_spec"):
            holder = holder.parent
        if holder is None or statement is None or not (holder == statement or holder.parent == statement or
                                                      (holder.parent is not None and holder.parent.parent == statement)):
            continue
        left = holder.child_by_field_name("left") if holder.type != "var_spec" else None
        names = list(left.named_children) if left is not None else list(holder.children_by_field_name("name"))
        if names and names[0].text == name.encode() and ctx.ends_line(statement):
            best = statement
    return best


def _reassigned_after(function, defer, name: str) -> bool:
    """A deferred closure reads the variable when it runs, `defer P.Put(x)` read it at the defer."""
    for identifier in identifiers(function, name):
        if identifier.start_byte <= defer.end_byte:
            continue
        parent = identifier.parent
        if parent is not None and parent.type == "expression_list" and parent.parent is not None and \
                parent.parent.type in ("assignment_statement", "short_var_declaration") and \
                parent.parent.child_by_field_name("left") == parent:
            return True
    return False
