from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.bindings import type_kind
from golens.syntax.facts import Fact, LocalType
from golens.syntax.paths import statements_of
from golens.syntax.pools import pool_gets, pool_put
from golens.syntax.sync import summarize_sync
from golens.syntax.tree import enclosing_function, unparen

BASIC_TYPES = frozenset({
    "string", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64",
    "uintptr", "float32", "float64", "complex64", "complex128", "byte", "rune", "bool",
})


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> Iterator[Report]:
    for call in unit.nodes("call_expression"):
        found = pool_put(call, unit)
        if found is None:
            continue
        pool, value = found
        shape = _non_pointer(unparen(value), call, unit)
        if shape is None:
            continue
        yield unit.report(
            value,
            f"{pool}.Put stores {shape} by value: converting it to `any` allocates a copy of the "
            f"header on every Put, which is what the pool was meant to avoid; pool a pointer "
            f"(e.g. *[]byte) instead",
            data={"pool": pool, "shape": shape, "value": unit.text(value)},
        )
    for element in unit.nodes("keyed_element"):
        returned = _new_returns_slice(element, unit)
        if returned is not None:
            yield unit.report(
                returned,
                "the pool's New returns a slice by value: every Get/Put round trip boxes a slice "
                "header into `any`; return a pointer (b := make(...); return &b)",
                data={"shape": "slice", "value": unit.text(returned), "variant": "new"},
            )


def _non_pointer(value: Node, put: Node, unit: Unit) -> str | None:
    kind = value.type
    if kind == "call_expression":
        function = value.child_by_field_name("function")
        args = value.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        if function is not None and function.text == b"make" and first is not None and first.type == "slice_type":
            return "a slice"
        return None
    if kind == "slice_expression":
        return "a slice"
    if kind in ("interpreted_string_literal", "raw_string_literal"):
        return "a string"
    if kind in ("int_literal", "float_literal"):
        return "a number"
    if kind == "composite_literal":
        type_node = value.child_by_field_name("type")
        if type_node is not None and type_node.type in ("slice_type", "array_type", "implicit_length_array_type"):
            return "a slice" if type_node.type == "slice_type" else "an array"
        if type_node is not None and type_node.type == "type_identifier" and \
                _local_shape(unit.text(type_node), unit) == "other":
            return f"a {unit.text(type_node)} value"
        return None
    if kind == "identifier":
        asserted = _asserted_type(value, put, unit)
        if asserted is None:
            return None
        if asserted.type == "slice_type":
            return "a slice"
        if asserted.type == "array_type":
            return "an array"
        if asserted.type == "type_identifier":
            name = unit.text(asserted)
            if name in BASIC_TYPES:
                return f"a {name}"
            if _local_shape(name, unit) == "other":
                return f"a {name} value"
    return None


def _asserted_type(identifier: Node, put: Node, unit: Unit) -> Node | None:
    function = enclosing_function(put)
    name = unit.text(identifier)
    best = None
    for get in pool_gets(unit):
        if get.name == name and get.call.start_byte < put.start_byte and enclosing_function(get.statement) == function:
            best = get
    if best is None or best.asserted is None or type_kind(best.asserted, unit.file) is not None:
        return None
    return best.asserted


def _local_shape(name: str, unit: Unit) -> str | None:
    shapes = {f.shape for f in unit.file.facts.of(LocalType) if f.name == name}
    return shapes.pop() if len(shapes) == 1 else None


def _new_returns_slice(element: Node, unit: Unit) -> Node | None:
    """`New: func() any { return make([]T, ...) }` inside a sync.Pool literal."""
    if len(element.named_children) != 2 or element.named_children[0].text != b"New":
        return None
    literal = element.parent.parent if element.parent is not None else None
    if literal is None or literal.type != "composite_literal" or \
            type_kind(literal.child_by_field_name("type"), unit.file) != "POOL":
        return None
    value = element.named_children[1]
    if value.type == "literal_element" and value.named_children:
        value = value.named_children[0]
    if value.type != "func_literal":
        return None
    body = statements_of(value.child_by_field_name("body"))
    if not body or body[-1].type != "return_statement" or not body[-1].named_children:
        return None
    returned: Node | None = body[-1].named_children[0]
    if returned is not None and returned.type == "expression_list":
        returned = returned.named_children[0] if len(returned.named_children) == 1 else None
    if returned is None:
        return None
    return returned if _non_pointer(unparen(returned), returned, unit) == "a slice" else None
