from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.goroutines import goroutine_starts
from golens.syntax.paths import statements_of
from golens.syntax.sync import method_call, statement_call, sync_kind


def check(unit: Unit) -> Iterator[Report]:
    for start in goroutine_starts(unit):
        literal = start.literal
        if literal is None:
            continue
        body = statements_of(literal.child_by_field_name("body"))
        # Only the first statement, like vet's waitgroup and SA2000: anything before the Add may
        # itself start goroutines that the Add is meant to cover (go-tools#360).
        add = statement_call(body[0]) if body and body[0].type == "expression_statement" else None
        found = method_call(add) if add is not None else None
        if add is None or found is None or found[1] != "Add":
            continue
        wg = found[0]
        if sync_kind(wg, unit) != "WAITGROUP":
            continue
        name = unit.text(wg)
        if start.group is not None and unit.text(start.group) == name:
            continue  # `wg.Go(func() { wg.Add(1) ...`: the group's own start, not a late count
        rewrite_go = not start.wrapper and unit.file.go_at_least(25) and _add_one_defer_done(body, name, unit) \
            and not start.arguments
        hint = f"; or, since Go 1.25, {name}.Go(func() {{ ... }})" if rewrite_go else ""
        yield unit.report(
            add,
            f"{name}.Add runs inside the goroutine it counts: {name}.Wait() can return before it "
            f"runs and miss this goroutine; call {name}.Add before the {start.describe()}{hint}",
            related=((start.anchor, "the goroutine"),),
            data={"wg": name, "variant": "wg-go" if rewrite_go else "move-add",
                  "delta": unit.text(add.child_by_field_name("arguments"))[1:-1]},
        )


def _add_one_defer_done(body: list[Node], name: str, unit: Unit) -> bool:
    """`{ wg.Add(1); defer wg.Done(); ... }`: the form wg.Go replaces exactly."""
    if len(body) < 2 or body[1].type != "defer_statement":
        return False
    add_call = statement_call(body[0])
    if add_call is None or method_call(add_call) is None or unit.text(add_call.child_by_field_name("arguments")) != "(1)":
        return False
    done_call = statement_call(body[1])
    done = method_call(done_call) if done_call is not None else None
    return done is not None and done[1] == "Done" and unit.text(done[0]) == name
