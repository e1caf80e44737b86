import re
from collections.abc import Iterator

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.blocking import blocking_call
from golens.syntax.calls import is_package_call, selector_parts
from golens.syntax.flow import ranges_over_ticker
from golens.syntax.goroutines import goroutine_starts
from golens.syntax.handlers import (
    Handler,
    enclosing_handler,
    references_request_context,
    request_context_names,
)
from golens.syntax.lifetime import started_once
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import FUNCTION_TYPES, walk_named

# A lone call into one of these is fire-and-forget into a bounded system (catalog heuristic).
_HANDOFF = re.compile(rb"queue|enqueue|publish|metric", re.IGNORECASE)


def check(unit: Unit) -> Iterator[Report]:
    hands_off: dict[int, bool] = {}  # per handler: one walk of its body, however many go statements
    for start in goroutine_starts(unit):
        go, call, literal = start.statement, start.call, start.literal
        function = enclosing_function(go)
        if function is None or function.has_error:
            continue
        handler = enclosing_handler(go, unit.file)
        if handler is None:
            continue
        key = handler.function.start_byte
        if key not in hands_off:
            hands_off[key] = _hands_off_connection(handler)
        if hands_off[key]:
            continue
        response_use = _response_use(call, handler)
        ctx_names = request_context_names(handler, unit.file)
        if response_use is None and references_request_context(call, handler, ctx_names):
            continue
        if _waits_for(go, handler, call):
            continue
        test_severity = Severity.INFORMATION if unit.file.is_test else None
        data = {"request": handler.request, "ctx": _preferred_ctx(handler, ctx_names),
                "form": "literal" if literal is not None else "call"}
        if response_use is not None:
            what = _text(response_use)
            yield unit.report(
                start.anchor,
                f"this goroutine uses {what} after the handler may have returned: the "
                f"ResponseWriter and the request body are only valid until ServeHTTP returns, so "
                f"write the response before returning (or wait for the goroutine)",
                related=((response_use, f"{what} used in the goroutine"),),
                data={**data, "uses_response": True},
                severity=test_severity or Severity.ERROR,
            )
            continue
        if literal is None:
            continue  # `go f(x)`: the body is elsewhere, no evidence of what it waits on
        body = literal.child_by_field_name("body")
        if body is None or _single_handoff(body) or started_once(go) or _bound_by_a_context(body):
            continue
        reason = _unbounded_work(body, unit)
        if reason is None:
            continue
        node, what = reason
        yield unit.report(
            start.anchor,
            f"this goroutine, started by an HTTP handler, {what} but never looks at the request "
            f"context: it outlives the request and keeps running after the client is gone; pass "
            f"{data['ctx']} and stop when it is done",
            related=((node, what),),
            data={**data, "uses_response": False},
            severity=test_severity,
        )


def _response_use(call: Node, handler: Handler) -> Node | None:
    """The first use of the ResponseWriter, or of the request body, inside the goroutine (its
    literal or its arguments)."""
    writer = handler.writer.encode() if handler.writer else None
    request = handler.request.encode() if handler.request else None
    shadows = _redeclarations(handler, writer) if writer is not None else []
    for node in walk_named(call):
        if writer is not None and node.type == "identifier" and node.text == writer:
            if not any(s.start_byte <= node.start_byte < s.end_byte for s in shadows):
                return node
        if request is not None and node.type == "selector_expression":
            parts = selector_parts(node)
            if parts is not None and parts[1] == "Body" and parts[0].type == "identifier" and parts[0].text == request:
                return node
    return None


def _redeclarations(handler: Handler, name: bytes) -> list[Node]:
    """The scopes (loop, block, literal) in which the handler's body declares `name` again,
    e.g. `for _, w := range writers`: there `w` is not the ResponseWriter."""
    body = handler.function.child_by_field_name("body")
    scopes: list[Node] = []
    if body is None:
        return scopes
    for node in walk_named(body):
        if node.type == "identifier" and node.text == name:
            parent = node.parent
            holder = parent.parent if parent is not None and parent.type == "expression_list" else parent
            if holder is None:
                continue
            if holder.type == "range_clause" and holder.child_by_field_name("left") in (parent, node):
                scopes.append(holder.parent)
            elif holder.type == "short_var_declaration" and holder.child_by_field_name("left") in (parent, node):
                block = holder.parent.parent if holder.parent is not None else None  # statement_list -> block
                if block is not None:
                    scopes.append(block)
            elif holder.type in ("parameter_declaration", "var_spec"):
                scope = holder
                while scope is not None and scope.type not in ("func_literal", "block"):
                    scope = scope.parent
                if scope is not None:
                    scopes.append(scope)
    return scopes


def _hands_off_connection(handler: Handler) -> bool:
    """A handler that hijacks the connection or upgrades it (websockets) hands it to the
    goroutine: the request context ends with ServeHTTP, the connection does not."""
    body = handler.function.child_by_field_name("body")
    if body is None:
        return False
    for node in walk_named(body):
        if node.type == "call_expression":
            parts = selector_parts(node.child_by_field_name("function"))
            if parts is not None and parts[1] in ("Hijack", "Upgrade", "Accept"):
                return True
    return False


def _waits_for(go: Node, handler: Handler, call: Node) -> bool:
    """After the go statement the handler calls `Wait()` or receives from something the
    goroutine mentions (its result or done channel)."""
    body = handler.function.child_by_field_name("body")
    if body is None:
        return False
    mentioned = {n.text for n in walk_named(call) if n.type in ("identifier", "selector_expression")}
    channels = {n.child_by_field_name("channel").text for n in walk_named(call)
                if n.type == "send_statement" and n.child_by_field_name("channel") is not None}
    for node in walk_named(body):
        if node.start_byte < go.end_byte:
            continue
        if node.type == "call_expression":
            parts = selector_parts(node.child_by_field_name("function"))
            if parts is not None and parts[1] == "Wait":
                return True
        operand = None
        if node.type == "unary_expression" and node.child_by_field_name("operator") is not None \
                and node.child_by_field_name("operator").type == "<-":
            operand = node.child_by_field_name("operand")
        elif node.type == "range_clause":
            operand = node.child_by_field_name("right")
        if operand is not None and operand.text in mentioned:
            return True
        # The handler hands a channel the goroutine uses to a helper that waits on it
        # (`keepConnLive(w, r, respCh)`).
        if node.type == "argument_list" and any(a.type == "identifier" and a.text in channels
                                                for a in node.named_children):
            return True
    return False


def _bound_by_a_context(body: Node) -> bool:
    """The goroutine waits on some context's Done(): its lifetime is chosen (a service-lifetime
    context for work that must outlive the request), not unbounded."""
    for node in walk_named(body, skip_function_literals=True):
        if node.type == "unary_expression" and node.text.startswith(b"<-"):
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "call_expression" and operand.text.endswith(b".Done()"):
                return True
    return False


def _single_handoff(body: Node) -> bool:
    statements = [s for s in walk_named(body) if s.type == "statement_list"]
    top = statements[0].named_children if statements else []
    if len(top) != 1 or top[0].type != "expression_statement":
        return False
    call = top[0].named_children[0] if top[0].named_children else None
    if call is None or call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    return function is not None and bool(_HANDOFF.search(function.text))


def _unbounded_work(body: Node, unit: Unit) -> tuple[Node, str] | None:
    """Evidence that the goroutine can run for long: an open-ended loop, a sleep, a channel
    operation, a blocking call without a context."""
    stack = list(reversed(body.named_children))
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "for_statement":
            if _open_ended(node, unit):
                return node.children[0], "loops without a bound"
        elif kind == "call_expression":
            if is_package_call(node, unit.file, "time", "Sleep"):
                return node, "sleeps"
            blocking = blocking_call(node, unit)
            if blocking is not None:
                return node, f"makes a blocking call ({blocking[0]})"
        elif kind == "send_statement":
            return node, "sends on a channel"
        elif kind == "unary_expression" and node.child_by_field_name("operator") is not None \
                and node.child_by_field_name("operator").type == "<-":
            return node, "waits on a channel"
        elif kind == "select_statement":
            return node.children[0], "waits in a select"
        if kind not in FUNCTION_TYPES:
            stack.extend(reversed(node.named_children))
    return None


def _open_ended(loop: Node, unit: Unit) -> bool:
    clause = next((c for c in loop.named_children if c.type in ("for_clause", "range_clause")), None)
    if clause is None:
        return True  # `for {}` or `for cond {}`
    return clause.type == "range_clause" and ranges_over_ticker(clause, unit.file)


def _preferred_ctx(handler: Handler, ctx_names: set[str]) -> str:
    if "ctx" in ctx_names:
        return "ctx"
    if ctx_names:
        return sorted(ctx_names)[0]
    return f"{handler.request or 'r'}.Context()"


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace")
