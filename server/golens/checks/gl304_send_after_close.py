from collections.abc import Iterator

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.calls import selector_parts
from golens.syntax.goroutines import goroutine_starts
from golens.syntax.selects import (
    assigned_expressions,
    assigns_to,
    builtin_argument,
    channel_key,
    close_statement_target,
    following,
    received_channel,
    root_name,
    sent_channel,
)
from golens.syntax.tree import FUNCTION_TYPES, enclosing_function, is_go_literal, source
from golens.syntax.unit import statement_position


def check(unit: Unit) -> Iterator[Report]:
    for call in unit.nodes("call_expression"):
        argument = builtin_argument(call, b"close")
        key = channel_key(argument) if argument is not None else None
        if key is None:
            continue
        statement = call.parent
        if statement is None or statement.type != "expression_statement":
            continue
        function = enclosing_function(call)
        if function is None or function.has_error:
            continue
        send = _send_after(statement, key)
        if send is None:
            continue
        name = key.decode("utf-8", "replace")
        yield unit.report(
            send,
            f"send on {name} after it was closed on this path (panic: send on closed channel); "
            "close it after the last send",
            related=((call, "closed here"),),
            data={"channel": name, "case": "sequential", "variant": "move-close"},
        )
    yield from _goroutine_senders(unit)


def _send_after(statement: Node, key: bytes) -> Node | None:
    for later, level in following(statement):
        if assigns_to(later, key):
            return None
        if level == 0:
            found = _first_send(later, key)
            if found is not None:
                return found
        elif later.type == "send_statement" and channel_key(sent_channel(later)) == key:
            return later
    return None


def _first_send(node: Node, key: bytes) -> Node | None:
    """A send on `key` in `node`, entering goroutines started there but no other function
    literal (a callback may never run)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "send_statement" and channel_key(sent_channel(current)) == key:
            return current
        if current.type == "func_literal" and not is_go_literal(current):
            continue
        stack.extend(reversed(current.named_children))
    return None


def _goroutine_senders(unit: Unit) -> Iterator[Report]:
    """`go func() { ... ch <- v ... }()` followed in the same block by `close(ch)` with nothing
    in between that waits for the goroutine."""
    for start in goroutine_starts(unit):
        go, literal = start.statement, start.literal
        if literal is None or literal.has_error:
            continue
        position = statement_position(unit, go)
        if position is None:
            continue
        siblings, index = position
        for later in siblings[index + 1:]:
            if _waits(later):
                break
            target = close_statement_target(later)
            key = channel_key(target) if target is not None else None
            if key is None:
                continue
            if root_name(target) in _literal_names(literal):
                continue
            body = literal.child_by_field_name("body")
            send = _first_send(body, key) if body is not None else None
            if send is None:
                continue
            name = key.decode("utf-8", "replace")
            yield unit.report(
                later.named_children[0],
                f"{name} is closed while the goroutine started above may still send on it (panic: "
                "send on closed channel); wait for it (sync.WaitGroup) before closing",
                related=((send, "this send can run after the close"),),
                data={"channel": name, "case": "goroutine", "variant": "wait-first"},
                severity=Severity.INFORMATION,
            )
            break


def _literal_names(literal: Node) -> set[bytes]:
    """Names the literal declares itself (parameters and locals)."""
    names: set[bytes] = set()
    params = literal.child_by_field_name("parameters")
    for decl in params.named_children if params is not None else ():
        names.update(source(n) for n in decl.children_by_field_name("name"))
    body = literal.child_by_field_name("body")
    stack = list(body.named_children) if body is not None else []
    while stack:
        node = stack.pop()
        if node.type in ("short_var_declaration", "var_spec"):
            names.update(source(t) for t in assigned_expressions(node) if t.type == "identifier")
        if node.type not in FUNCTION_TYPES:
            stack.extend(node.named_children)
    return names


def _waits(statement: Node) -> bool:
    """Anything that may wait for the goroutine: a receive, a select, a range loop, a
    `.Wait()`, or any call at all that is not obviously local (it may block on the goroutine's
    progress)."""
    stack = [statement]
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_TYPES:
            continue
        if node.type in ("select_statement", "range_clause", "go_statement"):
            return True
        if received_channel(node) is not None:
            return True
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if builtin_argument(node, b"close") is None:
                parts = selector_parts(function)
                if parts is None or parts[1] not in ("Add", "Done", "Inc", "Store", "Logf", "Log"):
                    return True
        stack.extend(node.named_children)
    return False
