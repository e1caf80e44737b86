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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax.paths import GiveUp, Outcome, PathScan, loop_exits
from golens.syntax.unit import FUNCTION_TYPES, Unit

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
        """The go/defer statement (or the call) that runs the owning literal."""
        if self.owner is None:
            return None
        call = self.owner.parent
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


_CACHE: "WeakKeyDictionary[Unit, list[Channel]]" = WeakKeyDictionary()


def channels(unit: Unit) -> list[Channel]:
    """Every non-ambiguous local channel binding of the unit (computed once, shared by the rules)."""
    found = _CACHE.get(unit)
    if found is None:
        found = _CACHE[unit] = list(_find_channels(unit))
    return found


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
        function = _enclosing_function(declaration)
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
        if _collect(channel, occurrences, function, owner=None, owner_kind=SELF, depth=0):
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


def _enclosing_function(node: Node) -> Node | None:
    parent = node.parent
    while parent is not None:
        if parent.type in FUNCTION_TYPES:
            return parent
        parent = parent.parent
    return None


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


def _collect(channel: Channel, occurrences: list[Node], function: Node, owner: Node | None,
             owner_kind: str, depth: int) -> bool:
    """Classify occurrences into ops; False when the binding is ambiguous (redeclared)."""
    # `go func(ch chan T) {...}(ch)`: inside, `ch` is the parameter, followed from the argument.
    followed = [literal for literal in (_literal_taking(i, channel.name) for i in occurrences) if literal is not None] \
        if depth == 0 else []
    for ident in occurrences:
        if any(is_inside(ident, literal) for literal in followed):
            continue
        if _is_declared_here(ident):
            return False
        op_owner, op_kind, escaped = _owner_of(ident, function, owner, owner_kind)
        if escaped:
            channel.escape = channel.escape or ident
            continue
        parent = ident.parent
        field_name = _field_name(ident)
        if parent.type == "send_statement" and field_name == "channel":
            channel.ops.append(ChanOp(SEND, parent, ident, op_owner, op_kind, _select_of(parent)))
        elif parent.type == "unary_expression" and _operator(parent) == b"<-":
            channel.ops.append(ChanOp(RECV, parent, ident, op_owner, op_kind, _select_of(parent)))
        elif parent.type == "range_clause" and field_name == "right":
            channel.ops.append(ChanOp(RANGE, parent.parent, ident, op_owner, op_kind, None))
        elif parent.type == "argument_list" and _builtin_of(parent) == b"close":
            channel.ops.append(ChanOp(CLOSE, parent.parent, ident, op_owner, op_kind, None))
        elif parent.type == "argument_list" and _builtin_of(parent) in _NEUTRAL_BUILTINS:
            continue
        elif parent.type == "binary_expression" and any(c.type == "nil" for c in parent.named_children):
            continue
        elif parent.type == "argument_list" and depth == 0 and _into_literal_parameter(
                channel, ident, parent, function, depth):
            continue
        else:
            channel.escape = channel.escape or ident
    return True


def _is_declared_here(ident: Node) -> bool:
    """Is this occurrence a (re)declaration or an assignment target of the name?"""
    parent = ident.parent
    if parent is None:
        return False
    if parent.type in ("parameter_declaration", "variadic_parameter_declaration", "var_spec", "const_spec"):
        return _field_name(ident) == "name"
    if parent.type == "expression_list":
        holder = parent.parent
        if holder is not None and holder.type in ("short_var_declaration", "assignment_statement",
                                                  "range_clause", "receive_statement"):
            return holder.child_by_field_name("left") == parent
    if parent.type == "type_switch_statement":
        return _field_name(ident) == "alias"
    return False


def _owner_of(ident: Node, function: Node, owner: Node | None, owner_kind: str) -> tuple[Node | None, str, bool]:
    """The outermost literal between the occurrence and `function`, how it runs, and whether a
    literal on the way is stored or passed (then the channel escapes)."""
    outermost, kind = owner, owner_kind
    deferred = False
    node = ident.parent
    while node is not None and node != function:
        if node.type == "func_literal":
            how = _how_literal_runs(node)
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


def _how_literal_runs(literal: Node) -> str | None:
    call = literal.parent
    if call is None or call.type != "call_expression" or call.child_by_field_name("function") != literal:
        return None
    statement = call.parent
    if statement is not None and statement.type == "go_statement":
        return GO
    if statement is not None and statement.type == "defer_statement":
        return DEFER
    return INLINE


def _into_literal_parameter(channel: Channel, ident: Node, args: Node, function: Node, depth: int) -> bool:
    """`go func(c chan T) {...}(ch)`: follow ch into the parameter c."""
    call = args.parent
    literal = call.child_by_field_name("function") if call is not None else None
    if literal is None or literal.type != "func_literal":
        return False
    how = _how_literal_runs(literal)
    if how is None or _enclosing_function(call) != function:
        return False
    index = args.named_children.index(ident)
    name = _parameter_name(literal, index)
    if name is None:
        return False
    body = literal.child_by_field_name("body")
    if body is None:
        return False
    occurrences = [n for n in _identifiers(body) if n.text == name]
    return _collect(channel, occurrences, literal, literal, how, depth + 1)


def _literal_taking(ident: Node, name: str) -> Node | None:
    """The literal when `ident` is an argument of `func(name T){...}(ident)` at name's position."""
    args = ident.parent
    if args is None or args.type != "argument_list":
        return None
    call = args.parent
    literal = call.child_by_field_name("function") if call is not None else None
    if literal is None or literal.type != "func_literal" or _how_literal_runs(literal) is None:
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


def _identifiers(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            yield current
        stack.extend(current.named_children)


def _field_name(node: Node) -> str | None:
    parent = node.parent
    if parent is None:
        return None
    for index, child in enumerate(parent.children):
        if child == node:
            return parent.field_name_for_child(index)
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


# ---- control flow around the ops -------------------------------------------------------------

def is_inside(node: Node, container: Node) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def loops_between(node: Node, boundary: Node) -> list[Node]:
    """The for statements enclosing `node` below `boundary`, innermost first (not crossing
    function literals)."""
    found = []
    current = node.parent
    while current is not None and current != boundary:
        if current.type == _LOOP:
            found.append(current)
        if current.type in FUNCTION_TYPES:
            break
        current = current.parent
    return found


def loop_exits_early(loop: Node) -> Node | None:
    """A `return`, `goto`, labelled break or a break of this loop inside its body (not in nested
    function literals): the loop can be left before it has run to completion.

    Exits guarded by a counter the loop itself counts (`n--; if n == 0 { return }`) are the
    loop's normal end, not an early one, and are skipped."""
    body = loop.child_by_field_name("body")
    if body is None:
        return None
    counters = _counters(body)
    for exit_node in loop_exits(body):
        if not counters or not _guarded_by(exit_node, loop, counters):
            return exit_node
    return None


def _counters(body: Node) -> set[bytes]:
    """Names the loop body increments or decrements (`n--`, `n++`, `n -= 1`, `n += k`)."""
    names: set[bytes] = set()
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_TYPES:
            continue
        target = None
        if node.type in ("inc_statement", "dec_statement") and node.named_children:
            target = node.named_children[0]
        elif node.type == "assignment_statement":
            operator = node.child_by_field_name("operator")
            left = node.child_by_field_name("left")
            if operator is not None and operator.type in ("+=", "-=") and left is not None and left.named_children:
                target = left.named_children[0]
        if target is not None and target.type == "identifier":
            names.add(target.text)
        stack.extend(node.named_children)
    return names


def _guarded_by(exit_node: Node, loop: Node, counters: set[bytes]) -> bool:
    node = exit_node.parent
    while node is not None and node != loop:
        if node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            if condition is not None and any(i.text in counters for i in _identifiers(condition)):
                return True
        node = node.parent
    return False


def exits_after(statement: Node, function: Node, is_action: Callable[[Node], bool]) -> list[Node] | None:
    """The exits of `function` reachable after `statement` with no `is_action` on the way:
    return statements, or the function body itself when control can fall off its end.

    None when the flow is too irregular to say (goto, labels, or `statement` inside a loop,
    where the rest of the loop body runs again)."""
    body = function.child_by_field_name("body")
    exits: list[Node] = []
    current = statement
    while True:
        statement_list = current.parent
        if statement_list is None or statement_list.type != "statement_list":
            return None
        siblings = [s for s in statement_list.named_children if s.type != "comment"]
        rest = siblings[siblings.index(current) + 1:]
        scan = PathScan(is_action)
        try:
            outcome = scan.scan(rest)
        except GiveUp:
            return None
        exits.extend(scan.exits)
        if outcome is not Outcome.OPEN:
            return exits
        holder = statement_list.parent  # a block or a case clause
        if holder is None:
            return None
        if holder == body:
            exits.append(body)
            return exits
        if holder.type in ("communication_case", "expression_case", "type_case", "default_case"):
            current = holder.parent  # the switch/select statement
            continue
        if holder.type != "block":
            return None
        parent = holder.parent
        if parent is None:
            return None
        if parent.type == "statement_list":
            current = holder  # a bare { ... } block
            continue
        if parent.type == "if_statement":
            while parent.parent is not None and parent.parent.type == "if_statement":
                parent = parent.parent  # else-if chains: continue after the outermost if
            current = parent
            continue
        return None  # loop bodies, function literals, anything else


def contains_any(node: Node, targets: list[Node]) -> bool:
    return any(is_inside(t, node) for t in targets)


def closing_brace(block: Node) -> Node:
    return block.children[-1] if block.children else block


def outermost_function(function: Node) -> Node:
    while True:
        parent = _enclosing_function(function)
        if parent is None:
            return function
        function = parent


def leak_severity(unit: Unit, function: Node) -> Severity | None:
    """Information in `_test.go` files (goleak and synctest own that ground) and in package
    main's `main`, whose leaks end with the process; None (the rule's default) elsewhere."""
    if unit.file.is_test:
        return Severity.INFORMATION
    outer = outermost_function(function)
    if unit.file.package == "main" and outer.type == "function_declaration":
        name = outer.child_by_field_name("name")
        if name is not None and name.text == b"main":
            return Severity.INFORMATION
    return None


def ops_within(node: Node, ops: list[ChanOp]) -> bool:
    """Does `node` contain one of `ops` (the action test of a path scan)?"""
    return any(node.start_byte <= op.ident.start_byte and op.ident.end_byte <= node.end_byte for op in ops)


def literal_iterations(loop: Node) -> int | None:
    """How many times the loop runs, when its header says so with literals:
    `for i := 0; i < 4; i++`, `for range 4`, `for _, x := range []T{a, b}`."""
    clause = next((c for c in loop.named_children if c.type in ("for_clause", "range_clause")), None)
    if clause is None:
        return None
    if clause.type == "range_clause":
        right = clause.child_by_field_name("right")
        if right is None:
            return None
        if right.type == "int_literal":
            return _int(right)
        if right.type == "composite_literal":
            body = right.child_by_field_name("body")
            return len(body.named_children) if body is not None else None
        return None
    initializer = clause.child_by_field_name("initializer")
    condition = clause.child_by_field_name("condition")
    update = clause.child_by_field_name("update")
    if initializer is None or condition is None or update is None or update.type != "inc_statement":
        return None
    right = initializer.child_by_field_name("right")
    start = _int(right.named_children[0]) if right is not None and len(right.named_children) == 1 else None
    if start is None or condition.type != "binary_expression":
        return None
    operator = condition.child_by_field_name("operator")
    bound = _int(condition.child_by_field_name("right"))
    if operator is None or bound is None:
        return None
    if operator.type == "<":
        return max(bound - start, 0)
    if operator.type == "<=":
        return max(bound - start + 1, 0)
    return None


def _int(node: Node | None) -> int | None:
    if node is None or node.type != "int_literal":
        return None
    try:
        return int(node.text.decode().replace("_", ""), 0)
    except ValueError:
        return None
