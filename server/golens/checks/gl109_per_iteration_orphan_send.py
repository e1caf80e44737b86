"""GL109 per-iteration-orphan-send: see rules/GL109-per-iteration-orphan-send.md."""

from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.checks.gl101_orphan_send import signals
from golens.syntax import Report, Unit
from golens.syntax.channels import DEFER, GO, INLINE, RANGE, RECV, SELF, SEND, Channel, ChanOp, channels
from golens.syntax.flow import leak_severity
from golens.syntax.tree import FUNCTION_TYPES


class GL109Data(TypedDict, total=False):
    """What GL109 hands its fix (read back from an editor, so every key may be missing)."""

    channel: str


def check(unit: Unit) -> Iterator[Report]:
    for channel in channels(unit):
        if channel.escape is not None or not channel.unbuffered or channel.function.has_error:
            continue
        found = abandoned_send(channel)
        if found is None:
            continue
        send, loop, other = found
        yield unit.report(
            send.node,
            f"{channel.name} is made anew each iteration and nothing receives from it once this "
            f"select takes another case: the goroutine started in that iteration blocks forever on "
            f"this send and leaks, one per such iteration (make {channel.name} buffered with capacity 1)",
            related=(
                (channel.make, f"{channel.name} is unbuffered and made in the loop body"),
                (other, f"if this case wins, the iteration moves on without receiving from {channel.name}"),
                (loop.children[0], "one goroutine per iteration"),
            ),
            data=GL109Data(channel=channel.name),
            severity=leak_severity(unit, channel.function),
        )


def abandoned_send(channel: Channel) -> tuple[ChanOp, Node, Node] | None:
    """(the goroutine's send, the loop, the select case that abandons the channel) when the
    channel is made in a loop body, one goroutine of the same iteration sends on it without a way
    to give up, and its only receive is one case of a select whose other case can win."""
    scope = channel.declaration.parent
    while scope is not None and scope.type not in ("block", *FUNCTION_TYPES):
        scope = scope.parent
    loop = scope.parent if scope is not None else None
    if scope is None or loop is None or loop.type != "for_statement":
        return None  # the channel is not made afresh by each iteration of a loop
    if any(op.kind in (RECV, RANGE) and op.owner_kind in (DEFER, GO) for op in channel.ops):
        return None  # another goroutine or a deferred drain receives
    receives = channel.ops_by(SELF, INLINE, kinds=(RECV, RANGE))
    if len(receives) != 1 or not receives[0].guarded or _loop_between(receives[0].node, scope):
        return None
    sends = [op for op in channel.ops if op.kind == SEND and op.owner_kind == GO]
    if not sends or any(op.guarded for op in sends):
        return None
    goroutines = {op.statement.start_byte: op.statement for op in sends if op.statement is not None}
    if len(goroutines) != 1:
        return None
    go = next(iter(goroutines.values()))
    if _loop_between(go, scope) or go.start_byte > receives[0].node.start_byte:
        return None
    select = receives[0].select
    assert select is not None, "a guarded receive is a select case"
    receiving_case = receives[0].node
    while receiving_case.parent is not None and receiving_case.parent != select:
        receiving_case = receiving_case.parent
    for case in select.named_children:
        if case == receiving_case or case.type not in ("communication_case", "default_case"):
            continue
        if case.type == "communication_case" and _waits_for_goroutine(case, go):
            continue
        return sends[0], loop, case.children[0]
    return None


def _loop_between(node: Node, scope: Node) -> bool:
    current = node.parent
    while current is not None and current != scope:
        if current.type == "for_statement":
            return True
        current = current.parent
    return False


def _waits_for_goroutine(case: Node, go: Node) -> bool:
    """`case err := <-errc:` where the same goroutine sends on errc or closes it: when this case
    wins, the goroutine is past the point where it could send on the abandoned channel, or sent
    there instead."""
    communication = case.child_by_field_name("communication")
    if communication is not None and communication.type == "receive_statement":
        communication = communication.child_by_field_name("right")
    operand = communication.child_by_field_name("operand") \
        if communication is not None and communication.type == "unary_expression" else None
    return operand is not None and operand.type == "identifier" and signals(go, operand.text or b"")
