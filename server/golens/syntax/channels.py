"""Local channels and what happens to them: the shared model of the goroutine-leak rules.

A channel binding is `ch := make(chan T[, n])` (or `var ch = make(...)`) in a function F. Every
later occurrence of `ch` in its scope is classified as a send, a receive, a `range`, a `close`,
a harmless use (`len`, `cap`, a nil comparison) or an escape (anything that lets other code
reach the channel: a call argument, a return, a store, an alias). Each operation also records
who performs it: F itself, a goroutine literal started by F (`go func(){...}()`), a deferred
literal, or a literal F calls on the spot. A literal that is stored or passed elsewhere makes
the channel escape.

Arguments of a `go func(c chan T){...}(ch)` literal are followed into the parameter, since
that is how much real code hands a channel to its worker.

Precision first: a binding whose name is declared again or reassigned in its scope is dropped,
because without types the occurrences could belong to either variable.
"""

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from golens.syntax.goroutines import start_at, start_of_literal
from golens.syntax.tree import FUNCTION_TYPES, enclosing_function, field_name, identifiers_in, is_inside
from golens.syntax.unit import Unit

SEND, RECV, RANGE, CLOSE = "send", "recv", "range", "close"
# Who performs an operation, relative to the function that made the channel.
SELF, GO, DEFER, INLINE = "self", "go", "defer", "inline"

_LOOP = "for_statement"
_NEUTRAL_BUILTINS = frozenset({b"len", b"cap"})


@dataclass(frozen=True, eq=False)
class ChanOp:
    kind: str  # SEND, RECV, RANGE or CLOSE
    node: Node  # send_statement, the `<-ch` unary_expression, the for_statement, or close's call
    ident: Node  # the occurrence of the channel's name
    owner: Node | None  # the outermost function literal between the op and F; None: F itself
    owner_kind: str  # SELF, GO, DEFER or INLINE
    select: Node | None  # the select_statement when the op is one case's communication

    @property
    def guarded(self) -> bool:
        """A case of a select with another case (or a default) can give up on this op."""
        if self.select is None:
            return False
        cases = [c for c in self.select.named_children if c.type in ("communication_case", "default_case")]
        return len(cases) > 1

    @property
    def statement(self) -> Node | None:
        """The go/defer statement (or the call) that runs the owning literal; for a literal
        handed to a goroutine wrapper (`wg.Go(func() {...})`), the wrapper call's statement."""
        if self.owner is None:
            return None
        call = self.owner.parent
        if call is not None and call.type == "argument_list":
            call = call.parent
        if self.owner_kind in (GO, DEFER) and call is not None:
            return call.parent
        return call

    def loop(self) -> Node | None:
        """The innermost loop around the op inside the function that performs it."""
        node = self.node.parent
        while node is not None and node.type not in FUNCTION_TYPES:
            if node.type == _LOOP:
                return node
            node = node.parent
        return None


@dataclass(eq=False)
class Channel:
    name: str
    function: Node  # F, the function (or literal) that made the channel
    declaration: Node  # the short_var_declaration or var_spec
    make: Node  # the make(...) call
    capacity: Node | None  # None: unbuffered
    ops: list[ChanOp] = field(default_factory=list)
    escape: Node | None = None  # the first occurrence that hands the channel to other code

    @property
    def unbuffered(self) -> bool:
        return self.capacity is None or self.capacity.text.strip() in (b"0", b"0x0")

    @property
    def capacity_value(self) -> int | None:
        """The capacity when it is a plain integer literal."""
        if self.capacity is None:
            return 0
        if self.capacity.type != "int_literal":
            return None
        try:
            return int(self.capacity.text.decode().replace("_", ""), 0)
        except ValueError:
            return None

    def ops_by(self, *owner_kinds: str, kinds: tuple[str, ...] = (SEND, RECV, RANGE, CLOSE)) -> list[ChanOp]:
        return [op for op in self.ops if op.owner_kind in owner_kinds and op.kind in kinds]

    def goroutines(self) -> list[Node]:
        """The go statements of F whose literal touches the channel, in source order."""
        seen: dict[int, Node] = {}
        for op in self.ops:
            if op.owner_kind == GO and op.statement is not None:
                seen.setdefault(op.statement.start_byte, op.statement)
        return [seen[k] for k in sorted(seen)]


def channels(unit: Unit) -> list[Channel]:
    """Every non-ambiguous local channel binding of the unit (computed once, shared by the rules)."""
    return unit.derived(_all_channels)


def _all_channels(unit: Unit) -> list[Channel]:
    return list(_find_channels(unit))


def _find_channels(unit: Unit) -> Iterator[Channel]:
    # Channel types are far rarer than calls: start from them to find make(chan T).
    makes = [t.parent.parent for t in unit.nodes("channel_type")
             if t.parent is not None and t.parent.type == "argument_list" and t.parent.parent is not None
             and _is_chan_make(t.parent.parent)]
    if not makes:
        return
    identifiers = unit.nodes("identifier")  # source order
    starts = [i.start_byte for i in identifiers]
    for make in makes:
        binding = _binding_of(make)
        if binding is None:
            continue
        declaration, name_node = binding
        function = enclosing_function(declaration)
        if function is None:
            continue
        scope = _scope_block(declaration)
        if scope is None:
            continue
        args = make.child_by_field_name("arguments")
        capacity = args.named_children[1] if args is not None and len(args.named_children) > 1 else None
        channel = Channel(name_node.text.decode("utf-8", "replace"), function, declaration, make, capacity)
        name = name_node.text
        occurrences = [i for i in identifiers[bisect_left(starts, declaration.end_byte):bisect_left(starts, scope.end_byte)]
                       if i.end_byte - i.start_byte == len(name) and i.text == name]
        if _collect(unit, channel, occurrences, function, owner=None, owner_kind=SELF, depth=0):
            yield channel


def _is_chan_make(call: Node) -> bool:
    function = call.child(0)  # the callee comes first; cheaper than a field lookup on every call
    if function is None or function.type != "identifier" or function.end_byte - function.start_byte != 4 \
            or function.text != b"make":
        return False
    args = call.child_by_field_name("arguments")
    return args is not None and bool(args.named_children) and args.named_children[0].type == "channel_type"


def _binding_of(make: Node) -> tuple[Node, Node] | None:
    """(declaration, name) for `name := make(chan T)` / `var name = make(chan T)`."""
    values = make.parent
    if values is None or values.type != "expression_list":
        return None
    declaration = values.parent
    if declaration is None:
        return None
    index = values.named_children.index(make) if make in values.named_children else -1
    if declaration.type == "short_var_declaration" and declaration.child_by_field_name("right") == values:
        left = declaration.child_by_field_name("left")
        names = left.named_children if left is not None else []
    elif declaration.type == "var_spec" and declaration.child_by_field_name("value") == values:
        names = list(declaration.children_by_field_name("name"))
    else:
        return None
    if index < 0 or len(names) != len(values.named_children):
        return None
    name = names[index]
    if name.type != "identifier" or name.text == b"_":
        return None
    return declaration, name


def _scope_block(declaration: Node) -> Node | None:
    """The block (or case clause) whose end ends the binding's scope; None for declarations in
    if/for/switch headers, whose scope this model does not track."""
    statement = declaration
    if declaration.type == "var_spec":
        statement = declaration.parent
        if statement is not None and statement.type == "var_spec_list":
            statement = statement.parent
    statement_list = statement.parent if statement is not None else None
    if statement_list is None or statement_list.type != "statement_list":
        return None
    return statement_list.parent


def _collect(unit: Unit, channel: Channel, occurrences: list[Node], function: Node, owner: Node | None,
             owner_kind: str, depth: int) -> bool:
    """Classify occurrences into ops; False when the binding is ambiguous (redeclared)."""
    # `go func(ch chan T) {...}(ch)`: inside, `ch` is the parameter, followed from the argument.
    followed = [literal for literal in (_literal_taking(i, channel.name, unit) for i in occurrences)
                if literal is not None] \
        if depth == 0 else []
    for ident in occurrences:
        if any(is_inside(ident, literal) for literal in followed):
            continue
        if is_declared_here(ident):
            return False
        op_owner, op_kind, escaped = _owner_of(unit, ident, function, owner, owner_kind)
        if escaped:
            channel.escape = channel.escape or ident
            continue
        parent = ident.parent
        role = field_name(ident)
        if parent.type == "send_statement" and role == "channel":
            channel.ops.append(ChanOp(SEND, parent, ident, op_owner, op_kind, _select_of(parent)))
        elif parent.type == "unary_expression" and _operator(parent) == b"<-":
            channel.ops.append(ChanOp(RECV, parent, ident, op_owner, op_kind, _select_of(parent)))
        elif parent.type == "range_clause" and role == "right":
            channel.ops.append(ChanOp(RANGE, parent.parent, ident, op_owner, op_kind, None))
        elif parent.type == "argument_list" and _builtin_of(parent) == b"close":
            channel.ops.append(ChanOp(CLOSE, parent.parent, ident, op_owner, op_kind, None))
        elif parent.type == "argument_list" and _builtin_of(parent) in _NEUTRAL_BUILTINS:
            continue
        elif parent.type == "binary_expression" and any(c.type == "nil" for c in parent.named_children):
            continue
        elif parent.type == "argument_list" and depth == 0 and _into_literal_parameter(
                unit, channel, ident, parent, function, depth):
            continue
        elif parent.type == "argument_list" and op_owner is None and _into_started_function(unit, channel, ident, parent):
            continue
        else:
            channel.escape = channel.escape or ident
    return True


def is_declared_here(ident: Node) -> bool:
    """Is this occurrence a (re)declaration or an assignment target of the name?"""
    parent = ident.parent
    if parent is None:
        return False
    if parent.type in ("parameter_declaration", "variadic_parameter_declaration", "var_spec", "const_spec"):
        return field_name(ident) == "name"
    if parent.type == "expression_list":
        holder = parent.parent
        if holder is not None and holder.type in ("short_var_declaration", "assignment_statement",
                                                  "range_clause", "receive_statement"):
            return holder.child_by_field_name("left") == parent
    if parent.type == "type_switch_statement":
        return field_name(ident) == "alias"
    return False


def _owner_of(unit: Unit, ident: Node, function: Node, owner: Node | None,
              owner_kind: str) -> tuple[Node | None, str, bool]:
    """The outermost literal between the occurrence and `function`, how it runs, and whether a
    literal on the way is stored or passed (then the channel escapes)."""
    outermost, kind = owner, owner_kind
    deferred = False
    node = ident.parent
    while node is not None and node != function:
        if node.type == "func_literal":
            how = _how_literal_runs(node, unit)
            if how is None:
                return None, SELF, True
            outermost, kind = node, how
        elif node.type == "defer_statement" and outermost is None:
            deferred = True  # `defer close(ch)`: runs when the function returns
        node = node.parent
    if owner is not None:
        # Inside a literal we followed a parameter into: nested literals keep the outer owner.
        return owner, owner_kind, False
    if outermost is None and deferred:
        return None, DEFER, False
    return outermost, kind, False


def _how_literal_runs(literal: Node, unit: Unit) -> str | None:
    call = literal.parent
    if call is not None and call.type == "argument_list":
        # Handed to a call: run in a goroutine when the call is a goroutine wrapper (`wg.Go`),
        # else stored or run who knows when.
        return GO if start_of_literal(literal, unit) is not None else None
    if call is None or call.type != "call_expression" or call.child_by_field_name("function") != literal:
        return None
    statement = call.parent
    if statement is not None and statement.type == "go_statement":
        return GO
    if statement is not None and statement.type == "defer_statement":
        return DEFER
    return INLINE


def _into_literal_parameter(unit: Unit, channel: Channel, ident: Node, args: Node, function: Node, depth: int) -> bool:
    """`go func(c chan T) {...}(ch)`: follow ch into the parameter c."""
    call = args.parent
    literal = call.child_by_field_name("function") if call is not None else None
    if literal is None or literal.type != "func_literal":
        return False
    how = _how_literal_runs(literal, unit)
    if how is None or enclosing_function(call) != function:
        return False
    index = args.named_children.index(ident)
    name = _parameter_name(literal, index)
    if name is None:
        return False
    body = literal.child_by_field_name("body")
    if body is None:
        return False
    occurrences = [n for n in identifiers_in(body) if n.text == name]
    return _collect(unit, channel, occurrences, literal, literal, how, depth + 1)


# What a function started with `go f(ch)` may do with the channel, as its summary says, for the
# model to take as that goroutine's operations. Sends and receives are not among them: a summary
# does not say whether a select lets the goroutine give up on one, and the leak rules need that.
_FOLLOWED_IN_CALLEES = frozenset({RANGE, CLOSE})


def _into_started_function(unit: Unit, channel: Channel, ident: Node, args: Node) -> bool:
    """`go worker(ch)` with worker a function of the package whose summary shows it only ranges
    over or closes that parameter: the goroutine's operations, at the argument."""
    # Imported here: summaries reads this module's operation names.
    from golens.syntax.summaries import callees

    call = args.parent
    statement = call.parent if call is not None else None
    start = start_at(statement, unit) if statement is not None and statement.type == "go_statement" else None
    if start is None or start.literal is not None or call is None:
        return False
    started = callees(call, unit)
    if len(started) != 1:
        return False
    index = args.named_children.index(ident)
    ops = {use.op for use in started[0].channels if use.param == index}
    if not ops or not ops <= _FOLLOWED_IN_CALLEES:
        return False
    for kind in sorted(ops):
        channel.ops.append(ChanOp(kind, ident, ident, start.function, GO, None))
    return True


def _literal_taking(ident: Node, name: str, unit: Unit) -> Node | None:
    """The literal when `ident` is an argument of `func(name T){...}(ident)` at name's position."""
    args = ident.parent
    if args is None or args.type != "argument_list":
        return None
    call = args.parent
    literal = call.child_by_field_name("function") if call is not None else None
    if literal is None or literal.type != "func_literal" or _how_literal_runs(literal, unit) is None:
        return None
    if _parameter_name(literal, args.named_children.index(ident)) != name.encode():
        return None
    return literal


def _parameter_name(literal: Node, index: int) -> bytes | None:
    params = literal.child_by_field_name("parameters")
    if params is None:
        return None
    position = 0
    for decl in params.named_children:
        if decl.type != "parameter_declaration":
            return None  # variadic: positions no longer line up one to one
        names = list(decl.children_by_field_name("name"))
        for name in names or [None]:
            if position == index:
                return name.text if name is not None and name.text != b"_" else None
            position += 1
    return None


def _operator(unary: Node) -> bytes | None:
    operator = unary.child_by_field_name("operator")
    return operator.text if operator is not None else None


def _builtin_of(args: Node) -> bytes | None:
    call = args.parent
    function = call.child_by_field_name("function") if call is not None else None
    if function is None or function.type != "identifier":
        return None
    return function.text


def _select_of(op_node: Node) -> Node | None:
    """The select statement when `op_node` is (part of) a case's communication."""
    node = op_node
    if node.type == "unary_expression" and node.parent is not None and node.parent.type == "receive_statement":
        node = node.parent
    parent = node.parent
    if parent is not None and parent.type == "communication_case" and parent.child_by_field_name("communication") == node:
        return parent.parent
    return None


def ops_within(node: Node, ops: list[ChanOp]) -> bool:
    """Does `node` contain one of `ops` (the action test of a path scan)?"""
    return any(node.start_byte <= op.ident.start_byte and op.ident.end_byte <= node.end_byte for op in ops)
