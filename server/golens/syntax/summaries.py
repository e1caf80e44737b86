"""Function summaries: what each package-level function or method does, so that a check can
follow a call into a function of the same package (`FuncSummary` facts, one per declaration).

A summary is computed from the function's own body (nested function literals excluded: they run
elsewhere or later). Questions about a call follow `calls` through the summaries of the package,
at most `DEPTH` calls deep, never visiting a function twice (mutual recursion ends there).
"""

from collections.abc import Callable, Iterator

from tree_sitter import Node

from golens.syntax.bindings import struct_type_of
from golens.syntax.blocking import blocking_call
from golens.syntax.calls import call_target, selector_parts
from golens.syntax.facts import Facts, FuncSummary
from golens.syntax.paths import GiveUp, Outcome, PathScan, statements_of
from golens.syntax.sync import ACQUIRE, RELEASE, method_call, receiver, sync_kind
from golens.syntax.tree import text, unparen
from golens.syntax.unit import Unit, walk_named

DEPTH = 3  # the function called, and two levels of calls below it


def summarize_functions(unit: Unit) -> Iterator[FuncSummary]:
    node = unit.node
    if node.type not in ("function_declaration", "method_declaration") or node.has_error:
        return
    name_node = node.child_by_field_name("name")
    body = node.child_by_field_name("body")
    if name_node is None or body is None:
        return
    found = receiver(node)
    recv_name = found.name if found is not None else ""
    params = _parameter_names(node)
    calls: list[str] = []
    done: list[str] = []
    resets: list[int] = []
    locks: list[str] = []
    blocks = ""
    first_op: dict[str, str] = {}  # receiver field -> its first lock operation in the function
    released = False
    # The statement each call is directly under, from the statements down: `Node.parent` descends
    # from the root, and asking it per call made 2,000 nested calls take seconds.
    holder = {call: kind for kind in ("go_statement", "expression_statement", "defer_statement")
              for statement in unit.nodes(kind) for call in statement.named_children}
    for child in walk_named(body, skip_function_literals=True):
        if child.type != "call_expression" or holder.get(child) == "go_statement":
            continue
        function = child.child_by_field_name("function")
        if function is None:
            continue
        if function.type == "identifier":
            calls.append(text(function))
            continue
        parts = method_call(child)
        if parts is None:
            continue
        target, method = unparen(parts[0]), parts[1]
        arguments = child.child_by_field_name("arguments")
        bare = arguments is not None and not arguments.named_children
        # Kinds of package-level names are not known yet while summaries are made (they are
        # facts too): a bare `x.Done()` statement and `x.Lock()` are taken at their word.
        statement = holder.get(child) in ("expression_statement", "defer_statement")
        if method == "Done" and bare and statement:
            done.append(text(target))
        elif method == "Reset" and bare and target.type == "identifier" and text(target) in params:
            resets.append(params.index(text(target)))
        elif (method in ACQUIRE or method in RELEASE) and bare and recv_name:
            field = _receiver_field(target, recv_name)
            if field is not None and field not in first_op:
                first_op[field] = method
            if field is not None and method in ACQUIRE and first_op[field] in ACQUIRE:
                locks.append(field)  # a callee that releases the field first expects it held
            released = released or (field is not None and method in RELEASE)
        if not blocks and not released:
            # After the function releases a receiver lock, what blocks no longer holds the caller's.
            blocks = _blocking(child, target, method, bare, unit)
        if found is not None and target.type == "identifier" and text(target) == recv_name:
            calls.append(f"{found.type}.{method}")
    scan = PathScan(lambda _: False)
    try:
        ends = scan.scan(statements_of(body)) is Outcome.ENDED and not scan.exits
    except GiveUp:
        ends = False
    yield FuncSummary(text(name_node), found.type if found is not None else "", tuple(dict.fromkeys(calls)),
                      tuple(dict.fromkeys(done)), tuple(sorted(set(resets))), blocks, tuple(dict.fromkeys(locks)),
                      ends)


def _parameter_names(function: Node) -> list[str]:
    names: list[str] = []
    params = function.child_by_field_name("parameters")
    for decl in params.named_children if params is not None else ():
        declared = decl.children_by_field_name("name")
        names += [text(n) for n in declared] or [""]
    return names


def _receiver_field(target: Node, recv_name: str) -> str | None:
    if target.type == "identifier":
        return "" if text(target) == recv_name else None
    parts = selector_parts(target)
    if parts is not None and unparen(parts[0]).type == "identifier" and text(unparen(parts[0])) == recv_name:
        return parts[1]
    return None


def _blocking(call: Node, target: Node, method: str, bare: bool, unit: Unit) -> str:
    found = call_target(call, unit.file)
    if found == ("time", "Sleep"):
        return "time.Sleep"
    if method == "Wait" and bare and sync_kind(target, unit) == "WAITGROUP":
        return f"{text(target)}.Wait()"
    blocking = blocking_call(call, unit)
    return blocking[0] if blocking is not None else ""


def callees(call: Node, unit: Unit) -> list[FuncSummary]:
    """The summaries a call in `unit` may run: `f(...)` a package function, `x.m(...)` a method
    of x's type when known (a receiver or parameter of a local type), else every method `m`."""
    function = call.child_by_field_name("function")
    if function is None:
        return []
    by_name = unit.file.facts.by_name(FuncSummary)
    if function.type == "identifier":
        return [s for s in by_name.get(text(function), ()) if not s.receiver]
    parts = selector_parts(function)
    if parts is None or call_target(call, unit.file) is not None:
        return []
    candidates = [s for s in by_name.get(parts[1], ()) if s.receiver]
    owner = struct_type_of(parts[0], unit.file)
    if owner is not None:
        return [s for s in candidates if s.receiver == owner]
    return candidates if len(candidates) == 1 else []


def reaches(start: list[FuncSummary], facts: Facts, found: Callable[[FuncSummary], bool]) -> FuncSummary | None:
    """The first summary, among `start` and what they call (DEPTH levels), for which `found`
    holds; each function is looked at once."""
    by_name = facts.by_name(FuncSummary)
    seen: set[tuple[str, str]] = set()
    level = start
    for _ in range(DEPTH):
        following: list[FuncSummary] = []
        for summary in level:
            key = (summary.receiver, summary.name)
            if key in seen:
                continue
            seen.add(key)
            if found(summary):
                return summary
            for callee in summary.calls:
                owner, _, name = callee.rpartition(".")
                if not callee.count("."):
                    following += [s for s in by_name.get(callee, ()) if not s.receiver]
                elif owner:
                    following += [s for s in by_name.get(name, ()) if s.receiver == owner]
                else:
                    candidates = [s for s in by_name.get(name, ()) if s.receiver]
                    following += candidates if len(candidates) == 1 else []
        level = following
    return None

