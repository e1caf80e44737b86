from collections.abc import Iterator

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.calls import is_package_call, selector_parts
from golens.syntax.handlers import Handler, enclosing_handler, references_request_context, request_context_names
from golens.syntax.paths import loop_condition
from golens.syntax.tree import FUNCTION_TYPES, source


def check(unit: Unit) -> Iterator[Report]:
    for loop in unit.nodes("for_statement"):
        if any(c.type in ("for_clause", "range_clause") for c in loop.named_children):
            continue
        if loop_condition(loop) is not None:
            continue  # a condition may well bound the loop; precision first
        body = loop.child_by_field_name("body")
        if body is None or loop.has_error:
            continue
        handler = enclosing_handler(loop, unit.file, unit)  # a parent climb: cheaper than the body walk
        if handler is None:
            continue
        sleep = _direct_sleep(body, unit)
        if sleep is None:
            continue
        ctx_names = request_context_names(handler, unit.file)
        if references_request_context(body, handler, ctx_names):
            continue
        ctx_expr = _preferred_ctx(handler, ctx_names)
        # Streams that end on a failed write, and test helpers, are Information.
        severity = Severity.INFORMATION if unit.file.is_test or _stops_on_write_error(body) else None
        yield unit.report(
            sleep,
            "this handler sleeps in an endless loop without watching the request context: after "
            "the client disconnects it keeps running (and holding its goroutine) until a write "
            f"fails, or forever; select on {ctx_expr}.Done() instead of sleeping",
            related=((loop.children[0], "the loop that never checks the request context"),),
            data={"ctx": ctx_expr, "request": handler.request},
            severity=severity,
        )


def _direct_sleep(body: Node, unit: Unit) -> Node | None:
    """A `time.Sleep(...)` call in the loop body, outside nested function literals."""
    stack = list(body.named_children)
    found = None
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_TYPES:
            continue
        if node.type == "call_expression" and is_package_call(node, unit.file, "time", "Sleep"):
            if found is None or node.start_byte < found.start_byte:
                found = node
        stack.extend(node.named_children)
    return found


def _preferred_ctx(handler: Handler, ctx_names: set[str]) -> str:
    if "ctx" in ctx_names:
        return "ctx"
    if ctx_names:
        return sorted(ctx_names)[0]
    return f"{handler.request or 'r'}.Context()"


def _stops_on_write_error(body: Node) -> bool:
    """Streams that flush and return on a failed write do end when the client goes away."""
    flushes = returns_on_error = False
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type == "call_expression":
            parts = selector_parts(node.child_by_field_name("function"))
            if parts is not None and parts[1] == "Flush":
                flushes = True
        if node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            consequence = node.child_by_field_name("consequence")
            if condition is not None and b"err" in source(condition) and consequence is not None and \
                    (b"return" in source(consequence) or b"break" in source(consequence)):
                returns_on_error = True
        stack.extend(node.named_children)
    return flushes and returns_on_error
