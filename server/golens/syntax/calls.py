"""Calls, functions and identifiers, resolved syntactically through the file's imports."""

from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax.tree import enclosing_function
from golens.syntax.unit import FileContext, walk_named


def function_body(function: Node) -> Node | None:
    return function.child_by_field_name("body")


def function_name(function: Node) -> str | None:
    name = function.child_by_field_name("name")
    return name.text.decode() if name is not None else None


def selector_parts(node: Node | None) -> tuple[Node, str] | None:
    """(operand node, field name) of `x.f`."""
    if node is None or node.type != "selector_expression":
        return None
    operand = node.child_by_field_name("operand")
    field = node.child_by_field_name("field")
    if operand is None or field is None:
        return None
    return operand, field.text.decode("utf-8", "replace")


def package_member(node: Node, file: FileContext) -> tuple[str, str] | None:
    """(import path, member) when `node` is `pkg.Member` and `pkg` names an import of the file.

    A local variable or parameter with the package's name shadows it; then this returns None."""
    parts = selector_parts(node)
    if parts is None:
        return None
    operand, member = parts
    if operand.type != "identifier":
        return None
    name = operand.text.decode("utf-8", "replace")
    path = file.import_path(name)
    if path is None or is_shadowed(operand, name, file):
        return None
    return path, member


def call_target(call: Node, file: FileContext) -> tuple[str, str] | None:
    """(import path, function) for a package-level call like `http.Get(...)`."""
    if call.type != "call_expression":
        return None
    function = call.child_by_field_name("function")
    return package_member(function, file) if function is not None else None


def call_arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return list(args.named_children) if args is not None else []


def is_package_call(call: Node, file: FileContext, import_path: str, *names: str) -> bool:
    target = call_target(call, file)
    return target is not None and target[0] == import_path and (not names or target[1] in names)


def identifiers(node: Node, name: str) -> Iterator[Node]:
    """Every identifier `name` inside `node`, nested function literals included."""
    encoded = name.encode()
    if node.type == "identifier" and node.text == encoded:
        yield node
        return
    for child in walk_named(node):
        if child.type == "identifier" and child.text == encoded:
            yield child


def mentions(node: Node, name: str) -> bool:
    return next(identifiers(node, name), None) is not None


def declared_names(function: Node) -> set[str]:
    """Parameter, result and receiver names of a function (not its locals)."""
    names: set[str] = set()
    for field in ("receiver", "parameters", "result"):
        params = function.child_by_field_name(field)
        if params is None or params.type != "parameter_list":
            continue
        for decl in params.named_children:
            for child in decl.children_by_field_name("name"):
                names.add(child.text.decode("utf-8", "replace"))
    return names


def local_declarations(function: Node, file: FileContext) -> dict[bytes, int]:
    """Names a function declares (parameters, results, receiver, locals outside nested function
    literals), each with the offset of its first declaration."""
    # Keyed by node id: ids are unique within the one tree a FileContext's memo belongs to.
    return file.memo.get((local_declarations, function.id), lambda: _local_declarations(function))


def _local_declarations(function: Node) -> dict[bytes, int]:
    found: dict[bytes, int] = {}
    for name in declared_names(function):
        found.setdefault(name.encode(), function.start_byte)
    body = function_body(function)
    if body is not None:
        for node in walk_named(body, skip_function_literals=True):
            if node.type in ("short_var_declaration", "var_spec", "range_clause"):
                for ident in _declared_identifiers(node):
                    found.setdefault(ident.text, node.start_byte)
    return found


def is_shadowed(identifier: Node, name: str, file: FileContext) -> bool:
    """True when an enclosing function declares `name` as a parameter or local before this use.

    Approximate (no block scopes): any local declaration of the name in an enclosing function that
    starts before the use counts, which errs toward treating the identifier as not the package."""
    encoded = name.encode()
    function = enclosing_function(identifier)
    while function is not None:
        declared_at = local_declarations(function, file).get(encoded)
        if declared_at is not None and declared_at < identifier.start_byte:
            return True
        function = enclosing_function(function)
    return False


def _declared_identifiers(declaration: Node) -> list[Node]:
    if declaration.type == "var_spec":
        return list(declaration.children_by_field_name("name"))
    left = declaration.child_by_field_name("left")
    if left is None:
        return []
    if left.type == "expression_list":
        return [c for c in left.named_children if c.type == "identifier"]
    return [left] if left.type == "identifier" else []
