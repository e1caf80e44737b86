"""GL702 fatal-in-test-goroutine: `t.Fatal*`, `t.FailNow` or `t.Skip*` on a test's *testing.T
(B, F, TB) inside a goroutine the test started (vet's testinggoroutine)."""

from collections.abc import Iterator
from typing import TypedDict

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.calls import call_arguments, call_target, selector_parts
from golens.syntax.goroutines import GoStart, start_of_literal
from golens.syntax.tree import enclosing_function, source, unparen
from golens.syntax.unit import FileContext, walk_named

# What each ends-the-test call becomes when the goroutine reports and returns instead.
_NON_FATAL = {"Fatal": "Error", "Fatalf": "Errorf", "FailNow": "Fail", "Skip": "", "Skipf": "", "SkipNow": ""}
_TESTING_TYPES = frozenset({"T", "B", "F"})
# Assertion packages whose functions call t.FailNow when they fail, except the names listed.
_FAILNOW_PACKAGES = {
    "github.com/stretchr/testify/require": frozenset({"New", "CallerInfo", "ObjectsAreEqual",
                                                      "ObjectsAreEqualValues"}),
    "gotest.tools/v3/assert": frozenset({"Check"}),
    "gotest.tools/assert": frozenset({"Check"}),
}


class GL702Data(TypedDict):
    """What GL702 hands its fix."""

    method: str  # Fatal, Fatalf, FailNow, Skip, Skipf or SkipNow
    replacement: str  # the reporting method that does not end the goroutine; "" when none fits
    direct: bool  # the call is a statement of the started literal itself, not of a closure in it


def check(unit: Unit) -> Iterator[Report]:
    if not unit.nodes("func_literal"):
        return  # no goroutine of its own to call from
    assertions = {name for path in _FAILNOW_PACKAGES for name in unit.file.names_for(path)}
    for call in unit.nodes("call_expression"):
        parts = selector_parts(call.child_by_field_name("function"))
        operand = unparen(parts[0]) if parts is not None else None
        target = call_target(call, unit.file) if operand is not None and operand.type == "identifier" and \
            source(operand).decode() in assertions else None
        if target is not None:
            excluded = _FAILNOW_PACKAGES.get(target[0])
            if excluded is not None and target[1] not in excluded:
                yield from _assertion(call, target[1], unit)
            continue
        if parts is None or parts[1] not in _NON_FATAL:
            continue
        operand = unparen(parts[0])
        if operand.type != "identifier":
            continue
        start = _goroutine_between(call, operand.text, unit)
        if start is None:
            continue
        name, method = unit.text(operand), parts[1]
        yield unit.report(
            call,
            f"{name}.{method} from a goroutine the test started: it stops only this goroutine, not the "
            f"test, which goes on (or has already finished and panics); report with {name}.Error and "
            f"return from the goroutine, or send the error back to the test's goroutine",
            related=((start.anchor, f"goroutine started here ({start.describe()})"),),
            data=GL702Data(method=method, replacement=_NON_FATAL[method],
                           direct=enclosing_function(call) == start.literal),
        )


def _assertion(call: Node, name: str, unit: Unit) -> Iterator[Report]:
    """`require.NoError(t, err)` (testify) or `assert.NilError(t, err)` (gotest.tools) in a
    goroutine: on failure they call t.FailNow."""
    arguments = [a for a in call_arguments(call) if a.type != "comment"]
    test = unparen(arguments[0]) if arguments else None
    if test is None or test.type != "identifier":
        return
    start = _goroutine_between(call, test.text, unit)
    if start is None:
        return
    function = call.child_by_field_name("function")
    shown, t = unit.text(function) if function is not None else name, unit.text(test)
    yield unit.report(
        call,
        f"{shown}({t}, ...) from a goroutine the test started: when it fails it calls {t}.FailNow, "
        f"which stops only this goroutine, not the test; check with a non-fatal assertion and "
        f"return, or send the error back to the test's goroutine",
        related=((start.anchor, f"goroutine started here ({start.describe()})"),),
        data=GL702Data(method="FailNow", replacement="", direct=False),
        # Information: projects commonly accept assertions in helper goroutines (testifylint's
        # go-require is often turned off); the test is still marked failed.
        severity=Severity.INFORMATION,
    )


def _goroutine_between(call: Node, name: bytes | None, unit: Unit) -> GoStart | None:
    """The goroutine start (`go`, `wg.Go`, `g.Go`, a configured wrapper) whose function literal
    lies between `call` and the function declaring `name` as a *testing.T/B/F or testing.TB
    parameter; None when there is none, or when `name` is declared otherwise on the way (a
    subtest's own `t`, a local)."""
    started: GoStart | None = None
    function = enclosing_function(call)
    while function is not None:
        declared = _parameter_type(function, name)
        start = start_of_literal(function, unit) if function.type == "func_literal" else None
        if declared is not None:
            if not _is_testing(declared, unit.file):
                return None
            return start or started
        if _declares_locally(function, name, call):
            return None
        if started is None:
            started = start
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
