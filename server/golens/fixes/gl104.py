"""GL104 orphan-receive: `defer close(ch)` right after the make, so that the waiting goroutine
is released on every path out of the function (GFix's "defer the unblocking operation")."""

from typing import cast

from golens.checks.gl104_orphan_receive import GL104Data
from golens.fixes.channels import alone_on_line, channel_of, declaration_statement, loops_within, next_statement
from golens.fixes.context import FixContext
from golens.syntax.channels import CLOSE, GO, RECV, SEND
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext):
    data = cast(GL104Data, ctx.data)
    from golens.fixes import Fix

    channel = channel_of(ctx)
    # A close hands the receiver a zero value: only for a wait whose value is not used as data.
    if channel is None or data.get("value_used", True):
        return []
    body = channel.function.child_by_field_name("body")
    declaration = declaration_statement(channel)
    if body is None or declaration.parent.parent != body:
        return []  # a defer in a nested block would still wait for the function to return
    # A receive the goroutine repeats would spin on the closed channel.
    if any(op.kind == RECV and op.owner_kind == GO and loops_within(op.node, op.owner) for op in channel.ops):
        return []
    signals = [op for op in channel.ops if op.kind in (SEND, CLOSE)]
    closes = [op for op in signals if op.kind == CLOSE]
    name = channel.name
    edits = [ctx.insert_after(declaration, f"defer close({name})")]
    trailing = _trailing_statement(ctx, signals[0].node, body) if len(signals) == 1 else None
    if trailing is not None and trailing.type == "send_statement" and not _bare_waits(channel):
        trailing = None  # `_, ok := <-ch` tells a send from a close: keep the send
    if trailing is not None:
        # The signal was the function's last act: the deferred close takes its place.
        edits.append(ctx.delete_statement(trailing))
    elif closes:
        return []  # closing twice panics; moving a close from the middle changes when it wakes the goroutine
    return [Fix(f"Close {name} when the function returns (defer close({name}))", tuple(edits), preferred=True)]


def _bare_waits(channel) -> bool:
    return all(op.node.parent is not None and op.node.parent.type == "expression_statement"
               for op in channel.ops if op.kind == RECV and op.owner_kind == GO)


def _trailing_statement(ctx: FixContext, signal, body):
    """The signal's statement when it is the last thing the function does before a `return`
    that computes nothing (or before its end)."""
    statement = signal if signal.type == "send_statement" else signal.parent
    if statement is None or statement.parent is None or statement.parent.parent != body \
            or not alone_on_line(ctx, statement):
        return None
    if statement.type == "send_statement" and _computes(statement.child_by_field_name("value")):
        return None  # deleting the send would drop the call that makes its value
    following = next_statement(statement)
    if following is None:
        return statement
    if following.type != "return_statement" or next_statement(following) is not None:
        return None
    if _computes(following):
        return None
    return statement


def _computes(node) -> bool:
    return node is not None and any(n.type in ("call_expression", "unary_expression", "func_literal")
                                    for n in [node, *walk_named(node)])
