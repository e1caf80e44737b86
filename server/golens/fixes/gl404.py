"""GL404 lock-copied: pass the sync value by pointer, or make the receiver a pointer. Neither is
preferred: golens sees one file, and callers in other files of the package (or other packages)
would have to change too — a parameter's callers pass `&x`, and a type whose method moves to the
pointer method set no longer satisfies interfaces through its values."""

from tree_sitter import Node

from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.calls import call_arguments
from golens.syntax.tree import enclosing_function, source
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext) -> list[Fix]:
    type_node: Node | None = ctx.node
    while type_node is not None and type_node.type not in ("qualified_type", "type_identifier", "generic_type"):
        type_node = type_node.parent
    while type_node is not None and type_node.parent is not None and type_node.parent.type == "generic_type":
        type_node = type_node.parent
    declaration = type_node.parent if type_node is not None else None
    if type_node is None or declaration is None or declaration.type != "parameter_declaration":
        return []
    if ctx.data.get("variant") == "receiver":
        method = declaration.parent.parent if declaration.parent is not None else None
        if method is None or method.type != "method_declaration" or not _only_selected(ctx, method, declaration) \
                or _needs_value_method(ctx, method, type_node):
            return []
        return [Fix(f"Use a pointer receiver (*{ctx.text(type_node)})",
                    (TextEdit(type_node.start_byte, type_node.start_byte, b"*"),))]
    function = declaration.parent.parent if declaration.parent is not None else None
    if function is None or function.type != "function_declaration" or not _only_selected(ctx, function, declaration):
        return []
    calls = _call_site_edits(ctx, function, declaration)
    if calls is None:
        return []
    edits = [TextEdit(type_node.start_byte, type_node.start_byte, b"*"), *calls]
    return [Fix(f"Pass a *{ctx.text(type_node)} (and &x at the calls in this file)", tuple(edits))]


def _only_selected(ctx: FixContext, function: Node, declaration: Node) -> bool:
    """Every use of the parameter in the body is `p.Method(...)`/`p.field` (the same through a
    pointer) or `&p` (which becomes `p`); any other use would change type."""
    names = {source(n) for n in declaration.children_by_field_name("name")}
    body = function.child_by_field_name("body")
    for node in walk_named(body) if body is not None else ():
        if node.type != "identifier" or source(node) not in names:
            continue
        parent = node.parent
        if parent is not None and parent.type == "selector_expression" and parent.child_by_field_name("operand") == node:
            continue
        return False  # `&p` too: the fix would have to rewrite it, and shadowing makes that guesswork
    return True


def _needs_value_method(ctx: FixContext, method: Node, type_node: Node) -> bool:
    """Uses in this file that a pointer receiver would break: the method called on a value
    without an address (`T{}.M()`, `f().M()`, `m[k].M()`) or as a method expression `T.M`."""
    name = method.child_by_field_name("name")
    type_name = type_node.child_by_field_name("type") if type_node.type == "generic_type" else type_node
    if name is None or type_name is None:
        return True  # cannot tell which uses would break: keep the value receiver
    for node in walk_named(ctx.root):
        if node.type != "selector_expression":
            continue
        field = node.child_by_field_name("field")
        operand = node.child_by_field_name("operand")
        if field is None or operand is None or field.text != name.text:
            continue
        if operand.type in ("composite_literal", "call_expression", "index_expression") or \
                operand.text == type_name.text:
            return True
    return False


def _call_site_edits(ctx: FixContext, function: Node, declaration: Node) -> list[TextEdit] | None:
    """`f(x)` -> `f(&x)` at every call in this file; None when the function is used otherwise
    (as a value) or an argument has no address."""
    name = function.child_by_field_name("name")
    parameters = function.child_by_field_name("parameters")
    if name is None or parameters is None or function.child_by_field_name("type_parameters") is not None:
        return None
    positions: list[int] = []
    index = 0
    for decl in parameters.named_children:
        if decl.type == "variadic_parameter_declaration":
            break
        if decl.type != "parameter_declaration":
            continue
        count = max(1, len(decl.children_by_field_name("name")))
        if decl == declaration:
            positions = list(range(index, index + count))
        index += count
    edits: list[TextEdit] = []
    for node in walk_named(ctx.root):
        if node.type != "identifier" or node.text != name.text or node == name:
            continue
        call = node.parent
        if call is None or call.type != "call_expression" or call.child_by_field_name("function") != node:
            return None
        if enclosing_function(call) == function:
            return None  # a recursive call passes the parameter, which is already a pointer then
        arguments = [a for a in call_arguments(call) if a.type != "comment"]
        if any(a.type == "variadic_argument" for a in arguments) or len(arguments) <= max(positions, default=-1):
            return None
        for position in positions:
            argument = arguments[position]
            if not _addressable(argument):
                return None
            edits.append(TextEdit(argument.start_byte, argument.start_byte, b"&"))
    return edits


def _addressable(node: Node) -> bool:
    if node.type == "identifier":
        return True
    if node.type == "selector_expression":
        operand = node.child_by_field_name("operand")
        return operand is not None and (operand.type == "identifier" or _addressable(operand))
    if node.type == "composite_literal":
        return True  # &T{} is allowed
    return False
