"""GL308 signal-notify-unbuffered: see rules/GL308-signal-notify-unbuffered.md."""

from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import call_arguments, is_package_call
from golens.syntax.channels import DEFER, GO, INLINE, RANGE, RECV, SELF, channels
from golens.syntax.tree import text, unparen


def check(unit: Unit) -> Iterator[Report]:
    for call in unit.nodes("call_expression"):
        found = unbuffered_notify(call, unit)
        if found is None:
            continue
        argument, make = found
        name = text(argument)
        yield unit.report(
            argument,
            f"signal.Notify does not wait for a receiver: a signal that arrives while nothing is "
            f"receiving from unbuffered {name} is dropped (make it buffered: make(chan os.Signal, 1))",
            related=((make, f"{name} is made unbuffered here"),),
        )


def unbuffered_notify(call: Node, unit: Unit) -> tuple[Node, Node] | None:
    """(the channel argument, its make call) when `call` is `signal.Notify(c, ...)`, c is bound
    to `make(chan T)` without a buffer in this function, nothing rebinds it (the channel model
    drops rebound names) and something receives from it. `signal.Notify(make(chan os.Signal),
    ...)`, a channel nobody reads, only turns the signal's default action off: the drop is the
    point (vet's sigchanyzer spares it too)."""
    if not is_package_call(call, unit.file, "os/signal", "Notify"):
        return None
    arguments = call_arguments(call)
    argument = unparen(arguments[0]) if arguments else None
    if argument is None or argument.type != "identifier":
        return None
    for channel in channels(unit):
        # The channel's first hand-off is this argument: the name is that binding's, in scope.
        if channel.escape == argument and channel.unbuffered and channel.ops_by(
                SELF, GO, DEFER, INLINE, kinds=(RECV, RANGE)):
            return argument, channel.make
    return None
