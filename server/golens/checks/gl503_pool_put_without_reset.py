from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import identifiers
from golens.syntax.facts import Fact, ResetMethod
from golens.syntax.pools import PoolGet, pool_gets, pool_put
from golens.syntax.summaries import callees
from golens.syntax.sync import method_call, summarize_sync
from golens.syntax.tree import enclosing_function, unparen
from golens.syntax.unit import walk_named


# Pointer types whose pooled values carry state from their previous user until Reset.
class GL503Data(TypedDict, total=False):
    """What GL503 hands its fix."""

    var: str  # the pooled value's variable
    pool: str
    type: str


RESETTABLE = {
    ("bytes", "Buffer"), ("strings", "Builder"), ("bufio", "Writer"), ("bufio", "Reader"),
    ("compress/gzip", "Writer"), ("compress/gzip", "Reader"), ("compress/flate", "Writer"),
}


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> Iterator[Report]:
    for get in pool_gets(unit):
        type_name = _resettable(get, unit)
        if type_name is None:
            continue
        function = enclosing_function(get.statement)
        if function is None:
            continue
        put = _put_of(get, function, unit)
        if put is None or _resets(function, get.name, unit):
            continue
        if not _used_between(function, get, put):
            continue
        yield unit.report(
            put,
            f"{get.name} goes back into {get.pool} without {get.name}.Reset(): the next Get returns "
            f"it with this user's contents ({type_name}), and a large one stays pinned in the pool; "
            f"call {get.name}.Reset() right after the Get",
            related=((get.call, f"{get.name} taken from the pool here"),),
            data=GL503Data(var=get.name, pool=get.pool, type=type_name),
        )


def _resettable(get: PoolGet, unit: Unit) -> str | None:
    asserted = get.asserted
    if asserted is None or asserted.type != "pointer_type" or not asserted.named_children:
        return None
    inner = asserted.named_children[0]
    if inner.type == "qualified_type":
        package = inner.child_by_field_name("package")
        name = inner.child_by_field_name("name")
        path = unit.file.import_path(unit.text(package))
        if path is not None and (path, unit.text(name)) in RESETTABLE:
            return f"*{unit.text(package)}.{unit.text(name)}"
        return None
    if inner.type == "type_identifier" and ResetMethod(unit.text(inner)) in unit.file.facts:
        return f"*{unit.text(inner)}"
    return None


def _put_of(get: PoolGet, function: Node, unit: Unit) -> Node | None:
    for node in walk_named(function):
        if node.type != "call_expression" or node.start_byte < get.statement.end_byte:
            continue
        found = pool_put(node, unit)
        if found is not None and found[0] == get.pool and unparen(found[1]).text == get.name.encode():
            return node
    return None


def _resets(function: Node, name: str, unit: Unit) -> bool:
    """`name.Reset()` / `name.Truncate(...)`, or a call of a package function that resets the
    argument it is handed (`clear(buf)` where `func clear(b *bytes.Buffer) { b.Reset() }`)."""
    encoded = name.encode()
    for node in walk_named(function):
        if node.type == "call_expression":
            found = method_call(node)
            if found is not None and unparen(found[0]).text == encoded and found[1] in ("Reset", "Truncate"):
                return True
            arguments = node.child_by_field_name("arguments")
            positions = [i for i, a in enumerate(arguments.named_children if arguments is not None else ())
                         if unparen(a).text == encoded]
            if positions and any(set(positions) & set(s.resets) for s in callees(node, unit)):
                return True
    return False


def _used_between(function: Node, get: PoolGet, put: Node) -> bool:
    """Written to or read from at all: a value only moved from Get to Put carries nothing new."""
    for identifier in identifiers(function, get.name):
        if identifier.start_byte < get.statement.end_byte:
            continue
        if put.start_byte <= identifier.start_byte < put.end_byte:
            continue
        return True
    return False
