import re
from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import call_target, function_name, selector_parts
from golens.syntax.handlers import as_handler, request_context_names
from golens.syntax.selects import assigned_expressions
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named

CONTEXT = "context"
# Work that must finish even though (often because) the caller's context is done.
_CLEANUP = re.compile(
    r"WithoutCancel|Shutdown|Close|Stop|Clean|Release|Rollback|Revoke|Unlock|Cancel|Delete|Remove|"
    r"Flush|Finish|Abort|Teardown|Terminate|Kill|Unregister|Deregister|Drain|Wait", re.IGNORECASE)
# A context handed to a logger (log.G(ctx), GetLogger(ctx, ...), LogIf(ctx, ...)) carries values,
# not a deadline: nothing there runs long enough to need the caller's cancellation.
_LOGGING = re.compile(rb"log|audit", re.IGNORECASE)
_INTENT = re.compile(rb"detach|outliv|independ|cancel|background|on purpose|intentional", re.IGNORECASE)


def check(unit: Unit) -> Iterator[Report]:
    # Test files: off by default through the rule's `tests = false` ([tests] enable turns it on).
    names = {name.encode() for name in unit.file.names_for(CONTEXT)}
    if not names:
        return
    for call in unit.nodes("call_expression"):
        function = call.child_by_field_name("function")
        parts = selector_parts(function) if function is not None else None
        if parts is None or parts[1] not in ("Background", "TODO") or parts[0].text not in names:
            continue  # cheap filter before call_target's shadowing walk
        target = call_target(call, unit.file)
        if target is None or target[0] != CONTEXT or target[1] not in ("Background", "TODO"):
            continue
        use = _use(call)
        if use is None:
            continue
        scope = _request_scope(call, unit)
        if scope is None:
            continue
        function, ctx = scope
        if _is_entry_point(function, unit):
            continue
        if use.type != "argument_list" and any(t.text == ctx.encode() for t in assigned_expressions(use)):
            continue  # `if ctx == nil { ctx = context.Background() }`
        if use.type == "argument_list" and (_CLEANUP.search(_callee_name(use.parent)) or _is_logging(use.parent)):
            continue
        if _commented(call, unit) or _known_done(function, ctx, call):
            continue
        yield unit.report(
            call,
            f"context.{target[1]}() detaches this call from {ctx}: it keeps running after the "
            f"caller is cancelled or times out; pass {ctx} (or context.WithoutCancel({ctx}) if it "
            "must outlive the caller)",
            data={"ctx": ctx, "call": target[1], "variant": "use-ctx"},
        )


def _use(call: Node) -> Node | None:
    """The argument list or declaration `call` is used in; None for other uses."""
    parent = call.parent
    if parent is None:
        return None
    if parent.type == "argument_list":
        return parent
    holder = parent.parent if parent.type == "expression_list" else None
    if holder is None:
        return None
    if holder.type in ("short_var_declaration", "assignment_statement") and parent == holder.child_by_field_name("right"):
        return holder
    if holder.type == "var_spec" and parent == holder.child_by_field_name("value"):
        return holder
    return None


def _request_scope(call: Node, unit: Unit) -> tuple[Node, str] | None:
    """(the function that has it, the request ctx expression) for the innermost handler or
    function with a named context.Context parameter around `call`; not across a goroutine or
    deferred literal, whose work may deliberately outlive the request."""
    function = enclosing_function(call)
    while function is not None:
        handler = as_handler(function, unit.file)
        if handler is not None:
            if handler.request is None:
                return None
            names = request_context_names(handler, unit.file)
            return function, ("ctx" if "ctx" in names else f"{handler.request}.Context()")
        ctx = _ctx_parameter(function, unit)
        if ctx is not None:
            return (function, ctx) if ctx != "_" else None
        if function.type == "func_literal" and not _runs_during_call(function):
            return None
        function = enclosing_function(function)
    return None


def _runs_during_call(literal: Node) -> bool:
    """A literal passed as an argument (a callback such as errgroup's Go) or invoked on the
    spot runs within its creator's request; a goroutine, a deferred, returned or stored literal
    may outlive it."""
    parent = literal.parent
    if parent is None:
        return False
    if parent.type == "argument_list":
        return True
    if parent.type == "call_expression" and parent.child_by_field_name("function") == literal:
        return parent.parent is None or parent.parent.type not in ("go_statement", "defer_statement")
    return False


def _ctx_parameter(function: Node, unit: Unit) -> str | None:
    params = function.child_by_field_name("parameters")
    for decl in params.named_children if params is not None else ():
        kind = decl.child_by_field_name("type")
        if kind is None or kind.type != "qualified_type":
            continue
        package, name = kind.child_by_field_name("package"), kind.child_by_field_name("name")
        if package is not None and name is not None and name.text == b"Context" and \
                unit.file.import_path(package.text.decode()) == CONTEXT:
            names = [n.text.decode() for n in decl.children_by_field_name("name")]
            return names[0] if names else "_"
    return None


def _is_logging(call: Node | None) -> bool:
    """`log.G(...)`, `logger.FromContext(...)`, `GetLogger(...)`, `auditLogInternal(...)`: the
    callee or the package/receiver it is reached through is named for logging."""
    if call is None or call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    return function is not None and bool(_LOGGING.search(function.text or b""))


def _callee_name(call: Node | None) -> str:
    if call is None or call.type != "call_expression":
        return ""
    function = call.child_by_field_name("function")
    parts = selector_parts(function)
    if parts is not None:
        return parts[1]
    return function.text.decode("utf-8", "replace") if function is not None else ""


def _is_entry_point(function: Node, unit: Unit) -> bool:
    outer = function
    while enclosing_function(outer) is not None:
        outer = enclosing_function(outer)
    name = function_name(outer) if outer.type == "function_declaration" else None
    return name == "init" or (name == "main" and unit.file.package == "main")


def _commented(call: Node, unit: Unit) -> bool:
    """A comment on the call's line or the line above that says the detachment is meant."""
    row = call.start_point[0]
    for comment in unit.nodes("comment"):
        if row - 1 <= comment.start_point[0] <= row and _INTENT.search(comment.text):
            return True
    return False


def _known_done(function: Node, ctx: str, call: Node) -> bool:
    """`<-ctx.Done()` or `ctx.Err()` before the call: the caller's context is (or may be)
    already cancelled here, and a fresh one is how cleanup still gets done."""
    encoded = ctx.encode()
    body = function.child_by_field_name("body")
    if body is None:
        return False
    for node in walk_named(body):
        if node.start_byte >= call.start_byte:
            break
        if node.type != "call_expression":
            continue
        parts = selector_parts(node.child_by_field_name("function"))
        if parts is not None and parts[1] in ("Done", "Err") and parts[0].text == encoded:
            return True
    return False

