from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.facts import Fact
from golens.syntax.sync import NO_COPY_TYPES, receiver, struct_has_lock, summarize_sync

SYNC = "sync"


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


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
                sync_type = _sync_value_type(type_node, unit) if decl.type == "parameter_declaration" else None
                if type_node is None or sync_type is None:
                    continue
                names = [unit.text(n) for n in decl.children_by_field_name("name")]
                label = f"{what} {names[0]}" if names else what
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
        field_name, _ = lock
        recv_type = _receiver_type(function)
        if recv_type is None:
            continue
        yield unit.report(
            recv_type,
            f"value receiver copies {struct}, which holds a lock ({field_name}): every call locks or "
            f"counts a fresh copy, so nothing is protected; use a pointer receiver (*{struct})",
            data={"variant": "receiver", "name": name, "type": struct},
        )


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
