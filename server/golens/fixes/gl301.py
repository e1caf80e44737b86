"""GL301 select-default-spin: delete the idle default so the select blocks."""

from tree_sitter import Node

from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.fixes.imports import update_imports
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext) -> list[Fix]:
    default = ctx.named_node("default_case")
    select = default.parent if default is not None else None
    if default is None or select is None or select.type != "select_statement":
        return []
    # The default's own text and the comments that follow it up to the next case (or the
    # closing brace): tree-sitter hangs those comments on the select, not on the case.
    comments: list[Node] = []
    end = default.end_byte
    while end > default.start_byte and ctx.doc.source[end - 1:end] in b" \t\r\n":
        end -= 1  # a case's statement list runs up to the next token
    sibling = default.next_sibling
    while sibling is not None and sibling.type == "comment":
        comments.append(sibling)
        end = sibling.end_byte
        sibling = sibling.next_sibling
    comments = [c for c in walk_named(default) if c.type == "comment"] + comments
    if any(c.end_point[0] != c.start_point[0] for c in comments):
        return []  # a block comment over several lines would need its lines re-indented
    lines = ctx.doc.lines
    start = lines.line_start(default.start_point[0])
    if ctx.doc.source[start:default.start_byte].strip():
        return []  # something else shares the line
    line_after = lines.line_start(lines.position(end)[0] + 1)
    # gofmt indents a comment left after the last case at that case's body depth.
    body_indent = ctx.indent_at(default.start_byte) + "\t"
    kept = "".join(f"{body_indent}{ctx.text(c)}\n" for c in comments)
    removed = [(default.start_byte, end)]
    imports = update_imports(ctx, drop=("runtime",), removed=removed) if ctx.data.get("default") == "gosched" \
        else ({}, [])
    if imports is None:
        return []
    edits = (TextEdit(start, line_after, kept.encode()), *imports[1])
    what = {"continue": "the default that only continues", "gosched": "the default that only yields"}.get(
        ctx.data.get("default", ""), "the empty default")
    return [Fix(f"Remove {what} so the select blocks until a case is ready", edits, preferred=True)]

