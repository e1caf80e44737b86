"""GL107 sleep-loop-in-handler: wait on the request context instead of sleeping blindly."""

from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext


def fixes(ctx: FixContext) -> list[Fix]:
    call = ctx.named_node("call_expression")
    statement = ctx.statement(call) if call is not None else None
    if call is None or statement is None or statement.type != "expression_statement" \
            or statement.named_children[0] != call:
        return []
    args = call.child_by_field_name("arguments")
    if args is None or len(args.named_children) != 1:
        return []
    function = call.child_by_field_name("function")
    time_package = function.child_by_field_name("operand") if function is not None else None
    if time_package is None:
        return []
    time_name = ctx.text(time_package)
    duration = ctx.text(args.named_children[0])
    context_expr = ctx.data.get("ctx") or "r.Context()"
    indent = ctx.indent_at(statement.start_byte)
    code = (f"select {{\n{indent}case <-{context_expr}.Done():\n{indent}\treturn\n"
            f"{indent}case <-{time_name}.After({duration}):\n{indent}}}")
    return [Fix(f"Wait with select on {context_expr}.Done() instead of {time_name}.Sleep",
                (TextEdit(statement.start_byte, statement.end_byte, code.encode()),), preferred=True)]
