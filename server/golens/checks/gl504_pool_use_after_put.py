from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.facts import Fact, LocalType
from golens.syntax.pools import PoolGet, pool_gets, pool_put
from golens.syntax.sync import method_call, summarize_sync
from golens.syntax.tree import enclosing_function, source, unparen
from golens.syntax.unit import walk_named


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> Iterator[Report]:
    gets = pool_gets(unit)
    if not gets:
        return
    for call in unit.nodes("call_expression"):
        found = pool_put(call, unit)
        if found is None:
            continue
        pool, value = found
        value = unparen(value)
        if value.type != "identifier":
            continue
        get = _binding(gets, value, call)
        if get is None or not _may_alias(get, unit):
            continue
        statement = call.parent
        deferred = _deferred(call)
        if deferred is None and statement is not None and statement.type == "expression_statement":
            use = _later_use(statement, get.name)
            if use is not None:
                yield unit.report(
                    use,
                    f"{get.name} is used after {pool}.Put({get.name}): another goroutine may already "
                    f"have taken it from the pool and be writing to it; move the Put after the last use",
                    related=((call, "put back here"),),
                    data={"var": get.name, "pool": pool, "variant": "use-after-put"},
                )
        elif deferred is not None:
            function = enclosing_function(deferred)
            for escape, how in _aliasing_escapes(function, get, unit):
                yield unit.report(
                    escape,
                    f"{how} aliases {get.name}'s storage, but the deferred {pool}.Put({get.name}) hands "
                    f"{get.name} to the next Get as soon as this function returns: the caller's data "
                    f"is overwritten by another user; copy it (bytes.Clone) before returning",
                    related=((call, "put back when the function returns"),),
                    data={"var": get.name, "pool": pool, "variant": "defer-put-alias",
                          "clone": "bytes.Clone" if unit.file.go_at_least(20) or unit.file.go_version is None
                          else "append"},
                )


def _binding(gets: list[PoolGet], value: Node, put: Node) -> PoolGet | None:
    function = enclosing_function(put)
    best = None
    for get in gets:
        if get.name.encode() != value.text or get.statement.start_byte > put.start_byte:
            continue
        owner = enclosing_function(get.statement)
        scope = function
        while scope is not None and scope != owner:
            scope = enclosing_function(scope)  # a Put inside a closure of the getter counts
        if scope is not None:
            best = get
    return best


def _may_alias(get: PoolGet, unit: Unit) -> bool:
    """Only values that share memory with the pooled object matter: a struct or number asserted
    by value is a private copy."""
    asserted = get.asserted
    if asserted is None or asserted.type in ("pointer_type", "slice_type", "map_type"):
        return True
    if asserted.type == "type_identifier":
        return LocalType(unit.text(asserted), "pointer") in unit.file.facts
    return False


def _deferred(call: Node) -> Node | None:
    """The defer statement that runs this Put at function exit: `defer P.Put(x)` or
    `defer func() { ...; P.Put(x) }()`."""
    parent = call.parent
    if parent is not None and parent.type == "defer_statement":
        return parent
    function = enclosing_function(call)
    if function is not None and function.type == "func_literal":
        invoked = function.parent
        if invoked is not None and invoked.type == "call_expression" and invoked.parent is not None \
                and invoked.parent.type == "defer_statement":
            return invoked.parent
    return None


def _later_use(statement: Node, name: str) -> Node | None:
    """The first mention of `name` after `statement` in its statement list, unless it is a fresh
    assignment (then the old value is gone)."""
    encoded = name.encode()
    sibling = statement.next_named_sibling
    while sibling is not None:
        for node in [sibling, *walk_named(sibling)]:
            if node.type == "identifier" and node.text == encoded:
                return None if _assigned(node) else node
        sibling = sibling.next_named_sibling
    return None


def _assigned(identifier: Node) -> bool:
    parent = identifier.parent
    if parent is None or parent.type != "expression_list":
        return False
    statement = parent.parent
    if statement is None or statement.type not in ("assignment_statement", "short_var_declaration") or \
            statement.child_by_field_name("left") != parent:
        return False
    operator = statement.child_by_field_name("operator")
    return statement.type == "short_var_declaration" or operator is None or source(operator) == b"="


def _aliasing_escapes(function: Node | None, get: PoolGet, unit: Unit) -> Iterator[tuple[Node, str]]:
    """Returned or stored expressions sharing the pooled value's memory: `x`, `x.Bytes()`
    (bytes.Buffer), `x[:n]`, `*x`."""
    if function is None:
        return
    body = function.child_by_field_name("body")
    encoded = get.name.encode()
    buffer = get.asserted is not None and source(get.asserted).replace(b" ", b"") == b"*bytes.Buffer"
    for node in walk_named(body, skip_function_literals=True) if body is not None else ():
        candidates: list[Node] = []
        if node.type == "return_statement" and node.named_children:
            values = node.named_children[0]
            candidates = list(values.named_children) if values.type == "expression_list" else [values]
        elif node.type == "send_statement":
            value = node.child_by_field_name("value")
            candidates = [value] if value is not None else []
        elif node.type == "assignment_statement":
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is not None and right is not None and \
                    all(t.type in ("selector_expression", "index_expression") for t in left.named_children):
                candidates = list(right.named_children)
        for candidate in candidates:
            if _aliases(unparen(candidate), encoded, buffer):
                yield candidate, unit.text(candidate)


def _aliases(expr: Node, name: bytes, buffer: bool) -> bool:
    # A loop, not recursion, through `b[:n][i:]...`: generated code nests slices deeply.
    while expr.type == "slice_expression":
        operand = expr.child_by_field_name("operand")
        if operand is None:
            return False
        expr = unparen(operand)
    if expr.type == "identifier":
        return expr.text == name
    if expr.type == "unary_expression" and source(expr).startswith(b"*"):
        operand = expr.child_by_field_name("operand")
        return operand is not None and unparen(operand).text == name
    if expr.type == "call_expression" and buffer:
        found = method_call(expr)
        return found is not None and found[1] == "Bytes" and unparen(found[0]).text == name
    return False
