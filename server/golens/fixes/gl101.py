"""GL101 orphan-send: give the channel room for every value it will ever hold, end the
goroutine's branch after its first send, or let its sends give up once the function returns."""

from typing import cast

from golens.checks.gl101_orphan_send import GL101Data
from golens.fixes import Fix
from golens.fixes.channels import (
    alone_on_line,
    bounded_sends,
    capacity_edit,
    channel_of,
    finding_op,
    measured,
    next_statement,
    stop_channel_fix,
)
from golens.fixes.context import FixContext
from golens.syntax.tree import enclosing_function


def fixes(ctx: FixContext) -> list[Fix]:
    data = cast(GL101Data, ctx.data)
    from golens.checks.gl101_orphan_send import _second_send

    channel = channel_of(ctx)
    if channel is None:
        return []
    name = channel.name
    variant = data.get("variant")
    found: list[Fix] = []
    if variant == "double-send":
        send = finding_op(ctx, channel)
        pair = _second_send(channel, send.statement) if send is not None and send.statement is not None else None
        if pair is not None:
            first, second = pair
            literal = first.owner
            list_node = first.node.parent  # statement_list -> block -> if
            block = list_node.parent if list_node is not None else None
            branch = block.parent if block is not None else None
            if first is not second and enclosing_function(first.node) == literal and branch is not None \
                    and literal is not None and literal.child_by_field_name("result") is None \
                    and alone_on_line(ctx, first.node):
                # Only when the second send comes right after the `if`: otherwise the statements
                # between would now be skipped on the sending branch (before the fix they ran,
                # then the goroutine blocked).
                preferred = next_statement(branch) == second.node
                found.append(Fix(f"Return after the first send on {name}",
                                 (ctx.insert_after(first.node, "return"),), preferred=preferred))
    count = bounded_sends(channel)
    if count is not None and not measured(channel):
        found.append(Fix(
            f"Make {name} buffered (capacity {count}) so that no send on it blocks",
            (capacity_edit(channel, str(count)),),
            preferred=not any(f.preferred for f in found),
        ))
    elif not found:
        stop = stop_channel_fix(ctx, channel, preferred=True)
        if stop is not None:
            found.append(stop)
    return found
