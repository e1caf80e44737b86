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
    facts (x's type), which summaries are made without: kept for one fact set at a time."""

    def __init__(self, unit: Unit) -> None:
        self.facts: Facts | None = None
        self.starts: list[GoStart] = []
        self.by_literal: dict[tuple[int, int], GoStart] = {}
        self.by_statement: dict[tuple[int, int], GoStart] = {}


def _found(unit: Unit) -> _Found:
    found = unit.derived(_Found)
    if found.facts is not unit.file.facts:
        found.facts = unit.file.facts
        found.starts = _starts(unit)
        found.by_literal = {(s.function.start_byte, s.function.end_byte): s for s in found.starts
                            if s.literal is not None}
        found.by_statement = {(s.statement.start_byte, s.statement.end_byte): s for s in found.starts}
    return found


def _starts(unit: Unit) -> list[GoStart]:
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
    # Wrapper calls are plain expression statements; found from the statements down, because
    # `call.parent` descends from the root, and asking it per call made 5,000 nested
    # `go func() {` take 15 s.
    for statement in unit.nodes("expression_statement"):
        for call in statement.named_children:
            start = _wrapper_start(call, statement, unit) if call.type == "call_expression" else None
            if start is not None:
                found.append(start)
    found.sort(key=lambda s: s.statement.start_byte)
    return found


def _wrapper_start(call: Node, statement: Node, unit: Unit) -> GoStart | None:
    """`call`, the whole of the expression statement `statement`, as a wrapper start (a wrapper's
    result used, or a deferred one, is not the plain start it names)."""
    arguments = call.child_by_field_name("arguments")
    if arguments is None or not arguments.named_children:
        return None
    last = unparen(arguments.named_children[-1])
    if last.type not in _FUNCTION_VALUES:
        return None
    function = call.child_by_field_name("function")
    if function is None:
        return None
    parts = selector_parts(function)
    if parts is not None and parts[1] == "Go" and len(arguments.named_children) == 1:
        group = unparen(parts[0])
        if sync_kind(group, unit) == "WAITGROUP":
            return GoStart(statement, call, last, (), WAITGROUP_GO, group)
        if expression_kind(group, unit) == "ERRGROUP":
            return GoStart(statement, call, last, (), ERRGROUP_GO, group)
    name = _configured(function, unit)
    return GoStart(statement, call, last, (), name, None) if name is not None else None


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
