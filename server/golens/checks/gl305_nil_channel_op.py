from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.selects import (
    assigned_expressions,
    builtin_argument,
    channel_key,
    received_channel,
    select_cases,
    sent_channel,
)
from golens.syntax.tree import enclosing_function, source, unparen
from golens.syntax.unit import walk_named

_EFFECTS = {
    "send": "this send blocks forever",
    "recv": "this receive blocks forever",
    "range": "this range blocks forever",
    "close": "this close panics (close of nil channel)",
}


def check(unit: Unit) -> Iterator[Report]:
    for spec in unit.nodes("var_spec"):
        if spec.child_by_field_name("value") is not None or not _is_channel_type(spec.child_by_field_name("type")):
            continue
        function = enclosing_function(spec)
        if function is None or function.has_error:
            continue
        for name_node in spec.children_by_field_name("name"):
            name = source(name_node)
            if name == b"_":
                continue
            found = _first_operation(function, spec, name)
            if found is None:
                continue
            node, kind = found
            text = name.decode("utf-8", "replace")
            yield unit.report(
                node,
                f"{text} is a nil channel (declared without make and never assigned): {_EFFECTS[kind]}",
                related=((name_node, "declared here without a value"),),
                data={"channel": text, "operation": kind, "variant": "make",
                      "type": unit.text(spec.child_by_field_name("type"))},
            )


def _is_channel_type(node: Node | None) -> bool:
    while node is not None and node.type == "parenthesized_type" and node.named_children:
        node = node.named_children[0]
    return node is not None and node.type == "channel_type"


def _first_operation(function: Node, spec: Node, name: bytes) -> tuple[Node, str] | None:
    """The first operation on the never-assigned channel `name`, or None when the name is
    assigned, has its address taken, or is declared a second time anywhere in the function
    (shadowing would need scopes to sort out)."""
    first: tuple[Node, str] | None = None
    for node in walk_named(function):
        kind = node.type
        if kind in ("assignment_statement", "short_var_declaration", "var_spec", "range_clause", "receive_statement"):
            if node == spec:
                continue
            if any(channel_key(t) == name for t in assigned_expressions(node)):
                return None
        elif kind == "parameter_declaration":
            if any(n.text == name for n in node.children_by_field_name("name")):
                return None
        elif kind == "unary_expression" and source(node).startswith(b"&"):
            if channel_key(node.child_by_field_name("operand")) == name:
                return None
        if first is not None or node.start_byte < spec.end_byte:
            continue
        operation = _operation(node, name)
        if operation is not None and not _disabled_case(node):
            first = (node, operation)
    return first


def _operation(node: Node, name: bytes) -> str | None:
    kind = node.type
    if kind == "send_statement" and _is(sent_channel(node), name):
        return "send"
    if kind == "unary_expression" and _is(received_channel(node), name):
        return "recv"
    if kind == "range_clause" and _is(node.child_by_field_name("right"), name):
        return "range"
    if kind == "call_expression" and _is(builtin_argument(node, b"close"), name):
        return "close"
    return None


def _is(expr: Node | None, name: bytes) -> bool:
    expr = unparen(expr)
    return expr is not None and expr.type == "identifier" and expr.text == name


def _disabled_case(node: Node) -> bool:
    """A nil channel in a select with other cases (or a default) just never fires: the
    legitimate way to switch a case off."""
    case = node.parent
    while case is not None and case.type not in ("communication_case", "statement_list", "block"):
        case = case.parent
    if case is None or case.type != "communication_case":
        return False
    communication = case.child_by_field_name("communication")
    if communication is None or not (communication.start_byte <= node.start_byte < communication.end_byte):
        return False
    select = case.parent
    if select is None:
        return False
    cases, default = select_cases(select)
    return len(cases) > 1 or default is not None
