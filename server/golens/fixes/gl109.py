"""GL109 per-iteration-orphan-send: room in each iteration's channel for every value its one
goroutine sends, so that the goroutine finishes even when the select has moved on."""

from golens.fixes import Fix
from golens.fixes.channels import bounded_sends, capacity_edit, channel_of, measured
from golens.fixes.context import FixContext


def fixes(ctx: FixContext) -> list[Fix]:
    channel = channel_of(ctx)
    if channel is None:
        return []
    count = bounded_sends(channel)
    if count is None or measured(channel):
        return []
    return [Fix(f"Make {channel.name} buffered (capacity {count}) so that the goroutine's send never blocks",
                (capacity_edit(channel, str(count)),), preferred=True)]
