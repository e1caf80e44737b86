"""HTTP handlers and the request context, recognised from syntax alone."""

from dataclasses import dataclass

from tree_sitter import Node

from golens.syntax.bindings import type_kind
from golens.syntax.calls import call_target, package_member, selector_parts
from golens.syntax.goroutines import start_of_literal
from golens.syntax.tree import enclosing_function, is_go_literal
from golens.syntax.unit import FileContext, Unit, walk_named

CONTEXT = "context"
CONTEXT_DERIVERS = frozenset({
    "WithCancel", "WithTimeout", "WithDeadline", "WithCancelCause", "WithTimeoutCause",
    "WithDeadlineCause", "WithValue", "WithoutCancel",
})


@dataclass(frozen=True)
class Handler:
    function: Node
    writer: str | None  # the http.ResponseWriter parameter's name
    request: str | None  # the *http.Request parameter's name


def as_handler(function: Node, file: FileContext) -> Handler | None:
    """A function, method or func literal taking (http.ResponseWriter, *http.Request)."""
    params = function.child_by_field_name("parameters")
    if params is None:
        return None
    writer = request = None
    found_writer = found_request = False
    for decl in params.named_children:
        if decl.type != "parameter_declaration":
            continue
        kind_node = decl.child_by_field_name("type")
        kind = type_kind(kind_node, file)
        names = [n.text.decode() for n in decl.children_by_field_name("name")]
        if kind == "RW" and kind_node.type != "pointer_type":
            found_writer = True
            writer = names[0] if names and names[0] != "_" else None
        elif kind == "REQ" and kind_node.type == "pointer_type":
            found_request = True
            request = names[0] if names and names[0] != "_" else None
    if found_writer and found_request:
        return Handler(function, writer, request)
    return None


def enclosing_handler(node: Node, file: FileContext, unit: Unit | None = None) -> Handler | None:
    """The innermost handler around `node`, not crossing a `go` statement's function literal
    (a goroutine started by a handler is not the handler itself) — nor, given the unit, a literal
    started by a goroutine wrapper (`g.Go(func() error {...})`)."""
    function = enclosing_function(node)
    while function is not None:
        handler = as_handler(function, file)
        if handler is not None:
            return handler
        if function.type == "func_literal" and (
                is_go_literal(function) or (unit is not None and start_of_literal(function, unit) is not None)):
            return None
        function = enclosing_function(function)
    return None


def is_request_context_call(node: Node, request: str | None) -> bool:
    """`r.Context()` for the handler's request `r`."""
    if request is None or node.type != "call_expression":
        return False
    parts = selector_parts(node.child_by_field_name("function"))
    if parts is None or parts[1] != "Context":
        return False
    operand = parts[0]
    return operand.type == "identifier" and operand.text.decode() == request


def request_context_names(handler: Handler, file: FileContext) -> set[str]:
    """Local names bound to the request context or to contexts derived from it."""
    names: set[str] = set()
    body = handler.function.child_by_field_name("body")
    if body is None:
        return names
    for node in walk_named(body):
        if node.type not in ("short_var_declaration", "assignment_statement"):
            continue
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None or not right.named_children:
            continue
        value = right.named_children[0]
        first_left = left.named_children[0] if left.named_children else None
        if first_left is None or first_left.type != "identifier":
            continue
        if is_request_context_call(value, handler.request) or _derives_from(value, names, handler, file):
            names.add(first_left.text.decode())
    return names


def _derives_from(value: Node, names: set[str], handler: Handler, file: FileContext) -> bool:
    """`context.WithX(parent, ...)` whose parent, through any number of such calls, is the
    request context (a loop: generated code nests them deeply)."""
    while value.type == "call_expression":
        target = call_target(value, file)
        if target is None or target[0] != CONTEXT or target[1] not in CONTEXT_DERIVERS:
            return False
        args = value.child_by_field_name("arguments")
        if args is None or not args.named_children:
            return False
        parent = args.named_children[0]
        if (parent.type == "identifier" and parent.text.decode() in names) or \
                is_request_context_call(parent, handler.request):
            return True
        value = parent
    return False


def references_request_context(node: Node, handler: Handler, ctx_names: set[str]) -> bool:
    """Does `node` mention the request context (`r.Context()`, or a name bound to it)?"""
    for child in walk_named(node) if node.named_children else iter([node]):
        if child.type == "identifier" and child.text.decode() in ctx_names:
            return True
        if is_request_context_call(child, handler.request):
            return True
    return False


__all__ = [
    "Handler",
    "as_handler",
    "enclosing_handler",
    "request_context_names",
    "references_request_context",
    "is_request_context_call",
    "package_member",
]
