from collections.abc import Iterator

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.bindings import context_parameter, expression_kind
from golens.syntax.blocking import blocking_call
from golens.syntax.calls import call_target, function_name, identifiers, selector_parts
from golens.syntax.handlers import enclosing_handler
from golens.syntax.tree import enclosing_function

# Only what is true of the call: the http shortcuts use http.DefaultClient, which has no Timeout;
# another *http.Client may have one set where golens cannot see it.
_LIMITS = {
    "http-shortcut": "cannot be cancelled and has no deadline (http.DefaultClient sets no Timeout)",
    "http-client": "cannot be cancelled by the caller (only the client's Timeout, if it has one, bounds it)",
    "new-request": "sends a request that cannot be cancelled by the caller (only the client's Timeout, "
                   "if it has one, bounds it)",
    "sql": "cannot be cancelled and has no deadline",
}


def check(unit: Unit) -> Iterator[Report]:
    for call in unit.nodes("call_expression"):
        found = blocking_call(call, unit) or _request_without_context(call, unit)
        if found is None:
            continue
        what, replacement, variant = found
        function = enclosing_function(call)
        if function is None:
            continue
        if unit.file.package == "main" and function.type == "function_declaration" and \
                function_name(function) in ("main", "init"):
            continue
        handler = enclosing_handler(call, unit.file, unit)
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
            f"{what} {_LIMITS[variant] if not what.startswith('http.DefaultClient.') else _LIMITS['http-shortcut']}"
            f"{where}; use {replacement}",
            data={"variant": variant, "replacement": replacement, "in_handler": handler is not None},
            severity=severity,
        )


def _request_without_context(call: Node, unit: Unit) -> tuple[str, str, str] | None:
    """`req, err := http.NewRequest(...)` whose request is sent as it is with `client.Do(req)`.

    The request itself does not block; it matters only if it is sent without a context. The
    usual ways of attaching one later (`req.WithContext(ctx)`, `req.Clone(ctx)`) and any other
    hand-off of the request (stored, returned, passed to a helper that may take a ctx) keep the
    rule silent: in prometheus and etcd every such request got its context that way."""
    target = call_target(call, unit.file)
    if target != ("net/http", "NewRequest"):
        return None
    declaration = call.parent.parent if call.parent is not None else None
    if declaration is None or declaration.type not in ("short_var_declaration", "assignment_statement"):
        return None
    left = declaration.child_by_field_name("left")
    request = left.named_children[0] if left is not None and left.named_children else None
    function = enclosing_function(call)
    if request is None or request.type != "identifier" or function is None:
        return None
    sent_bare = False
    for use in identifiers(function, request.text.decode()):
        if use.start_byte < declaration.end_byte:
            continue
        parent = use.parent
        if parent is not None and parent.type == "selector_expression":
            field = parent.child_by_field_name("field")
            if field is not None and field.text in (b"WithContext", b"Clone"):
                return None
            continue  # req.Header.Set(...), req.URL: uses that do not hand the request on
        if parent is not None and parent.type == "argument_list" and len(parent.named_children) == 1:
            call_of = parent.parent
            parts = selector_parts(call_of.child_by_field_name("function")) if call_of is not None else None
            if parts is not None and parts[1] == "Do" and expression_kind(parts[0], unit) == "HTTPCLIENT":
                sent_bare = True
                continue
        if parent is not None and parent.type == "assignment_statement" and use.start_byte < \
                (parent.child_by_field_name("right") or parent).start_byte:
            continue  # reassigned: req = ...
        return None  # handed on: returned, stored, passed to a helper
    if not sent_bare:
        return None
    return "http.NewRequest", "http.NewRequestWithContext", "new-request"


def _context_in_scope(function: Node, unit: Unit) -> str | None:
    """A context.Context parameter of this or an enclosing function."""
    while function is not None:
        parameter = context_parameter(function, unit.file)
        if parameter is not None:
            return parameter
        function = enclosing_function(function)
    return None
