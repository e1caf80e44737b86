"""Control flow around an operation, without a CFG (next to `paths`): which loops enclose it,
whether a loop can be left early, which exits of a function follow a statement, how many times a
loop with literal bounds runs."""

from collections.abc import Callable

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax.calls import is_package_call, selector_parts
from golens.syntax.paths import GiveUp, Outcome, PathScan, loop_exits
from golens.syntax.tree import FUNCTION_TYPES, identifiers_in, outermost_function, source, text
from golens.syntax.unit import FileContext, Unit


def loops_between(node: Node, boundary: Node) -> list[Node]:
    """The for statements enclosing `node` below `boundary`, innermost first (not crossing
    function literals)."""
    found = []
    current = node.parent
    while current is not None and current != boundary:
        if current.type == "for_statement":
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
            names.add(source(target))
        stack.extend(node.named_children)
    return names


def _guarded_by(exit_node: Node, loop: Node, counters: set[bytes]) -> bool:
    node = exit_node.parent
    while node is not None and node != loop:
        if node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            if condition is not None and any(i.text in counters for i in identifiers_in(condition)):
                return True
        node = node.parent
    return False


def exits_after(statement: Node, function: Node, is_action: Callable[[Node], bool],
                goexit_is_exit: bool = False) -> list[Node] | None:
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
        scan = PathScan(is_action, goexit_is_exit=goexit_is_exit)
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
            if holder.parent is None:
                return None
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
        return int(text(node).replace("_", ""), 0)
    except ValueError:
        return None


def ranges_over_ticker(clause: Node, file: FileContext) -> bool:
    """`for range time.Tick(d)` or `for range t.C`: a loop paced by a ticker, which never ends by
    itself."""
    right = clause.child_by_field_name("right")
    if right is None:
        return False
    if right.type == "call_expression" and is_package_call(right, file, "time", "Tick"):
        return True
    parts = selector_parts(right)
    return parts is not None and parts[1] == "C"
