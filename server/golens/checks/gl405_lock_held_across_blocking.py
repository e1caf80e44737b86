import re

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.bindings import expression_kind
from golens.syntax.calls import call_target
from golens.syntax.facts import Acquires, Fact, FieldLockGroupUses, GroupDoneSite
from golens.syntax.goroutines import goroutine_starts
from golens.syntax.held import HeldScan, State, functions_with_locks
from golens.syntax.sync import method_call, summarize_sync, sync_kind
from golens.syntax.tree import enclosing_function

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
# What holding the lock across the operation costs, kept in the finding's data["cost"]: a wait
# that only another goroutine can end risks a deadlock; a sleep or I/O only makes waiters slower.
DEADLOCK = "deadlock"
LATENCY = "latency"
SQL_KINDS = frozenset({"SQLDB", "SQLTX", "SQLCONN", "SQLSTMT"})


_FIELD_LOCK = re.compile(rb"\.(\w+)\.R?Lock\(\)")
_FIELD_GROUP_USE = re.compile(rb"\.(\w+)\.(Add|Wait|Go)\(")
_FIELD_MENTION = re.compile(rb"\.(\w+)\b")
_FIELD_DONE = re.compile(rb"\.(\w+)\.Done\(\)")
_FIELD_ADDRESS = re.compile(rb"&\w+(?:\.\w+)*\.(\w+)\b(?![.(])")
_CALLED = re.compile(rb"(\w+)\(")


def summarize(unit: Unit) -> set[Fact]:
    facts = set(summarize_sync(unit))
    if unit.node.type in ("function_declaration", "method_declaration"):
        # Which WaitGroup methods each declaration that locks a mutex field calls: lets a Wait
        # under a lock ask what every other locker of that field in the package does.
        text = unit.node.text or b""
        # Bare field names too: `wg := &o.monitorWg; wg.Add(1)` uses the group through an alias.
        uses = tuple(sorted({f"{g.decode()}.{m.decode()}" for g, m in _FIELD_GROUP_USE.findall(text)}
                            | {g.decode() for g in _FIELD_MENTION.findall(text)}))
        lock_fields = {m.decode() for m in _FIELD_LOCK.findall(text)}
        for lock_field in lock_fields:
            facts.add(FieldLockGroupUses(lock_field, uses))
        # What the goroutines a group field counts do: each declaration that calls its Done.
        calls = tuple(sorted({c.decode() for c in _CALLED.findall(text)}))
        for group in {g.decode() for g in _FIELD_DONE.findall(text)}:
            facts.add(GroupDoneSite(group, tuple(sorted(lock_fields)), calls))
        for group in {g.decode() for g in _FIELD_ADDRESS.findall(text)}:
            facts.add(GroupDoneSite(group, (), (), escapes=True))
    return facts


def check(unit: Unit) -> list[Report]:
    reports = []
    for function, _ in functions_with_locks(unit):
        if function.has_error:
            continue

        # HeldScan calls back before the loop moves on; the default binds this iteration's function.
        def on_event(kind: str, node: Node, held: State, function: Node = function) -> None:
            if not held:
                return
            blocking = _blocking(kind, node, unit)
            if blocking is None:
                return
            what, cost = blocking
            lock = min(held.values(), key=lambda h: h.node.start_byte)
            counted_skip_lock = False
            if what.endswith(".Wait() blocks"):
                group = method_call(node)[0]
                if _parallel_section(node, lock.node, function, held, unit) or _lock_serialises_group(lock.key, group, unit):
                    return
                counted_skip_lock = _done_callers_skip_lock(lock.key, group, unit)
            unlock = "Unlock" if lock.method == "Lock" else "RUnlock"
            until = "until the function returns (deferred unlock)" if lock.deferred else f"until {lock.key}.{unlock}()"
            if counted_skip_lock:
                # Every declaration that ends the counted goroutines (calls Done) is known and
                # none takes the lock: the wait ends without it, so only the waiters pay.
                cost = LATENCY
                message = (f"{what} while holding {lock.key} (locked {until}): no function that calls "
                           f"{unit.text(method_call(node)[0])}.Done() locks {lock.key}, so this is a latency "
                           f"cost, not a deadlock: every goroutine that needs {lock.key} waits until the "
                           f"counted goroutines finish; release the lock before waiting")
                severity: Severity | None = Severity.INFORMATION
            elif cost == LATENCY:
                # A sleep or a network round trip ends on its own: the cost is every other
                # goroutine that needs the lock waiting as long, never a deadlock. The trace
                # join raises it when goroutines are seen blocked on this mutex.
                message = (f"{what} while holding {lock.key} (locked {until}): every goroutine that "
                           f"needs {lock.key} waits that long too (a latency cost, not a deadlock); "
                           f"release the lock before the slow call")
                severity = Severity.INFORMATION
            else:
                message = (f"{what} while holding {lock.key} (locked {until}): every goroutine that needs "
                           f"{lock.key} waits for it too, and if the other side needs {lock.key} to make "
                           f"progress this deadlocks; release the lock before blocking")
                # Channel operations under a lock are often a designed hand-off (io.Pipe,
                # semaphores, buffered notifications whose capacity we cannot see): Information.
                severity = Severity.INFORMATION if kind in CHANNEL_EVENTS else None
            reports.append(unit.report(
                node,
                message,
                related=((lock.node, f"{lock.key} locked here"),),
                data={"lock": lock.key, "unlock": unlock, "deferred": lock.deferred, "op": kind, "cost": cost},
                severity=severity,
            ))

        HeldScan(unit, on_event).run(function)
    return reports


def _parallel_section(wait: Node, locked: Node, function: Node, held: State, unit: Unit) -> bool:
    """`wg.Wait()` joining goroutines that this critical section started itself and that do not
    take the lock: a critical section run in parallel, not a wait on someone else's progress."""
    group = method_call(wait)[0].text
    started = [s.statement for s in goroutine_starts(unit) if enclosing_function(s.statement) == function
               and locked.start_byte < s.statement.start_byte < wait.start_byte and group in s.statement.text]
    if not started:
        return False
    acquires = [f"{key}.{m}(".encode() for key in held for m in ("Lock", "RLock")]
    return not any(a in g.text for g in started for a in acquires)


def _lock_serialises_group(lock_key: str, group: Node, unit: Unit) -> bool:
    """A mutex whose only job is to keep a WaitGroup's Add and Wait apart: the package locks the
    field around the group's Add (or Go) and around its Wait, and only where it uses the group
    (an alias such as `wg := &o.group` counts). The goroutines the group counts never take it, so
    waiting under it cannot deadlock on it."""
    lock_field = lock_key.rsplit(".", 1)[-1]
    group_text = unit.text(group)
    group_field = group_text.rsplit(".", 1)[-1]
    if lock_field == lock_key or group_field == group_text:
        return False  # local variables: no other declaration shares them
    lockers = [set(fact.group_uses) for fact in unit.file.facts.of(FieldLockGroupUses)
               if fact.lock_field == lock_field]
    adds, waits = {f"{group_field}.Add", f"{group_field}.Go"}, {f"{group_field}.Wait"}
    return all(group_field in uses for uses in lockers) and \
        any(uses & adds for uses in lockers) and any(uses & waits for uses in lockers)


def _done_callers_skip_lock(lock_key: str, group: Node, unit: Unit) -> bool:
    """The goroutines a WaitGroup field counts, as far as the package shows them (every
    declaration that calls its Done; none takes the group's address), neither lock the held
    mutex field nor call a method that starts by locking it: they can finish while it is held."""
    lock_field = lock_key.rsplit(".", 1)[-1]
    group_text = unit.text(group)
    group_field = group_text.rsplit(".", 1)[-1]
    if lock_field == lock_key or group_field == group_text:
        return False  # local variables: their Done calls are not in the package's facts
    sites = unit.file.facts.by_name(GroupDoneSite).get(group_field, ())
    if not sites or any(site.escapes for site in sites):
        return False
    lockers = {f.method for f in unit.file.facts.of(Acquires) if f.field == lock_field}
    return all(lock_field not in site.lock_fields and lockers.isdisjoint(site.calls) for site in sites)


def _blocking(kind: str, node: Node, unit: Unit) -> tuple[str, str] | None:
    """What the operation is, worded for the message, and what holding a lock across it costs."""
    if kind == "send":
        channel = node.child_by_field_name("channel")
        return f"sending on {unit.text(channel)} can block", DEADLOCK
    if kind == "receive":
        return f"receiving from {unit.text(node.child_by_field_name('operand'))} can block", DEADLOCK
    if kind == "select":
        return "this select has no default case and can block", DEADLOCK
    if kind != "call":
        return None
    target = call_target(node, unit.file)
    if target is not None:
        name = BLOCKING_PACKAGE_CALLS.get(target)
        return (f"{name} runs", LATENCY) if name else None
    found = method_call(node)
    if found is None:
        return None
    receiver, method = found
    if method == "Wait" and not node.child_by_field_name("arguments").named_children:
        if sync_kind(receiver, unit) == "WAITGROUP":
            return f"{unit.text(receiver)}.Wait() blocks", DEADLOCK
        return None
    if method in HTTP_CLIENT_METHODS or method in SQL_METHODS:
        kind_of = expression_kind(receiver, unit)
        if method in HTTP_CLIENT_METHODS and kind_of == "HTTPCLIENT":
            return f"the HTTP request {unit.text(receiver)}.{method} runs", LATENCY
        if method in SQL_METHODS and kind_of in SQL_KINDS:
            return f"the database call {unit.text(receiver)}.{method} runs", LATENCY
    return None
