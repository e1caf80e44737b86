from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.bindings import struct_type_of
from golens.syntax.calls import selector_parts
from golens.syntax.facts import ElementType, Fact, Facts, LocalType
from golens.syntax.sync import NO_COPY_TYPES, receiver, struct_has_lock, summarize_sync
from golens.syntax.tree import enclosing_function, unparen
from golens.syntax.unit import walk_named

SYNC = "sync"


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit) | set(_element_types(unit))


def _element_types(unit: Unit) -> Iterator[ElementType]:
    if unit.node.type != "type_declaration":
        return
    for spec in unit.nodes("type_spec"):
        name, struct = spec.child_by_field_name("name"), spec.child_by_field_name("type")
        fields = next((c for c in struct.named_children if c.type == "field_declaration_list"), None) \
            if struct is not None and struct.type == "struct_type" else None
        for decl in fields.named_children if fields is not None and name is not None else ():
            collection = decl.child_by_field_name("type") if decl.type == "field_declaration" else None
            element = _element_of(collection)
            if element is not None and element.type == "type_identifier":
                for field in decl.children_by_field_name("name"):
                    yield ElementType(unit.text(name), unit.text(field), unit.text(element))


def _element_of(collection: Node | None) -> Node | None:
    """The element type of `[]T`, `[N]T` or `map[K]T`."""
    if collection is None or collection.type not in ("slice_type", "array_type", "map_type"):
        return None
    return collection.child_by_field_name("value" if collection.type == "map_type" else "element")


def check(unit: Unit) -> Iterator[Report]:
    for function in unit.functions:
        # Results are not checked: returning a fresh zero value (`return sync.Mutex{}`) copies
        # nothing in use, and vet only objects to the returned expression, which needs types.
        for field, what in (("parameters", "parameter"),):
            params = function.child_by_field_name(field)
            if params is None or params.type != "parameter_list":
                continue
            for decl in params.named_children:
                if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
                    continue
                type_node = decl.child_by_field_name("type")
                if type_node is None or decl.type != "parameter_declaration":
                    continue
                names = [unit.text(n) for n in decl.children_by_field_name("name")]
                label = f"{what} {names[0]}" if names else what
                sync_type = _sync_value_type(type_node, unit)
                if sync_type is None:
                    struct = _package_struct(type_node, function)
                    lock = _lock_held_by(struct, unit.file.facts)
                    if struct is None or lock is None:
                        continue
                    yield unit.report(
                        type_node,
                        f"{label} passes {struct} by value, and {struct} holds a lock ({_via(lock)}): the "
                        f"function locks or counts a copy, so nothing is shared with the caller; use *{struct}",
                        data={"variant": what, "name": names[0] if names else None, "type": struct},
                    )
                    continue
                yield unit.report(
                    type_node,
                    f"{label} is a sync.{sync_type} passed by value: the function works on a copy, so "
                    f"{_consequence(sync_type)}; use *sync.{sync_type}",
                    data={"variant": what, "name": names[0] if names else None, "type": f"sync.{sync_type}"},
                )
        found = receiver(function)
        if found is None or found[2]:
            continue
        name, struct, _ = found
        lock = struct_has_lock(struct, unit.file.facts)
        if lock is None:
            continue
        recv_type = _receiver_type(function)
        if recv_type is None:
            continue
        yield unit.report(
            recv_type,
            f"value receiver copies {struct}, which holds a lock ({_via(lock)}): every call locks or "
            f"counts a fresh copy, so nothing is protected; use a pointer receiver (*{struct})",
            data={"variant": "receiver", "name": name, "type": struct},
        )


    yield from _range_copies(unit)


def _range_copies(unit: Unit) -> Iterator[Report]:
    """`for _, v := range xs` where the elements of xs are package structs holding a lock: each
    iteration copies one into v."""
    for clause in unit.nodes("range_clause"):
        left = clause.child_by_field_name("left")
        right = unparen(clause.child_by_field_name("right"))
        if left is None or right is None or right.type not in ("identifier", "selector_expression"):
            continue
        targets = left.named_children if left.type == "expression_list" else [left]
        if len(targets) != 2 or targets[1].type != "identifier" or unit.text(targets[1]) == "_":
            continue
        function = enclosing_function(clause)
        if right.type == "selector_expression":
            struct = _field_element(right, unit)
        else:
            element = _element_of(_declared_type(right))
            struct = _package_struct(element, function) if element is not None and function is not None else None
        lock = _lock_held_by(struct, unit.file.facts)
        if struct is None or lock is None:
            continue
        yield unit.report(
            targets[1],
            f"range copies each {struct} into {unit.text(targets[1])}, and {struct} holds a lock "
            f"({_via(lock)}): locking the copy excludes nobody; store *{struct} in "
            f"{unit.text(right)}, or (for a slice or array) range over its indexes and use &{unit.text(right)}[i]",
            data={"variant": "range", "name": unit.text(targets[1]), "type": struct},
        )


def _lock_held_by(struct: str | None, facts: Facts) -> tuple[str, str] | None:
    """What makes a copy of the package type `struct` copy a lock. Asked by name first, so that a
    declaration with an `int` parameter is not re-checked whenever some struct's fields change."""
    if struct is None or not facts.by_name(LocalType).get(struct):
        return None
    return struct_has_lock(struct, facts)


def _field_element(selector: Node, unit: Unit) -> str | None:
    """The element type of `x.items` when x's struct declares `items` as a slice, array or map of
    a package type."""
    parts = selector_parts(selector)
    owner = struct_type_of(parts[0], unit.file) if parts is not None else None
    if owner is None or parts is None:
        return None
    types = {f.type for f in unit.file.facts.by_name(ElementType).get(owner, ()) if f.field == parts[1]}
    return types.pop() if len(types) == 1 else None


def _via(lock: tuple[str, str]) -> str:
    field, kind = lock
    return f"through its {field}" if kind == "struct" else field


def _package_struct(type_node: Node | None, function: Node) -> str | None:
    """The name of a package-level type spelled `T` (or `T[...]`), unless `function` or one around
    it declares a type parameter of that name."""
    if type_node is not None and type_node.type == "generic_type":
        type_node = type_node.child_by_field_name("type")
    if type_node is None or type_node.type != "type_identifier":
        return None
    name = type_node.text
    scope: Node | None = function
    while scope is not None:
        parameters = scope.child_by_field_name("type_parameters")
        for decl in parameters.named_children if parameters is not None else ():
            if any(n.text == name for n in decl.children_by_field_name("name")):
                return None
        scope = enclosing_function(scope)
    return name.decode() if name is not None else None


def _declared_type(identifier: Node) -> Node | None:
    """The type a parameter, or a local declared by `var x T` or `x := T{...}` before the use,
    is written with; None when the name is bound any other way or not found."""
    name = identifier.text
    function = enclosing_function(identifier)
    while function is not None:
        for part in ("receiver", "parameters"):
            params = function.child_by_field_name(part)
            for decl in params.named_children if params is not None else ():
                if any(n.text == name for n in decl.children_by_field_name("name")):
                    return decl.child_by_field_name("type") if decl.type == "parameter_declaration" else None
        found = _local_declaration(function, name, identifier)
        if found is not None:
            return found[0]
        function = enclosing_function(function)
    return None


def _local_declaration(function: Node, name: bytes | None, use: Node) -> tuple[Node | None] | None:
    """(type,) of the last declaration of `name` in `function` before `use`: (None,) when its type
    is not written; None when `name` is not declared there."""
    body = function.child_by_field_name("body")
    found: tuple[Node | None] | None = None
    for node in walk_named(body, skip_function_literals=True) if body is not None else ():
        if node.start_byte >= use.start_byte:
            break
        if node.type == "var_spec":
            names = node.children_by_field_name("name")
            values = node.child_by_field_name("value")
        elif node.type in ("short_var_declaration", "range_clause"):
            left = node.child_by_field_name("left")
            names = (left.named_children if left.type == "expression_list" else [left]) if left is not None else []
            values = node.child_by_field_name("right") if node.type == "short_var_declaration" else None
        else:
            continue
        if not any(n.text == name for n in names):
            continue
        written = node.child_by_field_name("type") if node.type == "var_spec" else None
        if written is None and len(names) == 1 and values is not None and len(values.named_children) == 1:
            written = _value_type(values.named_children[0])
        found = (written,)
    return found


def _value_type(value: Node) -> Node | None:
    """The type written in `T{...}` or `make(T, ...)`."""
    if value.type == "composite_literal":
        return value.child_by_field_name("type")
    function = value.child_by_field_name("function") if value.type == "call_expression" else None
    arguments = value.child_by_field_name("arguments")
    if function is not None and function.text == b"make" and arguments is not None and arguments.named_children:
        return arguments.named_children[0]
    return None


def _receiver_type(method: Node) -> Node | None:
    receivers = method.child_by_field_name("receiver")
    if receivers is None or not receivers.named_children:
        return None
    return receivers.named_children[0].child_by_field_name("type")


def _sync_value_type(type_node: Node | None, unit: Unit) -> str | None:
    if type_node is None or type_node.type != "qualified_type":
        return None
    package = type_node.child_by_field_name("package")
    name = type_node.child_by_field_name("name")
    if package is None or name is None or unit.file.import_path(unit.text(package)) != SYNC:
        return None
    return unit.text(name) if unit.text(name) in NO_COPY_TYPES else None


def _consequence(sync_type: str) -> str:
    return {
        "WaitGroup": "Add and Done on it never reach the caller's group and Wait hangs or returns early",
        "Mutex": "locking it excludes nobody",
        "RWMutex": "locking it excludes nobody",
        "Once": "the caller's Once is not marked done",
        "Cond": "waiters and signallers use different copies",
        "Pool": "items put into it are lost to the caller's pool",
        "Map": "the copy and the original share and race on internal state",
    }[sync_type]
