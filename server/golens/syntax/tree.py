"""Small questions about tree-sitter nodes that every part of the syntax layer asks: the one home
for them, so that no module grows its own copy."""

from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, overload

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


class FunctionIndex:
    """Every function of one subtree, for `enclosing_function` without `Node.parent`: tree-sitter
    finds a parent by descending from the root, so walking up costs O(depth²), and with one walk
    per loop or statement 400 nested `for { select {` took 18 s. Here a query is a bisect plus,
    rarely, a few steps up the (small) tree of functions."""

    __slots__ = ("_starts", "_ranges", "_nodes", "_parents")

    def __init__(self, functions: list[Node]):
        """`functions`: every function node of the subtree, sorted by start (they never share one)."""
        nodes: list[Node] = []
        parents: list[int] = []
        open_functions: list[int] = []  # indices of the functions around the current one
        for node in functions:
            while open_functions and nodes[open_functions[-1]].end_byte <= node.start_byte:
                open_functions.pop()
            parents.append(open_functions[-1] if open_functions else -1)
            open_functions.append(len(nodes))
            nodes.append(node)
        self._nodes = nodes
        self._parents = parents
        self._ranges = [(n.start_byte, n.end_byte) for n in nodes]
        self._starts = [start for start, _ in self._ranges]

    def enclosing(self, node: Node) -> Node | None:
        start, end = node.start_byte, node.end_byte
        # The last function starting at or before the node: the function around the node, if any,
        # is that one or one of its ancestors (functions nest, they never overlap).
        at = bisect_right(self._starts, start) - 1
        while at >= 0:
            function_range = self._ranges[at]
            # Strictly larger: a node with a function's exact range is that function or one of
            # its wrappers (an expression statement), and the function around it is wanted.
            if end <= function_range[1] and function_range != (start, end):
                return self._nodes[at]
            at = self._parents[at]
        return None


def _function_index_of(unit: Any) -> FunctionIndex:
    functions = list(unit.functions)
    if unit.node.type in FUNCTION_TYPES and unit.node not in functions:
        functions.insert(0, unit.node)
    return FunctionIndex(functions)


_function_index: ContextVar[tuple[Node, FunctionIndex] | None] = ContextVar("golens_function_index", default=None)


@contextmanager
def indexed_functions(unit: Any) -> Iterator[None]:
    """Within this block, `enclosing_function` answers for nodes under `unit.node` from an index
    (built once per unit, kept in its memo)."""
    index = unit.derived(_function_index_of)
    token = _function_index.set((unit.node, index))
    try:
        yield
    finally:
        _function_index.reset(token)


def enclosing_function(node: Node) -> Node | None:
    """The innermost function declaration, method or literal around `node`."""
    indexed = _function_index.get()
    if indexed is not None:
        root, index = indexed
        if root.start_byte <= node.start_byte and node.end_byte <= root.end_byte:
            return index.enclosing(node)
    # A loop over parents: deeply nested code must not reach Python's recursion limit.
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
