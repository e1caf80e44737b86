"""GL412 lock-left-held: a lock taken in a loop iteration still held at a `continue` or the end
of the iteration (the next iteration locks it again) or a `break` (nothing after the loop releases
it), or a lock still held where the function falls off its end. Returns are GL406's. The walk is the shared must-held scan
(`golens.syntax.held`): every path reaching the statement holds the lock, dead branches and
paths that end (panic, t.Fatal) excluded."""

from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import function_name, selector_parts
from golens.syntax.facts import Fact, ReleasesFirst
from golens.syntax.held import Held, HeldScan, State, declared_in, functions_with_locks, hands_off, runs_once_in
from golens.syntax.sync import RELEASE, RELEASE_OF, lock_op, method_call, receiver, releases, summarize_sync
from golens.syntax.tree import FUNCTION_TYPES, closing_brace, enclosing_function, is_inside, source, unparen
from golens.syntax.unit import walk_named

_BREAKABLE = ("for_statement", "expression_switch_statement", "type_switch_statement", "select_statement")


class GL412Data(TypedDict):
    """What GL412 hands its fix."""

    lock: str  # the lock expression, `s.mu`
    unlock: str  # Unlock or RUnlock
    where: str  # "break", "continue", "iteration" (the end of a loop's body) or "end" (the function's)


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit) | set(_releases_first(unit))


def _releases_first(unit: Unit) -> Iterator[ReleasesFirst]:
    """Receiver fields this method unlocks before it locks them (outside function literals)."""
    found = receiver(unit.node)
    if found is None or found.name in ("", "_"):
        return
    first: dict[str, str] = {}
    for call in unit.nodes("call_expression"):
        parts = method_call(call)
        if parts is None or parts[1] not in RELEASE_OF and parts[1] not in RELEASE or \
                enclosing_function(call) != unit.node:
            continue
        target = unparen(parts[0])
        if target.type == "identifier" and target.text == found.name.encode():
            field = ""
        else:
            inner = selector_parts(target)
            if inner is None or unparen(inner[0]).text != found.name.encode():
                continue
            field = inner[1]
        first.setdefault(field, parts[1])
    for field, method in first.items():
        if method in RELEASE:
            yield ReleasesFirst(found.type, field)


def check(unit: Unit) -> Iterator[Report]:
    for function, _ in functions_with_locks(unit):
        if function.has_error or hands_off(function, unit) or _named_for_holding(function):
            continue
        events: list[tuple[str, Node, State]] = []

        def on_event(kind: str, node: Node, held: State, events: list[tuple[str, Node, State]] = events) -> None:
            if kind in ("break", "continue", "iteration", "end") and held:
                events.append((kind, node, dict(held)))

        if not HeldScan(unit, on_event).run(function):
            continue
        broken: set[int] = set()  # locks a reported break leaves held: the end is the same finding
        for kind, node, held in events:
            for key, lock in sorted(held.items()):
                if lock.deferred or not _releases_itself(function, key, unit):
                    continue  # a deferred release runs at return; none at all: the caller's lock
                if kind in ("break", "end") and _handed_to_another_method(function, key, unit):
                    continue
                if kind == "end":
                    report = _end(unit, function, lock) if lock.node.start_byte not in broken and \
                        not _deferred_release(function, key) else None
                else:
                    report = _jump(unit, function, kind, node, lock)
                    if report is not None and kind == "break":
                        broken.add(lock.node.start_byte)
                if report is not None:
                    yield report


def _end(unit: Unit, function: Node, lock: Held) -> Report | None:
    body = function.child_by_field_name("body")
    if body is None:
        return None
    unlock = RELEASE_OF[lock.method]
    name = function_name(function) or "the function literal"
    return unit.report(
        closing_brace(body),
        f"{name} falls off its end with {lock.key} locked: {lock.key}.{lock.method}() has no "
        f"{lock.key}.{unlock}() on the paths that reach here, though other paths release it, so "
        f"{_next_blocked(lock)}",
        related=((lock.node, f"{lock.key} locked here"),),
        data=GL412Data(lock=lock.key, unlock=unlock, where="end"),
    )


def _jump(unit: Unit, function: Node, kind: str, node: Node, lock: Held) -> Report | None:
    """A break, a continue, or the end of an iteration (`node`: the loop's body)."""
    if kind != "break" and lock.method == "RLock":
        return None  # read locks nest: a second RLock waits only behind a queued writer
    loop = node.parent if kind == "iteration" else _left_loop(node)
    body = loop.child_by_field_name("body") if loop is not None else None
    if loop is None or body is None or not is_inside(lock.node, body) or runs_once_in(lock.node, loop):
        return None  # locked before the loop (held across it on purpose), or at most once
    if _released_before(loop, lock) or kind == "break" and _released_after(function, loop, lock.key):
        return None
    if kind != "break" and _per_iteration(lock, loop):
        return None  # `for _, s := range shards { s.mu.Lock() }`: another mutex each time
    unlock = RELEASE_OF[lock.method]
    if kind in ("continue", "iteration"):
        what = "continue with" if kind == "continue" else "the iteration ends with"
        where = "before continue" if kind == "continue" else "before the iteration ends"
        message = (f"{what} {lock.key} locked: the next iteration calls {lock.key}.{lock.method}() "
                   f"again while this one still holds it, and sync mutexes are not reentrant, so it "
                   f"deadlocks; call {lock.key}.{unlock}() {where}")
    else:
        message = (f"break leaves the loop with {lock.key} locked: nothing after the loop calls "
                   f"{lock.key}.{unlock}(), so the lock stays held and {_next_blocked(lock)}; "
                   f"call {lock.key}.{unlock}() before break")
    return unit.report(
        closing_brace(node) if kind == "iteration" else node,
        message,
        related=((lock.node, f"{lock.key} locked here"),),
        data=GL412Data(lock=lock.key, unlock=unlock, where=kind),
    )


def _releases_itself(function: Node, key: str, unit: Unit) -> bool:
    """Ownership evidence: the function's own statements (or its deferred calls) release the lock
    on some path. A closure that unlocks it (a handler the function installs) is not the function
    releasing what it took."""
    body = function.child_by_field_name("body")
    for node in walk_named(body, skip_function_literals=True) if body is not None else ():
        if node.type == "defer_statement" and releases(node, key):
            return True
        if node.type == "call_expression":
            op = lock_op(node, unit)
            if op is not None and op.key == key and op.method in RELEASE:
                return True
    return False


def _handed_to_another_method(function: Node, key: str, unit: Unit) -> bool:
    """`recv.field` is a lock some method of the receiver's type unlocks before locking: this one
    may return holding it on purpose (a begin/commit pair)."""
    method: Node | None = function
    while method is not None and method.type == "func_literal":
        method = enclosing_function(method)
    found = receiver(method) if method is not None else None
    if found is None or not found.name:
        return False
    if key == found.name:
        field = ""
    elif key.startswith(found.name + "."):
        field = key[len(found.name) + 1:]
    else:
        return False
    return ReleasesFirst(found.type, field) in unit.file.facts


def _per_iteration(lock: Held, loop: Node) -> bool:
    """The lock expression names a variable each iteration declares anew."""
    parts = method_call(lock.node)
    if parts is None:
        return False
    names = declared_in(loop)
    return any(n.type == "identifier" and source(n) in names for n in (parts[0], *walk_named(parts[0])))


def _next_blocked(lock: Held) -> str:
    if lock.method == "RLock":
        return f"the next {lock.key}.Lock() waits forever"
    return f"the next {lock.key}.Lock() deadlocks"


def _named_for_holding(function: Node) -> bool:
    """`fooLocked`, `relock`, `acquireLock`: returning with the lock held is the function's job."""
    name = (function_name(function) or "").lower()
    return name.endswith("locked") or name.endswith("lock")


def _left_loop(jump: Node) -> Node | None:
    """The `for` statement a break or continue leaves; None for a break out of a switch or select."""
    label = jump.named_children[0].text if jump.named_children else None
    node = jump.parent
    while node is not None and node.type not in FUNCTION_TYPES:
        if label is not None:
            if node.type == "labeled_statement":
                named = node.child_by_field_name("label")
                if named is not None and named.text == label:
                    inner = next((c for c in node.named_children if c.type != "label_name"), None)
                    return inner if inner is not None and inner.type == "for_statement" else None
        elif node.type == "for_statement" or jump.type == "break_statement" and node.type in _BREAKABLE:
            return node if node.type == "for_statement" else None
        node = node.parent
    return None


def _released_before(loop: Node, lock: Held) -> bool:
    """The loop releases the lock somewhere before it takes it (`if held { mu.Unlock() }` at the
    top of the iteration): whether the next iteration finds it held depends on that."""
    for node in walk_named(loop):
        if node.start_byte >= lock.node.start_byte:
            return False
        if node.type == "call_expression" and releases(node, lock.key):
            return True
    return False


def _released_after(function: Node, loop: Node, key: str) -> bool:
    """Anything after the loop, in its block or the blocks around it, releases the lock, or a
    deferred call of the function does."""
    body = function.child_by_field_name("body")
    node: Node | None = loop
    while node is not None and node != body:
        sibling = node.next_named_sibling
        while sibling is not None:
            if releases(sibling, key):
                return True
            sibling = sibling.next_named_sibling
        node = node.parent
    return _deferred_release(function, key)


def _deferred_release(function: Node, key: str) -> bool:
    """A deferred call of the function releases the lock: a re-acquisition after an earlier
    `defer mu.Unlock()` (unlock, sleep, lock again) is released at return too."""
    body = function.child_by_field_name("body")
    return any(n.type == "defer_statement" and releases(n, key)
               for n in walk_named(body, skip_function_literals=True)) if body is not None else False
