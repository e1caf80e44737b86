"""GL102 first-result-leak: room in the channel for every goroutine's result, or sends that give
up once the function has returned."""

from golens.fixes import Fix
from golens.fixes.channels import (
    bounded_sends,
    capacity_edit,
    channel_of,
    collection_length,
    finding_op,
    fixed_iterations,
    loops_within,
    measured,
    scope_of,
    stop_channel_fix,
)
from golens.fixes.context import FixContext
from golens.syntax.channels import GO, SEND


def fixes(ctx: FixContext) -> list[Fix]:
    channel = channel_of(ctx)
    if channel is None:
        return []
    send = finding_op(ctx, channel)
    if send is None:
        return []
    name = channel.name
    sends = [op for op in channel.ops if op.kind == SEND]
    scope = scope_of(channel)
    if not measured(channel) and sends == [send] and send.owner_kind == GO:
        # One send per goroutine and one goroutine per iteration: as many values as iterations.
        loops = loops_within(send.node, scope)
        count = fixed_iterations(loops[0]) if len(loops) == 1 else None
        length = str(count) if count is not None else \
            collection_length(channel, ctx.data.get("range_over"), loops[0]) if len(loops) == 1 else None
        if length is not None:
            return [Fix(f"Make {name} buffered with room for every result ({length})",
                        (capacity_edit(channel, length),), preferred=True)]
    count = bounded_sends(channel)
    if count is not None and not measured(channel):
        return [Fix(f"Make {name} buffered (capacity {count}) so that no send on it blocks",
                    (capacity_edit(channel, str(count)),), preferred=True)]
    stop = stop_channel_fix(ctx, channel, preferred=True)
    return [stop] if stop is not None else []
