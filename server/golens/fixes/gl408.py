"""GL408 relock-same-receiver: call the method's variant that expects the lock to be held."""

from typing import cast

from golens.checks.gl408_relock_same_receiver import GL408Data
from golens.document import TextEdit
from golens.fixes.context import FixContext
from golens.syntax.calls import selector_parts
from golens.syntax.sync import receiver
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext):
    data = cast(GL408Data, ctx.data)
    from golens.fixes import Fix

    call = ctx.named_node("call_expression")
    variant, callee = data.get("locked_variant"), data.get("callee")
    if call is None or not variant or not callee:
        return []  # locking the same mutex twice in one function: which unlock was meant is unknown
    method = enclosing_function(call)
    while method is not None and method.type == "func_literal":
        method = enclosing_function(method)
    owner = receiver(method) if method is not None else None
    if owner is None:
        return []
    methods = {}
    for declaration in ctx.doc.tree.root_node.named_children:
        found = receiver(declaration) if declaration.type == "method_declaration" else None
        name = declaration.child_by_field_name("name")
        if found is not None and found[1] == owner[1] and name is not None:
            methods[name.text.decode()] = (declaration, found)
    if variant not in methods or callee not in methods:
        return []
    locked, original = methods[variant], methods[callee]
    if _locks(locked) or _signature(ctx, locked[0]) != _signature(ctx, original[0]):
        return []
    function = call.child_by_field_name("function")
    field = function.child_by_field_name("field") if function is not None else None
    if field is None:
        return []
    return [Fix(f"Call {variant}, which expects the lock to be held",
                (TextEdit(field.start_byte, field.end_byte, variant.encode()),), preferred=True)]


def _locks(method) -> bool:
    """Does the `...Locked` variant take a lock on its receiver itself (misnamed)?"""
    declaration, (name, _, _) = method
    body = declaration.child_by_field_name("body")
    for node in walk_named(body) if body is not None and name else ():
        if node.type == "call_expression":
            parts = selector_parts(node.child_by_field_name("function"))
            if parts is not None and parts[1] in ("Lock", "RLock") and \
                    parts[0].text.split(b".")[0] == name.encode():
                return True
    return False


def _signature(ctx: FixContext, declaration) -> tuple:
    """Parameter and result types, without names: the call must compile unchanged."""
    types = []
    parameters = declaration.child_by_field_name("parameters")
    for decl in parameters.named_children if parameters is not None else ():
        type_node = decl.child_by_field_name("type")
        count = max(1, len(decl.children_by_field_name("name")))
        types.extend([(decl.type, ctx.text(type_node) if type_node is not None else "")] * count)
    result = declaration.child_by_field_name("result")
    if result is not None and result.type == "parameter_list":
        results = []
        for decl in result.named_children:
            type_node = decl.child_by_field_name("type")
            results.extend([ctx.text(type_node)] * max(1, len(decl.children_by_field_name("name"))))
        return tuple(types), tuple(results)
    return tuple(types), (ctx.text(result),) if result is not None else ()
