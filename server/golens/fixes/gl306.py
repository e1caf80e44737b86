"""GL306 send-before-receiver: a buffer for the one value, when the channel carries only one.
Preferred when a goroutine started later receives it (the program then does what it was written
to do); with no receiver at all it only unblocks the sender, which may not be what is meant."""

from golens.checks.gl306_send_before_receiver import later_receiver, send_without_receiver
from golens.fixes import Fix
from golens.fixes.channels import bounded_sends, capacity_edit, channel_of, measured
from golens.fixes.context import FixContext


def fixes(ctx: FixContext) -> list[Fix]:
    channel = channel_of(ctx)
    send = send_without_receiver(channel) if channel is not None else None
    if channel is None or send is None or bounded_sends(channel) != 1 or measured(channel):
        return []
    return [Fix(f"Make {channel.name} buffered (capacity 1) so that its one value waits for the receiver",
                (capacity_edit(channel, "1"),), preferred=later_receiver(channel, send) is not None)]
