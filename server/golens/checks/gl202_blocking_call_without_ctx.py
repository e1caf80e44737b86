from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Unit
from golens.syntax.bindings import expression_kind
from golens.syntax.calls import call_target, enclosing_function, function_name, selector_parts
from golens.syntax.handlers import enclosing_handler

NET_HTTP = "net/http"
HTTP_SHORTCUTS = frozenset({"Get", "Head", "Post", "PostForm"})
SQL_METHODS = {
    # method -> its context-aware replacement
    "Query": "QueryContext",
    "QueryRow": "QueryRowContext",
    "Exec": "ExecContext",
    "Prepare": "PrepareContext",
    "Ping": "PingContext",
    "Begin": "BeginTx",
}
SQL_RECEIVERS = {
    "SQLDB": set(SQL_METHODS),
    "SQLCONN": {"Query", "QueryRow", "Exec", "Prepare", "Ping"},  # no Conn.Begin
    "SQLTX": {"Query", "QueryRow", "Exec", "Prepare"},
    "SQLSTMT": {"Query", "QueryRow", "Exec"},
}


def check(unit: Unit):
    for call in unit.nodes("call_expression"):
        found = _blocking_call(call, unit)
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


def _blocking_call(call: Node, unit: Unit) -> tuple[str, str, str] | None:
    """(what is called, the context-aware replacement, fix variant) for a blocking call."""
    target = call_target(call, unit.file)
    if target is not None:
        path, name = target
        if path == NET_HTTP and name in HTTP_SHORTCUTS:
            return f"http.{name}", "http.NewRequestWithContext + Client.Do", "http-shortcut"
        if path == NET_HTTP and name == "NewRequest":
            return "http.NewRequest", "http.NewRequestWithContext", "new-request"
        return None
    parts = selector_parts(call.child_by_field_name("function"))
    if parts is None:
        return None
    receiver, method = parts
    if method in HTTP_SHORTCUTS:
        if expression_kind(receiver, unit) == "HTTPCLIENT":
            return f"{_text(receiver)}.{method}", "http.NewRequestWithContext + Client.Do", "http-client"
        return None
    kind = expression_kind(receiver, unit) if method in SQL_METHODS else None
    if kind in SQL_RECEIVERS and method in SQL_RECEIVERS[kind]:
        return f"{_text(receiver)}.{method}", SQL_METHODS[method], "sql"
    return None


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


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace")
