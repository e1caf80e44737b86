"""Which locks are certainly held at each statement of a function (must-held, branches joined by
intersection), and the loop/scope helpers the lock rules share."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tree_sitter import Node

from golens.syntax.calls import function_name
from golens.syntax.paths import is_terminating_call, loop_condition, once_guard_flag, statements_of
from golens.syntax.sync import ACQUIRE, RELEASE, lock_op, method_call, releases, statement_call
from golens.syntax.tree import FUNCTION_TYPES, constant_truth, enclosing_function, live_branches, source
from golens.syntax.unit import Step, Unit, descend, walk_named


class GiveUpHeld(Exception):
    """Control flow the held-lock walk does not model (goto, labelled jumps, fallthrough)."""


@dataclass(frozen=True)
class Held:
    key: str
    method: str  # Lock or RLock
    node: Node  # the acquiring call
    deferred: bool = False  # a `defer Unlock` is registered: held until the function returns


State = dict[str, Held]


def _join(states: Sequence[State | None]) -> State | None:
    live = [s for s in states if s is not None]
    if not live:
        return None
    keys = set(live[0]).intersection(*live[1:])
    return {k: live[0][k] for k in keys}


@dataclass
class HeldScan:
    """Walks one function body in source order (not into function literals) and reports each
    event — lock, call, send, receive, blocking select, break, continue, the end of a loop's
    iteration (at its body) and of the function — with the locks held on *every* path reaching
    it (must-held: branches join by intersection, so a lock released on one branch is not held
    after the join). Precision first: anything that might release a lock does."""

    unit: Unit
    on_event: Callable[[str, Node, State], None]
    _jumps: list[list[State]] = field(default_factory=list)
    _labels: dict[bytes, list[State]] = field(default_factory=dict)
    _label: bytes | None = None  # the label of the statement about to be scanned
    _elsewhere: frozenset[str] = frozenset()

    def run(self, function: Node) -> bool:
        """Scans the body; an "end" event carries what is held where it falls off its end. False
        when the walk gave up (goto, fallthrough) part-way."""
        self._elsewhere = shared_locks(self.unit)
        try:
            end = descend(self.scan(statements_of(function.child_by_field_name("body")), {}))
        except GiveUpHeld:
            return False
        if end is not None:
            self.on_event("end", function, end)
        return True

    # The walk is written as generators run by `descend` (`result = yield sub_step`): nesting
    # depth is the input's, and 1,000 nested blocks under a lock hit Python's recursion limit,
    # losing the declaration's GL405/GL408/GL409 findings.

    def scan(self, statements: list[Node], held: State | None) -> Step[State | None]:
        for statement in statements:
            if held is None:
                return None
            held = yield self.statement(statement, held)
        return held

    def statement(self, node: Node, held: State) -> Step[State | None]:
        kind = node.type
        if kind == "return_statement":
            self.expressions(node, held)
            return None
        if kind in ("goto_statement", "fallthrough_statement"):
            raise GiveUpHeld(kind)
        if kind == "labeled_statement":
            label = node.child_by_field_name("label")
            inner = next((c for c in node.named_children if c.type != "label_name"), None)
            if inner is None:
                return held
            if inner.type in ("for_statement", "expression_switch_statement", "type_switch_statement",
                              "select_statement"):
                self._label = label.text if label is not None else None
            after: State | None = yield self.statement(inner, held)
            return after
        if kind in ("break_statement", "continue_statement"):
            self.on_event(kind.removesuffix("_statement"), node, held)
            if kind == "continue_statement":
                return None
            if node.named_children:
                target = self._labels.get(source(node.named_children[0]))
                if target is None:
                    raise GiveUpHeld("break to an unknown label")
                target.append(held)
            elif self._jumps:
                self._jumps[-1].append(held)
            return None
        if kind == "block":
            after = yield self.scan(statements_of(node), dict(held))
            return after
        if kind == "if_statement":
            for part in ("initializer", "condition"):
                child = node.child_by_field_name(part)
                if child is not None:
                    held = self.expressions(child, held)
            outcomes = []
            for branch in live_branches(node):
                outcomes.append((yield self.statement(branch, dict(held))))
            if node.child_by_field_name("alternative") is None and \
                    constant_truth(node.child_by_field_name("condition")) is not True:
                outcomes.append(held)  # the condition is false: nothing runs
            return _join(outcomes)
        if kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
            after = yield self.cases(node, held)
            return after
        if kind == "for_statement":
            after = yield self.loop(node, held)
            return after
        if kind == "go_statement":
            # Runs elsewhere; a goroutine that receives the mutex (`go unlockLater(&mu)`) takes
            # over the responsibility for it.
            call = statement_call(node)
            args = call.child_by_field_name("arguments") if call is not None else None
            if args is None:
                return held
            return {k: v for k, v in held.items() if not releases(args, k)}
        if kind == "defer_statement":
            return self.deferred(node, held)
        held = self.expressions(node, held)
        if is_terminating_call(node):
            return None
        return held

    def _push_jumps(self) -> None:
        jumps: list[State] = []
        self._jumps.append(jumps)
        if self._label is not None:
            self._labels[self._label] = jumps
            self._label = None

    def deferred(self, node: Node, held: State) -> State:
        for key, lock in list(held.items()):
            if releases(node, key):
                held[key] = Held(lock.key, lock.method, lock.node, True)
        return held

    def cases(self, node: Node, held: State) -> Step[State | None]:
        cases = [c for c in node.named_children if c.type in
                 ("expression_case", "default_case", "type_case", "communication_case")]
        for child in node.named_children:
            if child not in cases and child.type != "comment":
                held = self.expressions(child, held)
        if node.type == "select_statement":
            if not any(c.type == "default_case" for c in cases):
                self.on_event("select", node, held)
            if not cases:
                return None  # select {} never returns
        self._push_jumps()
        outcomes: list[State | None] = []
        for case in cases:
            state = dict(held)
            if case.type == "communication_case":
                comm = case.child_by_field_name("communication")
                if comm is not None:
                    state = self.expressions(comm, state, in_select=True)
            outcomes.append((yield self.scan(statements_of(case), state)))
        breaks = self._jumps.pop()
        if node.type != "select_statement" and not any(c.type == "default_case" for c in cases):
            outcomes.append(held)
        return _join([*outcomes, *breaks])

    def loop(self, node: Node, held: State) -> Step[State | None]:
        body = node.child_by_field_name("body")
        for child in node.named_children:
            if child != body and child.type != "comment":
                held = self.expressions(child, held)
        self._push_jumps()
        end = yield self.scan(statements_of(body), dict(held))
        breaks = self._jumps.pop()
        if end is not None and body is not None:
            self.on_event("iteration", body, end)
        infinite = loop_condition(node) is None and not any(
            c.type in ("for_clause", "range_clause") for c in node.named_children)
        if infinite:
            return _join(breaks)
        return _join([held, end, *breaks])

    def expressions(self, node: Node, held: State, in_select: bool = False) -> State:
        """Events and lock operations inside one simple statement or header, in source order."""
        nodes = [node] if not node.named_children else [node, *walk_named(node, skip_function_literals=True)]
        for child in nodes:
            kind = child.type
            if kind == "func_literal":
                continue
            if kind == "call_expression":
                op = lock_op(child, self.unit)
                if op is not None:
                    key, method, _ = op
                    if method in ACQUIRE:
                        if key in self._elsewhere:
                            continue  # another goroutine unlocks it: a signal, not a critical section
                        self.on_event("lock", child, held)
                        held = {**held, key: Held(key, method, child)}
                    elif key in held:
                        held = {k: v for k, v in held.items() if k != key}
                    continue
                if held:
                    released = [k for k in held if releases(child, k)] if _may_release(child) else []
                    if released:
                        held = {k: v for k, v in held.items() if k not in released}
                        continue
                    self.on_event("call", child, held)
            elif not held or in_select:
                continue
            elif kind == "send_statement":
                self.on_event("send", child, held)
            elif kind == "unary_expression" and source(child).startswith(b"<-"):
                self.on_event("receive", child, held)
        return held


def shared_locks(unit: Unit) -> frozenset[str]:
    """Locks that some function of the declaration releases before it acquires them (a deferred
    closure counts as its parent): a mutex locked by one goroutine and unlocked by another is
    used as a signal, so "held" and "released" mean nothing per function."""
    return unit.derived(_shared_locks)


def _shared_locks(unit: Unit) -> frozenset[str]:
    first: dict[tuple[str, int], str] = {}
    for call in unit.nodes("call_expression"):
        parts = method_call(call)
        if parts is None or (parts[1] not in ACQUIRE and parts[1] not in RELEASE):
            continue
        op = lock_op(call, unit)
        if op is None:
            continue
        function = enclosing_function(call)
        while function is not None and function.type == "func_literal" and _is_deferred_literal(function):
            function = enclosing_function(function)
        first.setdefault((op[0], function.start_byte if function is not None else -1), op[1])
    return frozenset(key for (key, _), method in first.items() if method in RELEASE)


def _is_deferred_literal(literal: Node) -> bool:
    invoked = literal.parent
    return invoked is not None and invoked.type == "call_expression" and invoked.parent is not None \
        and invoked.parent.type == "defer_statement"


def _may_release(call: Node) -> bool:
    function = call.child_by_field_name("function")
    if function is None:
        return False
    name = source(function).rsplit(b".", 1)[-1]
    args = call.child_by_field_name("arguments")
    return b"nlock" in name or b"release" in name.lower() or (args is not None and bool(args.named_children))


def functions_with_locks(unit: Unit) -> list[tuple[Node, list[Node]]]:
    """Functions of the unit (innermost) with their Lock/RLock calls on known mutexes."""
    return unit.derived(_functions_with_locks)


def _functions_with_locks(unit: Unit) -> list[tuple[Node, list[Node]]]:
    by_function: dict[int, tuple[Node, list[Node]]] = {}
    for call in unit.nodes("call_expression"):
        parts = method_call(call)
        if parts is None or parts[1] not in ACQUIRE:
            continue
        op = lock_op(call, unit)
        if op is None:
            continue
        function = enclosing_function(call)
        if function is None:
            continue
        by_function.setdefault(function.start_byte, (function, []))[1].append(call)
    return list(by_function.values())


def enclosing_loop(node: Node) -> Node | None:
    """The innermost `for` statement around `node` within its function."""
    parent = node.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type == "for_statement":
            return parent
        parent = parent.parent
    return None


def declared_in(node: Node) -> set[bytes]:
    """Names a for statement or block declares for its iterations (range vars, for-clause
    initialiser, := and var in the body)."""
    names: set[bytes] = set()
    for child in walk_named(node, skip_function_literals=True):
        if child.type == "range_clause" or child.type == "short_var_declaration":
            left = child.child_by_field_name("left")
            if left is not None:
                names.update(source(i) for i in ([left] if left.type == "identifier" else left.named_children)
                             if i.type == "identifier")
        elif child.type == "var_spec":
            names.update(source(n) for n in child.children_by_field_name("name"))
    return names


def runs_once_in(node: Node, loop: Node) -> bool:
    """`node` sits in a once-guard inside `loop` (`if !held { mu.Lock(); defer mu.Unlock();
    held = true }`) whose flag outlives the iterations and is never set back within the loop: it
    runs on one iteration at most, so it cannot meet itself on the next."""
    current = node
    while current.parent is not None and current.parent != loop:
        parent = current.parent
        if parent.type == "if_statement" and parent.child_by_field_name("consequence") == current:
            flag = once_guard_flag(parent)
            if flag is not None and flag not in declared_in(loop) and not _resets(loop, flag):
                return True
        current = parent
    return False


def _resets(loop: Node, flag: bytes) -> bool:
    """Something in the loop assigns the flag a value other than `true`."""
    for node in walk_named(loop):
        if node.type != "assignment_statement":
            continue
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            continue
        targets, values = left.named_children, right.named_children
        if len(targets) != len(values):
            if any(source(target) == flag for target in targets):
                return True  # `held, err = f()`: set from a call
            continue
        if any(source(target) == flag and value.type != "true" for target, value in zip(targets, values, strict=True)):
            return True
    return False


_HANDS_OFF = re.compile(r"locked|caller must (?:unlock|release)|unlocks?\b|with .* held|returns with", re.IGNORECASE)


def hands_off(function: Node, unit: Unit) -> bool:
    """Functions that lock for their caller: `lockX`, documented hand-offs, or `return mu.Unlock`."""
    name = function_name(function) or ""
    if name.lower().startswith("lock") or name.lower().startswith("rlock"):
        return True
    comment = function.prev_named_sibling
    doc = []
    while comment is not None and comment.type == "comment" and function.type != "func_literal":
        doc.append(unit.text(comment))
        comment = comment.prev_named_sibling
    return bool(doc) and _HANDS_OFF.search(" ".join(doc)) is not None
