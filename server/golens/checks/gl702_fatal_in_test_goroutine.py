"""GL702 fatal-in-test-goroutine: `t.Fatal*`, `t.FailNow` or `t.Skip*` on a test's *testing.T
(B, F, TB) inside a goroutine the test started (vet's testinggoroutine)."""

from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import selector_parts
from golens.syntax.tree import enclosing_function, source, unparen
from golens.syntax.unit import FileContext, walk_named

# What each ends-the-test call becomes when the goroutine reports and returns instead.
_NON_FATAL = {"Fatal": "Error", "Fatalf": "Errorf", "FailNow": "Fail", "Skip": "", "Skipf": "", "SkipNow": ""}
_TESTING_TYPES = frozenset({"T", "B", "F"})


class GL702Data(TypedDict):
    """What GL702 hands its fix."""

    method: str  # Fatal, Fatalf, FailNow, Skip, Skipf or SkipNow
    replacement: str  # the reporting method that does not end the goroutine; "" when none fits


def check(unit: Unit) -> Iterator[Report]:
    for call in unit.nodes("call_expression"):
        parts = selector_parts(call.child_by_field_name("function"))
        if parts is None or parts[1] not in _NON_FATAL:
            continue
        operand = unparen(parts[0])
        if operand.type != "identifier":
            continue
        go = _goroutine_between(call, operand.text, unit.file)
        if go is None:
            continue
        name, method = unit.text(operand), parts[1]
        yield unit.report(
            call,
            f"{name}.{method} from a goroutine the test started: it stops only this goroutine, not the "
            f"test, which goes on (or has already finished and panics); report with {name}.Error and "
            f"return from the goroutine, or send the error back to the test's goroutine",
            related=((go, "goroutine started here"),),
            data=GL702Data(method=method, replacement=_NON_FATAL[method]),
        )


def _goroutine_between(call: Node, name: bytes | None, file: FileContext) -> Node | None:
    """The `go` statement whose function literal lies between `call` and the function declaring
    `name` as a *testing.T/B/F or testing.TB parameter; None when there is none, or when `name`
    is declared otherwise on the way (a subtest's own `t`, a local)."""
    started: Node | None = None
    function = enclosing_function(call)
    while function is not None:
        declared = _parameter_type(function, name)
        if declared is not None:
            if not _is_testing(declared, file):
                return None
            return started_by_go(function) or started
        if _declares_locally(function, name, call):
            return None
        if started is None:
            started = started_by_go(function)
        function = enclosing_function(function)
    return None


def _parameter_type(function: Node, name: bytes | None) -> Node | None:
    for part in ("receiver", "parameters"):
        params = function.child_by_field_name(part)
        for decl in params.named_children if params is not None else ():
            if any(n.text == name for n in decl.children_by_field_name("name")):
                return decl.child_by_field_name("type") or decl
    return None


def _declares_locally(function: Node, name: bytes | None, use: Node) -> bool:
    body = function.child_by_field_name("body")
    for node in walk_named(body, skip_function_literals=True) if body is not None else ():
        if node.start_byte >= use.start_byte:
            return False
        if node.type == "var_spec":
            names = node.children_by_field_name("name")
        elif node.type in ("short_var_declaration", "range_clause"):
            left = node.child_by_field_name("left")
            names = (left.named_children if left.type == "expression_list" else [left]) if left is not None else []
        else:
            continue
        if any(n.text == name for n in names):
            return True
    return False


def _is_testing(type_node: Node, file: FileContext) -> bool:
    """`*testing.T`, `*testing.B`, `*testing.F` or `testing.TB`."""
    pointer = type_node.type == "pointer_type"
    if pointer:
        type_node = type_node.named_children[0] if type_node.named_children else type_node
    if type_node.type != "qualified_type":
        return False
    package, name = type_node.child_by_field_name("package"), type_node.child_by_field_name("name")
    if package is None or name is None or file.import_path(source(package).decode()) != "testing":
        return False
    return source(name) == b"TB" if not pointer else source(name).decode() in _TESTING_TYPES


def started_by_go(function: Node) -> Node | None:
    """The `go` statement that runs this function literal (`go func() { ... }()`)."""
    call = function.parent
    if function.type != "func_literal" or call is None or call.type != "call_expression" or \
            call.child_by_field_name("function") != function:
        return None
    statement = call.parent
    return statement if statement is not None and statement.type == "go_statement" else None
