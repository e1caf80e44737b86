from collections.abc import Iterator

from tree_sitter import Node

from golens.findings import Severity
from golens.syntax import Report, Unit
from golens.syntax.calls import call_arguments, selector_parts
from golens.syntax.goroutines import ERRGROUP_GO, start_at
from golens.syntax.paths import statements_of
from golens.syntax.selects import assigned_expressions, received_channel
from golens.syntax.tree import FUNCTION_TYPES, source, text
from golens.syntax.unit import walk_named


def check(unit: Unit) -> Iterator[Report]:
    if not unit.file.go_below(22):
        return  # per-iteration loop variables since Go 1.22
    for loop in unit.nodes("for_statement"):
        if loop.has_error:
            continue
        variables = _loop_variables(loop)
        body = loop.child_by_field_name("body")
        if not variables or body is None:
            continue
        for statement, literal, how in _deferred_literals(body, unit):
            names = _own_names(literal)
            for variable in variables:
                name = source(variable)
                if name in names or _redeclared_before(body, name, statement):
                    continue
                use = next((i for i in walk_named(literal.child_by_field_name("body") or literal)
                            if i.type == "identifier" and i.text == name and not _is_key(i)), None)
                if use is None:
                    continue
                severity = None
                if how == "go" and not _is_last(statement, body):
                    if _waits_after(statement, body):
                        continue
                    severity = Severity.INFORMATION
                var = name.decode("utf-8", "replace")
                yield unit.report(
                    use,
                    f"the {how_text(how)} captures the loop variable {var}, which is shared by all "
                    f"iterations before Go 1.22 (this module's go line is {unit.file.go_version}): "
                    f"it may see a later value; copy it first ({var} := {var})",
                    related=((variable, "declared once for the whole loop"),),
                    data={"var": var, "variant": "copy-var", "how": how},
                    severity=severity,
                )


def how_text(how: str) -> str:
    return {"go": "goroutine", "defer": "deferred function", "errgroup": "errgroup goroutine",
            "parallel-subtest": "parallel subtest"}[how]


def _loop_variables(loop: Node) -> list[Node]:
    for clause in loop.named_children:
        if clause.type == "range_clause":
            if not any(c.type == ":=" for c in clause.children):
                return []
            return [v for v in assigned_expressions(clause) if v.type == "identifier" and v.text != b"_"]
        if clause.type == "for_clause":
            init = clause.child_by_field_name("initializer")
            if init is None or init.type != "short_var_declaration":
                return []
            return [v for v in assigned_expressions(init) if v.type == "identifier" and v.text != b"_"]
    return []


def _deferred_literals(body: Node, unit: Unit) -> Iterator[tuple[Node, Node, str]]:
    """(statement, literal, how) for function literals in the loop body that may run after the
    iteration: `go func(){}()`, `defer func(){}()`, `g.Go(func() error {})` on an errgroup, and
    `t.Run(name, func(t *testing.T) { t.Parallel(); ... })`."""
    stack = list(body.named_children)
    while stack:
        node = stack.pop()
        if node.type in FUNCTION_TYPES:
            continue
        start = start_at(node, unit) if node.type in ("go_statement", "expression_statement") else None
        if start is not None and start.literal is not None:
            # An errgroup's Wait joins its goroutines: not the fire-and-forget `go` of vet's rule.
            yield node, start.literal, "errgroup" if start.wrapper == ERRGROUP_GO else "go"
        elif node.type == "defer_statement" and node.named_children:
            call = node.named_children[0]
            function = call.child_by_field_name("function") if call.type == "call_expression" else None
            if function is not None and function.type == "func_literal":
                yield node, function, "defer"
        elif node.type == "call_expression":
            literal = _parallel_subtest_literal(node, unit)
            if literal is not None:
                yield _statement(node), literal, "parallel-subtest"
        stack.extend(node.named_children)


def _parallel_subtest_literal(call: Node, unit: Unit) -> Node | None:
    parts = selector_parts(call.child_by_field_name("function"))
    args = call_arguments(call)
    if parts is None or not args or args[-1].type != "func_literal":
        return None
    literal = args[-1]
    return literal if parts[1] == "Run" and len(args) == 2 and _parallel_subtest(literal, unit) else None


def _parallel_subtest(literal: Node, unit: Unit) -> bool:
    params = literal.child_by_field_name("parameters")
    decls = params.named_children if params is not None else []
    if len(decls) != 1:
        return False
    kind = decls[0].child_by_field_name("type")
    names = list(decls[0].children_by_field_name("name"))
    if kind is None or kind.type != "pointer_type" or not names:
        return False
    inner = kind.named_children[0] if kind.named_children else None
    if inner is None or inner.type != "qualified_type":
        return False
    package = inner.child_by_field_name("package")
    if package is None or unit.file.import_path(text(package)) != "testing":
        return False
    t = names[0].text
    for statement in statements_of(literal.child_by_field_name("body")):
        call = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else None
        parts = selector_parts(call.child_by_field_name("function")) if call is not None and call.type == "call_expression" else None
        if parts is not None and parts[1] == "Parallel" and parts[0].text == t:
            return True
    return False


def _statement(node: Node) -> Node:
    while node.parent is not None and node.parent.type != "statement_list":
        node = node.parent
    return node


def _own_names(literal: Node) -> set[bytes]:
    """Parameters and locals of the literal: a capture of one of these names is not a capture."""
    names: set[bytes] = set()
    params = literal.child_by_field_name("parameters")
    for decl in params.named_children if params is not None else ():
        names.update(source(n) for n in decl.children_by_field_name("name"))
    for node in walk_named(literal):
        if node.type in ("short_var_declaration", "var_spec", "range_clause"):
            names.update(source(t) for t in assigned_expressions(node) if t.type == "identifier")
    return names


def _redeclared_before(body: Node, name: bytes, statement: Node) -> bool:
    """`v := v` (or any new v) in the loop body before the capturing statement."""
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte >= statement.start_byte:
            return False
        if node.type in ("short_var_declaration", "var_spec") and \
                any(t.text == name for t in assigned_expressions(node) if t.type == "identifier"):
            return True
    return False


def _is_last(statement: Node, body: Node) -> bool:
    """Is `statement` the last one run in an iteration: the body's last statement, or the last
    one of an if/else, switch or select that is itself last (vet's rule)?"""
    current: Node | None = statement
    while current is not None:
        statements = current.parent
        if statements is None or statements.type != "statement_list":
            return False
        siblings = [s for s in statements.named_children if s.type != "comment"]
        if not siblings or siblings[-1] != current:
            return False
        owner = statements.parent
        if owner == body:
            return True
        holder = owner.parent if owner is not None else None
        if owner is not None and owner.type == "block" and holder is not None and holder.type == "if_statement":
            while holder.parent is not None and holder.parent.type == "if_statement":
                holder = holder.parent
            current = holder
        elif owner is not None and owner.type in ("expression_case", "default_case", "type_case", "communication_case"):
            current = holder
        else:
            return False
    return False


def _waits_after(statement: Node, body: Node) -> bool:
    """A receive or a `.Wait()` later in the iteration may wait for the goroutine."""
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte < statement.end_byte:
            continue
        if received_channel(node) is not None or node.type == "select_statement":
            return True
        if node.type == "call_expression":
            parts = selector_parts(node.child_by_field_name("function"))
            if parts is not None and parts[1] == "Wait":
                return True
    return False


def _is_key(identifier: Node) -> bool:
    """`T{v: 1}`: the key of a keyed element names a field, not the variable."""
    parent = identifier.parent
    grand = parent.parent if parent is not None else None
    return parent is not None and parent.type == "literal_element" and grand is not None and \
        grand.type == "keyed_element" and bool(grand.named_children) and grand.named_children[0] == parent
