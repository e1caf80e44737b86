"""Path approximation without a CFG (catalog §0.4): walk statements in source order, join the
branches of if/switch/select, look at loop bodies once, and stop at terminating statements.

Used by checks that ask "can control reach an exit before X happens?" (a cancel called, a lock
released). Where the structure is too irregular to approximate (goto, labelled jumps), the scan
gives up and the check stays silent: precision first.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from tree_sitter import Node

from golens.syntax.calls import selector_parts
from golens.syntax.tree import constant_truth, live_branches, source, unparen
from golens.syntax.unit import FUNCTION_TYPES, Step, descend


class Outcome(Enum):
    DONE = "done"  # every path through here performed the awaited action
    ENDED = "ended"  # every path through here left the function (or the loop iteration)
    OPEN = "open"  # some path falls through without the action


class GiveUp(Exception):
    """Control flow this approximation does not model (goto, labelled jumps)."""


_TERMINATING_CALLS = {("os", "Exit"), ("runtime", "Goexit")}
# Methods that end the path on any receiver that has them: log.Fatal*, a *log.Logger's or zap's
# Fatal*, testing's t.Fatal*/FailNow/Skip*. Matching the name alone is safe in this direction:
# treating a call as the end of a path can only hide findings, never invent one.
_ENDING_METHODS = {"Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln", "FailNow", "Skip",
                   "Skipf", "SkipNow", "Goexit"}

_CASE_TYPES = ("expression_case", "default_case", "type_case", "communication_case")


def is_terminating_call(statement: Node) -> bool:
    """`panic(...)`, `os.Exit`, `runtime.Goexit`, `log.Fatal*`, `t.Fatal*`: the path ends
    without a return."""
    if statement.type != "expression_statement" or not statement.named_children:
        return False
    call = statement.named_children[0]
    if call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    if function is None:
        return False
    if function.type == "identifier":
        return function.text == b"panic"
    parts = selector_parts(function)
    if parts is None:
        return False
    operand, name = parts
    if operand.type == "identifier" and (operand.text.decode(), name) in _TERMINATING_CALLS:
        return True
    return name in _ENDING_METHODS


_GOEXIT_METHODS = frozenset({"Fatal", "Fatalf", "FailNow", "SkipNow", "Skip", "Skipf"})


def ends_goroutine_only(statement: Node) -> bool:
    """`t.Fatal*`/`FailNow`/`Skip*` on a *testing value, or `runtime.Goexit()`: the goroutine
    ends (running its defers) while the process goes on. `log.Fatal` exits the process: not this."""
    call = statement.named_children[0] if statement.named_children else None
    function = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
    parts = selector_parts(function) if function is not None else None
    if parts is None or parts[0].type != "identifier":
        return False
    operand = parts[0].text or b""
    if parts[1] == "Goexit":
        return operand == b"runtime"
    return parts[1] in _GOEXIT_METHODS and operand in (b"t", b"b", b"f", b"tb")


def loop_condition(loop: Node) -> Node | None:
    """The condition of `for cond { ... }`. tree-sitter-go 0.25 gives it no field name (only a
    three-clause loop's condition, inside for_clause, has one), so `child_by_field_name` misses it."""
    for child in loop.named_children:
        if child.type not in ("for_clause", "range_clause", "block", "comment"):
            return child
    return None


def statements_of(block: Node | None) -> list[Node]:
    """The statements of a block or case clause (tree-sitter-go 0.25 wraps them in statement_list)."""
    if block is None:
        return []
    for child in block.named_children:
        if child.type == "statement_list":
            return [s for s in child.named_children if s.type != "comment"]
    if block.type == "statement_list":
        return [s for s in block.named_children if s.type != "comment"]
    return []


def once_guard_flag(if_statement: Node) -> bytes | None:
    """The flag of a once-guard, `if !flag { ...; flag = true }` (or `if flag == false`): its
    body runs at most once for as long as nothing sets the flag back."""
    condition = unparen(if_statement.child_by_field_name("condition"))
    operator = condition.child_by_field_name("operator") if condition is not None else None
    if condition is None or operator is None:
        return None
    flag = None
    if condition.type == "unary_expression" and operator.type == "!":
        flag = unparen(condition.child_by_field_name("operand"))
    elif condition.type == "binary_expression" and operator.type == "==":
        left, right = condition.child_by_field_name("left"), condition.child_by_field_name("right")
        if right is not None and right.type == "false":
            flag = left
        elif left is not None and left.type == "false":
            flag = right
    if flag is None or flag.type != "identifier":
        return None
    body = statements_of(if_statement.child_by_field_name("consequence"))
    if not body or not _assigns(body[-1], source(flag), "true"):
        return None
    return source(flag)


def _assigns(statement: Node, name: bytes, value: str) -> bool:
    """`name = value` with a literal value."""
    if statement.type != "assignment_statement":
        return False
    operator = statement.child_by_field_name("operator")
    left, right = statement.child_by_field_name("left"), statement.child_by_field_name("right")
    return operator is not None and operator.type == "=" and left is not None and right is not None \
        and len(left.named_children) == 1 and source(left.named_children[0]) == name \
        and len(right.named_children) == 1 and right.named_children[0].type == value


@dataclass
class PathScan:
    """Finds exits reached before `is_action(node)` holds on the path.

    `exits` collects the return statements (and, for fall-through, the node passed as `end`) that
    a path reaches without the action."""

    is_action: Callable[[Node], bool]
    exits: list[Node] = field(default_factory=list)
    # A call that ends only the goroutine (t.Fatal*, t.FailNow, runtime.Goexit) is an exit too:
    # the function's deferred calls run and its caller goes on, as after a return.
    goexit_is_exit: bool = False

    def scan(self, statements: list[Node]) -> Outcome:
        return descend(self._scan(statements))

    def statement(self, node: Node) -> Outcome:
        return descend(self._statement(node))

    # The walk proper, as generators run by `descend`: nesting depth is the input's, and 2,000
    # nested blocks must not reach Python's recursion limit.

    def _scan(self, statements: list[Node]) -> Step[Outcome]:
        for statement in statements:
            outcome = yield self._statement(statement)
            if outcome is not Outcome.OPEN:
                return outcome
        return Outcome.OPEN

    def _statement(self, node: Node) -> Step[Outcome]:
        kind = node.type
        if kind == "return_statement":
            if not self.is_action(node):
                self.exits.append(node)
            return Outcome.ENDED
        if kind in ("goto_statement", "fallthrough_statement"):
            raise GiveUp(kind)
        if kind in ("break_statement", "continue_statement"):
            if node.named_children:  # labelled
                raise GiveUp(kind)
            return Outcome.ENDED
        if kind == "labeled_statement":
            raise GiveUp(kind)
        if kind == "block":
            return (yield self._scan(statements_of(node)))
        if kind == "if_statement":
            return (yield self._if(node))
        if kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
            return (yield self._cases(node))
        if kind == "for_statement":
            return (yield self._loop(node))
        if is_terminating_call(node):
            if self.goexit_is_exit and ends_goroutine_only(node) and not self.is_action(node):
                self.exits.append(node)
            return Outcome.ENDED
        return Outcome.DONE if self.is_action(node) else Outcome.OPEN

    def _if(self, node: Node) -> Step[Outcome]:
        for part in ("initializer", "condition"):
            child = node.child_by_field_name(part)
            if child is not None and self.is_action(child):
                return Outcome.DONE
        branches = []
        for branch in live_branches(node):
            branches.append((yield self._statement(branch)))
        if node.child_by_field_name("alternative") is None and \
                constant_truth(node.child_by_field_name("condition")) is not True:
            branches.append(Outcome.OPEN)  # the condition is false: nothing runs
        return _join(branches)

    def _cases(self, node: Node) -> Step[Outcome]:
        header = [c for c in node.named_children if c.type not in _CASE_TYPES]
        if any(self.is_action(c) for c in header):
            return Outcome.DONE
        cases = [c for c in node.named_children if c.type in _CASE_TYPES]
        branches = []
        for case in cases:
            guard = case.child_by_field_name("communication") or case.child_by_field_name("value")
            if guard is not None and self.is_action(guard):
                branches.append(Outcome.DONE)
                continue
            branches.append((yield self._scan(statements_of(case))))
        has_default = any(c.type == "default_case" for c in cases)
        if not has_default and node.type != "select_statement":
            branches.append(Outcome.OPEN)
        if not cases:
            return Outcome.ENDED if node.type == "select_statement" else Outcome.OPEN  # select {} blocks forever
        return _join(branches)

    def _loop(self, node: Node) -> Step[Outcome]:
        header = [c for c in node.named_children if c.type != "block"]
        if any(self.is_action(c) for c in header):
            return Outcome.DONE
        body = node.child_by_field_name("body")
        yield self._scan(statements_of(body))
        # Optimistic on purpose: an action anywhere in the body is taken to have happened by the
        # time the loop is left, which can only hide findings, never invent them.
        if body is not None and self.is_action(body):
            return Outcome.DONE
        infinite = not any(c.type in ("for_clause", "range_clause") for c in node.named_children) and \
            loop_condition(node) is None
        if infinite and not _has_unlabelled_break(body):
            return Outcome.ENDED
        return Outcome.OPEN


def _join(branches: list[Outcome]) -> Outcome:
    if any(b is Outcome.OPEN for b in branches):
        return Outcome.OPEN
    if any(b is Outcome.DONE for b in branches):
        return Outcome.DONE
    return Outcome.ENDED


_BREAKABLE = ("for_statement", "expression_switch_statement", "type_switch_statement", "select_statement")


def loop_exits(body: Node) -> Iterator[Node]:
    """Statements that leave the loop whose body this is, in source order: returns, gotos, and
    breaks that are labelled or not inside a nested loop/switch/select (whose own break they
    would be). Nested function literals are not part of the loop."""
    stack = [(child, False) for child in reversed(body.named_children)]
    while stack:
        node, nested = stack.pop()
        kind = node.type
        if kind in FUNCTION_TYPES:
            continue
        if kind == "if_statement":
            live = live_branches(node)
            # The header may hold a function literal's return, never a loop exit: only the
            # branches that can run are searched.
            stack.extend((child, nested) for child in reversed(live))
            continue
        if kind in ("return_statement", "goto_statement"):
            yield node
        elif kind == "break_statement" and (node.named_children or not nested):
            yield node
        inner = nested or kind in _BREAKABLE
        stack.extend((child, inner) for child in reversed(node.named_children))


def _has_unlabelled_break(body: Node | None) -> bool:
    """A `break` that leaves this loop (not one inside a nested loop, switch or select)."""
    if body is None:
        return False
    # loop_exits without entering nested loops, switches and selects (a plain break there is
    # theirs): asked once per infinite loop, the whole-body walk made nested loops quadratic.
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in FUNCTION_TYPES or kind in _BREAKABLE:
            continue
        if kind == "break_statement":
            if not node.named_children:
                return True
            continue
        stack.extend(live_branches(node) if kind == "if_statement" else node.named_children)
    return False
