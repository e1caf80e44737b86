"""Channel helpers the goroutine-leak fixes share (GL101-GL108): which channel a finding is
about, where it is declared, how many values it will hold, and edits that buffer it, guard its
sends or add a stop channel."""

from typing import cast

from tree_sitter import Node

from golens.checks.gl101_orphan_send import GL101Data
from golens.document import TextEdit
from golens.fixes import Fix
from golens.fixes.context import FixContext
from golens.syntax.channels import GO, SEND, Channel, ChanOp, channels
from golens.syntax.flow import literal_iterations
from golens.syntax.tree import enclosing_function, is_inside
from golens.syntax.unit import FileContext, Unit, walk_named


def channel_of(ctx: FixContext) -> Channel | None:
    """The channel the finding is about, from the channel model of the current tree: the one
    with an operation (or the operation's channel name) exactly at the finding."""
    data = cast(GL101Data, ctx.data)
    span = (ctx.finding.start, ctx.finding.end)
    for channel in channels(unit_of(ctx)):
        if channel.name != data.get("channel"):
            continue
        for op in channel.ops:
            if (op.node.start_byte, op.node.end_byte) == span or (op.ident.start_byte, op.ident.end_byte) == span:
                return channel
    return None


def unit_of(ctx: FixContext) -> Unit:
    """The engine's view of the top-level declaration holding the finding."""
    node = ctx.node
    while node.parent is not None and node.parent.type != "source_file":
        node = node.parent
    return Unit(node, FileContext.of(ctx.doc))


def finding_op(ctx: FixContext, channel: Channel) -> ChanOp | None:
    span = (ctx.finding.start, ctx.finding.end)
    return next((op for op in channel.ops
                 if (op.node.start_byte, op.node.end_byte) == span or (op.ident.start_byte, op.ident.end_byte) == span),
                None)


def scope_of(channel: Channel) -> Node:
    """The block whose statements hold the channel's declaration."""
    statement_list = declaration_statement(channel).parent
    block = statement_list.parent if statement_list is not None else None
    assert block is not None, "a channel made by a statement sits in a block"
    return block


def declaration_statement(channel: Channel) -> Node:
    node = channel.declaration
    while node.parent is not None and node.parent.type != "statement_list":
        node = node.parent
    return node


def loops_within(node: Node, scope: Node) -> list[Node]:
    """The for statements between `node` and `scope`, innermost first, crossing literals: a send
    in a goroutine started in a loop repeats as much as one in the loop itself."""
    found = []
    current = node.parent
    while current is not None and current != scope:
        if current.type == "for_statement":
            found.append(current)
        current = current.parent
    return found


def bounded_sends(channel: Channel) -> int | None:
    """How many sends the channel can see at most, when no send can repeat: its number of send
    statements (an if/else pair counts twice, which only over-sizes the buffer)."""
    sends = [op for op in channel.ops if op.kind == SEND]
    scope = scope_of(channel)
    if not sends or any(loops_within(op.node, scope) for op in sends):
        return None
    if any(n.type in ("goto_statement", "labeled_statement") for n in walk_named(channel.function)):
        return None  # a backward goto repeats statements like a loop does
    return len(sends)


def measured(channel: Channel) -> bool:
    """Does the code read the channel's len or cap? A buffer would change what they say."""
    name = channel.name.encode()
    for node in walk_named(channel.function):
        if node.type == "identifier" and node.text == name and node.parent is not None \
                and node.parent.type == "argument_list":
            call = node.parent.parent
            callee = call.child_by_field_name("function") if call is not None else None
            if callee is not None and callee.text in (b"len", b"cap"):
                return True
    return False


def capacity_edit(channel: Channel, capacity: str) -> TextEdit:
    return make_capacity_edit(channel.make, capacity)


def make_capacity_edit(make: Node, capacity: str) -> TextEdit:
    """`make(chan T)` -> `make(chan T, capacity)`, or the capacity argument replaced."""
    arguments = make.child_by_field_name("arguments")
    if arguments is not None and len(arguments.named_children) > 1:
        given = arguments.named_children[1]
        return TextEdit(given.start_byte, given.end_byte, capacity.encode())
    assert arguments is not None and arguments.named_children, "make(chan T) has its type argument"
    element_type = arguments.named_children[0]
    return TextEdit(element_type.end_byte, element_type.end_byte, f", {capacity}".encode())


def stop_channel_fix(ctx: FixContext, channel: Channel, preferred: bool, title: str | None = None) -> Fix | None:
    """GFix's third strategy: `done := make(chan struct{}); defer close(done)` after the
    channel's declaration, and every unguarded send of its goroutines becomes
    `select { case ch <- v: case <-done: return }`. Once the function has returned nobody can
    receive (the channel does not escape), so a blocked sender gives up then — and returns at
    once, as it never got past the send before either."""
    sends = [op for op in channel.ops if op.kind == SEND and op.owner_kind == GO and not op.guarded]
    statement = declaration_statement(channel)
    body = channel.function.child_by_field_name("body")
    # A defer in a nested block still runs only when the function returns: in a loop body that
    # would keep every iteration's senders waiting until then.
    if not sends or body is None or statement.parent is None or statement.parent.parent != body:
        return None
    done = ctx.free_name("done", scope=channel.function)
    edits = [ctx.insert_after(statement, f"{done} := make(chan struct{{}})\n"
                                         f"{ctx.indent_at(statement.start_byte)}defer close({done})")]
    for op in sends:
        if op.owner is None or enclosing_function(op.node) != op.owner \
                or op.owner.child_by_field_name("result") is not None:
            return None  # `return` would leave an inner literal, or need result values
        edit = guard_send(ctx, op.node, f"<-{done}")
        if edit is None:
            return None
        edits.append(edit)
    return Fix(title or f"Let the sends on {channel.name} give up when the function returns (close a done channel)",
               tuple(edits), preferred=preferred)


def guard_send(ctx: FixContext, send: Node, give_up: str) -> TextEdit | None:
    """`select { case <send>: case <give_up>: return }` in place of the send (or receive)
    statement `send`."""
    if send.parent is None or send.parent.type != "statement_list":
        return None
    text = ctx.text(send)
    if alone_on_line(ctx, send):
        indent = ctx.indent_at(send.start_byte)
        code = f"select {{\n{indent}case {text}:\n{indent}case {give_up}:\n{indent}\treturn\n{indent}}}"
        return TextEdit(send.start_byte, send.end_byte, code.encode())
    # `go func() { ch <- v }()`: the one-line body opens onto lines of its own.
    block = send.parent.parent
    if block is None or block.type != "block" or len(send.parent.named_children) != 1 or "\n" in ctx.text(block):
        return None
    outer = ctx.indent_at(block.start_byte)
    indent = outer + "\t"
    code = (f"{{\n{indent}select {{\n{indent}case {text}:\n{indent}case {give_up}:\n{indent}\treturn\n"
            f"{indent}}}\n{outer}}}")
    return TextEdit(block.start_byte, block.end_byte, code.encode())


def alone_on_line(ctx: FixContext, node: Node) -> bool:
    lines = ctx.doc.lines
    start = lines.line_start(node.start_point[0])
    end = lines.line_end(node.end_point[0])
    before = ctx.doc.source[start:node.start_byte].strip()
    after = ctx.doc.source[node.end_byte:end].strip()
    return not before and (not after or after.startswith(b"//"))


def next_statement(node: Node) -> Node | None:
    sibling = node.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    return sibling


def fixed_iterations(loop: Node) -> int | None:
    """The loop's literal count (`for i := 0; i < 4; i++`, `for range 4`), unless its body
    writes the counter."""
    count = literal_iterations(loop)
    clause = next((c for c in loop.named_children if c.type == "for_clause"), None)
    initializer = clause.child_by_field_name("initializer") if clause is not None else None
    left = initializer.child_by_field_name("left") if initializer is not None else None
    counter = left.named_children[0].text if left is not None and left.named_children else None
    body = loop.child_by_field_name("body")
    if count is None or counter is None or body is None:
        return count
    for node in walk_named(body):
        if node.type == "identifier" and node.text == counter:
            parent = node.parent
            if parent is None:
                continue
            if parent.type in ("inc_statement", "dec_statement", "unary_expression") or (
                    parent.type == "expression_list" and parent.parent is not None
                    and parent.parent.type == "assignment_statement"
                    and parent.parent.child_by_field_name("left") == parent):
                return None  # `i--`, `i = ...`, `&i`
    return count


def collection_length(channel: Channel, expression: str | None, loop: Node) -> str | None:
    """`len(X)` for a loop `for ... range X`, when the make can say it: X is a plain name whose
    declaration shows a slice, array, map or string (not a channel, whose len is what is
    buffered now, nor an int or an iterator function), declared before the make and untouched
    between the make and the loop."""
    if expression is None or not expression.isidentifier():
        return None
    name = expression.encode()
    declared = _declared_type(channel, name)
    if declared is None or not _is_collection(declared):
        return None
    for node in walk_named(channel.function):
        if node.type == "identifier" and node.text == name and channel.make.end_byte <= node.start_byte < loop.start_byte:
            return None
    return f"len({expression})"


def _declared_type(channel: Channel, name: bytes) -> Node | None:
    """The type (or the value, for `x := []T{...}` and `x := make([]T, n)`) of the last
    declaration of `name` that the make can see: in the channel's function before the make, or
    a parameter of it or of a function around it."""
    function: Node | None = channel.function
    while function is not None:
        body = function.child_by_field_name("body")
        best = None
        for node in walk_named(body, skip_function_literals=True) if body is not None else ():
            if node.start_byte >= channel.make.start_byte:
                break
            if node.type == "identifier" and node.text == name and node.parent is not None:
                holder = node.parent
                if holder.type == "var_spec":
                    if not _encloses_make(holder, channel):
                        continue
                    best = holder.child_by_field_name("type") or _single_value(holder.child_by_field_name("value"))
                elif holder.type == "expression_list" and holder.parent is not None \
                        and holder.parent.type in ("short_var_declaration", "assignment_statement", "range_clause") \
                        and holder.parent.child_by_field_name("left") == holder:
                    if holder.parent.type != "short_var_declaration":
                        return None  # assigned: the declared type says nothing about the value's kind here
                    if not _encloses_make(holder.parent, channel):
                        continue
                    right = holder.parent.child_by_field_name("right")
                    values = right.named_children if right is not None else []
                    index = holder.named_children.index(node)
                    best = values[index] if len(values) == len(holder.named_children) else None
                    if best is None:
                        return None
        if best is not None:
            return best
        for declaration in _parameters(function):
            if name in [n.text for n in declaration.children_by_field_name("name")]:
                if declaration.type == "variadic_parameter_declaration":
                    return declaration  # ...T arrives as a slice
                return declaration.child_by_field_name("type")
        function = enclosing_function(function)
    return None


def _encloses_make(declaration: Node, channel: Channel) -> bool:
    """Is the declaration's scope (the block holding it) one the make sits in?"""
    node: Node | None = declaration
    while node is not None and node.type != "statement_list":
        node = node.parent
    return node is not None and node.parent is not None and is_inside(channel.make, node.parent)


def _parameters(function: Node) -> list[Node]:
    found: list[Node] = []
    for field in ("receiver", "parameters"):
        params = function.child_by_field_name(field)
        if params is not None:
            found.extend(c for c in params.named_children
                         if c.type in ("parameter_declaration", "variadic_parameter_declaration"))
    return found


def _single_value(values: Node | None) -> Node | None:
    if values is None or len(values.named_children) != 1:
        return None
    return values.named_children[0]


def _is_collection(node: Node) -> bool:
    if node.type == "variadic_parameter_declaration":
        return True
    if node.type in ("slice_type", "array_type", "map_type", "implicit_length_array_type"):
        return True
    if node.type == "type_identifier":
        return node.text == b"string"
    if node.type == "pointer_type":
        inner = node.named_children[0] if node.named_children else None
        return inner is not None and inner.type == "array_type"
    if node.type == "composite_literal":
        kind = node.child_by_field_name("type")
        return kind is not None and kind.type in ("slice_type", "array_type", "map_type", "implicit_length_array_type")
    if node.type == "call_expression":
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        return callee is not None and callee.text == b"make" and first is not None \
            and first.type in ("slice_type", "map_type")
    if node.type in ("interpreted_string_literal", "raw_string_literal"):
        return True
    return False
