from collections.abc import Iterator

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.bindings import expression_kind
from golens.syntax.calls import function_name, is_package_call, selector_parts
from golens.syntax.facts import Fact, GoStarted, StopCalled
from golens.syntax.goroutines import bound_name, goroutine_starts, start_of_literal
from golens.syntax.lifetime import ENTRY_POINTS, PROCESS_LIFETIME_METHODS, is_process_lifetime, started_once
from golens.syntax.paths import is_terminating_call, loop_condition, loop_exits, statements_of
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named


def summarize(unit: Unit) -> Iterator[Fact]:
    # Which functions this file starts with `go name(...)`/`go x.name(...)` (or hands to a
    # goroutine wrapper: `wg.Go(s.loop)`), and from where;
    # which ticker fields some method stops.
    for start in goroutine_starts(unit):
        go, function = start.statement, start.function
        name = function.text.decode() if function.type == "identifier" else (
            selector_parts(function)[1] if selector_parts(function) else None)
        if name is None:
            continue
        caller = enclosing_function(go)
        caller_name = _outer_name(caller) if caller is not None else None
        # A goroutine started inside once.Do is a singleton: it counts as started from an entry point.
        yield GoStarted(name, "init" if started_once(go) else caller_name or "")
    for call in unit.nodes("call_expression"):
        parts = selector_parts(call.child_by_field_name("function"))
        if parts is not None and parts[1] == "Stop" and parts[0].type == "selector_expression":
            inner = selector_parts(parts[0])
            if inner is not None:
                yield StopCalled(inner[1])


def check(unit: Unit) -> Iterator[Report]:
    for loop in unit.nodes("for_statement"):
        function = enclosing_function(loop)
        if function is None or function.has_error:
            continue
        ticker = _ticker_loop(loop, unit)
        if ticker is None:
            continue
        source, receiver = ticker
        outer = _outermost_function(function)
        in_goroutine = _runs_in_goroutine(function, unit)
        if in_goroutine and not _loop_can_exit(loop):
            if started_once(loop) or _only_started_from(function, unit, ENTRY_POINTS):
                continue
            # Stop does not close the ticker's channel: a loop over t.C outlives t.Stop(), so
            # a Stop elsewhere changes the explanation, not the verdict.
            stopped = receiver is not None and _stopped_elsewhere(receiver, outer, unit)
            # A daemon's Run/Serve/Start runs for the life of the process, unless the code stops
            # the ticker somewhere: then an end was intended and the loop misses it.
            if not stopped and (is_process_lifetime(outer, unit.file) or
                                _only_started_from(function, unit, ENTRY_POINTS | PROCESS_LIFETIME_METHODS)):
                continue
            if stopped:
                message = (f"this goroutine loops on {_text(source)} with no way out: {_text(receiver)}.Stop() "
                           f"does not close {_text(source)}, so after Stop the loop waits forever and the "
                           f"goroutine leaks")
            else:
                message = (f"this goroutine loops on {_text(source)} forever: nothing can stop it, so it "
                           f"and the ticker leak (stopping the ticker does not end a range over its channel)")
            yield unit.report(
                source,
                message,
                data={"stopped": stopped, "ticker": _text(receiver) if receiver is not None else None,
                      "kind": "range-ticker" if any(c.type == "range_clause" for c in loop.named_children)
                      else "select"},
                severity=Severity.INFORMATION if unit.file.is_test else None,
            )
            continue
        if _is_time_tick(source, unit) and unit.file.go_below(23) and not in_goroutine:
            if unit.file.package == "main" or unit.file.is_test or is_process_lifetime(outer, unit.file):
                continue
            yield unit.report(
                source,
                "time.Tick's ticker is never released before Go 1.23 (this module's go line is "
                f"{unit.file.go_version}): every call of this function leaks one",
                severity=Severity.WARNING,
                data={"kind": "time-tick"},
            )


def _ticker_loop(loop: Node, unit: Unit) -> tuple[Node, Node | None] | None:
    """(the ticking expression, the ticker's expression or None for time.Tick) when the loop
    is driven by a ticker: `for range T.C`, `for range time.Tick(d)`, `for { select { case <-T.C: } }`."""
    range_clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    if range_clause is not None:
        right = range_clause.child_by_field_name("right")
        return _ticker_channel(right, unit) if right is not None else None
    if loop_condition(loop) is not None or any(c.type == "for_clause" for c in loop.named_children):
        return None
    body = statements_of(loop.child_by_field_name("body"))
    if len(body) != 1 or body[0].type != "select_statement":
        return None
    for case in body[0].named_children:
        if case.type != "communication_case":
            continue
        comm = case.child_by_field_name("communication")
        received = _received_channel(comm)
        found = _ticker_channel(received, unit) if received is not None else None
        if found is not None:
            return found
    return None


def _received_channel(comm: Node | None) -> Node | None:
    if comm is None:
        return None
    expr = comm.child_by_field_name("right") if comm.type == "receive_statement" else comm
    if expr is None and comm.type == "receive_statement":
        expr = comm.named_children[0] if comm.named_children else None
    if expr is not None and expr.type == "expression_statement" and expr.named_children:
        expr = expr.named_children[0]
    if expr is not None and expr.type == "unary_expression" and expr.text.startswith(b"<-"):
        return expr.child_by_field_name("operand")
    return None


def _ticker_channel(expr: Node, unit: Unit) -> tuple[Node, Node | None] | None:
    if _is_time_tick(expr, unit):
        return expr, None
    parts = selector_parts(expr)
    if parts is None or parts[1] != "C":
        return None
    if expression_kind(parts[0], unit) == "TICKER":
        return expr, parts[0]
    return None


def _is_time_tick(expr: Node, unit: Unit) -> bool:
    return expr.type == "call_expression" and is_package_call(expr, unit.file, "time", "Tick")


def _loop_can_exit(loop: Node) -> bool:
    """A return, a break out of this loop, a goto, or a call that ends the goroutine."""
    body = loop.child_by_field_name("body")
    if body is None:
        return True
    if next(loop_exits(body), None) is not None:
        return True
    return any(is_terminating_call(node) for node in walk_named(body, skip_function_literals=True))


def _runs_in_goroutine(function: Node, unit: Unit) -> bool:
    if function.type == "func_literal" and start_of_literal(function, unit) is not None:
        return True
    # A function, or a literal bound to a name (`var poll = func() {...}`), that `go` starts.
    name = bound_name(function) if function.type == "func_literal" else function_name(function)
    return name is not None and any(f.name == name for f in unit.file.facts.of(GoStarted))


def _only_started_from(function: Node, unit: Unit, starters: frozenset[str]) -> bool:
    name = bound_name(function) if function.type == "func_literal" else function_name(function)
    if name is None:
        return False
    callers = {f.caller for f in unit.file.facts.of(GoStarted) if f.name == name}
    return bool(callers) and callers <= starters


def _outermost_function(function: Node) -> Node:
    while True:
        parent = enclosing_function(function)
        if parent is None:
            return function
        function = parent


def _outer_name(function: Node) -> str | None:
    return function_name(_outermost_function(function))


def _stopped_elsewhere(receiver: Node, outer: Node, unit: Unit) -> bool:
    """`T.Stop()` in the same function, or, for a field, in any method of the file."""
    text = receiver.text
    for node in walk_named(outer):
        if node.type == "call_expression":
            parts = selector_parts(node.child_by_field_name("function"))
            if parts is not None and parts[1] == "Stop" and parts[0].text == text:
                return True
    if receiver.type == "selector_expression":
        parts = selector_parts(receiver)
        return parts is not None and StopCalled(parts[1]) in unit.file.facts
    return False


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""
