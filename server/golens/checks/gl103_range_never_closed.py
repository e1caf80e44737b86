from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.channels import CLOSE, GO, INLINE, RANGE, SELF, SEND, ChanOp, channels
from golens.syntax.flow import leak_severity, loop_exits_early
from golens.syntax.paths import loop_condition


def check(unit: Unit) -> Iterator[Report]:
    for channel in channels(unit):
        if channel.escape is not None or channel.function.has_error:
            continue
        if any(op.kind == CLOSE for op in channel.ops):
            continue
        ranges = [op for op in channel.ops if op.kind == RANGE and op.owner_kind == GO]
        if not ranges:
            continue
        sends = [op for op in channel.ops if op.kind == SEND]
        own_sends = [op for op in sends if op.owner_kind in (SELF, INLINE)]
        if own_sends and all(_in_endless_loop(op, channel.function) for op in own_sends):
            continue  # the function feeds the workers forever: they are meant to live as long
        worker = ranges[0]
        senders = "none" if not sends else ("function" if len(own_sends) == len(sends) else "goroutines")
        yield unit.report(
            worker.ident,
            f"this goroutine ranges over {channel.name}, but nothing ever closes {channel.name}: the "
            f"loop never ends and the goroutine leaks once the last value is sent",
            related=((channel.make, f"{channel.name} is made here and never closed"),),
            data={"channel": channel.name, "senders": senders},
            severity=leak_severity(unit, channel.function),
        )


def _in_endless_loop(op: ChanOp, function: Node) -> bool:
    """The op repeats in a `for { ... }` of the function that has no way out."""
    node = op.node.parent
    while node is not None and node != function:
        if node.type == "for_statement" and _is_endless(node):
            return True
        node = node.parent
    return False


def _is_endless(loop: Node) -> bool:
    if loop_condition(loop) is not None:
        return False
    if any(c.type in ("for_clause", "range_clause") for c in loop.named_children):
        return False
    return loop_exits_early(loop) is None
