from collections.abc import Iterator

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.calls import function_name, selector_parts
from golens.syntax.goroutines import goroutine_starts
from golens.syntax.paths import loop_condition, statements_of
from golens.syntax.selects import (
    assigned_expressions,
    assigns_to,
    builtin_argument,
    case_operation,
    channel_key,
    close_statement_target,
    following,
    operations_in,
    root_name,
    select_cases,
)
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import FUNCTION_TYPES, walk_named

_LOOP_EXITS = ("return_statement", "goto_statement")


def check(unit: Unit) -> Iterator[Report]:
    reported: set[int] = set()
    for call in unit.nodes("call_expression"):
        argument = builtin_argument(call, b"close")
        key = channel_key(argument) if argument is not None else None
        function = enclosing_function(call) if key is not None else None
        if function is None:
            continue
        statement = call.parent
        if statement is None or statement.type not in ("expression_statement", "defer_statement"):
            continue
        for report in _findings(unit, call, statement, key, function):
            if report.start not in reported:
                reported.add(report.start)
                yield report
    for report in _goroutines(unit):
        if report.start not in reported:
            reported.add(report.start)
            yield report


def _findings(unit: Unit, call: Node, statement: Node, key: bytes, function: Node):
    name = key.decode("utf-8", "replace")
    data = {"channel": name}
    idiom = _close_if_open(statement, key)
    if idiom is not None:
        if not _serialised(idiom, function):
            yield unit.report(
                call,
                # Whether two goroutines ever run it at once is invisible here: say what follows if they do.
                f"close-if-not-closed is not atomic: if two goroutines run it at once, both can see {name} "
                "open and both close it (panic: close of closed channel); close it once with sync.Once",
                related=((idiom, "the check and the close are not atomic"),),
                data={**data, "case": "close-if-open", "variant": "sync-once"},
                severity=Severity.INFORMATION,
            )
        return
    if function.has_error:
        return
    deferred = _deferring_literal(statement, function)
    if deferred is not None:
        outer = enclosing_function(deferred)
        later = _later_siblings(deferred)
        if outer is not None and not any(assigns_to(s, key) for s in later):
            for explicit in _explicit_after_defer(deferred, key, outer):
                yield unit.report(
                    explicit,
                    f"{name} is closed here and again by the deferred function when this function "
                    "returns (panic: close of closed channel)",
                    related=((call, "the deferred close"),),
                    data={**data, "case": "defer", "variant": "delete-close"},
                )
        return
    if statement.type == "expression_statement":
        second = _sequential_close(statement, key)
        if second is not None:
            yield unit.report(
                second,
                f"{name} is closed twice on this path (panic: close of closed channel)",
                related=((call, "first closed here"),),
                data={**data, "case": "sequential", "variant": "delete-close"},
            )
        loop = _repeated_in_loop(statement, key, function)
        if loop is not None:
            yield unit.report(
                call,
                f"{name} is closed inside a loop that can run this close again (panic: close of "
                "closed channel); close it once, after the loop or with sync.Once",
                related=((loop.children[0], "the loop repeats the close"),),
                data={**data, "case": "loop", "variant": "sync-once"},
            )
    else:
        for explicit in _explicit_after_defer(statement, key, function):
            yield unit.report(
                explicit,
                f"{name} is closed here and again by the deferred close when the function returns "
                "(panic: close of closed channel)",
                related=((statement, "the deferred close"),),
                data={**data, "case": "defer", "variant": "delete-close"},
            )


def _goroutines(unit: Unit):
    """Two goroutines started by one function that both close the same channel, or one such
    goroutine started on every iteration of a loop."""
    seen: dict[tuple[int, bytes], tuple[Node, Node]] = {}
    for start in goroutine_starts(unit):
        go, literal = start.statement, start.literal
        if literal is None or literal.has_error:
            continue
        starter = enclosing_function(go)
        if starter is None:
            continue
        own = {n.text for p in literal.child_by_field_name("parameters").named_children
               for n in p.children_by_field_name("name")} if literal.child_by_field_name("parameters") else set()
        for statement in statements_of(literal.child_by_field_name("body")):
            target = close_statement_target(statement)
            if target is None and statement.type == "defer_statement" and statement.named_children:
                target = builtin_argument(statement.named_children[0], b"close")
            key = channel_key(target) if target is not None else None
            if key is None or root_name(target) in own or _declared_in(literal, root_name(target)):
                continue
            close = statement.named_children[0]
            name = key.decode("utf-8", "replace")
            loop = _loop_between(go, starter)
            if loop is not None and not _declared_in(loop, root_name(target)) and not assigns_to(loop, key):
                yield unit.report(
                    close,
                    f"a goroutine started on every iteration closes {name}: the second one panics "
                    "(close of closed channel); close it once, after the goroutines finish",
                    related=((loop.children[0], "the loop that starts the goroutines"),),
                    data={"channel": name, "case": "goroutines", "variant": "sync-once"},
                )
                continue
            earlier = seen.get((starter.id, key))
            if earlier is None or not _encloses(earlier[1].parent, go) or \
                    _assigned_between(earlier[1], go, key):
                seen[(starter.id, key)] = (close, go)
                continue
            first = earlier[0]
            yield unit.report(
                close,
                f"two goroutines close {name}: whichever runs second panics (close of closed "
                "channel); let one owner close it, or use sync.Once",
                related=((first, "the other goroutine's close"),),
                data={"channel": name, "case": "goroutines", "variant": "sync-once"},
            )


def _assigned_between(first: Node, second: Node, key: bytes) -> bool:
    """Is the channel re-made between two go statements of the same block?"""
    for later in _later_siblings(first):
        if later.end_byte > second.start_byte:
            break
        if assigns_to(later, key):
            return True
    return False


def _encloses(ancestor: Node | None, node: Node) -> bool:
    """Is `node` inside `ancestor` (the statement list of an earlier go statement: both
    goroutines start on the same path)?"""
    return ancestor is not None and ancestor.start_byte <= node.start_byte and node.end_byte <= ancestor.end_byte


def _loop_between(node: Node, function: Node) -> Node | None:
    parent = node.parent
    while parent is not None and parent != function:
        if parent.type == "for_statement":
            return parent
        parent = parent.parent
    return None


def _closes(node: Node, key: bytes):
    """close(key) calls in `node`, not inside function literals."""
    for child in operations_in(node):
        if child.type == "call_expression":
            argument = builtin_argument(child, b"close")
            if argument is not None and channel_key(argument) == key:
                yield child


def _sequential_close(statement: Node, key: bytes) -> Node | None:
    """A second close(key) reached by falling through the first one."""
    for later, level in following(statement):
        if assigns_to(later, key):
            return None
        if level == 0:
            found = next(_closes(later, key), None)
            if found is not None:
                return found
        elif close_statement_target(later) is not None and channel_key(close_statement_target(later)) == key:
            return later.named_children[0]
    return None


def _later_siblings(statement: Node) -> list[Node]:
    block = statement.parent
    if block is None or block.type != "statement_list":
        return []
    siblings = [s for s in block.named_children if s.type != "comment"]
    return siblings[siblings.index(statement) + 1:] if statement in siblings else []


def _deferring_literal(statement: Node, function: Node) -> Node | None:
    """The `defer func() { ... }()` statement when `statement` is a top-level statement of
    that deferred literal."""
    if function.type != "func_literal" or statement.parent is None or \
            statement.parent.parent != function.child_by_field_name("body"):
        return None
    call = function.parent
    if call is None or call.type != "call_expression" or call.parent is None:
        return None
    return call.parent if call.parent.type == "defer_statement" else None


def _explicit_after_defer(defer: Node, key: bytes, function: Node):
    """Explicit close(key) calls that run after `defer close(key)` was registered: later in
    the block that holds the defer, with no assignment to the channel in between."""
    for statement in _later_siblings(defer):
        if assigns_to(statement, key):
            return
        yield from _closes(statement, key)


def _repeated_in_loop(statement: Node, key: bytes, function: Node) -> Node | None:
    """The loop around this close when nothing stops the next iteration from closing again."""
    loop = None
    node = statement.parent
    while node is not None and node != function:
        if node.type in FUNCTION_TYPES:
            return None
        if node.type in ("if_statement", "expression_switch_statement", "type_switch_statement"):
            return None  # a condition may well hold only once
        if node.type == "for_statement":
            loop = node
            break
        node = node.parent
    if loop is None:
        return None
    root = root_name(close_statement_target(statement))
    if root is None or _declared_in(loop, root) or assigns_to(loop, key):
        return None
    if any(_exits(later, loop) for later, _ in following(statement)):
        return None
    condition = loop_condition(loop)
    if condition is not None:
        names = {n.text for n in operations_in(condition) if n.type == "identifier"}
        body = loop.child_by_field_name("body")
        if body is not None and any(t.text in names for n in walk_named(body)
                                    if n.type in ("assignment_statement", "inc_statement", "dec_statement")
                                    for t in _targets(n)):
            return None
    case = _enclosing_case(statement, loop)
    if case is not None:
        operation = case_operation(case)
        if operation is None or operation[0] != "recv":
            return None
        channel = channel_key(operation[1])
        if channel is None or assigns_to(loop, channel) or _is_timer_channel(operation[1]):
            return None  # a disabled case (ch = nil) or a timer fires once
    return loop


def _targets(node: Node) -> list[Node]:
    if node.type in ("inc_statement", "dec_statement"):
        return list(node.named_children[:1])
    return assigned_expressions(node)


def _enclosing_case(statement: Node, loop: Node) -> Node | None:
    node = statement.parent
    while node is not None and node != loop:
        if node.type == "communication_case":
            return node
        node = node.parent
    return None


def _is_timer_channel(expr: Node) -> bool:
    parts = selector_parts(expr)
    return (parts is not None and parts[1] == "C") or expr.type == "call_expression"


def _exits(statement: Node, loop: Node) -> bool:
    """Does `statement` contain a way out of `loop` (return, goto, a labelled break or continue,
    a break that belongs to the loop, panic or an exit call)?"""
    for node in operations_in(statement):
        if node.type in _LOOP_EXITS:
            return True
        if node.type in ("break_statement", "continue_statement") and node.named_children:
            return True
        if node.type == "break_statement" and _breaks(node) == loop:
            return True
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            if function is not None and function.type == "identifier" and function.text == b"panic":
                return True
            parts = selector_parts(function)
            if parts is not None and parts[1] in ("Exit", "Goexit", "Fatal", "Fatalf", "Fatalln", "FailNow"):
                return True
    return False


def _breaks(node: Node) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type in ("for_statement", "expression_switch_statement", "type_switch_statement",
                           "select_statement"):
            return parent
        parent = parent.parent
    return None


def _declared_in(loop: Node, name: bytes) -> bool:
    for node in operations_in(loop, skip_literals=False):
        if node.type in ("short_var_declaration", "var_spec", "range_clause", "receive_statement"):
            if node.type == "range_clause" or node.type == "receive_statement":
                if not any(c.type == ":=" for c in node.children):
                    continue
            if any(t.type == "identifier" and t.text == name for t in assigned_expressions(node)):
                return True
        elif node.type == "parameter_declaration":
            if any(n.text == name for n in node.children_by_field_name("name")):
                return True
    return False


def _close_if_open(statement: Node, key: bytes) -> Node | None:
    """The select of `select { case <-key: default: close(key) }`."""
    case = statement.parent.parent if statement.parent is not None else None
    if case is None or case.type != "default_case":
        return None
    select = case.parent
    if select is None or select.type != "select_statement":
        return None
    cases, _ = select_cases(select)
    if len(cases) != 1:
        return None
    operation = case_operation(cases[0])
    if operation is None or operation[0] != "recv" or channel_key(operation[1]) != key:
        return None
    return select


def _serialised(select: Node, function: Node) -> bool:
    """A lock taken before the check, a sync.Once around it, or a `...Locked` function whose
    caller holds the lock: the check-then-close cannot interleave."""
    name = (function_name(function) or "").lower()
    if name.endswith("locked"):
        return True
    outer = function
    while outer is not None:
        if outer.type == "func_literal":
            call = outer.parent.parent if outer.parent is not None else None
            if call is not None and call.type == "call_expression":
                parts = selector_parts(call.child_by_field_name("function"))
                if parts is not None and parts[1] == "Do":
                    return True
        body = outer.child_by_field_name("body")
        if body is not None:
            for node in walk_named(body, skip_function_literals=True):
                if node.start_byte >= select.start_byte:
                    break
                if node.type == "call_expression":
                    parts = selector_parts(node.child_by_field_name("function"))
                    if parts is not None and parts[1] in ("Lock", "RLock", "TryLock"):
                        return True
        outer = enclosing_function(outer)
    return False

