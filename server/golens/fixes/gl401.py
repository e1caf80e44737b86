"""GL401 wg-add-in-goroutine: count the goroutine before starting it (move the Add before the
`go` statement), or on Go 1.25+ let `wg.Go` do both."""

from tree_sitter import Node

from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.calls import selector_parts
from golens.syntax.paths import GiveUp, PathScan, statements_of
from golens.syntax.tree import source
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext) -> list[Fix]:
    add = ctx.named_node("call_expression")
    statement = add.parent if add is not None else None
    name = ctx.data.get("wg")
    if statement is None or statement.type != "expression_statement" or not name:
        return []
    literal = _enclosing_literal(statement)
    call = literal.parent if literal is not None else None
    wrapped = call is not None and call.type == "argument_list"  # `g.Go(func() error {...})`
    if wrapped and call is not None:
        call = call.parent
    go = call.parent if call is not None else None
    if literal is None or call is None or go is None or not ctx.starts_line(go) or \
            go.type != ("expression_statement" if wrapped else "go_statement"):
        return []
    body = statements_of(literal.child_by_field_name("body"))
    if not body or body[0] != statement:
        return []
    found: list[Fix] = []
    if ctx.data.get("variant") == "wg-go" and not wrapped:
        rewrite = _wg_go(ctx, go, call, literal, body, name)
        if rewrite is not None:
            found.append(Fix(f"Start the goroutine with {name}.Go", tuple(rewrite), preferred=True))
    moved = _move_add(ctx, go, literal, body, statement, name)
    if moved is not None:
        # On Go 1.25+ the wg.Go form is the idiomatic one (gopls' waitgroupgo modernizer would
        # flag the moved Add next), so only one of the two is preferred.
        where = "the call that starts the goroutine" if wrapped else "the go statement"
        found.append(Fix(f"Call {name}.Add before {where}", tuple(moved), preferred=not found))
    return found


def _enclosing_literal(node: Node | None) -> Node | None:
    while node is not None and node.type != "func_literal":
        node = node.parent
    return node


def _move_add(ctx: FixContext, go: Node, literal: Node, body: list[Node], statement: Node, name: str) -> list[TextEdit] | None:
    if _uses_literal_names(ctx, literal, statement):
        return None  # `go func(n int) { wg.Add(n) }(k)`: the Add needs the literal's parameter
    if not _done_survives_move(ctx, literal, body, name, ctx.data.get("delta", "")):
        return None
    if statement.start_point[0] != statement.end_point[0]:
        return None
    text = ctx.own_lines(statement)
    following = statement.next_sibling
    if text is not None:
        deletion = ctx.delete_statement(statement)
    elif following is not None and following.type == ";":
        # `go func() { wg.Add(1); defer wg.Done(); ... }()` on one line.
        after = following.next_named_sibling
        if after is None or after.start_point[0] != statement.start_point[0]:
            return None
        deletion = TextEdit(statement.start_byte, after.start_byte, b"")
        text = ctx.text(statement)
    else:
        return None
    return [deletion, ctx.insert_before(go, text)]


def _uses_literal_names(ctx: FixContext, literal: Node, statement: Node) -> bool:
    declared: set[bytes] = set()
    for field in ("parameters", "result"):
        node = literal.child_by_field_name(field)
        if node is not None:
            declared |= {source(n) for n in walk_named(node) if n.type == "identifier"}
    return any(n.type == "identifier" and source(n) in declared for n in walk_named(statement))


def _done_survives_move(ctx: FixContext, literal: Node, body: list[Node], name: str, delta: str) -> bool:
    """Once the Add sits right before the go statement, GL403 looks at the goroutine: the move is
    only clean when every path of the goroutine still reaches Done (deferred, handed on, or on
    every path), as vet's and staticcheck's users expect from this rewrite."""
    if delta.strip() != "1":
        return True
    encoded = name.encode()
    root = name.split(".")[0].lstrip("(*").encode()
    rest = body[1:]
    if not any(n.type in ("identifier", "selector_expression") and n.text == encoded
               for s in rest for n in [s, *walk_named(s)]):
        return False
    for statement in rest:
        for node in [statement, *walk_named(statement)]:
            if node.type == "defer_statement" and any(_is_done(c, encoded) for c in walk_named(node)):
                return True
            if node.type == "argument_list" and any(a.text in (encoded, b"&" + encoded, root)
                                                    for a in node.named_children):
                return True
    scan = PathScan(lambda node: any(_is_done(c, encoded) for c in [node, *walk_named(node)]))
    try:
        scan.scan(rest)
    except GiveUp:
        return False
    return not scan.exits


def _is_done(node: Node, encoded: bytes) -> bool:
    if node.type != "call_expression":
        return False
    parts = selector_parts(node.child_by_field_name("function"))
    return parts is not None and parts[1] == "Done" and parts[0].text == encoded


def _wg_go(ctx: FixContext, go: Node, call: Node, literal: Node, body: list[Node], name: str) -> list[TextEdit] | None:
    """`go func() { wg.Add(1); defer wg.Done(); BODY }()` -> `wg.Go(func() { BODY })`: Go calls
    Add before starting the goroutine and Done after f returns, after f's own defers, like the
    original."""
    parameters = literal.child_by_field_name("parameters")
    arguments = call.child_by_field_name("arguments")
    if literal.child_by_field_name("result") is not None or \
            (parameters is not None and parameters.named_children) or \
            (arguments is not None and arguments.named_children):
        return None
    if len(body) < 2 or any(ctx.own_lines(s) is None for s in body[:2]):
        return None
    if body[0].start_point[0] == literal.start_point[0]:
        return None
    return [
        TextEdit(go.start_byte, literal.start_byte, f"{name}.Go(".encode()),
        ctx.delete_statement(body[0]),
        ctx.delete_statement(body[1]),
        TextEdit(literal.end_byte, call.end_byte, b")"),
    ]
