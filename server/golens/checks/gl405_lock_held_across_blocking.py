from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.bindings import expression_kind
from golens.syntax.calls import call_target
from golens.syntax.facts import Fact
from golens.syntax.held import HeldScan, State, functions_with_locks
from golens.syntax.sync import method_call, summarize_sync, sync_kind
from golens.syntax.unit import walk_named

BLOCKING_PACKAGE_CALLS = {
    ("time", "Sleep"): "time.Sleep",
    ("net/http", "Get"): "http.Get", ("net/http", "Head"): "http.Head",
    ("net/http", "Post"): "http.Post", ("net/http", "PostForm"): "http.PostForm",
    ("net", "Dial"): "net.Dial", ("net", "DialTimeout"): "net.DialTimeout",
}
HTTP_CLIENT_METHODS = frozenset({"Do", "Get", "Head", "Post", "PostForm"})
SQL_METHODS = frozenset({
    "Query", "QueryRow", "Exec", "Prepare", "Ping", "Begin", "QueryContext", "QueryRowContext",
    "ExecContext", "PrepareContext", "PingContext", "BeginTx", "Commit", "Rollback",
})
CHANNEL_EVENTS = frozenset({"send", "receive", "select"})
SQL_KINDS = frozenset({"SQLDB", "SQLTX", "SQLCONN", "SQLSTMT"})


def summarize(unit: Unit) -> set[Fact]:
    return summarize_sync(unit)


def check(unit: Unit) -> list[Report]:
    reports = []
    for function, _ in functions_with_locks(unit):
        if function.has_error:
            continue

        # HeldScan calls back before the loop moves on; the default binds this iteration's function.
        def on_event(kind: str, node: Node, held: State, function: Node = function) -> None:
            if not held:
                return
            what = _blocking(kind, node, unit)
            if what is None:
                return
            lock = min(held.values(), key=lambda h: h.node.start_byte)
            if what.endswith(".Wait() blocks") and _parallel_section(node, lock.node, function, held):
                return
            # Channel operations under a lock are often a designed hand-off (io.Pipe, semaphores,
            # buffered notifications whose capacity we cannot see): Information, measured.
            severity = Severity.INFORMATION if kind in CHANNEL_EVENTS else None
            unlock = "Unlock" if lock.method == "Lock" else "RUnlock"
            until = "until the function returns (deferred unlock)" if lock.deferred else f"until {lock.key}.{unlock}()"
            reports.append(unit.report(
                node,
                f"{what} while holding {lock.key} (locked {until}): every goroutine that needs "
                f"{lock.key} waits for it too, and if the other side needs {lock.key} to make "
                f"progress this deadlocks; release the lock before blocking",
                related=((lock.node, f"{lock.key} locked here"),),
                data={"lock": lock.key, "unlock": unlock, "deferred": lock.deferred, "op": kind},
                severity=severity,
            ))

        HeldScan(unit, on_event).run(function)
    return reports


def _parallel_section(wait: Node, locked: Node, function: Node, held: State) -> bool:
    """`wg.Wait()` joining goroutines that this critical section started itself and that do not
    take the lock: a critical section run in parallel, not a wait on someone else's progress."""
    group = method_call(wait)[0].text
    started = [g for g in walk_named(function, skip_function_literals=True)
               if g.type == "go_statement" and locked.start_byte < g.start_byte < wait.start_byte and group in g.text]
    if not started:
        return False
    acquires = [f"{key}.{m}(".encode() for key in held for m in ("Lock", "RLock")]
    return not any(a in g.text for g in started for a in acquires)


def _blocking(kind: str, node: Node, unit: Unit) -> str | None:
    if kind == "send":
        channel = node.child_by_field_name("channel")
        return f"sending on {unit.text(channel)} can block"
    if kind == "receive":
        return f"receiving from {unit.text(node.child_by_field_name('operand'))} can block"
    if kind == "select":
        return "this select has no default case and can block"
    if kind != "call":
        return None
    target = call_target(node, unit.file)
    if target is not None:
        name = BLOCKING_PACKAGE_CALLS.get(target)
        return f"{name} blocks" if name else None
    found = method_call(node)
    if found is None:
        return None
    receiver, method = found
    if method == "Wait" and not node.child_by_field_name("arguments").named_children:
        if sync_kind(receiver, unit) == "WAITGROUP":
            return f"{unit.text(receiver)}.Wait() blocks"
        return None
    if method in HTTP_CLIENT_METHODS or method in SQL_METHODS:
        kind_of = expression_kind(receiver, unit)
        if method in HTTP_CLIENT_METHODS and kind_of == "HTTPCLIENT":
            return f"the HTTP request {unit.text(receiver)}.{method} blocks"
        if method in SQL_METHODS and kind_of in SQL_KINDS:
            return f"the database call {unit.text(receiver)}.{method} blocks"
    return None
