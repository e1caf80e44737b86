import re
from collections.abc import Iterator

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.calls import function_name, selector_parts
from golens.syntax.facts import Fact
from golens.syntax.paths import statements_of
from golens.syntax.selects import case_operation, channel_buffering, select_cases, summarize_channel_fields
from golens.syntax.tree import enclosing_function, unparen
from golens.syntax.unit import FUNCTION_TYPES, walk_named

# A default that counts, logs or says it drops makes the loss deliberate and observable.
_DELIBERATE = re.compile(rb"drop|metric|log|count|skip|discard|miss|lost|\.Inc\(|\.Add\(", re.IGNORECASE)

_ASSERTIONS = frozenset({"Fatal", "Fatalf", "Error", "Errorf", "FailNow", "Fail"})


def summarize(unit: Unit) -> Iterator[Fact]:
    yield from summarize_channel_fields(unit)


def check(unit: Unit) -> Iterator[Report]:
    for select in unit.nodes("select_statement"):
        cases, default = select_cases(select)
        if default is None or len(cases) != 1:
            continue
        operation = case_operation(cases[0])
        if operation is None or operation[0] != "send":
            continue
        channel = unparen(operation[1])
        function = enclosing_function(select)
        if function is None or channel is None:
            continue
        if channel_buffering(channel, _outermost(function), unit.file) != "unbuffered":
            continue
        if _is_probe(cases[0]) or _is_retry(select, cases[0]) or _in_benchmark(function, unit):
            continue
        name = unit.text(channel)
        deliberate = bool(_DELIBERATE.search(default.text)) or \
            any(c.type == "comment" for c in walk_named(default))
        fallback = not deliberate and _does_something(default)
        if fallback:
            continue
        yield unit.report(
            cases[0].child_by_field_name("communication"),
            f"{name} is unbuffered: this send succeeds only if a receiver is waiting at this very "
            "instant, otherwise the default drops the value; give the channel a buffer of 1 "
            f"(make(chan T, 1)) or wait for the receiver",
            related=((default.children[0], "the value is dropped here"),),
            data={"channel": name, "field": channel.type == "selector_expression",
                  "variant": "buffer-one"},
            severity=Severity.INFORMATION if deliberate else None,
        )


def _is_probe(case: Node) -> bool:
    """`case c <- v: t.Fatal("nobody should be receiving")`: a test that no receiver is ready."""
    for node in walk_named(case):
        if node.type != "call_expression":
            continue
        function = node.child_by_field_name("function")
        if function is not None and function.type == "identifier" and function.text == b"panic":
            return True
        parts = selector_parts(function)
        if parts is not None and parts[1] in _ASSERTIONS:
            return True
    return False


def _is_retry(select: Node, case: Node) -> bool:
    """A send retried by the enclosing loop until it succeeds (the case leaves the loop): the
    value is offered again, not lost."""
    parent = select.parent
    while parent is not None and parent.type not in FUNCTION_TYPES:
        if parent.type == "for_statement":
            return any(s.type in ("return_statement", "goto_statement") or
                       (s.type == "break_statement" and s.named_children) for s in statements_of(case))
        parent = parent.parent
    return False


def _in_benchmark(function: Node, unit: Unit) -> bool:
    name = function_name(_outermost(function)) or ""
    return unit.file.is_test and name.startswith("Benchmark")


def _does_something(default: Node) -> bool:
    """A default that runs a fallback (start a worker, queue the value elsewhere) is a
    dispatch, not a drop."""
    statements = statements_of(default)
    return any(s.type not in ("return_statement", "break_statement", "continue_statement", "empty_statement")
               for s in statements)


def _outermost(function: Node) -> Node:
    while True:
        parent = enclosing_function(function)
        if parent is None:
            return function
        function = parent
