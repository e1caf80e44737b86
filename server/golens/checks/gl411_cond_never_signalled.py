"""GL411 cond-never-signalled: `c.Wait()` on a sync.Cond (a struct field, a package-level
variable, or a local from sync.NewCond) that nothing in the package signals or broadcasts, and
that never leaves the package's sight."""

from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import call_target, is_shadowed, selector_parts
from golens.syntax.facts import CondUse
from golens.syntax.sync import method_call, sync_kind
from golens.syntax.tree import enclosing_function, source, unparen
from golens.syntax.unit import walk_named

_SIGNALS = frozenset({b"Signal", b"Broadcast"})
_COND_METHODS = frozenset({b"Wait", b"Signal", b"Broadcast", b"L"})
UNKNOWN = "?"


def summarize(unit: Unit) -> Iterator[CondUse]:
    own = source(unit.node)
    if b"Signal" in own or b"Broadcast" in own:
        yield from _signals(unit)
    names = (_operands_of(unit.nodes("selector_expression")) if b".Wait" in own or b".L." in own else set()) | \
        unit.file.memo.get(_declared_conds, lambda: _declared_conds(unit.node))
    if not names:
        return
    for node in (*unit.nodes("selector_expression"), *unit.nodes("identifier")):
        named = node.child_by_field_name("field") if node.type == "selector_expression" else node
        if named is None or named.text not in names or not _escapes(node):
            continue
        name = source(named).decode()
        if node.type == "identifier" and is_shadowed(node, name, unit.file):
            continue
        yield CondUse(name, "escape")


def _signals(unit: Unit) -> Iterator[CondUse]:
    for selector in unit.nodes("selector_expression"):
        field = selector.child_by_field_name("field")
        operand = selector.child_by_field_name("operand")
        if field is None or operand is None or field.text not in _SIGNALS:
            continue
        call = selector.parent
        if call is not None and call.type == "call_expression" and call.child_by_field_name("function") == selector:
            arguments = call.child_by_field_name("arguments")
            if arguments is not None and arguments.named_children:
                continue  # Cond's Signal and Broadcast take nothing: `p.Signal(os.Interrupt)` is not one
        name = _signalled(unparen(operand), unit)
        if name is not None:
            yield CondUse(name, "signal")


def check(unit: Unit) -> Iterator[Report]:
    if b".Wait()" not in source(unit.node):
        return
    for call in unit.nodes("call_expression"):
        parts = method_call(call)
        arguments = call.child_by_field_name("arguments")
        if parts is None or parts[1] != "Wait" or arguments is None or arguments.named_children:
            continue
        cond = unparen(parts[0])
        if sync_kind(cond, unit) != "COND":
            continue
        key = unit.text(cond)
        if cond.type == "identifier" and is_shadowed(cond, key, unit.file):
            if _local_waits_alone(cond, unit):
                yield _report(unit, call, key, "the function")
            continue
        name = _name(cond)
        if name is None or name[:1].isupper():
            continue  # an exported field or variable: other packages may signal it
        uses = unit.file.facts.by_name(CondUse)
        if uses.get(name) or uses.get(UNKNOWN):
            continue
        yield _report(unit, call, key, "the package")


def _report(unit: Unit, call: Node, key: str, where: str) -> Report:
    return unit.report(
        call,
        f"{key}.Wait() waits for a Signal or Broadcast on {key} that nothing in {where} makes: the "
        f"goroutine sleeps here forever; call {key}.Broadcast() (or Signal) where the condition it "
        f"waits for changes",
    )


def _name(node: Node) -> str | None:
    """The field of `x.f` or the name of an identifier."""
    if node.type == "identifier":
        return node.text.decode() if node.text is not None else None
    if node.type == "selector_expression":
        field = node.child_by_field_name("field")
        return field.text.decode() if field is not None and field.text is not None else None
    return None


def _signalled(operand: Node, unit: Unit) -> str | None:
    """What a Signal/Broadcast on `operand` signals: a field or package variable by name,
    UNKNOWN for a parameter or an expression, None for a local from sync.NewCond (checked where it
    is declared)."""
    if operand.type == "selector_expression":
        return _name(operand) if selector_parts(operand) is not None else UNKNOWN
    if operand.type != "identifier":
        return UNKNOWN
    name = operand.text.decode() if operand.text is not None else ""
    if not is_shadowed(operand, name, unit.file):
        return name
    return None if _new_cond_local(operand, unit) is not None else UNKNOWN


def _new_cond_local(identifier: Node, unit: Unit) -> Node | None:
    """The function declaring `identifier` as `x := sync.NewCond(...)` (or `var x = ...`)."""
    function = enclosing_function(identifier)
    name = identifier.text
    while function is not None:
        body = function.child_by_field_name("body")
        for node in walk_named(body, skip_function_literals=True) if body is not None else ():
            if node.start_byte > identifier.start_byte:
                break
            if node.type in ("short_var_declaration", "var_spec"):
                left = node.child_by_field_name("left")
                names = node.children_by_field_name("name") if node.type == "var_spec" else \
                    (left.named_children if left is not None else [])
                values = node.child_by_field_name("value" if node.type == "var_spec" else "right")
                if len(names) == 1 and names[0].text == name and values is not None and \
                        len(values.named_children) == 1:
                    value = values.named_children[0]
                    if value.type == "call_expression" and call_target(value, unit.file) == ("sync", "NewCond"):
                        return function
        if any(n.text == name for part in ("receiver", "parameters")
               for decl in _declarations(function, part) for n in decl.children_by_field_name("name")):
            return None
        function = enclosing_function(function)
    return None


def _declarations(function: Node, part: str) -> list[Node]:
    params = function.child_by_field_name(part)
    return list(params.named_children) if params is not None else []


def _local_waits_alone(cond: Node, unit: Unit) -> bool:
    """A local Cond from sync.NewCond whose every other use in its function is `c.Wait()` or
    `c.L...`: nothing can signal it."""
    function = _new_cond_local(cond, unit)
    if function is None:
        return False
    name = cond.text
    for node in walk_named(function):
        if node.type != "identifier" or node.text != name:
            continue
        parent = node.parent
        if parent is not None and parent.type == "expression_list" and parent.parent is not None and \
                parent.parent.type in ("short_var_declaration", "var_spec") and \
                parent == parent.parent.child_by_field_name("left"):
            continue  # the declaration itself
        if parent is not None and parent.type == "var_spec" and node in parent.children_by_field_name("name"):
            continue
        if parent is None or parent.type != "selector_expression" or parent.child_by_field_name("operand") != node:
            return False  # handed to something that may signal it
        field = parent.child_by_field_name("field")
        if field is None or field.text not in (b"Wait", b"L"):
            return False  # signalled, or handed to something that may signal it
    return True


def _operands_of(selectors: list[Node]) -> set[bytes]:
    """Names used as Conds in these selectors: `c` of `c.Wait`, `f` of `x.f.Broadcast`."""
    names: set[bytes] = set()
    for node in selectors:
        field = node.child_by_field_name("field")
        operand = unparen(node.child_by_field_name("operand"))
        if field is None or field.text not in _COND_METHODS or operand is None:
            continue
        if operand.type == "identifier":
            names.add(source(operand))
        elif operand.type == "selector_expression":
            inner = operand.child_by_field_name("field")
            if inner is not None:
                names.add(source(inner))
    return names


def _declared_conds(node: Node) -> frozenset[bytes]:
    """Fields and package-level variables of this file declared as `sync.Cond`/`*sync.Cond`."""
    root = node
    while root.parent is not None:
        root = root.parent
    names: set[bytes] = set()
    for declaration in root.named_children:
        # Only type and var declarations are read: the file as a whole is never copied.
        if declaration.type not in ("type_declaration", "var_declaration") or b"sync.Cond" not in source(declaration):
            continue
        for found in walk_named(declaration):
            if found.type != "qualified_type" or found.text != b"sync.Cond":
                continue
            holder = found.parent
            while holder is not None and holder.type == "pointer_type":
                holder = holder.parent
            if holder is not None and holder.type in ("field_declaration", "var_spec"):
                names.update(source(n) for n in holder.children_by_field_name("name"))
    return frozenset(names)


def _escapes(node: Node) -> bool:
    """`node` is handed on: its address taken, passed to a call, returned, assigned or stored
    somewhere, sent on a channel."""
    parent = node.parent
    if parent is None:
        return False
    kind = parent.type
    if kind == "unary_expression" and source(parent).startswith(b"&"):
        return True
    if kind == "argument_list" or kind == "return_statement" or kind == "send_statement" and \
            parent.child_by_field_name("value") == node:
        return True
    if kind == "expression_list":
        holder = parent.parent
        if holder is not None and holder.type == "return_statement":
            return True
        if holder is not None and holder.type in ("assignment_statement", "short_var_declaration", "var_spec") and \
                parent == holder.child_by_field_name("right" if holder.type != "var_spec" else "value"):
            return True
    if kind in ("keyed_element", "literal_element", "literal_value"):
        return True
    return False
