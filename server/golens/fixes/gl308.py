"""GL308 signal-notify-unbuffered: give the channel room for one signal, as the os/signal
documentation asks (`make(chan os.Signal, 1)`)."""

from golens.checks.gl308_signal_notify_unbuffered import unbuffered_notify
from golens.fixes import Fix
from golens.fixes.channels import make_capacity_edit, unit_of
from golens.fixes.context import FixContext


def fixes(ctx: FixContext) -> list[Fix]:
    node = ctx.node  # the channel argument of the Notify call
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    arguments = node.parent
    call = arguments.parent if arguments is not None and arguments.type == "argument_list" else None
    if call is None:
        return []
    found = unbuffered_notify(call, unit_of(ctx))
    if found is None:
        return []
    argument, make = found
    return [Fix(f"Make {ctx.text(argument)} buffered (capacity 1) so that a signal waits for its receiver",
                (make_capacity_edit(make, "1"),), preferred=True)]
