"""GL409 lock-held-across-blocking-call: a lock held across a call into a function of the same
package that blocks (time.Sleep, WaitGroup.Wait, a network or database call), or that locks the
same receiver field again, directly or through calls (at most three calls deep)."""

from collections.abc import Callable, Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.facts import Fact, FuncSummary
from golens.syntax.held import HeldScan, State, functions_with_locks
from golens.syntax.summaries import callees, reaches
from golens.syntax.sync import method_call, receiver, summarize_sync
from golens.syntax.tree import enclosing_function, text, unparen


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> Iterator[Report]:
    reports: list[Report] = []
    for function, _ in functions_with_locks(unit):
        if function.has_error:
            continue
        method: Node | None = function
        while method is not None and method.type == "func_literal":
            method = enclosing_function(method)
        found = receiver(method) if method is not None else None
        recv = found.name if found is not None and found.name not in ("", "_") else None

        def on_event(kind: str, node: Node, held: State, recv: str | None = recv) -> None:
            if kind != "call" or not held:
                return
            started = callees(node, unit)
            if not started:
                return
            lock = min(held.values(), key=lambda h: h.node.start_byte)
            name = text(node.child_by_field_name("function") or node)
            relocked = _relocks(node, started, held, recv, unit)
            if relocked is not None:
                key, via = relocked
                reports.append(unit.report(
                    node,
                    f"{name}() locks {key} again ({via}) while it is held here: sync mutexes are not "
                    f"reentrant, so this call deadlocks",
                    related=((held[key].node, f"{key} locked here"),),
                ))
                return
            blocking = reaches(started, unit.file.facts, lambda s: bool(s.blocks))
            if blocking is None:
                return
            via = "" if blocking in started else f" (through {blocking.name})"
            reports.append(unit.report(
                node,
                f"{name}() blocks{via} on {blocking.blocks} while {lock.key} is held: every goroutine "
                f"that needs {lock.key} waits as long; release the lock before the call",
                related=((lock.node, f"{lock.key} locked here"),),
            ))

        HeldScan(unit, on_event).run(function)
    yield from reports


def _relocks(call: Node, started: list[FuncSummary], held: State, recv: str | None,
             unit: Unit) -> tuple[str, str] | None:
    """(lock key, how) when the call, made on this method's receiver, reaches a method that locks
    a field of the receiver that is held here. Direct `recv.m()` calls of a method that locks
    first are GL408's."""
    parts = method_call(call)
    if recv is None or parts is None or unparen(parts[0]).type != "identifier" or text(unparen(parts[0])) != recv:
        return None
    for key in held:
        field = key[len(recv) + 1:] if key.startswith(recv + ".") else ("" if key == recv else None)
        if field is None:
            continue
        locker = reaches(started, unit.file.facts, _locks(field))
        if locker is not None and locker not in started:
            return key, f"through {locker.receiver}.{locker.name}" if locker.receiver else f"through {locker.name}"
    return None


def _locks(field: str) -> Callable[[FuncSummary], bool]:
    return lambda summary: field in summary.locks
