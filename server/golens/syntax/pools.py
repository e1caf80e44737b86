"""Pooled values: where `sync.Pool` values are taken (`x := P.Get().(T)`) and put back."""

from dataclasses import dataclass
from typing import NamedTuple

from tree_sitter import Node

from golens.syntax.sync import lock_key, method_call, sync_kind
from golens.syntax.tree import text
from golens.syntax.unit import Unit


@dataclass(frozen=True)
class PoolGet:
    name: str  # the variable bound to the pooled value
    name_node: Node
    pool: str  # the pool expression's text
    call: Node  # P.Get()
    asserted: Node | None  # the type of `P.Get().(T)`, if asserted
    comma_ok: bool
    statement: Node


def pool_gets(unit: Unit) -> list[PoolGet]:
    """Every `x := P.Get()` / `x := P.Get().(T)` / `x, ok := ...` / `var x = ...` in the unit,
    where P has POOL evidence."""
    return unit.derived(_pool_gets)


def _pool_gets(unit: Unit) -> list[PoolGet]:
    found: list[PoolGet] = []
    for call in unit.nodes("call_expression"):
        parts = method_call(call)
        arguments = call.child_by_field_name("arguments")
        if parts is None or parts[1] != "Get" or arguments is None or arguments.named_children:
            continue
        if sync_kind(parts[0], unit) != "POOL":
            continue
        value = call
        asserted = None
        parent = value.parent
        while parent is not None and parent.type == "parenthesized_expression":
            value, parent = parent, parent.parent
        if parent is not None and parent.type == "type_assertion_expression":
            asserted = parent.child_by_field_name("type")
            value, parent = parent, parent.parent
        if parent is None or parent.type != "expression_list" or len(parent.named_children) != 1:
            continue
        statement = parent.parent
        if statement is None:
            continue
        if statement.type in ("short_var_declaration", "assignment_statement"):
            left = statement.child_by_field_name("left")
            names = list(left.named_children) if left is not None else []
        elif statement.type == "var_spec":
            names = list(statement.children_by_field_name("name"))
        else:
            continue
        if not names or names[0].type != "identifier" or names[0].text == b"_":
            continue
        found.append(PoolGet(text(names[0]), names[0], lock_key(parts[0]), call, asserted,
                             len(names) == 2, statement))
    return found


class PoolPut(NamedTuple):
    pool: str  # the pool expression's text
    value: Node  # what is put back


def pool_put(call: Node, unit: Unit) -> PoolPut | None:
    """`P.Put(x)` with POOL evidence for P."""
    parts = method_call(call)
    if parts is None or parts[1] != "Put":
        return None
    args = call.child_by_field_name("arguments")
    if args is None or len(args.named_children) != 1 or sync_kind(parts[0], unit) != "POOL":
        return None
    return PoolPut(lock_key(parts[0]), args.named_children[0])
