"""GL108 buffered-fill-no-consumer: size the buffer for everything the loop sends (its literal count,
or the collection it ranges over)."""

from golens.fixes import Fix
from golens.fixes.channels import (
    capacity_edit,
    channel_of,
    collection_length,
    finding_op,
    fixed_iterations,
    loops_within,
    measured,
    scope_of,
)
from golens.fixes.context import FixContext
from golens.syntax.channels import SEND


def fixes(ctx: FixContext) -> list[Fix]:
    channel = channel_of(ctx)
    if channel is None or measured(channel):
        return []
    send = finding_op(ctx, channel)
    # Every value the channel will ever hold comes from this send, once per element.
    if send is None or [op for op in channel.ops if op.kind == SEND] != [send]:
        return []
    loops = loops_within(send.node, scope_of(channel))
    if len(loops) != 1 or send.loop() != loops[0]:
        return []
    count = fixed_iterations(loops[0])
    length = str(count) if count is not None else collection_length(channel, ctx.data.get("range_over"), loops[0])
    if length is None:
        return []
    return [Fix(f"Size {channel.name}'s buffer for every value the loop sends ({length})", (capacity_edit(channel, length),),
                preferred=True)]
