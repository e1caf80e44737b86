from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.channels import DEFER, GO, INLINE, RANGE, RECV, SELF, SEND, Channel, ChanOp, channels, ops_within
from golens.syntax.flow import exits_after, leak_severity, loops_between
from golens.syntax.paths import is_terminating_call, statements_of
from golens.syntax.tree import closing_brace, is_inside


class GL101Data(TypedDict, total=False):
    """What GL101 hands its fix (read back from an editor, so every key may be missing)."""

    channel: str
    variant: str  # "never" (nobody receives), "double-send", ...
    ctx: str | None  # a context the sender could select on


def check(unit: Unit) -> Iterator[Report]:
    for channel in channels(unit):
        if channel.escape is not None or not channel.unbuffered or channel.function.has_error:
            continue
        found = orphan_send(channel)
        if found is None:
            continue
        send, variant, related, message = found
        yield unit.report(
            send.node,
            message,
            related=((channel.make, f"{channel.name} is unbuffered: a send waits for a receiver"), *related),
            data=GL101Data(channel=channel.name, variant=variant, ctx=_select_context(channel)),
            severity=leak_severity(unit, channel.function),
        )


def orphan_send(channel: Channel) -> tuple[ChanOp, str, tuple, str] | None:
    """(the blocking send, variant, related locations, message), or None."""
    name = channel.name
    if any(op.kind in (RECV, RANGE) and op.owner_kind in (DEFER, GO) for op in channel.ops):
        return None  # a deferred drain, or another goroutine consumes the channel
    senders = _sending_goroutines(channel)
    if not senders:
        return None
    receives = channel.ops_by(SELF, INLINE, kinds=(RECV, RANGE))
    if not receives:
        go, send = senders[0]
        return send, "no-receive", (), (
            f"nothing ever receives from {name}: this goroutine blocks forever on its send and leaks")
    receives_once = len(receives) == 1 and receives[0].kind == RECV and receives[0].loop() is None
    for go, send in senders:
        repeated = _second_send(channel, go) if receives_once else None
        if repeated is not None:
            first, second = repeated
            if first is second:
                return first, "repeated-send", ((receives[0].node, f"{name} is received only once"),), (
                    f"this goroutine sends on {name} in a loop but the function receives only once: "
                    f"the second send blocks forever and the goroutine leaks")
            return second, "double-send", (
                (first.node, "first send: the branch does not return after it"),
                (receives[0].node, f"{name} is received only once"),
            ), (f"this goroutine can send on {name} twice (the branch that sends above does not "
                f"return), but the function receives once: the second send blocks forever")
        exits = exits_after(go, channel.function, lambda node: ops_within(node, receives), goexit_is_exit=True)
        exits = [e for e in exits or () if not _case_waits_for(e, go, channel)]
        if not exits:
            continue
        exit_node = exits[0]
        select = _abandoning_select(exit_node, receives)
        if select is None and exit_node.type == "block":
            select = next((op.select for op in receives if op.guarded and op.loop() is None), None)
        if exit_node.type == "block":
            where = closing_brace(exit_node)
            note = f"the function ends here without receiving from {name}"
        elif exit_node.type == "expression_statement":  # t.Fatal*, runtime.Goexit
            where = exit_node
            note = f"ends the goroutine here without receiving from {name}"
        else:
            where = exit_node
            note = f"returns without receiving from {name}"
        if select is not None:
            return send, "select", ((where, note),), (
                f"if the select's other case wins, nobody receives from {name}: this goroutine "
                f"blocks forever on its send and leaks (make {name} buffered with capacity 1)")
        return send, "early-return", ((where, note),), (
            f"the function can return before receiving from {name}: this goroutine then blocks "
            f"forever on its send and leaks (make {name} buffered with capacity 1)")
    return None


def _select_context(channel: Channel) -> str | None:
    """X of a `case <-X.Done():` beside the receive: the context the guarded-send fix can use."""
    for op in channel.ops:
        if op.select is None or op.owner_kind not in (SELF, INLINE):
            continue
        for case in op.select.named_children:
            operand = _received_operand(case.child_by_field_name("communication")) \
                if case.type == "communication_case" else None
            if operand is None or operand.type != "call_expression":
                continue
            function = operand.child_by_field_name("function")
            if function is not None and function.type == "selector_expression":
                field = function.child_by_field_name("field")
                target = function.child_by_field_name("operand")
                if field is not None and field.text == b"Done" and target is not None:
                    return target.text.decode("utf-8", "replace")
    return None


def _sending_goroutines(channel: Channel) -> list[tuple[Node, ChanOp]]:
    """(go statement, its first unguarded send) for goroutines not started in a loop (those
    are GL102's) that send on the channel without a select to give up."""
    found: dict[int, tuple[Node, ChanOp]] = {}
    for op in channel.ops:
        if op.kind != SEND or op.owner_kind != GO or op.guarded:
            continue
        go = op.statement
        if go is None or loops_between(go, channel.function):
            continue
        found.setdefault(go.start_byte, (go, op))
    return [found[k] for k in sorted(found)]


def _second_send(channel: Channel, go: Node) -> tuple[ChanOp, ChanOp] | None:
    """Two sends on one path of the goroutine: a send in a loop (reported as (op, op)), or a
    send in an `if` branch that does not end, followed by a later send."""
    literal = next((op.owner for op in channel.ops if op.owner_kind == GO and op.statement == go), None)
    if literal is None:
        return None
    sends = [op for op in channel.ops if op.kind == SEND and op.owner == literal and not op.guarded]
    for op in sends:
        loop = op.loop()
        if loop is not None and is_inside(loop, literal) and not _leaves_after(op.node):
            return op, op
    for first in sends:
        branch = first.node.parent  # statement_list of an if's block
        block = branch.parent if branch is not None else None
        if_statement = block.parent if block is not None else None
        if block is None or block.type != "block" or if_statement is None or if_statement.type != "if_statement":
            continue
        statements = statements_of(block)
        if not statements or _ends(statements[-1]):
            continue
        for second in sends:
            if second.node.start_byte > if_statement.end_byte and _follows_on_path(if_statement, second.node):
                return first, second
    return None


def _leaves_after(send: Node) -> bool:
    """A return, break, goto or terminating call follows the send in its statement list."""
    statement_list = send.parent
    if statement_list is None or statement_list.type != "statement_list":
        return True  # a send in a select case header or another odd spot: do not guess
    after = [s for s in statement_list.named_children if s.start_byte > send.start_byte and s.type != "comment"]
    return any(s.type in ("return_statement", "break_statement", "goto_statement") or is_terminating_call(s)
               for s in after)


def _ends(statement: Node) -> bool:
    return statement.type in ("return_statement", "break_statement", "continue_statement", "goto_statement") \
        or is_terminating_call(statement)


def _follows_on_path(if_statement: Node, later: Node) -> bool:
    """`later` sits in the statement list that holds the if (or in one holding it, further
    out), unconditionally: control that leaves the if reaches it."""
    outer = if_statement
    while outer is not None and outer.type != "func_literal":
        statement_list = outer.parent
        if statement_list is None or statement_list.type != "statement_list":
            return False
        if later.parent == statement_list:
            return True
        holder = statement_list.parent
        if holder is None or holder.type != "block" or holder.parent is None:
            return False
        outer = holder.parent
        if outer.type not in ("if_statement", "statement_list"):
            return False
        if outer.type == "statement_list":
            outer = holder
    return False


def _abandoning_select(exit_node: Node, receives: list[ChanOp]) -> Node | None:
    """The select around `exit_node` one of whose cases receives from the channel."""
    node = exit_node.parent
    while node is not None and node.type not in ("func_literal", "function_declaration", "method_declaration"):
        if node.type == "select_statement" and any(op.select == node for op in receives):
            return node
        node = node.parent
    return None


def _case_waits_for(exit_node: Node, go: Node, channel: Channel) -> bool:
    """The exit sits in a select case that receives from a channel the same goroutine closes
    or sends on (`case <-done:` with `defer close(done)` in the goroutine): by the time that case
    fires, the goroutine is past its send or never makes it."""
    node = exit_node.parent
    while node is not None and node.type != "communication_case":
        if node.type in ("func_literal", "function_declaration", "method_declaration"):
            return False
        node = node.parent
    if node is None:
        return False
    received = _received_operand(node.child_by_field_name("communication"))
    if received is None or received.type != "identifier":
        return False
    return signals(go, received.text)


def signals(go: Node, name: bytes) -> bool:
    """Does the goroutine's literal close `name` or send on it?"""
    stack = list(go.named_children)
    while stack:
        current = stack.pop()
        if current.type == "send_statement":
            target = current.child_by_field_name("channel")
            if target is not None and target.type == "identifier" and target.text == name:
                return True
        elif current.type == "call_expression":
            function = current.child_by_field_name("function")
            args = current.child_by_field_name("arguments")
            if function is not None and function.text == b"close" and args is not None and \
                    any(a.type == "identifier" and a.text == name for a in args.named_children):
                return True
        stack.extend(current.named_children)
    return False


def _received_operand(communication: Node | None) -> Node | None:
    if communication is None or communication.type != "receive_statement":
        return None
    expr = communication.child_by_field_name("right")
    if expr is not None and expr.type == "unary_expression":
        return expr.child_by_field_name("operand")
    return None
