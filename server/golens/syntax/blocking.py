"""Calls that block on the network or a database with no way to cancel them (GL202), also what
GL105 looks for in goroutines a handler starts."""

from tree_sitter import Node

from golens.syntax import Unit
from golens.syntax.bindings import expression_kind
from golens.syntax.calls import call_target, selector_parts

NET_HTTP = "net/http"
HTTP_SHORTCUTS = frozenset({"Get", "Head", "Post", "PostForm"})
HTTP_SHORTCUT_ARITY = {"Get": 1, "Head": 1, "PostForm": 2, "Post": 3}
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


def blocking_call(call: Node, unit: Unit) -> tuple[str, str, str] | None:
    """(what is called, the context-aware replacement, fix variant) for a blocking call."""
    target = call_target(call, unit.file)
    if target is not None:
        path, name = target
        if path == NET_HTTP and name in HTTP_SHORTCUTS:
            return f"http.{name}", "http.NewRequestWithContext + Client.Do", "http-shortcut"
        return None
    parts = selector_parts(call.child_by_field_name("function"))
    if parts is None:
        return None
    receiver, method = parts
    if method in HTTP_SHORTCUTS:
        # *http.Client's Get/Head(url), PostForm(url, data), Post(url, type, body): another arity
        # is some other client's method (etcd's Get(ctx, key, opts...)) on a same-named field.
        arguments = call.child_by_field_name("arguments")
        if arguments is None or len(arguments.named_children) != HTTP_SHORTCUT_ARITY[method]:
            return None
        if expression_kind(receiver, unit) == "HTTPCLIENT":
            return f"{_text(receiver)}.{method}", "http.NewRequestWithContext + Client.Do", "http-client"
        return None
    kind = expression_kind(receiver, unit) if method in SQL_METHODS else None
    if kind in SQL_RECEIVERS and method in SQL_RECEIVERS[kind]:
        return f"{_text(receiver)}.{method}", SQL_METHODS[method], "sql"
    return None


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace")
