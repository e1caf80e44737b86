from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Unit
from golens.syntax.blocking import blocking_call
from golens.syntax.calls import enclosing_function, function_name
from golens.syntax.handlers import enclosing_handler


def check(unit: Unit):
    for call in unit.nodes("call_expression"):
        found = blocking_call(call, unit)
        if found is None:
            continue
        what, replacement, variant = found
        function = enclosing_function(call)
        if function is None:
            continue
        if unit.file.package == "main" and function.type == "function_declaration" and \
                function_name(function) in ("main", "init"):
            continue
        handler = enclosing_handler(call, unit.file)
        ctx = _context_in_scope(function, unit)
        where = ""
        if handler is not None:
            where = " inside an HTTP handler: it keeps running after the client goes away"
            severity = Severity.WARNING
        elif ctx is not None:
            where = f": {ctx} is in scope and could bound it"
            severity = Severity.WARNING
        else:
            severity = Severity.INFORMATION
        if unit.file.is_test:
            severity = Severity.INFORMATION
        yield unit.report(
            call.child_by_field_name("function"),
            f"{what} cannot be cancelled and has no deadline{where}; use {replacement}",
            data={"variant": variant, "replacement": replacement, "in_handler": handler is not None},
            severity=severity,
        )


def _context_in_scope(function: Node, unit: Unit) -> str | None:
    """A context.Context parameter of this or an enclosing function."""
    while function is not None:
        params = function.child_by_field_name("parameters")
        for decl in params.named_children if params is not None else ():
            kind_node = decl.child_by_field_name("type")
            if kind_node is not None and kind_node.type == "qualified_type":
                package = kind_node.child_by_field_name("package")
                name = kind_node.child_by_field_name("name")
                if package is not None and name is not None and name.text == b"Context" and \
                        unit.file.import_path(package.text.decode()) == "context":
                    names = [n.text.decode() for n in decl.children_by_field_name("name")]
                    if names and names[0] != "_":
                        return names[0]
        function = enclosing_function(function)
    return None
