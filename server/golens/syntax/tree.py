"""Small questions about tree-sitter nodes that every part of the syntax layer asks: the one home
for them, so that no module grows its own copy."""

from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, overload

from tree_sitter import Node

from golens.syntax.facts import BoolConst

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

    __slots__ = ("_starts", "_ranges", "_nodes", "_parents", "go_literals")

    def __init__(self, functions: list[Node], go_literals: frozenset[Node] = frozenset()):
        """`functions`: every function node of the subtree, sorted by start (they never share one);
        `go_literals`: those started by a go statement (see `is_go_literal`)."""
        self.go_literals = go_literals
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
    go_literals = set()
    for go in unit.nodes("go_statement"):
        for call in go.named_children:
            function = call.child_by_field_name("function") if call.type == "call_expression" else None
            if function is not None and function.type == "func_literal":
                go_literals.add(function)
    return FunctionIndex(functions, frozenset(go_literals))


_function_index: ContextVar[tuple[Node, FunctionIndex] | None] = ContextVar("golens_function_index", default=None)
# The package's boolean constants, less the names the unit declares itself (which may shadow them).
_constants: ContextVar[tuple[dict[str, list[BoolConst]], frozenset[bytes]] | None] = \
    ContextVar("golens_constants", default=None)


@contextmanager
def indexed_functions(unit: Any) -> Iterator[None]:
    """Within this block, `enclosing_function` answers for nodes under `unit.node` from an index
    (built once per unit, kept in its memo), and `constant_truth` knows the package's boolean
    constants (from the facts, so that editing `const debug = false` re-checks its readers)."""
    index = unit.derived(_function_index_of)
    token = _function_index.set((unit.node, index))
    constants = _constants.set((unit.file.facts.by_name(BoolConst), unit.derived(_declared_names)))
    try:
        yield
    finally:
        _constants.reset(constants)
        _function_index.reset(token)


_DECLARING = {"short_var_declaration": "left", "range_clause": "left", "receive_statement": "left",
              "type_switch_statement": "alias"}


def _declared_names(unit: Any) -> frozenset[bytes]:
    names: set[bytes] = set()
    for kind in ("var_spec", "const_spec", "parameter_declaration", "variadic_parameter_declaration"):
        for spec in unit.nodes(kind):
            names.update(source(n) for n in spec.children_by_field_name("name"))
    for kind, side in _DECLARING.items():
        for statement in unit.nodes(kind):
            left = statement.child_by_field_name(side)
            if left is not None:
                names.update(source(n) for n in [left, *left.named_children] if n.type == "identifier")
    return frozenset(names)


def constant_truth(condition: Node | None, depth: int = 0) -> bool | None:
    """The value of a condition fixed at compile time: `true`, `false`, a package-level boolean
    constant, and `!`, `&&`, `||` over them (`false && x` is false whatever x is); None when it
    depends on the run."""
    node = unparen(condition)
    if node is None or depth > 32:  # a generated 1000-term condition is not worth the recursion
        return None
    kind = node.type
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "identifier":
        known = _constants.get()
        if known is None or source(node) in known[1]:
            return None
        values = {fact.value for fact in known[0].get(text(node), ())}
        return values.pop() if len(values) == 1 else None
    operator = node.child_by_field_name("operator")
    if operator is None:
        return None
    if kind == "unary_expression" and operator.type == "!":
        operand = constant_truth(node.child_by_field_name("operand"), depth + 1)
        return None if operand is None else not operand
    if kind == "binary_expression" and operator.type in ("&&", "||"):
        left = constant_truth(node.child_by_field_name("left"), depth + 1)
        right = constant_truth(node.child_by_field_name("right"), depth + 1)
        decisive = operator.type == "||"  # the value that settles the whole expression
        if left is decisive or right is decisive:
            return decisive
        if left is not None and right is not None:
            return not decisive
    return None


def live_branches(if_statement: Node) -> list[Node]:
    """The consequence and alternative of an if statement that can run: a branch whose condition
    is constant (`if false {`, `if debug {` with `const debug = false`) is dead code."""
    truth = constant_truth(if_statement.child_by_field_name("condition"))
    branches = []
    consequence = if_statement.child_by_field_name("consequence")
    if consequence is not None and truth is not False:
        branches.append(consequence)
    alternative = if_statement.child_by_field_name("alternative")
    if alternative is not None and truth is not True:
        branches.append(alternative)
    return branches


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


def is_go_literal(literal: Node) -> bool:
    """`literal` is the function of a `go func() { ... }()` statement."""
    indexed = _function_index.get()
    if indexed is not None:
        root, index = indexed
        if root.start_byte <= literal.start_byte and literal.end_byte <= root.end_byte:
            # From the unit's index: `Node.parent` descends from the root, and asking it once per
            # literal made 5,000 nested `go func() {` quadratic.
            return literal in index.go_literals
    call = literal.parent
    return call is not None and call.type == "call_expression" and call.parent is not None \
        and call.parent.type == "go_statement"


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
