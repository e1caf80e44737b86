"""GL303 double-close: delete the close that is clearly redundant, or close through a
sync.Once."""

from golens.document import TextEdit
from golens.fixes.context import FixContext
from golens.fixes.imports import update_imports
from golens.syntax.paths import statements_of
from golens.syntax.selects import (
    builtin_argument,
    case_operation,
    channel_key,
    close_statement_target,
    following,
    select_cases,
)
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named

_PURE = frozenset({"identifier", "field_identifier", "selector_expression", "nil", "true", "false",
                   "int_literal", "interpreted_string_literal", "expression_list"})


def fixes(ctx: FixContext):
    call = ctx.named_node("call_expression")
    statement = call.parent if call is not None else None
    key = channel_key(builtin_argument(call, b"close")) if call is not None else None
    if key is None or statement is None or statement.type not in ("expression_statement", "defer_statement"):
        return []
    case = ctx.data.get("case")
    if case == "defer":
        return _after_defer(ctx, statement, key)
    if case == "sequential":
        return _sequential(ctx, statement, key)
    if case in ("loop", "goroutines"):
        return _once_local(ctx, statement, key, case)
    if case == "close-if-open":
        return _once_field(ctx, statement, key)
    return []


def _delete(ctx: FixContext, statement, title: str):
    from golens.fixes import Fix

    return [Fix(title, (ctx.delete_statement(statement),), preferred=True)]


def _after_defer(ctx: FixContext, statement, key: bytes):
    """`defer close(C)` ... `close(C)`: the explicit close goes when the function ends right
    after it, so the deferred one then closes at the same moment; with any other defer
    registered after it, or work left after the explicit close, the deferred close would come
    later than the original and a waiter could hang."""
    function = enclosing_function(statement)
    body = function.child_by_field_name("body") if function is not None else None
    if statement.type != "expression_statement" or body is None or statement.parent is None or \
            statement.parent.parent != body:
        return []
    later = [s for s in statement.parent.named_children if s.type != "comment" and s.start_byte > statement.start_byte]
    if later and (len(later) > 1 or later[0].type != "return_statement" or
                  any(n.type not in _PURE for n in walk_named(later[0]))):
        return []
    defers = [n for n in walk_named(body, skip_function_literals=True)
              if n.type == "defer_statement" and n.start_byte < statement.start_byte]
    closing = [d for d in defers if _defer_closes_first(d, key)]
    if not closing or defers[-1] != closing[-1]:
        return []
    return _delete(ctx, statement, f"Remove this close({key.decode()}): the deferred close already does it")


def _defer_closes_first(defer, key: bytes) -> bool:
    """`defer close(C)`, or a deferred literal whose first statement is `close(C)`."""
    call = defer.named_children[0] if defer.named_children else None
    if call is None or call.type != "call_expression":
        return False
    if channel_key(builtin_argument(call, b"close")) == key:
        return True
    literal = call.child_by_field_name("function")
    if literal is None or literal.type != "func_literal":
        return False
    first = statements_of(literal.child_by_field_name("body"))
    return bool(first) and channel_key(close_statement_target(first[0])) == key


def _sequential(ctx: FixContext, second_statement, key: bytes):
    function = enclosing_function(second_statement)
    if function is None:
        return []
    earlier = [n.parent for n in walk_named(function, skip_function_literals=True)
               if n.type == "call_expression" and n.start_byte < second_statement.start_byte
               and channel_key(builtin_argument(n, b"close")) == key and n.parent is not None
               and n.parent.type == "expression_statement"]
    for first in reversed(earlier):
        reached = list(following(first))
        for later, level in reached:
            if not (later.start_byte <= second_statement.start_byte < later.end_byte):
                continue
            if level == 0:
                # Every path to the second close passed the first one in the same block: the
                # second can only panic.
                return _delete(ctx, _emptied_if(ctx, second_statement) or second_statement,
                               f"Remove the second close({key.decode()})")
            if reached[0][0] == later and later == second_statement:
                # The first close is conditional and control goes straight from it to the
                # unconditional one: dropping the first closes at the same moment.
                return _delete(ctx, _emptied_if(ctx, first) or first,
                               f"Remove the conditional close({key.decode()}) (the next statement closes it)")
            return []
    return []


def _emptied_if(ctx: FixContext, statement):
    """`if cond { close(C) }` with nothing else, no else and a condition without effects whose
    names stay in use elsewhere: the whole if goes rather than leave an empty branch."""
    block = statement.parent.parent if statement.parent is not None else None
    owner = block.parent if block is not None and block.type == "block" else None
    if owner is None or owner.type != "if_statement" or owner.child_by_field_name("alternative") is not None \
            or owner.child_by_field_name("initializer") is not None or len(statements_of(block)) != 1 \
            or any(c.type == "comment" for c in walk_named(block)):
        return None
    condition = owner.child_by_field_name("condition")
    nodes = [condition, *walk_named(condition)]
    if any(n.type not in _PURE and n.type not in ("unary_expression", "parenthesized_expression") for n in nodes):
        return None
    function = enclosing_function(owner)
    elsewhere = [n.text for n in walk_named(function) if n.type == "identifier"
                 and not (owner.start_byte <= n.start_byte < owner.end_byte)]
    params = function.child_by_field_name("parameters")
    param_names = {n.text for d in (params.named_children if params is not None else ())
                   for n in d.children_by_field_name("name")}
    for name in {n.text for n in nodes if n.type == "identifier"}:
        if name not in param_names and elsewhere.count(name) < 2:
            return None  # a local left without a use would not compile
    return owner


def _once_local(ctx: FixContext, statement, key: bytes, case: str):
    """A `sync.Once` declared before the loop (or the first goroutine) and every close of C
    there done through it: C is then closed once per call of this function."""
    from golens.fixes import Fix

    if statement.type not in ("expression_statement", "defer_statement"):
        return []
    anchor = _anchor(statement, key, case)
    if anchor is None or anchor.parent is None or anchor.parent.type != "statement_list":
        return []
    if case == "loop" and _receives_from_itself(statement, anchor, key):
        # `case <-C: close(C)` fires once C is closed (by someone else): the first close panics
        # already, and a Once would only turn the panic into a spin.
        return []
    scope = [anchor] if anchor.type == "for_statement" else \
        [s for s in anchor.parent.named_children if s.type == "go_statement" and s.start_byte >= anchor.start_byte]
    closes = [n for s in scope for n in walk_named(s) if n.type == "call_expression"
              and channel_key(builtin_argument(n, b"close")) == key]
    base = key.decode().rsplit(".", 1)[-1]
    once = ctx.free_name(f"{base}Once", enclosing_function(anchor))
    imports = update_imports(ctx, add=("sync",))
    if imports is None:
        return []
    sync = imports[0]["sync"]
    edits = [TextEdit(ctx.doc.lines.line_start(anchor.start_point[0]), ctx.doc.lines.line_start(anchor.start_point[0]),
                      f"{ctx.indent_at(anchor.start_byte)}var {once} {sync}.Once\n".encode())]
    for close in closes:
        edits.append(TextEdit(close.start_byte, close.end_byte,
                              f"{once}.Do(func() {{ {close.text.decode()} }})".encode()))
    return [Fix(f"Close {key.decode()} once ({once}.Do)", (*edits, *imports[1]))]


def _receives_from_itself(statement, loop, key: bytes) -> bool:
    node = statement.parent
    while node is not None and node != loop:
        if node.type == "communication_case":
            operation = case_operation(node)
            return operation is not None and operation[0] == "recv" and channel_key(operation[1]) == key
        node = node.parent
    return False


def _anchor(statement, key: bytes, case: str):
    """The loop that repeats the close, or the first go statement of the block whose
    goroutines close C."""
    node = statement.parent
    go = None
    while node is not None:
        if node.type == "go_statement" and go is None:
            go = node
        if node.type == "for_statement" and (case == "loop" or go is not None):
            return node
        if node.type == "func_literal" and case == "loop":
            return None
        if node.type in ("function_declaration", "method_declaration"):
            break
        node = node.parent
    if case != "goroutines" or go is None or go.parent is None:
        return None
    for sibling in go.parent.named_children:
        if sibling.type == "go_statement" and any(
                channel_key(builtin_argument(n, b"close")) == key for n in walk_named(sibling)):
            return sibling  # the earliest goroutine that closes C
    return None


def _once_field(ctx: FixContext, statement, key: bytes):
    """`select { case <-s.c: default: close(s.c) }` -> `s.cOnce.Do(func() { close(s.c) })` when
    the struct already has that sync.Once field (adding a field is a design change: copies of
    the struct, its zero value and other constructors would all need a look)."""
    from golens.fixes import Fix

    select = statement.parent.parent.parent if statement.parent is not None and statement.parent.parent is not None else None
    if select is None or select.type != "select_statement":
        return []
    cases, default = select_cases(select)
    if len(cases) != 1 or statements_of(cases[0]) or len(statements_of(default)) != 1:
        return []
    operation = case_operation(cases[0])
    text = key.decode()
    if operation is None or "." not in text:
        return []
    owner, field = text.rsplit(".", 1)
    if not _has_once_field(ctx, f"{field}Once"):
        return []
    code = f"{owner}.{field}Once.Do(func() {{ close({text}) }})"
    return [Fix(f"Close {text} once ({owner}.{field}Once.Do)",
                (TextEdit(select.start_byte, select.end_byte, code.encode()),))]


def _has_once_field(ctx: FixContext, name: str) -> bool:
    for node in walk_named(ctx.doc.tree.root_node):
        if node.type == "field_declaration" and any(n.text.decode() == name for n in node.children_by_field_name("name")):
            kind = node.child_by_field_name("type")
            return kind is not None and kind.text.endswith(b".Once")
    return False
