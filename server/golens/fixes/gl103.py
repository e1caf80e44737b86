"""GL103 range-never-closed: close the channel once the function has sent its last value."""

from tree_sitter import Node

from golens.fixes import Fix
from golens.fixes.channels import channel_of, declaration_statement
from golens.fixes.context import FixContext
from golens.syntax.channels import GO, INLINE, RANGE, SELF, SEND
from golens.syntax.paths import loop_condition
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext) -> list[Fix]:
    channel = channel_of(ctx)
    # Senders in goroutines need a WaitGroup to know when the last one is done: no fix.
    if channel is None or ctx.data.get("senders") not in ("function", "none"):
        return []
    if any(op.kind == SEND and op.owner_kind not in (SELF, INLINE) for op in channel.ops):
        return []
    declaration = declaration_statement(channel)
    statements = declaration.parent
    if statements is None:
        return []
    sends = [op for op in channel.ops if op.kind == SEND]
    # With no sender, the workers only wait: closing after the last one starts ends them at once,
    # as the range body would never run anyway.
    anchors = [op.node for op in sends] or [op.statement for op in channel.ops
                                            if op.kind == RANGE and op.owner_kind == GO and op.statement is not None]
    last = max(anchors, key=lambda node: node.start_byte, default=None)
    if last is None:
        return []
    while last is not None and last.parent != statements:
        last = last.parent
    if last is None or _endless(last):
        return []
    name = channel.name
    between = [s for s in statements.named_children if declaration.start_byte <= s.start_byte <= last.start_byte]
    if not any(_leaves(s) for s in between):
        where = "the last send" if sends else "starting its workers"
        return [Fix(f"Close {name} after {where}", (ctx.insert_after(last, f"close({name})"),),
                    preferred=True)]
    # A return on the way would skip a close placed after the sends: close on every exit instead.
    # Only at the function's top level, since a defer runs when the function returns.
    body = channel.function.child_by_field_name("body")
    if statements.parent != body:
        return []
    return [Fix(f"Close {name} when the function returns (defer close({name}))",
                (ctx.insert_after(declaration, f"defer close({name})"),), preferred=True)]


def _leaves(statement: Node) -> bool:
    """Can the function return (or jump away) inside this statement?"""
    if statement.type in ("return_statement", "goto_statement"):
        return True
    return any(n.type in ("return_statement", "goto_statement") for n in walk_named(statement, skip_function_literals=True))


def _endless(statement: Node) -> bool:
    if statement.type != "for_statement" or loop_condition(statement) is not None:
        return False
    return not any(c.type in ("for_clause", "range_clause") for c in statement.named_children)
