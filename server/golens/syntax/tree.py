"""Small questions about tree-sitter nodes that every part of the syntax layer asks: the one home
for them, so that no module grows its own copy."""

from collections.abc import Iterator
from typing import overload

from tree_sitter import Node

FUNCTION_TYPES = frozenset({"function_declaration", "method_declaration", "func_literal"})


@overload
def unparen(node: Node) -> Node: ...


@overload
def unparen(node: None) -> None: ...


@overload
def unparen(node: Node | None) -> Node | None: ...


def unparen(node: Node | None) -> Node | None:
    """The expression inside any number of parentheses: `((x))` is `x`."""
    while node is not None and node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node


def source(node: Node) -> bytes:
    """The node's source bytes (tree-sitter types `text` as optional; a parsed node has it)."""
    return node.text or b""


def text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def enclosing_function(node: Node) -> Node | None:
    """The innermost function declaration, method or literal around `node`. A loop over parents:
    deeply nested code must not reach Python's recursion limit."""
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_TYPES:
            return parent
        parent = parent.parent
    return None


def outermost_function(function: Node) -> Node:
    """The top-level declaration a (possibly nested) function literal belongs to."""
    while True:
        parent = enclosing_function(function)
        if parent is None:
            return function
        function = parent


def closing_brace(block: Node) -> Node:
    """The `}` of a block: where "the function ends here" points."""
    return block.children[-1] if block.children else block


def is_inside(node: Node, container: Node) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def identifiers_in(node: Node) -> Iterator[Node]:
    """Every identifier inside `node`, nested function literals included (no particular order)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            yield current
        stack.extend(current.named_children)


def field_name(node: Node) -> str | None:
    """The field name `node` has in its parent (`left`, `channel`, ...), if any."""
    parent = node.parent
    if parent is None:
        return None
    for index, child in enumerate(parent.children):
        if child == node:
            return parent.field_name_for_child(index)
    return None
