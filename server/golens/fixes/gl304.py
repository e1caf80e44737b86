"""GL304 send-after-close: move the close after the last send of its block."""

from collections.abc import Iterator

from tree_sitter import Node

from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.calls import call_arguments
from golens.syntax.selects import (
    builtin_argument,
    channel_key,
    following,
    received_channel,
    sent_channel,
)
from golens.syntax.tree import FUNCTION_TYPES, enclosing_function, is_go_literal
from golens.syntax.unit import walk_named

_LOOPS = ("for_statement",)
_BREAKABLE = ("for_statement", "expression_switch_statement", "type_switch_statement", "select_statement")


def fixes(ctx: FixContext) -> list[Fix]:
    if ctx.data.get("case") != "sequential":
        return []  # a goroutine still sending needs a wait (WaitGroup) before the close
    send = ctx.named_node("send_statement")
    key = channel_key(sent_channel(send)) if send is not None else None
    function = enclosing_function(send) if send is not None else None
    if send is None or key is None or function is None:
        return []
    close = _close_before(function, send, key)
    if close is None:
        return []
    block = close.parent
    assert block is not None, "_close_before returns a statement of a statement list"
    later = [s for s in block.named_children if s.type != "comment" and s.start_byte > close.start_byte]
    sending = [s for s in later if any(_is_send(n, key) for n in _reachable(s))]
    if not sending or any(_in_goroutine(n, s) for s in later for n in walk_named(s) if _is_send(n, key)):
        return []  # moving the close past a `go` would race with that goroutine instead
    last = sending[-1]
    moved = [s for s in later if s.start_byte <= last.start_byte]
    if any(_depends_on_close(s, key) for s in moved):
        return []
    text = ctx.text(close)
    return [Fix(f"Close {key.decode()} after the last send", (ctx.delete_statement(close), ctx.insert_after(last, text)),
                preferred=True)]


def _close_before(function: Node, send: Node, key: bytes) -> Node | None:
    """The `close(C)` statement whose block holds (a statement holding) the send, run on the
    way to it."""
    closes: list[Node] = []
    for node in walk_named(function, skip_function_literals=True):
        statement = node.parent
        if node.type == "call_expression" and node.start_byte < send.start_byte \
                and channel_key(builtin_argument(node, b"close")) == key and statement is not None \
                and statement.type == "expression_statement":
            closes.append(statement)
    for close in reversed(closes):
        for later, level in following(close):
            if later.start_byte <= send.start_byte < later.end_byte:
                block = close.parent
                return close if level == 0 and block is not None and block.type == "statement_list" else None
    return None


def _reachable(node: Node) -> Iterator[Node]:
    """`node` and what it runs, entering goroutine literals but no other function literal (in
    source order, from a stack: nesting is as deep as the input's)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(child for child in reversed(current.named_children)
                     if child.type != "func_literal" or is_go_literal(child))


def _is_send(node: Node, key: bytes) -> bool:
    return node.type == "send_statement" and channel_key(sent_channel(node)) == key


def _in_goroutine(node: Node | None, top: Node) -> bool:
    while node is not None and node != top:
        if node.type == "func_literal":
            return is_go_literal(node)
        node = node.parent
    return False


def _depends_on_close(statement: Node, key: bytes) -> bool:
    """Would the statement behave differently with C still open: it receives from C (a
    receive on a closed channel returns at once, a range ends), hands C to a call, or leaves
    the block early (the moved close would then be skipped)."""
    for node in [statement, *walk_named(statement, skip_function_literals=True)]:
        if node.type in ("return_statement", "goto_statement") or _panics(node):
            return True
        if node.type in ("break_statement", "continue_statement"):
            if node.named_children or not _inner_target(node, statement):
                return True
        if channel_key(received_channel(node)) == key:
            return True
        if node.type == "range_clause" and channel_key(node.child_by_field_name("right")) == key:
            return True
        if node.type == "call_expression" and builtin_argument(node, b"close") is None and \
                any(channel_key(a) == key for a in call_arguments(node)):
            return True
    return False


def _inner_target(node: Node, statement: Node) -> bool:
    """Does an unlabelled break/continue act on a loop (or switch/select) inside `statement`?"""
    kinds = _LOOPS if node.type == "continue_statement" else _BREAKABLE
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type in kinds:
            return statement.start_byte <= parent.start_byte
        if parent == statement:
            return False
        parent = parent.parent
    return False


def _panics(node: Node) -> bool:
    if node.type != "call_expression":
        return False
    function = node.child_by_field_name("function")
    return function is not None and function.type == "identifier" and function.text == b"panic"
