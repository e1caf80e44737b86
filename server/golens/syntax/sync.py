"""sync primitives from syntax alone: which expressions are mutexes, wait groups and pools, and
what each declaration tells the others about them (the sync facts).

Everything here follows the binding rules of `bindings`: no kind evidence, no answer. A lock is
identified by the source text of its receiver expression (`s.mu`, `mu`, or `s` for a receiver
that embeds sync.Mutex), which is what two calls on "the same mutex" look like without types.
"""

from collections.abc import Iterator
from typing import NamedTuple

from tree_sitter import Node

from golens.syntax.bindings import expression_kind, type_kind
from golens.syntax.calls import selector_parts
from golens.syntax.facts import (
    Acquires,
    Fact,
    Facts,
    LocalType,
    PoolNewSet,
    PoolVar,
    ResetMethod,
    StructFieldType,
    SyncField,
)
from golens.syntax.paths import statements_of
from golens.syntax.tree import enclosing_function, source, text, unparen
from golens.syntax.unit import Unit, walk_named

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
    function = call.child_by_field_name("function")
    return selector_parts(function) if function is not None else None


def sync_kind(expr: Node, unit: Unit) -> str | None:
    """Kind of a sync value (MUTEX, RWMUTEX, WAITGROUP, POOL, ...) at `expr`, including a method
    receiver whose struct embeds the primitive (`s.Lock()`) and `s.Mutex` selectors."""
    expr = unparen(expr)
    if expr.type not in ("identifier", "selector_expression"):
        return None
    function = enclosing_function(expr)
    key = (function.start_byte if function is not None else -1, source(expr))
    memo = unit.derived(_KindMemo).under(unit.file.facts)
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
                f.field == "" and f.kind == _EMBEDDABLE[parts[1]] for f in unit.file.facts.of(SyncField)):
            kind = _EMBEDDABLE[parts[1]]
    memo[key] = kind
    return kind


class _KindMemo:
    """Kinds found in one declaration. They depend on the package's facts, which the
    declaration's summary is made without: answers are kept for one fact set at a time."""

    def __init__(self, unit: Unit) -> None:
        self.facts: Facts | None = None
        self.kinds: dict[tuple[int, bytes], str | None] = {}

    def under(self, facts: Facts) -> dict[tuple[int, bytes], str | None]:
        if facts is not self.facts:
            self.facts = facts
            self.kinds = {}
        return self.kinds


def embedded_kind(struct: str, unit: Unit) -> str | None:
    kinds = {f.kind for f in unit.file.facts.of(SyncField) if f.struct == struct and f.field == ""
             and f.kind in _EMBEDDABLE.values()}
    return kinds.pop() if len(kinds) == 1 else None


class Receiver(NamedTuple):
    name: str  # "" when unnamed
    type: str
    pointer: bool


def receiver(function: Node) -> Receiver | None:
    """The receiver of a method declaration."""
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
    name = text(names[0]) if names else ""
    return Receiver(name, text(type_node), pointer)


def receiver_type(identifier: Node) -> str | None:
    """The type of the enclosing method's receiver when `identifier` names that receiver."""
    function = enclosing_function(identifier)
    while function is not None and function.type == "func_literal":
        function = enclosing_function(function)
    found = receiver(function) if function is not None else None
    if found is None or found[0] != text(identifier):
        return None
    return found[1]


class LockOp(NamedTuple):
    key: str  # the lock's expression text
    method: str  # Lock, RLock, Unlock or RUnlock
    target: Node  # the lock expression


def lock_op(call: Node, unit: Unit) -> LockOp | None:
    """`M.Lock()`/`RLock`/`Unlock`/`RUnlock` on a MUTEX/RWMUTEX."""
    found = method_call(call)
    if found is None or found[1] not in ACQUIRE and found[1] not in RELEASE:
        return None
    target, method = found
    if sync_kind(target, unit) not in LOCK_KINDS:
        return None
    return LockOp(lock_key(target), method, target)


def lock_key(expr: Node) -> str:
    return text(unparen(expr))


def statement_call(statement: Node) -> Node | None:
    """The call of `f(...)` as an expression statement, or of `defer f(...)` / `go f(...)`."""
    if statement.type in ("expression_statement", "defer_statement", "go_statement") and statement.named_children:
        call = statement.named_children[0]
        return call if call.type == "call_expression" else None
    return None


def releases(node: Node, key: str, unlock: str | None = None) -> bool:
    """Does `node` (anything, nested literals included) release or hand off the lock `key`?
    Any `key.Unlock`/`RUnlock` (called or as a func value; only `key.<unlock>` when `unlock` is
    given), any call of a function whose name says it unlocks, and any call that receives the
    lock as an argument. `other.Unlock()` of another lock releases that one, not `key`."""
    encoded = key.encode()
    return any(_releases_here(child, encoded, unlock) for child in (node, *walk_named(node)))


def _releases_here(node: Node, encoded: bytes, unlock: str | None) -> bool:
    if node.type == "selector_expression":
        parts = selector_parts(node)
        return parts is not None and (parts[1] == unlock if unlock else parts[1] in RELEASE) \
            and unparen(parts[0]).text == encoded
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        name = source(function).rsplit(b".", 1)[-1] if function is not None else b""
        if name.decode("utf-8", "replace") not in RELEASE and (b"nlock" in name or b"release" in name.lower()):
            return True
        args = node.child_by_field_name("arguments")
        return args is not None and any(a.text in (encoded, b"&" + encoded) for a in args.named_children)
    return False


class Releases:
    """`releases(node, key, unlock)` for a PathScan, which asks it of every loop body, innermost
    first: a subtree already found free of releases is not walked again, so 2,000 nested loops
    cost one walk instead of 2,000 (11 s)."""

    def __init__(self, key: str, unlock: str | None = None):
        self._encoded = key.encode()
        self._unlock = unlock
        self._clear: set[Node] = set()

    def __call__(self, node: Node) -> bool:
        stack = [node]
        while stack:
            current = stack.pop()
            if current in self._clear:
                continue
            if _releases_here(current, self._encoded, self._unlock):
                return True
            stack.extend(current.named_children)
        self._clear.add(node)
        return False


# --- file-wide facts ---------------------------------------------------------------------------

def summarize_sync(unit: Unit) -> set[Fact]:
    """Facts about the sync primitives of one declaration, computed once per unit: SyncField,
    StructFieldType, LocalType, ResetMethod, Acquires, PoolVar and PoolNewSet."""
    return unit.derived(_sync_facts)


def _sync_facts(unit: Unit) -> set[Fact]:
    facts: set[Fact] = set()
    node = unit.node
    if node.type == "type_declaration":
        for spec in unit.nodes("type_spec"):
            name_node = spec.child_by_field_name("name")
            type_node = spec.child_by_field_name("type")
            if name_node is None or type_node is None:
                continue
            name = text(name_node)
            shape = {"interface_type": "interface", "pointer_type": "pointer", "map_type": "pointer",
                     "channel_type": "pointer", "function_type": "pointer"}.get(type_node.type, "other")
            facts.add(LocalType(name, shape))
            if type_node.type == "struct_type":
                facts.update(_struct_facts(name, type_node, unit))
    elif node.type == "method_declaration":
        found = receiver(node)
        method_name = node.child_by_field_name("name")
        params = node.child_by_field_name("parameters")
        if found is not None and method_name is not None:
            if method_name.text == b"Reset" and found.pointer and params is not None and not params.named_children:
                facts.add(ResetMethod(found[1]))
            acquired = _first_acquired_field(node, found[0], unit)
            if acquired is not None:
                facts.add(Acquires(found.type, text(method_name), *acquired))
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
                    facts.add(PoolVar(text(n), has_new))
    for assignment in unit.nodes("assignment_statement"):
        left = assignment.child_by_field_name("left")
        for target in left.named_children if left is not None else ():
            parts = selector_parts(target)
            if parts is not None and parts[1] == "New":
                inner = unparen(parts[0])
                inner_parts = selector_parts(inner)
                inner_name = inner_parts[1] if inner_parts is not None else text(inner)
                facts.add(PoolNewSet(inner_name))
    return facts


def _unaddressed(value: Node) -> Node:
    if value.type == "unary_expression" and source(value).startswith(b"&"):
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


def _struct_facts(struct: str, type_node: Node, unit: Unit) -> Iterator[SyncField | StructFieldType]:
    fields = next((c for c in type_node.named_children if c.type == "field_declaration_list"), None)
    for decl in fields.named_children if fields is not None else ():
        if decl.type != "field_declaration":
            continue
        field_type = decl.child_by_field_name("type")
        if field_type is None:
            continue
        names = [text(n) for n in decl.children_by_field_name("name")]
        # An embedded `*T` is a `*` token next to the type, not a pointer_type node.
        pointer = field_type.type == "pointer_type" or any(c.type == "*" for c in decl.children)
        element = field_type
        inner = element.child_by_field_name("element") if element.type in ("array_type", "parenthesized_type") else None
        while inner is not None:
            element = inner
            inner = element.child_by_field_name("element") if element.type in ("array_type", "parenthesized_type") \
                else None
        pointer = pointer or element.type == "pointer_type"
        kind = type_kind(element, unit.file)
        bare = element.named_children[0] if element.type == "pointer_type" and element.named_children else element
        qualified_name = bare.child_by_field_name("name") if bare.type == "qualified_type" else None
        package = bare.child_by_field_name("package") if bare.type == "qualified_type" else None
        if kind is not None and qualified_name is not None:
            type_name = text(qualified_name)
            if type_name in NO_COPY_TYPES or kind in LOCK_KINDS:
                if names:
                    for name in names:
                        yield SyncField(struct, name, kind, pointer)
                else:
                    yield SyncField(struct, "", kind, pointer)
                    yield SyncField(struct, type_name, kind, pointer)
        elif bare.type in ("type_identifier", "generic_type") and not pointer:
            local = bare.child_by_field_name("type") if bare.type == "generic_type" else bare
            if local is not None:
                yield StructFieldType(struct, text(local))
        elif kind is None and qualified_name is not None and package is not None and package.text == b"sync" \
                and unit.file.import_path("sync") == "sync":
            type_name = text(qualified_name)
            if type_name in NO_COPY_TYPES:
                for name in names or [type_name]:
                    yield SyncField(struct, name, "NOCOPY", pointer)


def _first_acquired_field(method: Node, recv: str, unit: Unit) -> tuple[str, str] | None:
    """The field of the receiver that `method` locks before any other lock operation on it,
    at its own top level (a lock taken in a branch or a closure is not "always taken"), and
    whether it takes it with Lock or RLock."""
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
            if target.type == "identifier" and text(target) == recv:
                return ("", name) if name in ACQUIRE else None
            parts = selector_parts(target)
            if parts is not None and unparen(parts[0]).type == "identifier" and text(unparen(parts[0])) == recv:
                return (parts[1], name) if name in ACQUIRE else None
            return None
    return None


def struct_has_lock(struct: str, facts: Facts) -> tuple[str, str] | None:
    """(field, type) of a value field that makes copying `struct` copy a lock, following value
    fields of other structs declared in the file."""
    for f in facts.of(SyncField):
        if f.struct == struct and not f.pointer and f.field != "":
            return f.field, f.kind
    holders = {f.struct for f in facts.of(SyncField) if not f.pointer and f.field != ""}
    fields: dict[str, list[str]] = {}
    for t in facts.of(StructFieldType):
        fields.setdefault(t.struct, []).append(t.type)
    for first in fields.get(struct, ()):
        if first != struct and _reaches_lock(first, struct, fields, holders):
            return first, "struct"
    return None


def _reaches_lock(start: str, outside: str, fields: dict[str, list[str]], holders: set[str]) -> bool:
    """A chain of value fields from `start` to a struct holding a lock that does not go through
    `outside` (a search with a visited set: a chain of 1,000 struct types must not recurse, and
    a diamond of them must not be walked once per path)."""
    seen = {outside, start}
    stack = [start]
    while stack:
        struct = stack.pop()
        if struct in holders:
            return True
        for inner in fields.get(struct, ()):
            if inner not in seen:
                seen.add(inner)
                stack.append(inner)
    return False

