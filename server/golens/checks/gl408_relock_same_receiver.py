from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.facts import Acquires, Fact
from golens.syntax.held import HeldScan, State, functions_with_locks
from golens.syntax.sync import method_call, receiver, summarize_sync
from golens.syntax.tree import enclosing_function, unparen


class GL408Data(TypedDict, total=False):
    """What GL408 hands its fix."""

    lock: str
    callee: str | None  # the method that locks again; None for a direct second Lock
    locked_variant: str | None  # the name of a `...Locked` variant of the callee, if one exists


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> list[Report]:
    reports = []
    for function, _ in functions_with_locks(unit):
        if function.has_error:
            continue
        method = function
        while method is not None and method.type == "func_literal":
            method = enclosing_function(method)
        found = receiver(method) if method is not None else None
        recv = found[0] if found is not None and found[0] not in ("", "_") else None
        acquires = {(f.method, f.field, f.lock) for f in unit.file.facts.of(Acquires) if f.type == found.type} \
            if recv is not None else set()

        def on_event(kind: str, node: Node, held: State, recv: str | None = recv,
                     acquires: set = acquires) -> None:
            if not held:
                return
            if kind == "lock":
                return _direct_relock(node, held, unit, reports)
            if kind != "call" or not acquires:
                return
            parts = method_call(node)
            if parts is None:
                return
            operand, callee = unparen(parts[0]), parts[1]
            if operand.type != "identifier" or operand.text.decode() != recv:
                return
            for callee_name, field, taken in acquires:
                if callee_name != callee:
                    continue
                key = f"{recv}.{field}" if field else recv
                lock = held.get(key)
                if lock is None:
                    continue
                if lock.method == "RLock" and taken == "RLock":
                    # Two read locks coexist until a writer queues between them: then the writer
                    # waits for this method and the nested RLock waits for the writer.
                    why = (f"{recv}.{callee}() read-locks {key} again while this method holds a read lock: "
                           f"a writer calling {key}.Lock() in between deadlocks both (sync.RWMutex "
                           f"forbids recursive read locking)")
                else:
                    why = (f"{recv}.{callee}() locks {key} again while this method holds it: sync mutexes "
                           f"are not reentrant, so this call deadlocks")
                reports.append(unit.report(
                    node,
                    f"{why}; call a variant that expects the lock to be held (e.g. {_locked_name(callee)})",
                    related=((lock.node, f"{key} locked here"),),
                    data=GL408Data(lock=key, callee=callee, locked_variant=_locked_name(callee)),
                ))

        HeldScan(unit, on_event).run(function)
    return reports


def _direct_relock(node: Node, held: State, unit: Unit, reports: list) -> None:
    parts = method_call(node)
    key = unit.text(unparen(parts[0]))
    lock = held.get(key)
    if lock is None or (lock.method == "RLock" and parts[1] == "RLock"):
        return
    reports.append(unit.report(
        node,
        f"{key}.{parts[1]}() while {key} is already locked by this function: sync mutexes are not "
        f"reentrant, so this deadlocks",
        related=((lock.node, f"{key} locked here"),),
        data=GL408Data(lock=key, callee=None, locked_variant=None),
    ))


def _locked_name(callee: str) -> str:
    return callee[0].lower() + callee[1:] + "Locked"
