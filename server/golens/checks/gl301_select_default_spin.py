from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import is_package_call
from golens.syntax.paths import loop_condition, statements_of
from golens.syntax.selects import select_cases


def check(unit: Unit) -> Iterator[Report]:
    for select in unit.nodes("select_statement"):
        cases, default = select_cases(select)
        if default is None or not cases:
            continue
        content = _idle_default(default, unit)
        if content is None:
            continue
        loop = _enclosing_loop_of_only_statement(select)
        if loop is None:
            continue
        what = {"empty": "an empty default", "continue": "a default that only continues",
                "gosched": "a default that only yields"}[content]
        yield unit.report(
            default.children[0],
            f"this loop spins: the select has {what}, so when no case is ready the loop retries "
            "at once and burns a CPU core; remove the default so the select blocks",
            related=((loop.children[0], "the loop that retries without blocking"),),
            data={"variant": "remove-default", "default": content},
        )


def _idle_default(default: Node, unit: Unit) -> str | None:
    """"empty", "continue" or "gosched" when the default case does nothing that waits."""
    statements = statements_of(default)
    if not statements:
        return "empty"
    if len(statements) != 1:
        return None
    statement = statements[0]
    if statement.type == "continue_statement" and not statement.named_children:
        return "continue"
    if statement.type == "expression_statement" and statement.named_children and \
            is_package_call(statement.named_children[0], unit.file, "runtime", "Gosched"):
        return "gosched"
    return None


def _enclosing_loop_of_only_statement(select: Node) -> Node | None:
    """The `for { ... }` loop whose body is just this select: any other statement in the body
    may block or do the loop's real work between polls, and a condition (`for pb.Next()`) may
    be the work itself, with the select a deliberate non-blocking poll."""
    statements = select.parent
    block = statements.parent if statements is not None and statements.type == "statement_list" else None
    loop = block.parent if block is not None and block.type == "block" else None
    if loop is None or loop.type != "for_statement" or loop.child_by_field_name("body") != block:
        return None
    if loop_condition(loop) is not None or \
            any(c.type in ("for_clause", "range_clause") for c in loop.named_children):
        return None
    if statements_of(block) != [select]:
        return None
    return loop
