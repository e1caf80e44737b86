"""Goroutine starts: where a declaration starts a goroutine, and what runs in it.

A goroutine starts at a `go f(x)` statement, and at a call that starts one for its caller:
`wg.Go(f)` on a sync.WaitGroup (Go 1.25: the group's Add and Done are part of the call),
`g.Go(f)` on an errgroup.Group, and the wrappers a project names in golens.toml
(`go-wrappers = ["safe.Go"]`: the last argument runs in the new goroutine). Every rule that asks
"does this run in a goroutine of its own?" asks here, so that all of them see wrapper starts.

A method named `Go` on any other type is not a start: the receiver must be known (by its
declaration, a field's type, `errgroup.WithContext`) to be a WaitGroup or an errgroup.Group.
"""

from typing import NamedTuple

from tree_sitter import Node

from golens.syntax.bindings import expression_kind
from golens.syntax.calls import selector_parts
from golens.syntax.facts import Facts
from golens.syntax.sync import sync_kind
from golens.syntax.tree import text, unparen
from golens.syntax.unit import Unit

WAITGROUP_GO = "sync.WaitGroup.Go"
ERRGROUP_GO = "errgroup.Group.Go"
# What a wrapper may be handed to run: a literal or a function value (`run`, `s.loop`).
_FUNCTION_VALUES = frozenset({"func_literal", "identifier", "selector_expression"})


class GoStart(NamedTuple):
    statement: Node  # the go statement, or the expression statement of the wrapper call
    call: Node  # `f(x)` of `go f(x)`, or the wrapper call `wg.Go(f)`
    function: Node  # what runs in the goroutine: a func literal, or a function value
    arguments: tuple[Node, ...]  # what `function` is called with (nothing, through a wrapper)
    wrapper: str  # "" for a go statement; WAITGROUP_GO, ERRGROUP_GO or the configured name
    group: Node | None  # the WaitGroup or errgroup.Group of `wg.Go` / `g.Go`

    @property
    def literal(self) -> Node | None:
        """The func literal that runs, when it is one."""
        return self.function if self.function.type == "func_literal" else None

    @property
    def anchor(self) -> Node:
        """Where to point at the start: the `go` keyword, or the wrapper's name (`wg.Go`)."""
        if not self.wrapper:
            return self.statement.children[0]
        function = self.call.child_by_field_name("function")
        return function if function is not None else self.call

    def describe(self) -> str:
        return "go statement" if not self.wrapper else f"{self.wrapper} call"


def goroutine_starts(unit: Unit) -> list[GoStart]:
    """Every goroutine start of the declaration, in source order (nested literals included)."""
    return _found(unit).starts


def start_of_literal(literal: Node, unit: Unit) -> GoStart | None:
    """The start that runs `literal` in a goroutine of its own, if one does."""
    return _found(unit).by_literal.get((literal.start_byte, literal.end_byte))


def start_at(statement: Node, unit: Unit) -> GoStart | None:
    """The start whose statement is `statement` (a go statement or a wrapper call's statement)."""
    return _found(unit).by_statement.get((statement.start_byte, statement.end_byte))


class _Found:
    """The starts of one declaration. Whether `x.Go(f)` is a start depends on the package's
    facts (x's type), which summaries are made without: a declaration with such a call keeps its
    starts for one fact set at a time."""

    def __init__(self, unit: Unit) -> None:
        self.facts: Facts | None = None
        self.asks_facts = True  # recompute under other facts (until a computation says no)
        self.starts: list[GoStart] = []
        self.by_literal: dict[tuple[int, int], GoStart] = {}
        self.by_statement: dict[tuple[int, int], GoStart] = {}


def bound_name(literal: Node) -> str | None:
    """The name a func literal is bound to where it is written, so that `go name()` (or
    `go x.name()`) elsewhere runs it: `var name = func...`, `name := func...`, `name = func...`,
    `x.name = func...`."""
    values = literal.parent
    holder = values.parent if values is not None and values.type == "expression_list" else None
    if holder is None or values is None:
        return None
    if holder.type == "var_spec":
        names = list(holder.children_by_field_name("name"))
    elif holder.type in ("short_var_declaration", "assignment_statement") and holder.child_by_field_name("right") == values:
        left = holder.child_by_field_name("left")
        names = list(left.named_children) if left is not None else []
    else:
        return None
    if len(names) != len(values.named_children):
        return None
    target = names[values.named_children.index(literal)]
    if target.type == "identifier":
        return text(target)
    parts = selector_parts(target)
    return parts[1] if parts is not None else None


def _found(unit: Unit) -> _Found:
    found = unit.derived(_Found)
    if found.asks_facts and found.facts is not unit.file.facts:
        found.facts = unit.file.facts
        found.starts, found.asks_facts = _starts(unit)
        found.by_literal = {(s.function.start_byte, s.function.end_byte): s for s in found.starts
                            if s.literal is not None}
        found.by_statement = {(s.statement.start_byte, s.statement.end_byte): s for s in found.starts}
    return found


def _starts(unit: Unit) -> tuple[list[GoStart], bool]:
    """The starts, and whether telling them needed a receiver's type."""
    found: list[GoStart] = []
    for go in unit.nodes("go_statement"):
        call = go.named_children[0] if go.named_children else None
        function = unparen(call.child_by_field_name("function")) if call is not None and \
            call.type == "call_expression" else None
        if call is None or function is None:
            continue
        arguments = call.child_by_field_name("arguments")
        found.append(GoStart(go, call, function, tuple(arguments.named_children) if arguments is not None else (),
                             "", None))
    asks_facts = False
    wrappers = unit.file.go_wrappers
    # From the statements down, because `call.parent` descends from the root: asking it per call
    # made 5,000 nested `go func() {` take 15 s.
    for statement in unit.nodes("expression_statement"):
        call = statement.named_children[0] if statement.named_children else None
        function = call.child(0) if call is not None and call.type == "call_expression" else None
        if call is None or function is None:
            continue
        if function.type == "selector_expression":
            field = function.child_by_field_name("field")
            go_method = field is not None and field.text == b"Go"
            if not go_method and not wrappers:
                continue
        elif function.type != "identifier" or not wrappers:
            continue
        else:
            go_method = False
        arguments = call.child_by_field_name("arguments")
        if arguments is None or not arguments.named_children:
            continue
        last = unparen(arguments.named_children[-1])
        if last.type not in _FUNCTION_VALUES:
            continue
        start = None
        if go_method and len(arguments.named_children) == 1:
            asks_facts = True
            start = _group_start(statement, call, function, last, unit)
        if start is None:
            name = _configured(function, unit)
            start = GoStart(statement, call, last, (), name, None) if name is not None else None
        if start is not None:
            found.append(start)
    found.sort(key=lambda s: s.statement.start_byte)
    return found, asks_facts


def _group_start(statement: Node, call: Node, function: Node, last: Node, unit: Unit) -> GoStart | None:
    """`wg.Go(f)` on a sync.WaitGroup or `g.Go(f)` on an errgroup.Group."""
    parts = selector_parts(function)
    if parts is None:
        return None
    group = unparen(parts[0])
    if sync_kind(group, unit) == "WAITGROUP":
        return GoStart(statement, call, last, (), WAITGROUP_GO, group)
    if expression_kind(group, unit) == "ERRGROUP":
        return GoStart(statement, call, last, (), ERRGROUP_GO, group)
    return None


def _configured(function: Node, unit: Unit) -> str | None:
    """The golens.toml `go-wrappers` entry naming this callee: `pkg.Func` for a function of an
    imported package (by the name the file imports it under, or the import path's last element),
    `Func` for a function of the package itself."""
    wrappers = unit.file.go_wrappers
    if not wrappers:
        return None
    if function.type == "identifier":
        name = text(function)
        return name if name in wrappers else None
    parts = selector_parts(function)
    if parts is None or parts[0].type != "identifier":
        return None
    local, member = text(parts[0]), parts[1]
    path = unit.file.import_path(local)
    if path is None:
        return None
    for candidate in (f"{local}.{member}", f"{path.rsplit('/', 1)[-1]}.{member}"):
        if candidate in wrappers:
            return candidate
    return None
