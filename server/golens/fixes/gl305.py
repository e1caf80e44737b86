"""GL305 nil-channel-op: make the channel where it is declared."""

from tree_sitter import Node

from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.selects import builtin_argument, received_channel, sent_channel
from golens.syntax.tree import enclosing_function, unparen
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext) -> list[Fix]:
    name = ctx.data.get("channel")
    if not name:
        return []
    found = _declaration(ctx, name.encode())
    if found is None:
        return []
    declaration, spec, function = found
    kind = spec.child_by_field_name("type")
    if kind is None or kind.type != "channel_type" or any(c.type == "<-" for c in kind.children):
        # A send-only or receive-only channel made here would have no other end: the operation
        # would block just the same, with the finding gone.
        return []
    if not _both_ends(function, name.encode()):
        # One goroutine alone on the channel (only receives, or sends and receives in turn on
        # an unbuffered channel) blocks on a made channel too.
        return []
    text = f"{name} := make({ctx.text(kind)})"
    return [Fix(f"Make {name} ({text})", (TextEdit(declaration.start_byte, declaration.end_byte, text.encode()),),
                preferred=True)]


def _declaration(ctx: FixContext, name: bytes) -> tuple[Node, Node, Node] | None:
    """(the `var C chan T` statement, its spec, the function declaring it), when it is the
    only name of the only spec (a grouped `var (...)` stays as written)."""
    function = ctx.function()
    while function is not None:
        for node in walk_named(function, skip_function_literals=True):
            if node.type != "var_spec" or node.start_byte > ctx.node.start_byte:
                continue
            names = list(node.children_by_field_name("name"))
            if [n.text for n in names] != [name] or node.child_by_field_name("value") is not None:
                continue
            declaration = node.parent
            if declaration is None or declaration.type != "var_declaration" or \
                    declaration.named_children != [node] or declaration.parent is None or \
                    declaration.parent.type != "statement_list":
                return None
            return declaration, node, function
        function = enclosing_function(function)
    return None


def _both_ends(function: Node, name: bytes) -> bool:
    """A send or close in one goroutine and a receive or range in another."""
    gives: set[int | None] = set()
    takes: set[int | None] = set()
    for node in walk_named(function):
        if node.type == "send_statement" and _is(sent_channel(node), name):
            gives.add(_goroutine(node, function))
        elif node.type == "call_expression" and _is(builtin_argument(node, b"close"), name):
            gives.add(_goroutine(node, function))
        elif node.type == "unary_expression" and _is(received_channel(node), name):
            takes.add(_goroutine(node, function))
        elif node.type == "range_clause" and _is(node.child_by_field_name("right"), name):
            takes.add(_goroutine(node, function))
    return any(g != t for g in gives for t in takes)


def _goroutine(node: Node, function: Node) -> int | None:
    """The `go` literal `node` runs in (its id), or None for the declaring function's own."""
    current = node.parent
    while current is not None and current != function:
        if current.type == "func_literal":
            call = current.parent
            if call is not None and call.type == "call_expression" and call.parent is not None and \
                    call.parent.type == "go_statement":
                return current.id
        current = current.parent
    return None


def _is(expr: Node | None, name: bytes) -> bool:
    expr = unparen(expr)
    return expr is not None and expr.type == "identifier" and expr.text == name
