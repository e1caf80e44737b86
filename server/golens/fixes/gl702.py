"""GL702 fatal-in-test-goroutine: report with the non-fatal method and return from the goroutine.
Never preferred: the test now goes on after the failure, which the code that follows in the test
may not expect (it may wait for a result the goroutine no longer sends)."""

from typing import cast

from golens.checks.gl702_fatal_in_test_goroutine import GL702Data
from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.calls import selector_parts
from golens.syntax.paths import statements_of
from golens.syntax.tree import enclosing_function


def fixes(ctx: FixContext) -> list[Fix]:
    data = cast(GL702Data, ctx.data)
    call = ctx.named_node("call_expression")
    replacement = data.get("replacement")
    statement = call.parent if call is not None else None
    function = enclosing_function(call) if call is not None else None
    if call is None or not replacement or not data.get("direct") or statement is None \
            or statement.type != "expression_statement" or function is None \
            or function.child_by_field_name("result") is not None \
            or not ctx.starts_line(statement) or not ctx.ends_line(statement):
        return []  # only where a bare `return` ends the goroutine the way the call did
    block = statement.parent
    siblings = statements_of(block.parent) if block is not None and block.type == "statement_list" and \
        block.parent is not None else []
    if not siblings or siblings[-1] != statement:
        return []  # a return in the middle of a block would leave the statements after it unreachable
    function_node = call.child_by_field_name("function")
    parts = selector_parts(function_node)
    field = function_node.child_by_field_name("field") if function_node is not None else None
    if parts is None or field is None:
        return []
    edits = [TextEdit(field.start_byte, field.end_byte, replacement.encode())]
    if block is not None and block.parent != function.child_by_field_name("body"):
        edits.append(ctx.insert_after(statement, "return"))
    name = ctx.text(parts[0])
    return [Fix(f"Report with {name}.{replacement} and return from the goroutine", tuple(edits))]
