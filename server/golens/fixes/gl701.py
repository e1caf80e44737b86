"""GL701 loopvar-capture: copy the loop variable at the top of the loop body."""

from tree_sitter import Node

from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.selects import assigned_expressions
from golens.syntax.tree import source
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext) -> list[Fix]:
    name = ctx.data.get("var")
    if not name:
        return []
    loop = _loop_declaring(ctx, name)
    body = loop.child_by_field_name("body") if loop is not None else None
    if loop is None or body is None:
        return []
    statements = next((c for c in body.named_children if c.type == "statement_list"), None)
    first = statements.named_children[0] if statements is not None and statements.named_children else None
    if first is None or first.start_point[0] == body.start_point[0]:
        return []  # a one-line body would need reformatting around the new statement
    if any(c.type == "for_clause" for c in loop.named_children) and _written(body, name.encode()):
        # `for i := 0; ...; { ... i += 2 }` steers the loop through i: a copy would take the
        # write away from the loop.
        return []
    at = ctx.doc.lines.line_start(first.start_point[0])
    indent = ctx.indent_at(first.start_byte)
    return [Fix(f"Copy the loop variable for this iteration ({name} := {name})",
                (TextEdit(at, at, f"{indent}{name} := {name}\n".encode()),), preferred=True)]


def _loop_declaring(ctx: FixContext, name: str) -> Node | None:
    node: Node | None = ctx.node
    while node is not None:
        if node.type == "for_statement":
            for clause in node.named_children:
                declared: Node | None = None
                if clause.type == "range_clause" and any(c.type == ":=" for c in clause.children):
                    declared = clause
                elif clause.type == "for_clause":
                    init = clause.child_by_field_name("initializer")
                    declared = init if init is not None and init.type == "short_var_declaration" else None
                if declared is not None and any(t.text == name.encode() for t in assigned_expressions(declared)):
                    return node
        node = node.parent
    return None


def _written(body: Node, name: bytes) -> bool:
    for node in walk_named(body):
        if node.type in ("assignment_statement", "inc_statement", "dec_statement"):
            targets = assigned_expressions(node) if node.type == "assignment_statement" else node.named_children[:1]
            if any(t.type == "identifier" and t.text == name for t in targets):
                return True
        elif node.type == "unary_expression" and source(node).startswith(b"&"):
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.text == name:
                return True
    return False
