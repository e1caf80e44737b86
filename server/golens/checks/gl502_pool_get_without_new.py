from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import call_arguments, is_shadowed
from golens.syntax.facts import Fact, PoolNewSet, PoolVar
from golens.syntax.sync import method_call, summarize_sync
from golens.syntax.tree import unparen


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> Iterator[Report]:
    facts = unit.file.facts
    for assertion in unit.nodes("type_assertion_expression"):
        operand = assertion.child_by_field_name("operand")
        call = unparen(operand) if operand is not None else None
        found = method_call(call) if call is not None else None
        if found is None or found[1] != "Get" or call is None or call_arguments(call):
            continue
        pool = unparen(found[0])
        if pool is None or pool.type != "identifier":
            continue  # fields are usually filled in by a constructor we cannot see
        name = unit.text(pool)
        declared = {f.has_new for f in facts.of(PoolVar) if f.name == name}
        if declared != {False} or PoolNewSet(name) in facts or is_shadowed(pool, name, unit.file):
            continue
        if _comma_ok(assertion):
            continue
        asserted = assertion.child_by_field_name("type")
        yield unit.report(
            assertion,
            f"{name} has no New function, so {name}.Get() returns nil when the pool is empty (always "
            f"at first, and after every GC) and this type assertion panics; give {name} a New "
            f"field or use the comma-ok form",
            data={"pool": name, "type": unit.text(asserted),
                  "variant": "add-new" if asserted is not None and asserted.type == "pointer_type" else "comma-ok"},
        )


def _comma_ok(assertion: Node) -> bool:
    parent = assertion.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None or parent.type != "expression_list" or len(parent.named_children) != 1:
        return False
    statement = parent.parent
    if statement is None:
        return False
    if statement.type == "var_spec":
        return len(statement.children_by_field_name("name")) == 2
    left = statement.child_by_field_name("left")
    return statement.type in ("short_var_declaration", "assignment_statement") and \
        left is not None and parent == statement.child_by_field_name("right") and len(left.named_children) == 2
