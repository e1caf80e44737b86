"""GL306 send-before-receiver: see rules/GL306-send-before-receiver.md."""

from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.channels import CLOSE, GO, INLINE, RANGE, RECV, SELF, SEND, Channel, ChanOp, channels
from golens.syntax.flow import leak_severity, loops_between
from golens.syntax.unit import walk_named


class GL306Data(TypedDict, total=False):
    """What GL306 hands its fix (read back from an editor, so every key may be missing)."""

    channel: str


def check(unit: Unit) -> Iterator[Report]:
    for channel in channels(unit):
        if not channel.unbuffered or channel.function.has_error:
            continue
        send = send_without_receiver(channel)
        if send is None:
            continue
        yield unit.report(
            send.node,
            f"nothing can receive from {channel.name} yet: it is unbuffered, made in this function, "
            f"and no goroutine that could receive it has been started (nor has it been handed to any "
            f"other code) before this send, which therefore blocks forever",
            related=((channel.make, f"{channel.name} is made unbuffered here"),),
            data=GL306Data(channel=channel.name),
            severity=leak_severity(unit, channel.function),
        )


def send_without_receiver(channel: Channel) -> ChanOp | None:
    """The function's first blocking send on the channel when, up to it, no goroutine that
    touches the channel has been started and the channel has not escaped: source order stands
    for execution order, so a send in a loop also waits for whatever the loop does later."""
    # A send in a for clause's post statement runs only after a full iteration: not followed.
    sends = [op for op in channel.ops if op.kind == SEND and op.owner_kind == SELF and not op.guarded
             and op.node.parent is not None and op.node.parent.type in ("statement_list", "communication_case")]
    if not sends:
        return None
    send = min(sends, key=lambda op: op.node.start_byte)
    if any(n.type in ("goto_statement", "labeled_statement") for n in walk_named(channel.function)):
        return None  # a backward jump runs later code before the send
    loops = loops_between(send.node, channel.function)
    horizon = loops[-1].end_byte if loops else send.node.start_byte
    if channel.escape is not None and channel.escape.start_byte < horizon:
        return None
    for op in channel.ops:
        if op.owner_kind == GO and op.statement is not None and op.statement.start_byte < horizon:
            return None  # a goroutine that may receive is running by then
        if op.kind in (RECV, RANGE, CLOSE) and op.owner_kind in (SELF, INLINE) \
                and op.node.start_byte < send.node.start_byte:
            # The function receives first (that receive is the question, not this send), or
            # closes the channel first (then the send panics: GL304's finding).
            return None
    return send


def later_receiver(channel: Channel, send: ChanOp) -> Node | None:
    """The go statement, started after the send, whose goroutine receives from the channel."""
    for op in channel.ops:
        if op.kind in (RECV, RANGE) and op.owner_kind == GO and op.statement is not None \
                and op.statement.start_byte > send.node.end_byte:
            return op.statement
    return None
