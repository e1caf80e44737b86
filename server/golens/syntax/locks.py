"""sync primitives from syntax alone: which expressions are mutexes, wait groups and pools; which
locks are certainly held at each statement of a function; where pooled values come from.

Everything here follows the binding rules of `bindings`: no kind evidence, no answer. A lock is
identified by the source text of its receiver expression (`s.mu`, `mu`, or `s` for a receiver
that embeds sync.Mutex), which is what two calls on "the same mutex" look like without types.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from golens.syntax.bindings import expression_kind, type_kind
from golens.syntax.calls import enclosing_function, selector_parts
from golens.syntax.paths import is_terminating_call, loop_condition, statements_of
from golens.syntax.unit import FUNCTION_TYPES, Unit, walk_named

LOCK_KINDS = frozenset({"MUTEX", "RWMUTEX"})
RELEASE_OF = {"Lock": "Unlock", "RLock": "RUnlock"}
ACQUIRE = frozenset(RELEASE_OF)
RELEASE = frozenset(RELEASE_OF.values())
# Types whose values must not be copied (vet copylocks: they contain a Locker or noCopy).
NO_COPY_TYPES = frozenset({"Mutex", "RWMutex", "WaitGroup", "Once", "Cond", "Pool", "Map"})
_EMBEDDABLE = {"Mutex": "MUTEX", "RWMutex": "RWMUTEX", "WaitGroup": "WAITGROUP"}


def method_call(call: Node) -> tuple[Node, str] | None:
    """(receiver expression, method name) of `x.M(...)`."""
    if call.type != "call_expression":
        return None
    return selector_parts(call.child_by_field_name("function"))


def unparen(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node


def _cache(unit: Unit, name: str) -> dict:
    # Per-unit memo: several checks ask the same questions about the same declaration.
    caches = unit.__dict__.setdefault("_sync_caches", {})
    return caches.setdefault(name, {})


def sync_kind(expr: Node, unit: Unit) -> str | None:
    """Kind of a sync value (MUTEX, RWMUTEX, WAITGROUP, POOL, ...) at `expr`, including a method
    receiver whose struct embeds the primitive (`s.Lock()`) and `s.Mutex` selectors."""
    expr = unparen(expr)
    if expr.type not in ("identifier", "selector_expression"):
        return None
    function = enclosing_function(expr)
    key = (function.start_byte if function is not None else -1, expr.text)
    memo = _cache(unit, "kind")
    if key in memo:
        return memo[key]
    kind = expression_kind(expr, unit)
    if kind is None and expr.type == "identifier":
        owner = receiver_type(expr)
        if owner is not None:
            kind = embedded_kind(owner, unit)
    if kind is None and expr.type == "selector_expression":
        parts = selector_parts(expr)
        if parts is not None and parts[1] in _EMBEDDABLE and any(
                f[2] == "" and f[3] == _EMBEDDABLE[parts[1]] for f in facts_by_head(unit.file.facts).get("sync-field", ())):
            kind = _EMBEDDABLE[parts[1]]
    memo[key] = kind
    return kind


# (facts, index) of the last fact set seen: the file's facts change once per check, not per
# call. Swapped as one tuple so concurrent checks never pair one file's facts with another's index.
_last_index: tuple = (None, {})


def facts_by_head(facts: frozenset) -> dict[str, list[tuple]]:
    """The file's facts grouped by their first element, built once per fact set."""
    global _last_index
    seen, index = _last_index
    if seen is not facts:
        index = {}
        for fact in facts:
            index.setdefault(fact[0], []).append(fact)
        _last_index = (facts, index)
    return index


def embedded_kind(struct: str, unit: Unit) -> str | None:
    kinds = {f[3] for f in facts_by_head(unit.file.facts).get("sync-field", ()) if f[1] == struct and f[2] == ""
             and f[3] in _EMBEDDABLE.values()}
    return kinds.pop() if len(kinds) == 1 else None


def receiver(function: Node) -> tuple[str, str, bool] | None:
    """(receiver name, type name, pointer?) of a method declaration."""
    if function.type != "method_declaration":
        return None
    params = function.child_by_field_name("receiver")
    decl = params.named_children[0] if params is not None and params.named_children else None
    if decl is None or decl.type != "parameter_declaration":
        return None
    names = decl.children_by_field_name("name")
    type_node = decl.child_by_field_name("type")
    pointer = False
    while type_node is not None and type_node.type in ("pointer_type", "parenthesized_type"):
        pointer = pointer or type_node.type == "pointer_type"
        type_node = type_node.named_children[0] if type_node.named_children else None
    if type_node is not None and type_node.type == "generic_type":
        type_node = type_node.child_by_field_name("type")
    if type_node is None or type_node.type != "type_identifier":
        return None
    name = names[0].text.decode() if names else ""
    return name, type_node.text.decode(), pointer


def receiver_type(identifier: Node) -> str | None:
    """The type of the enclosing method's receiver when `identifier` names that receiver."""
    function = enclosing_function(identifier)
    while function is not None and function.type == "func_literal":
        function = enclosing_function(function)
    found = receiver(function) if function is not None else None
    if found is None or found[0] != identifier.text.decode():
        return None
    return found[1]


def lock_op(call: Node, unit: Unit) -> tuple[str, str, Node] | None:
    """(lock key, method, receiver) of `M.Lock()`/`RLock`/`Unlock`/`RUnlock` on a MUTEX/RWMUTEX."""
    found = method_call(call)
    if found is None or found[1] not in ACQUIRE and found[1] not in RELEASE:
        return None
    target, method = found
    if sync_kind(target, unit) not in LOCK_KINDS:
        return None
    return lock_key(target), method, target


def lock_key(expr: Node) -> str:
    return unparen(expr).text.decode("utf-8", "replace")


def statement_call(statement: Node) -> Node | None:
    """The call of `f(...)` as an expression statement, or of `defer f(...)` / `go f(...)`."""
    if statement.type in ("expression_statement", "defer_statement", "go_statement") and statement.named_children:
        call = statement.named_children[0]
        return call if call.type == "call_expression" else None
    return None


def releases(node: Node, key: str, unit: Unit | None = None) -> bool:
    """Does `node` (anything, nested literals included) release or hand off the lock `key`?
    Any `key.Unlock`/`RUnlock` (called or as a func value), any call of a function whose name
    says it unlocks, and any call that receives the lock as an argument."""
    encoded = key.encode()
    address = b"&" + encoded
    for child in (node, *walk_named(node)):
        if child.type == "selector_expression":
            parts = selector_parts(child)
            if parts is not None and parts[1] in RELEASE and unparen(parts[0]).text == encoded:
                return True
        elif child.type == "call_expression":
            function = child.child_by_field_name("function")
            name = function.text.rsplit(b".", 1)[-1] if function is not None else b""
            if b"nlock" in name or b"release" in name.lower():
                return True
            args = child.child_by_field_name("arguments")
            if args is not None and any(a.text in (encoded, address) for a in args.named_children):
                return True
    return False


# --- file-wide facts ---------------------------------------------------------------------------

def summarize_sync(unit: Unit) -> set[tuple]:
    """Facts about the sync primitives of one declaration, computed once per unit:
    - ("sync-field", Struct, field, KIND, pointer?) — "" as field for an embedded primitive;
    - ("struct-field-type", Struct, LocalType) — a value field of a package-local named type;
    - ("local-type", Name, "interface"|"pointer"|"other");
    - ("reset-method", Type) — `func (*Type) Reset()` exists;
    - ("acquires", Type, Method, lock field) — the method locks its receiver's field first;
    - ("pool-var", name, has New?) and ("pool-new-set", name) for package pools."""
    memo = _cache(unit, "summary")
    if "facts" in memo:
        return memo["facts"]
    facts: set[tuple] = set()
    node = unit.node
    if node.type == "type_declaration":
        for spec in unit.nodes("type_spec"):
            name_node = spec.child_by_field_name("name")
            type_node = spec.child_by_field_name("type")
            if name_node is None or type_node is None:
                continue
            name = name_node.text.decode()
            shape = {"interface_type": "interface", "pointer_type": "pointer", "map_type": "pointer",
                     "channel_type": "pointer", "function_type": "pointer"}.get(type_node.type, "other")
            facts.add(("local-type", name, shape))
            if type_node.type == "struct_type":
                facts.update(_struct_facts(name, type_node, unit))
    elif node.type == "method_declaration":
        found = receiver(node)
        name = node.child_by_field_name("name")
        params = node.child_by_field_name("parameters")
        if found is not None and name is not None:
            if name.text == b"Reset" and found[2] and params is not None and not params.named_children:
                facts.add(("reset-method", found[1]))
            field_name = _first_acquired_field(node, found[0], unit)
            if field_name is not None:
                facts.add(("acquires", found[1], name.text.decode(), field_name))
    elif node.type == "var_declaration":
        for spec in unit.nodes("var_spec"):
            declared = spec.child_by_field_name("type")
            values = spec.child_by_field_name("value")
            value = values.named_children[0] if values is not None and values.named_children else None
            is_pool = type_kind(declared, unit.file) == "POOL" or (
                value is not None and _unaddressed(value).type == "composite_literal"
                and type_kind(_unaddressed(value).child_by_field_name("type"), unit.file) == "POOL")
            if is_pool and (declared is None or declared.type != "pointer_type"):
                has_new = value is not None and _has_new_key(_unaddressed(value))
                for n in spec.children_by_field_name("name"):
                    facts.add(("pool-var", n.text.decode(), has_new))
    for assignment in unit.nodes("assignment_statement"):
        left = assignment.child_by_field_name("left")
        for target in left.named_children if left is not None else ():
            parts = selector_parts(target)
            if parts is not None and parts[1] == "New":
                inner = unparen(parts[0])
                inner_name = selector_parts(inner)[1] if inner.type == "selector_expression" else inner.text.decode()
                facts.add(("pool-new-set", inner_name))
    memo["facts"] = facts
    return facts


def _unaddressed(value: Node) -> Node:
    if value.type == "unary_expression" and value.text.startswith(b"&"):
        operand = value.child_by_field_name("operand")
        return operand if operand is not None else value
    return value


def _has_new_key(literal: Node) -> bool:
    if literal.type != "composite_literal":
        return False
    body = literal.child_by_field_name("body")
    for element in body.named_children if body is not None else ():
        if element.type == "keyed_element" and element.named_children and \
                element.named_children[0].text in (b"New",):
            return True
    return False


def _struct_facts(struct: str, type_node: Node, unit: Unit) -> Iterator[tuple]:
    fields = next((c for c in type_node.named_children if c.type == "field_declaration_list"), None)
    for decl in fields.named_children if fields is not None else ():
        if decl.type != "field_declaration":
            continue
        field_type = decl.child_by_field_name("type")
        if field_type is None:
            continue
        names = [n.text.decode() for n in decl.children_by_field_name("name")]
        # An embedded `*T` is a `*` token next to the type, not a pointer_type node.
        pointer = field_type.type == "pointer_type" or any(c.type == "*" for c in decl.children)
        element = field_type
        while element.type in ("array_type", "parenthesized_type") and element.child_by_field_name("element") is not None:
            element = element.child_by_field_name("element")
        pointer = pointer or element.type == "pointer_type"
        kind = type_kind(element, unit.file)
        bare = element.named_children[0] if element.type == "pointer_type" and element.named_children else element
        if kind is not None and bare.type == "qualified_type":
            type_name = bare.child_by_field_name("name").text.decode()
            if type_name in NO_COPY_TYPES or kind in LOCK_KINDS:
                if names:
                    for name in names:
                        yield ("sync-field", struct, name, kind, pointer)
                else:
                    yield ("sync-field", struct, "", kind, pointer)
                    yield ("sync-field", struct, type_name, kind, pointer)
        elif bare.type in ("type_identifier", "generic_type") and not pointer:
            local = bare.child_by_field_name("type") if bare.type == "generic_type" else bare
            if local is not None:
                yield ("struct-field-type", struct, local.text.decode())
        elif kind is None and bare.type == "qualified_type" and bare.child_by_field_name("package").text == b"sync" \
                and unit.file.import_path("sync") == "sync":
            type_name = bare.child_by_field_name("name").text.decode()
            if type_name in NO_COPY_TYPES:
                for name in names or [type_name]:
                    yield ("sync-field", struct, name, "NOCOPY", pointer)


def _first_acquired_field(method: Node, recv: str, unit: Unit) -> str | None:
    """The field of the receiver that `method` locks before any other lock operation on it,
    at its own top level (a lock taken in a branch or a closure is not "always taken")."""
    if not recv or recv == "_":
        return None
    for statement in statements_of(method.child_by_field_name("body")):
        call = statement_call(statement) if statement.type == "expression_statement" else None
        found = method_call(call) if call is not None else None
        if found is None:
            if statement.type in ("return_statement", "if_statement", "for_statement", "expression_switch_statement",
                                  "type_switch_statement", "select_statement", "labeled_statement", "go_statement",
                                  "block"):
                return None  # control flow before any lock: not a plain "locks first" method
            continue
        target, name = found
        target = unparen(target)
        if name in ACQUIRE or name in RELEASE:
            if target.type == "identifier" and target.text.decode() == recv:
                return "" if name in ACQUIRE else None
            parts = selector_parts(target)
            if parts is not None and unparen(parts[0]).type == "identifier" and unparen(parts[0]).text.decode() == recv:
                return parts[1] if name in ACQUIRE else None
            return None
    return None


def struct_has_lock(struct: str, facts: frozenset, seen: frozenset = frozenset()) -> tuple[str, str] | None:
    """(field, type) of a value field that makes copying `struct` copy a lock, following value
    fields of other structs declared in the file."""
    index = facts_by_head(facts)
    for f in index.get("sync-field", ()):
        if f[1] == struct and not f[4] and f[2] != "":
            return f[2], f[3]
    for f in index.get("struct-field-type", ()):
        if f[1] == struct and f[2] not in seen and f[2] != struct:
            if struct_has_lock(f[2], facts, seen | {struct}) is not None:
                return f[2], "struct"
    return None


# --- pools --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolGet:
    name: str  # the variable bound to the pooled value
    name_node: Node
    pool: str  # the pool expression's text
    call: Node  # P.Get()
    asserted: Node | None  # the type of `P.Get().(T)`, if asserted
    comma_ok: bool
    statement: Node


def pool_gets(unit: Unit) -> list[PoolGet]:
    """Every `x := P.Get()` / `x := P.Get().(T)` / `x, ok := ...` / `var x = ...` in the unit,
    where P has POOL evidence."""
    memo = _cache(unit, "gets")
    if "gets" in memo:
        return memo["gets"]
    found: list[PoolGet] = []
    for call in unit.nodes("call_expression"):
        parts = method_call(call)
        if parts is None or parts[1] != "Get" or call.child_by_field_name("arguments").named_children:
            continue
        if sync_kind(parts[0], unit) != "POOL":
            continue
        value = call
        asserted = None
        parent = value.parent
        while parent is not None and parent.type == "parenthesized_expression":
            value, parent = parent, parent.parent
        if parent is not None and parent.type == "type_assertion_expression":
            asserted = parent.child_by_field_name("type")
            value, parent = parent, parent.parent
        if parent is None or parent.type != "expression_list" or len(parent.named_children) != 1:
            continue
        statement = parent.parent
        if statement is None:
            continue
        if statement.type in ("short_var_declaration", "assignment_statement"):
            left = statement.child_by_field_name("left")
            names = list(left.named_children) if left is not None else []
        elif statement.type == "var_spec":
            names = list(statement.children_by_field_name("name"))
        else:
            continue
        if not names or names[0].type != "identifier" or names[0].text == b"_":
            continue
        found.append(PoolGet(names[0].text.decode(), names[0], lock_key(parts[0]), call, asserted,
                             len(names) == 2, statement))
    memo["gets"] = found
    return found


def pool_put(call: Node, unit: Unit) -> tuple[str, Node] | None:
    """(pool text, argument) of `P.Put(x)` with POOL evidence for P."""
    parts = method_call(call)
    if parts is None or parts[1] != "Put":
        return None
    args = call.child_by_field_name("arguments")
    if args is None or len(args.named_children) != 1 or sync_kind(parts[0], unit) != "POOL":
        return None
    return lock_key(parts[0]), args.named_children[0]


# --- which locks are held -----------------------------------------------------------------------

class GiveUpHeld(Exception):
    """Control flow the held-lock walk does not model (goto, labelled jumps, fallthrough)."""


@dataclass(frozen=True)
class Held:
    key: str
    method: str  # Lock or RLock
    node: Node  # the acquiring call
    deferred: bool = False  # a `defer Unlock` is registered: held until the function returns


State = dict[str, Held]


def _join(states: list[State | None]) -> State | None:
    live = [s for s in states if s is not None]
    if not live:
        return None
    keys = set(live[0]).intersection(*live[1:])
    return {k: live[0][k] for k in keys}


@dataclass
class HeldScan:
    """Walks one function body in source order (not into function literals) and reports each
    event — call, send, receive, blocking select — with the locks held on *every* path reaching
    it (must-held: branches join by intersection, so a lock released on one branch is not held
    after the join). Precision first: anything that might release a lock does."""

    unit: Unit
    on_event: Callable[[str, Node, State], None]
    _jumps: list[list[State]] = field(default_factory=list)
    _labels: dict[bytes, list[State]] = field(default_factory=dict)
    _label: bytes | None = None  # the label of the statement about to be scanned
    _elsewhere: frozenset[str] = frozenset()

    def run(self, function: Node) -> None:
        self._elsewhere = shared_locks(self.unit)
        try:
            self.scan(statements_of(function.child_by_field_name("body")), {})
        except GiveUpHeld:
            pass

    def scan(self, statements: list[Node], held: State | None) -> State | None:
        for statement in statements:
            if held is None:
                return None
            held = self.statement(statement, held)
        return held

    def statement(self, node: Node, held: State) -> State | None:
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
            return self.statement(inner, held)
        if kind in ("break_statement", "continue_statement"):
            if kind == "continue_statement":
                return None
            if node.named_children:
                target = self._labels.get(node.named_children[0].text)
                if target is None:
                    raise GiveUpHeld("break to an unknown label")
                target.append(held)
            elif self._jumps:
                self._jumps[-1].append(held)
            return None
        if kind == "block":
            return self.scan(statements_of(node), dict(held))
        if kind == "if_statement":
            for part in ("initializer", "condition"):
                child = node.child_by_field_name(part)
                if child is not None:
                    held = self.expressions(child, held)
            consequence = self.statement(node.child_by_field_name("consequence"), dict(held))
            alternative = node.child_by_field_name("alternative")
            other = self.statement(alternative, dict(held)) if alternative is not None else held
            return _join([consequence, other])
        if kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
            return self.cases(node, held)
        if kind == "for_statement":
            return self.loop(node, held)
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

    def cases(self, node: Node, held: State) -> State | None:
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
            outcomes.append(self.scan(statements_of(case), state))
        breaks = self._jumps.pop()
        if node.type != "select_statement" and not any(c.type == "default_case" for c in cases):
            outcomes.append(held)
        return _join(outcomes + breaks)

    def loop(self, node: Node, held: State) -> State | None:
        body = node.child_by_field_name("body")
        for child in node.named_children:
            if child != body and child.type != "comment":
                held = self.expressions(child, held)
        self._push_jumps()
        end = self.scan(statements_of(body), dict(held))
        breaks = self._jumps.pop()
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
            elif kind == "unary_expression" and child.text.startswith(b"<-"):
                self.on_event("receive", child, held)
        return held


def shared_locks(unit: Unit) -> frozenset[str]:
    """Locks that some function of the declaration releases before it acquires them (a deferred
    closure counts as its parent): a mutex locked by one goroutine and unlocked by another is
    used as a signal, so "held" and "released" mean nothing per function."""
    memo = _cache(unit, "shared")
    if "keys" in memo:
        return memo["keys"]
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
    memo["keys"] = frozenset(key for (key, _), method in first.items() if method in RELEASE)
    return memo["keys"]


def _is_deferred_literal(literal: Node) -> bool:
    invoked = literal.parent
    return invoked is not None and invoked.type == "call_expression" and invoked.parent is not None \
        and invoked.parent.type == "defer_statement"


def _may_release(call: Node) -> bool:
    function = call.child_by_field_name("function")
    if function is None:
        return False
    name = function.text.rsplit(b".", 1)[-1]
    args = call.child_by_field_name("arguments")
    return b"nlock" in name or b"release" in name.lower() or (args is not None and bool(args.named_children))


def functions_with_locks(unit: Unit) -> list[tuple[Node, list[Node]]]:
    """Functions of the unit (innermost) with their Lock/RLock calls on known mutexes."""
    memo = _cache(unit, "locking")
    if "functions" in memo:
        return memo["functions"]
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
    memo["functions"] = list(by_function.values())
    return memo["functions"]


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
                names.update(i.text for i in ([left] if left.type == "identifier" else left.named_children)
                             if i.type == "identifier")
        elif child.type == "var_spec":
            names.update(n.text for n in child.children_by_field_name("name"))
    return names
