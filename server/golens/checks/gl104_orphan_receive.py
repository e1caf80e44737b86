from collections.abc import Iterator
from typing import TypedDict

from golens.syntax import Report, Unit
from golens.syntax.channels import CLOSE, DEFER, GO, INLINE, RANGE, RECV, SELF, SEND, ChanOp, channels, ops_within
from golens.syntax.flow import exits_after, leak_severity, loops_between
from golens.syntax.tree import closing_brace


class GL104Data(TypedDict, total=False):
    """What GL104 hands its fix."""

    channel: str
    value_used: bool  # the received value is used as data (a close would hand it a zero value)
    variant: str  # "never" or "early-return"


def check(unit: Unit) -> Iterator[Report]:
    for channel in channels(unit):
        if channel.escape is not None or channel.function.has_error:
            continue
        ops = channel.ops
        waits = [op for op in ops if op.kind == RECV and op.owner_kind == GO and not op.guarded]
        if not waits:
            continue
        if any(op.kind in (SEND, CLOSE) and op.owner_kind in (GO, DEFER) for op in ops):
            continue  # another goroutine or a deferred call signals: beyond this check
        if any(op.kind in (RECV, RANGE) and op.owner_kind in (SELF, INLINE) for op in ops):
            continue  # the function receives too: the roles are unclear
        wait = waits[0]
        go = wait.statement
        if go is None or loops_between(go, channel.function):
            continue
        name = channel.name
        signals = [op for op in ops if op.kind in (SEND, CLOSE)]
        if any(op.guarded for op in signals):
            continue  # the function chooses whether to deliver (select with another case): GL302's ground
        if any(op.node.start_byte < go.start_byte for op in signals):
            continue  # signalled before the goroutine even starts (a buffered hand-off): it cannot miss it
        data = GL104Data(channel=name, value_used=_value_used(wait), variant="never")
        severity = leak_severity(unit, channel.function)
        if not signals:
            yield unit.report(
                wait.node,
                f"this goroutine waits on {name}, but nothing ever sends on or closes {name}: it "
                f"blocks forever and leaks",
                related=((channel.make, f"{name} is made here"),),
                data=data,
                severity=severity,
            )
            continue
        exits = exits_after(go, channel.function, lambda node, signals=signals: ops_within(node, signals))
        if not exits:
            continue
        exit_node = exits[0]
        if exit_node.type == "block":
            where, note = closing_brace(exit_node), f"the function ends here without signalling {name}"
        else:
            where, note = exit_node, f"returns without sending on or closing {name}"
        yield unit.report(
            wait.node,
            f"the function can return before it sends on or closes {name}: this goroutine then "
            f"waits forever and leaks (defer close({name}) right after making it)",
            related=((where, note), (signals[0].node, f"{name} is signalled only here")),
            data={**data, "variant": "early-return"},
            severity=severity,
        )


def _value_used(wait: ChanOp) -> bool:
    """Is the received value used as data? (`defer close(ch)` would hand it a zero value.)"""
    parent = wait.node.parent
    if parent is None or parent.type == "expression_statement":
        return False
    holder = parent.parent if parent.type == "expression_list" else parent
    if holder is not None and holder.type in ("short_var_declaration", "assignment_statement", "receive_statement"):
        left = holder.child_by_field_name("left")
        names = [n.text for n in left.named_children] if left is not None else []
        return bool(names) and names[0] != b"_"
    return True

