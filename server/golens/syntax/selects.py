"""Select statements and channel operations, from syntax alone (the channel rules GL301–GL305).

Channels are named by their expression text when that text is a plain identifier or a chain of
field selections (`ch`, `s.quit`, `w.state.done`): two operations on the same text in one
function, with no assignment to it in between, are taken to act on the same channel. Anything
more complex (indexing, calls) has no key, and the rules that need one stay silent.
"""

import re
from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax.calls import selector_parts
from golens.syntax.facts import ChanMakeField, ChanMakeVar
from golens.syntax.paths import is_terminating_call
from golens.syntax.tree import unparen
from golens.syntax.unit import FileContext, Unit, walk_named

CASE_TYPES = frozenset({"communication_case", "default_case", "expression_case", "type_case"})
_BRANCHING = frozenset({"expression_switch_statement", "type_switch_statement", "select_statement"})


def channel_key(expr: Node | None) -> bytes | None:
    """The text naming a channel: `ch`, `s.quit`, `a.b.c`; None for anything else."""
    expr = unparen(expr)
    if expr is None:
        return None
    node = expr
    while node.type == "selector_expression":
        parts = selector_parts(node)
        if parts is None:
            return None
        node = unparen(parts[0])
        if node is None:
            return None
    if node.type != "identifier":
        return None
    return b"".join(expr.text.split())


def root_name(expr: Node | None) -> bytes | None:
    """`s` for `s.quit`, `ch` for `ch`."""
    expr = unparen(expr)
    while expr is not None and expr.type == "selector_expression":
        parts = selector_parts(expr)
        expr = unparen(parts[0]) if parts is not None else None
    return expr.text if expr is not None and expr.type == "identifier" else None


def builtin_argument(call: Node, name: bytes) -> Node | None:
    """The single argument of a builtin call like `close(x)` (None for any other call)."""
    if call.type != "call_expression":
        return None
    function = call.child_by_field_name("function")
    if function is None or function.type != "identifier" or function.text != name:
        return None
    args = call.child_by_field_name("arguments")
    if args is None or len(args.named_children) != 1:
        return None
    return args.named_children[0]


def close_statement_target(statement: Node) -> Node | None:
    """`x` for the statement `close(x)`."""
    if statement.type != "expression_statement" or not statement.named_children:
        return None
    return builtin_argument(statement.named_children[0], b"close")


def received_channel(node: Node | None) -> Node | None:
    """The channel of a receive: `<-ch`, `v := <-ch`, `v, ok = <-ch`, a select's receive case."""
    if node is None:
        return None
    if node.type == "receive_statement":
        right = node.child_by_field_name("right")
        if right is None:
            right = node.named_children[-1] if node.named_children else None
        return received_channel(right)
    if node.type == "expression_statement" and node.named_children:
        return received_channel(node.named_children[0])
    node = unparen(node)
    if node is not None and node.type == "unary_expression":
        operator = node.child_by_field_name("operator")
        if operator is not None and operator.type == "<-":
            return node.child_by_field_name("operand")
    return None


def sent_channel(node: Node | None) -> Node | None:
    if node is not None and node.type == "send_statement":
        return node.child_by_field_name("channel")
    return None


def select_cases(select: Node) -> tuple[list[Node], Node | None]:
    """(communication cases, the default case or None) of a select statement."""
    cases, default = [], None
    for child in select.named_children:
        if child.type == "communication_case":
            cases.append(child)
        elif child.type == "default_case":
            default = child
    return cases, default


def case_operation(case: Node) -> tuple[str, Node] | None:
    """("send" | "recv", channel expression) of a communication case."""
    comm = case.child_by_field_name("communication")
    if comm is None:
        return None
    channel = sent_channel(comm)
    if channel is not None:
        return "send", channel
    channel = received_channel(comm)
    if channel is not None:
        return "recv", channel
    return None


def make_buffering(value: Node | None) -> str | None:
    """"unbuffered" for `make(chan T)` / `make(chan T, 0)`, "buffered" for `make(chan T, n)`.

    A size that is not the literal 0 counts as buffered: it may be zero at run time, but a
    rule that needs "unbuffered" must not guess."""
    value = unparen(value)
    if value is None or value.type != "call_expression":
        return None
    function = value.child_by_field_name("function")
    if function is None or function.type != "identifier" or function.text != b"make":
        return None
    args = value.child_by_field_name("arguments")
    if args is None or not args.named_children or args.named_children[0].type != "channel_type":
        return None
    if len(args.named_children) == 1:
        return "unbuffered"
    size = args.named_children[1]
    return "unbuffered" if size.type == "int_literal" and size.text in (b"0", b"00") else "buffered"


def summarize_channel_fields(unit: Unit) -> Iterator[ChanMakeField | ChanMakeVar]:
    """("chan-make-field", field, buffering) for every `field: make(chan ...)` in a composite literal
    and every `x.field = make(chan ...)` of the declaration; ("chan-make-var", name, buffering) for
    package-level `var name = make(chan ...)`."""
    for element in unit.nodes("keyed_element"):
        if len(element.named_children) != 2:
            continue
        key, value = element.named_children
        key = key.named_children[0] if key.type == "literal_element" and key.named_children else key
        value = value.named_children[0] if value.type == "literal_element" and value.named_children else value
        buffering = make_buffering(value)
        if buffering is not None and key.type in ("identifier", "field_identifier"):
            yield ChanMakeField(key.text.decode(), buffering)
    for assignment in unit.nodes("assignment_statement"):
        for target, value in assignment_pairs(assignment):
            buffering = make_buffering(value)
            parts = selector_parts(target)
            if buffering is not None and parts is not None:
                yield ChanMakeField(parts[1], buffering)
    if unit.node.type == "var_declaration":
        for spec in unit.nodes("var_spec"):
            values = spec.child_by_field_name("value")
            names = list(spec.children_by_field_name("name"))
            if values is None or len(values.named_children) != len(names):
                continue
            for name, value in zip(names, values.named_children, strict=True):
                buffering = make_buffering(value)
                if buffering is not None:
                    yield ChanMakeVar(name.text.decode(), buffering)


def assignment_pairs(node: Node) -> list[tuple[Node, Node]]:
    """(target, value) pairs of an assignment or short declaration with as many values as
    targets (`a, b = f()` has none)."""
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if left is None or right is None:
        return []
    lefts = left.named_children if left.type == "expression_list" else [left]
    rights = right.named_children if right.type == "expression_list" else [right]
    if len(lefts) != len(rights):
        return []
    return list(zip(lefts, rights, strict=True))


def assigned_expressions(node: Node) -> list[Node]:
    """Every target of an assignment, short declaration, var spec or `range` clause."""
    if node.type == "var_spec":
        return list(node.children_by_field_name("name"))
    left = node.child_by_field_name("left")
    if left is None:
        return []
    return list(left.named_children) if left.type == "expression_list" else [left]


def channel_buffering(expr: Node, function: Node, file: FileContext) -> str | None:
    """How the channel named by `expr` was made, when every `make` that binds it agrees.

    A local is judged by the makes assigned to it in its function; a field `x.f` by the makes
    the file stores into fields named f; a package variable by its initialiser."""
    expr = unparen(expr)
    if expr is None:
        return None
    if expr.type == "selector_expression":
        parts = selector_parts(expr)
        if parts is None:
            return None
        kinds = {f.buffering for f in file.facts.of(ChanMakeField) if f.field == parts[1]}
        return kinds.pop() if len(kinds) == 1 else None
    if expr.type != "identifier":
        return None
    name = expr.text
    kinds: set[str | None] = set()
    declared = False
    for node in walk_named(function):
        if node.type in ("short_var_declaration", "assignment_statement", "var_spec"):
            if node.type == "var_spec":
                names = list(node.children_by_field_name("name"))
                values = node.child_by_field_name("value")
                pairs = list(zip(names, values.named_children, strict=True)) if values is not None and \
                    len(values.named_children) == len(names) else [(n, None) for n in names]
            else:
                pairs = assignment_pairs(node) or [(t, None) for t in assigned_expressions(node)]
            for target, value in pairs:
                if target.type == "identifier" and target.text == name:
                    declared = declared or node.type != "assignment_statement"
                    kinds.add(make_buffering(value) if value is not None else None)
        elif node.type == "parameter_declaration":
            if any(n.text == name for n in node.children_by_field_name("name")):
                return None  # a parameter: made by the caller
    if not kinds and not declared:
        found = {f.buffering for f in file.facts.of(ChanMakeVar) if f.name == name.decode()}
        return found.pop() if len(found) == 1 else None
    if len(kinds) == 1:
        return next(iter(kinds))
    return None


_ENDING_NAME = re.compile(rb"Fatal|Exit|Panic|FailNow|Skip")


def ends_path(statement: Node) -> bool:
    """return, goto, break, continue, panic(...), os.Exit, log.Fatal*, t.Fatal*: nothing after
    it runs. Calls named like a fatal helper (`testutil.FatalStack(t, ...)`) count too: taking
    a path as ended can only hide findings."""
    if statement.type in ("return_statement", "goto_statement", "break_statement", "continue_statement"):
        return True
    if is_terminating_call(statement):
        return True
    if statement.type == "expression_statement" and statement.named_children and \
            statement.named_children[0].type == "call_expression":
        function = statement.named_children[0].child_by_field_name("function")
        name = function.text.rsplit(b".", 1)[-1] if function is not None else b""
        return bool(_ENDING_NAME.search(name))
    return False


def following(statement: Node) -> Iterator[tuple[Node, int]]:
    """Statements that run after `statement` when control falls through it, with how many
    enclosing blocks were left to reach them (0: a later sibling).

    Stops at anything that ends the path, at a loop body's end (the next iteration is another
    question) and at a function's end; leaves if/else blocks and switch/select cases for the
    statements after the whole if/switch/select."""
    level = 0
    current = statement
    while True:
        parent = current.parent
        if parent is None or parent.type != "statement_list":
            return
        siblings = [s for s in parent.named_children if s.type != "comment"]
        index = next((i for i, s in enumerate(siblings) if s == current), None)
        if index is None:
            return
        for sibling in siblings[index + 1:]:
            yield sibling, level
            if ends_path(sibling) or sibling.type == "labeled_statement":
                return
        owner = parent.parent
        if owner is None:
            return
        if owner.type == "block":
            holder = owner.parent
            if holder is None:
                return
            if holder.type == "if_statement":
                while holder.parent is not None and holder.parent.type == "if_statement":
                    holder = holder.parent  # else-if chains
                current = holder
            elif holder.type == "statement_list":
                current = owner  # a bare nested block
            else:
                return  # a loop body, a function body
        elif owner.type in CASE_TYPES:
            holder = owner.parent
            if holder is None or holder.type not in _BRANCHING:
                return
            current = holder
        else:
            return
        level += 1


def operations_in(statement: Node, skip_literals: bool = True) -> Iterator[Node]:
    """`statement` and its named descendants, not entering function literals."""
    yield statement
    yield from walk_named(statement, skip_function_literals=skip_literals)


def assigns_to(node: Node, key: bytes) -> bool:
    """Does an assignment inside `node` (function literals included) write the channel `key`,
    or take its address?"""
    for child in operations_in(node, skip_literals=False):
        if child.type in ("assignment_statement", "short_var_declaration", "var_spec", "range_clause"):
            if any(channel_key(t) == key for t in assigned_expressions(child)):
                return True
        elif child.type == "unary_expression" and child.text.startswith(b"&"):
            if channel_key(child.child_by_field_name("operand")) == key:
                return True
    return False
