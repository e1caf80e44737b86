"""GL502 pool-get-without-new: give the pool a New function, or tolerate an empty pool."""


from golens.document import GoVersion, TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext

# Types whose zero value is ready to use: `new(T)` is what a hand-written New would return.
_ZERO_READY = {("bytes", "Buffer"), ("strings", "Builder")}


def fixes(ctx: FixContext) -> list[Fix]:
    pool, asserted = ctx.data.get("pool"), ctx.data.get("type")
    if not pool or not asserted:
        return []
    if asserted.startswith("*"):
        element = asserted[1:].strip()
        ready = _zero_ready(ctx, element)
        if ready is None:
            return []  # a zero value that may not work (bufio.Writer): only the author knows New
        edits = _add_new(ctx, pool, element)
        if edits is None:
            return []
        return [Fix(f"Give {pool} a New function returning new({element})", tuple(edits), preferred=ready)]
    edits = _comma_ok(ctx)
    if edits is None:
        return []
    return [Fix(f"Use the zero {asserted} when {pool} is empty (comma-ok assertion)", tuple(edits))]


def _zero_ready(ctx: FixContext, element: str) -> bool | None:
    """True for known zero-value-ready library types, False for a struct declared at the top of
    this file (usually usable as zero, but its author knows), None otherwise."""
    if "." in element:
        package, _, name = element.partition(".")
        return True if (ctx.doc.header.alias_map().get(package), name) in _ZERO_READY else None
    for declaration in ctx.root.named_children:
        if declaration.type != "type_declaration":
            continue
        for spec in declaration.named_children:
            declared = spec.child_by_field_name("name")
            kind = spec.child_by_field_name("type")
            if spec.type == "type_spec" and declared is not None and declared.text == element.encode() and \
                    kind is not None and kind.type == "struct_type" and spec.child_by_field_name("type_parameters") is None:
                return False
    return None


def _add_new(ctx: FixContext, pool: str, element: str) -> list[TextEdit] | None:
    version = ctx.doc.go_version
    any_type = "interface{}" if version is not None and version < GoVersion(1, 18) else "any"
    new = f"New: func() {any_type} {{ return new({element}) }}"
    for declaration in ctx.root.named_children:
        if declaration.type != "var_declaration":
            continue
        specs = [c for c in declaration.named_children if c.type == "var_spec"]
        block = next((c for c in declaration.named_children if c.type == "var_spec_list"), None)
        if block is not None:
            specs = [c for c in block.named_children if c.type == "var_spec"]
        for spec in specs:
            names = spec.children_by_field_name("name")
            if [n.text for n in names] != [pool.encode()]:
                continue
            value = spec.child_by_field_name("value")
            type_node = spec.child_by_field_name("type")
            if value is None and type_node is not None:
                if len(specs) > 1 and block is not None:
                    return None  # gofmt aligns a block's columns: a new `=` would shift them
                return [TextEdit(type_node.start_byte, type_node.end_byte,
                                 f"= {ctx.text(type_node)}{{{new}}}".encode())]
            literal = value.named_children[0] if value is not None and value.named_children else None
            if literal is not None and literal.type == "unary_expression":
                literal = literal.child_by_field_name("operand")
            body = literal.child_by_field_name("body") if literal is not None and literal.type == "composite_literal" else None
            if body is None or body.named_children:
                return None
            return [TextEdit(body.start_byte, body.end_byte, f"{{{new}}}".encode())]
    return None


def _comma_ok(ctx: FixContext) -> list[TextEdit] | None:
    """`v := pool.Get().(T)` -> `v, _ := pool.Get().(T)`: an empty pool gives T's zero value."""
    assertion = ctx.named_node("type_assertion_expression")
    parent = assertion.parent if assertion is not None else None
    if parent is None or parent.type != "expression_list" or len(parent.named_children) != 1:
        return None
    statement = parent.parent
    if statement is None or statement.type not in ("short_var_declaration", "assignment_statement") or \
            statement.child_by_field_name("right") != parent:
        return None
    operator = statement.child_by_field_name("operator")
    if statement.type == "assignment_statement" and (operator is None or operator.text != b"="):
        return None
    left = statement.child_by_field_name("left")
    if left is None or len(left.named_children) != 1 or left.named_children[0].type != "identifier":
        return None
    return [TextEdit(left.end_byte, left.end_byte, b", _")]
