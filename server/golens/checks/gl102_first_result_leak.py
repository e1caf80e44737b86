from collections.abc import Iterator

from tree_sitter import Node

from golens.checks.gl101_orphan_send import orphan_send
from golens.syntax import Report, Unit
from golens.syntax.calls import selector_parts
from golens.syntax.channels import DEFER, GO, INLINE, RANGE, RECV, SELF, SEND, Channel, ChanOp, channels
from golens.syntax.flow import leak_severity, literal_iterations, loop_exits_early, loops_between
from golens.syntax.tree import is_inside, text

# (the leaking send, fix variant, related notes, message, the loop that spawns the senders or None)
Leak = tuple[ChanOp, str, tuple[tuple[Node, str], ...], str, Node | None]


def check(unit: Unit) -> Iterator[Report]:
    for channel in channels(unit):
        if channel.escape is not None or not channel.unbuffered or channel.function.has_error:
            continue
        found = first_result_leak(channel)
        if found is None:
            continue
        send, variant, related, message, spawn_loop = found
        yield unit.report(
            send.node,
            message,
            related=related,
            data={"channel": channel.name, "variant": variant, "range_over": _range_over(spawn_loop)},
            severity=leak_severity(unit, channel.function),
        )


def first_result_leak(channel: Channel) -> Leak | None:
    """(send, variant, related, message, spawning loop or None), or None."""
    name = channel.name
    if any(op.kind in (RECV, RANGE) and op.owner_kind in (DEFER, GO) for op in channel.ops):
        return None  # a deferred drain, or another goroutine consumes the channel
    if _waits_for_group(channel.function):
        return None
    senders: dict[int, tuple[Node, ChanOp]] = {}
    for op in channel.ops:
        if op.kind == SEND and op.owner_kind == GO and not op.guarded and op.statement is not None:
            senders.setdefault(op.statement.start_byte, (op.statement, op))
    if not senders:
        return None
    receives = channel.ops_by(SELF, INLINE, kinds=(RECV, RANGE))
    looped = [(go, send, loops_between(go, channel.function)) for go, send in senders.values()]
    spawning = [(go, send, loops[0]) for go, send, loops in looped if loops]
    if spawning:
        go, send, spawn_loop = spawning[0]
        if any(is_inside(op.node, spawn_loop) for op in receives):
            return None  # spawn and receive in the same iteration: one result each
        spawn_note = (spawn_loop.children[0], "one goroutine is started per iteration")
        if not receives:
            return send, "no-receive", (spawn_note,), (
                f"one goroutine per iteration sends on {name}, but nothing receives from it: "
                f"every one of them blocks forever and leaks"), spawn_loop
        in_loops = [(op, _receiving_loop(op, spawn_loop)) for op in receives]
        if all(loop is None for _, loop in in_loops):
            count = literal_iterations(spawn_loop)
            if count is not None and len(receives) >= count:
                return None  # `for i := 0; i < 2; i++ { go ... }` then two receives
            first = receives[0]
            return send, "first-result", (spawn_note, (first.node, f"only a fixed number of values is received from {name}")), (
                f"one goroutine per iteration sends on unbuffered {name}, but the function takes only "
                f"the first result(s): the other senders block forever and leak"), spawn_loop
        receiving_loops = [loop for _, loop in in_loops if loop is not None]
        if len(receiving_loops) != len(in_loops):
            return None  # some receives in loops, some not: counting is beyond a syntactic check
        for loop in receiving_loops:
            exit_node = loop_exits_early(loop)
            if exit_node is not None:
                return send, "early-exit", (spawn_note, (exit_node, f"leaves the receiving loop before every value of {name} is taken")), (
                    f"the loop receiving from unbuffered {name} can stop early: the goroutines "
                    f"whose results are not taken block forever on this send and leak"), spawn_loop
        return None
    # Several single goroutines sending once each, fewer receives than senders.
    if len(senders) < 2 or not receives:
        return None
    if any(op.kind == RANGE or op.loop() is not None for op in receives):
        return None
    if any(op.loop() is not None for _, op in senders.values()):
        return None
    if len(receives) >= len(senders) or orphan_send(channel) is not None:
        return None  # enough receives, or GL101 already reports this channel
    ordered = sorted(senders.values(), key=lambda pair: pair[0].start_byte)
    go, send = ordered[-1]
    return send, "first-result", ((receives[0].node, f"{name} is received {len(receives)} time(s)"),), (
        f"{len(senders)} goroutines send on unbuffered {name} but the function receives only "
        f"{len(receives)} value(s): the remaining senders block forever and leak"), None


def _receiving_loop(op: ChanOp, spawn_loop: Node) -> Node | None:
    """The loop that repeats this receive, unless it also repeats the spawning (then the receive
    happens a fixed number of times per batch of goroutines)."""
    if op.kind == RANGE:
        return op.node
    loop = op.loop()
    if loop is None or is_inside(spawn_loop, loop):
        return None
    return loop


def _waits_for_group(function: Node) -> bool:
    """`wg.Wait()` or `g.Wait()` anywhere in the function: the senders' lifetime is managed by
    a WaitGroup or an errgroup, which this check cannot follow."""
    stack = [function.child_by_field_name("body")]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if node.type == "call_expression":
            parts = selector_parts(node.child_by_field_name("function"))
            if parts is not None and parts[1] == "Wait":
                return True
        stack.extend(node.named_children)
    return False


def _range_over(loop: Node | None) -> str | None:
    """X of a spawning `for ... range X`, for the `make(chan T, len(X))` fix."""
    if loop is None:
        return None
    clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    right = clause.child_by_field_name("right") if clause is not None else None
    if right is None or right.type not in ("identifier", "selector_expression"):
        return None
    return text(right)

