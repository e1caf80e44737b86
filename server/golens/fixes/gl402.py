"""GL402 wg-wait-inside-spawn-loop: wait once, after the loop has started every goroutine."""

from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.held import declared_in, enclosing_loop
from golens.syntax.paths import statements_of


def fixes(ctx: FixContext) -> list[Fix]:
    wait = ctx.named_node("call_expression")
    statement = wait.parent if wait is not None else None
    name = ctx.data.get("wg")
    if statement is None or statement.type != "expression_statement" or not name:
        return []
    loop = enclosing_loop(statement)
    if loop is None:
        return []
    after = loop.parent if loop.parent is not None and loop.parent.type == "labeled_statement" else loop
    if ctx.statement(after) is not after:
        return []
    root = name.split(".")[0].lstrip("(*").encode()
    if root in declared_in(loop):
        return []  # a group declared per iteration: after the loop it is out of scope
    text = ctx.own_lines(statement)
    if text is None or statement.start_point[0] != statement.end_point[0]:
        return []
    body = statements_of(loop.child_by_field_name("body"))
    # As the last statement of the body the Wait ran after everything else in the iteration, as
    # it does after the loop; statements after it would now run before the goroutines finish.
    last = bool(body) and body[-1] == statement
    edits = (ctx.delete_statement(statement), ctx.insert_after(after, text))
    return [Fix(f"Move {name}.Wait() after the loop", edits, preferred=last)]
