from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.channels import GO, INLINE, RANGE, RECV, SELF, SEND, Channel, channels
from golens.syntax.flow import leak_severity, literal_iterations, loop_exits_early
from golens.syntax.paths import loop_condition
from golens.syntax.tree import is_inside, text


def check(unit: Unit) -> Iterator[Report]:
    for channel in channels(unit):
        if channel.escape is not None or channel.unbuffered or channel.function.has_error:
            continue
        for send in channel.ops:
            if send.kind != SEND or send.owner_kind != SELF or send.guarded:
                continue
            loop = send.loop()
            if loop is None or not _no_consumer_yet(channel, loop) or loop_exits_early(loop) is not None:
                continue
            bound = _exceeds(loop, channel)
            if bound is None:
                continue
            capacity = text(channel.capacity) if channel.capacity is not None else "0"
            yield unit.report(
                send.node,
                f"this loop can send more than {capacity} values into {channel.name} {bound} while "
                f"nothing receives from it yet: once the buffer is full the send blocks forever "
                f"(start the consumer before the loop)",
                related=((channel.make, f"{channel.name} holds {capacity} values"),
                         (loop.children[0], "the loop that fills it")),
                data={"channel": channel.name, "capacity": capacity, "range_over": _range_over(loop)},
                severity=leak_severity(unit, channel.function),
            )
            break


def _no_consumer_yet(channel: Channel, loop: Node) -> bool:
    """Nothing receives inside the loop, and no goroutine that receives is started before the
    loop ends (a consumer started first, or the semaphore idiom's `<-sem` in the loop's goroutines)."""
    for op in channel.ops:
        if op.kind not in (RECV, RANGE):
            continue
        if op.owner_kind in (SELF, INLINE) and is_inside(op.node, loop):
            return False
        if op.owner_kind == GO and op.statement is not None and op.statement.start_byte < loop.end_byte:
            return False
    return True


def _exceeds(loop: Node, channel: Channel) -> str | None:
    """How the loop can outrun the buffer, or None when it cannot (or we cannot tell)."""
    clause = next((c for c in loop.named_children if c.type in ("for_clause", "range_clause")), None)
    if clause is None:
        return "(the loop has no bound)" if loop_condition(loop) is None \
            else "(the loop runs while its condition holds)"
    capacity = channel.capacity_value
    if capacity is None:
        return None  # a computed capacity is usually sized for the loop: do not guess
    count = literal_iterations(loop)
    if count is not None:
        return f"(the loop runs {count} times)" if count > capacity else None
    if clause.type == "range_clause":
        right = clause.child_by_field_name("right")
        if right is None or right.type in ("int_literal", "composite_literal", "interpreted_string_literal"):
            return None
        return f"(one per element of {text(right)})"
    return None


def _range_over(loop: Node) -> str | None:
    clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    right = clause.child_by_field_name("right") if clause is not None else None
    if right is None or right.type not in ("identifier", "selector_expression"):
        return None
    return text(right)
