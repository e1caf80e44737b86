"""Function summaries: what each package-level function or method does, so that a check can
follow a call into a function of the same package (`FuncSummary` facts, one per declaration).

A summary is computed from the function's own body (nested function literals excluded: they run
elsewhere or later), except for the channels it uses: a goroutine the function starts that
receives from a parameter still receives from it. Questions about a call follow `calls` through
the summaries of the package, at most `DEPTH` calls deep, never visiting a function twice (mutual
recursion ends there).

Channel fields (`summarize_channels`): the package's struct fields of channel type and every use
of `x.f` as a channel anywhere in the package, so that a check can tell a field that is only ever
sent on (or only received from) in the whole package.
"""

from collections.abc import Callable, Iterator

from tree_sitter import Node

from golens.syntax.bindings import struct_type_of
from golens.syntax.blocking import blocking_call
from golens.syntax.calls import call_target, selector_parts
from golens.syntax.channels import CLOSE, RANGE, RECV, SEND, is_declared_here
from golens.syntax.facts import ChanField, ChanFieldUse, ChanUse, Facts, FuncSummary
from golens.syntax.paths import GiveUp, Outcome, PathScan, statements_of
from golens.syntax.sync import ACQUIRE, RELEASE, method_call, receiver, sync_kind
from golens.syntax.tree import is_inside, source, text, unparen
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
                      ends, _channel_uses(unit, node, recv_name))


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



# -- channels ----------------------------------------------------------------------------------

ESCAPE, ARG, LEN = "escape", "arg", "len"
_NEUTRAL_BUILTINS = frozenset({b"len", b"cap"})


def channel_use(expr: Node) -> tuple[str, str, int] | None:
    """(op, callee, argument index) of the channel expression `expr` (a name or `x.f`) where it
    stands: SEND, RECV, RANGE, CLOSE, LEN (len/cap), ARG (an argument of a call of a plain name:
    callee and index), ESCAPE (stored, returned, sent, passed elsewhere, its address taken), or
    None where a channel cannot stand (a condition, an operand of arithmetic, `x.f.g`) or where
    it is only compared or cleared."""
    node = expr
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    parent = node.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "send_statement":
        return (SEND, "", -1) if parent.child_by_field_name("channel") == node else (ESCAPE, "", -1)
    if kind == "unary_expression":
        operator = parent.child(0)
        if operator is not None and operator.type == "<-":
            return RECV, "", -1
        return (ESCAPE, "", -1) if operator is not None and operator.type == "&" else None
    if kind == "range_clause":
        return (RANGE, "", -1) if parent.child_by_field_name("right") == node else None
    if kind == "argument_list":
        call = parent.parent
        function = call.child_by_field_name("function") if call is not None else None
        if function is None or function.type != "identifier":
            return ESCAPE, "", -1
        name = source(function)
        if name == b"close":
            return CLOSE, "", -1
        if name in _NEUTRAL_BUILTINS:
            return LEN, "", -1
        return ARG, name.decode("utf-8", "replace"), parent.named_children.index(node)
    if kind in ("return_statement", "literal_element", "keyed_element"):
        return ESCAPE, "", -1
    if kind == "expression_list":
        holder = parent.parent
        if holder is None:
            return None
        if holder.type in ("return_statement", "var_spec"):
            return ESCAPE, "", -1
        if holder.type not in ("assignment_statement", "short_var_declaration"):
            return None
        if holder.child_by_field_name("right") == parent:
            return ESCAPE, "", -1  # aliased: `c := s.ch`
        assign = holder.child_by_field_name("operator")
        if holder.type == "assignment_statement" and (assign is None or assign.type == "="):
            # `s.ch = make(chan T)` and `s.ch = nil` make or clear it; anything else hands it a
            # channel other code may hold.
            right = holder.child_by_field_name("right")
            values = right.named_children if right is not None else []
            index = parent.named_children.index(node)
            value = values[index] if len(values) == len(parent.named_children) else None
            if value is not None and (value.type == "nil" or _is_make(value)):
                return None
            return ESCAPE, "", -1
    return None


def _is_make(value: Node) -> bool:
    function = value.child_by_field_name("function") if value.type == "call_expression" else None
    return function is not None and source(function) == b"make"


def _channel_uses(unit: Unit, function: Node, recv_name: str) -> tuple[ChanUse, ...]:
    """The channel parameters (declared `chan T`, `<-chan T`, `chan<- T`) and receiver fields
    the function uses, and how; for receiver fields only the operations that show a channel."""
    parameters: dict[bytes, int] = {}
    params = function.child_by_field_name("parameters")
    index = 0
    for decl in params.named_children if params is not None else ():
        declared = decl.children_by_field_name("name")
        type_node = decl.child_by_field_name("type")
        for name in declared:
            if type_node is not None and type_node.type == "channel_type" and name.text != b"_":
                parameters[source(name)] = index
            index += 1
        index += 0 if declared else 1
    uses: dict[ChanUse, None] = {}
    if parameters:
        for ident in unit.nodes("identifier"):
            position = parameters.get(source(ident))
            if position is None or (params is not None and is_inside(ident, params)):
                continue
            if is_declared_here(ident):
                uses[ChanUse(position, "", ESCAPE)] = None  # shadowed: the name may be another
                continue
            found = channel_use(ident)
            if found is not None and found[0] != LEN:
                # Passed on to another function: not followed further (DEPTH is for calls).
                uses[ChanUse(position, "", ESCAPE if found[0] == ARG else found[0])] = None
    if recv_name:
        for selector in unit.nodes("selector_expression"):
            operand = selector.child_by_field_name("operand")
            field = selector.child_by_field_name("field")
            if operand is None or field is None or operand.type != "identifier" or text(operand) != recv_name:
                continue
            found = channel_use(selector)
            if found is not None and found[0] in (SEND, RECV, RANGE, CLOSE):
                uses[ChanUse(-1, text(field), found[0])] = None
    return tuple(uses)


def summarize_channels(unit: Unit) -> Iterator[ChanField | ChanFieldUse]:
    """The declaration's channel fields, and its uses of `x.f` as a channel (ChanFieldUse)."""
    if unit.node.type == "type_declaration":
        for field_decl in unit.nodes("field_declaration"):
            type_node = field_decl.child_by_field_name("type")
            struct = _struct_of(field_decl)
            if type_node is None or type_node.type != "channel_type" or not struct:
                continue
            for name in field_decl.children_by_field_name("name"):
                yield ChanField(struct, text(name))
    for selector in unit.nodes("selector_expression"):
        operand = selector.child_by_field_name("operand")
        field = selector.child_by_field_name("field")
        if operand is None or field is None or field.type != "field_identifier":
            continue
        found = channel_use(selector)
        if found is None:
            continue
        op, call, index = found
        if op == ESCAPE:
            yield ChanFieldUse("", text(field), ESCAPE)
            continue
        if operand.type == "identifier" and unit.file.import_path(text(operand)) is not None:
            continue  # a package member (`pkg.Chan`), not a field
        yield ChanFieldUse(struct_type_of(operand) or "", text(field), op, call, index)
    for literal in unit.nodes("literal_value"):
        composite = literal.parent
        type_node = composite.child_by_field_name("type") if composite is not None else None
        for element in literal.named_children:
            if element.type == "keyed_element" and len(element.named_children) == 2:
                key, value = element.named_children
                key = key.named_children[0] if key.type == "literal_element" and key.named_children else key
                value = value.named_children[0] if value.type == "literal_element" and value.named_children else value
                if key.type in ("identifier", "field_identifier") and value.type != "nil" and not _is_make(value):
                    yield ChanFieldUse("", text(key), ESCAPE)
            elif element.type == "literal_element" and type_node is not None and type_node.type == "type_identifier":
                # `T{a, b}` fills every field by position: any of T's channels may come from elsewhere.
                yield ChanFieldUse(text(type_node), "", ESCAPE)
                break


def _struct_of(field_decl: Node) -> str:
    """The named struct type that declares the field ("" inside an anonymous struct)."""
    fields = field_decl.parent
    holder = fields.parent if fields is not None else None  # the struct_type
    spec = holder.parent if holder is not None else None
    if holder is None or holder.type != "struct_type" or spec is None or spec.type != "type_spec":
        return ""
    name = spec.child_by_field_name("name")
    return text(name) if name is not None else ""


def field_channel_ops(struct: str, field: str, facts: Facts) -> set[str]:
    """Every operation the package does on field `field` of struct `struct`: its own uses, the
    uses of `x.field` whose x's type is not known, and what the functions it is passed to do with
    their parameter (ESCAPE when a callee is not a package function whose summary says)."""
    uses = facts.by_name(ChanFieldUse)
    ops: set[str] = set()
    summaries = facts.by_name(FuncSummary)
    for use in (*uses.get(struct, ()), *uses.get("", ())):
        if use.field == "" and use.struct == struct:
            ops.add(ESCAPE)
        if use.field != field:
            continue
        if use.op != ARG:
            ops.add(use.op)
            continue
        callees = [s for s in summaries.get(use.call, ()) if not s.receiver]
        done = {c.op for callee in callees for c in callee.channels if c.param == use.argument}
        ops |= done if callees and done else {ESCAPE}
    return ops
