"""GL302 select-default-drop-unbuffered: give the channel a buffer of one where it is made, or
let the send wait for the receiver or the context."""

from golens.document import TextEdit
from golens.fixes.context import FixContext, pick_context
from golens.syntax.calls import selector_parts
from golens.syntax.selects import (
    assignment_pairs,
    builtin_argument,
    channel_key,
    make_buffering,
    select_cases,
    sent_channel,
)
from golens.syntax.tree import enclosing_function, unparen
from golens.syntax.unit import walk_named


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    case = ctx.named_node("communication_case")
    select = case.parent if case is not None else None
    if select is None or select.type != "select_statement":
        return []
    communication = case.child_by_field_name("communication")
    channel = unparen(sent_channel(communication))
    key = channel_key(channel)
    if key is None:
        return []
    found = []
    makes = _make_sites(ctx, channel)
    if makes and not _synchronous_uses(ctx, channel, key):
        edits = [_buffer_one(make) for make in makes]
        element = _element_type(makes[0])
        # A notification (chan struct{}) is what the buffer-of-one idiom is for: a pending
        # wake-up is kept and later ones coalesce. A value channel then hands the receiver a
        # value that may be stale by the time it looks, and a deliberate (counted, logged) drop
        # was meant: offered, not preferred.
        data = ctx.finding.data or {}
        preferred = element == "struct{}" and not data.get("deliberate", False)
        found.append(Fix(f"Make {key.decode()} buffered (make(chan {element}, 1)) so one value waits for the receiver",
                         tuple(edits), preferred=preferred))
    _, default = select_cases(select)
    context_expr = pick_context(ctx)
    if default is not None and context_expr is not None:
        keyword = default.children[0]
        # Blocks until the receiver takes the value: right when the value must not be lost,
        # a stall when the receiver is gone for good.
        found.append(Fix(f"Wait for the receiver or {context_expr}.Done() instead of dropping",
                         (TextEdit(keyword.start_byte, keyword.end_byte, f"case <-{context_expr}.Done()".encode()),)))
    return found


def _outermost(node):
    function = enclosing_function(node)
    while function is not None and enclosing_function(function) is not None:
        function = enclosing_function(function)
    return function


def _make_sites(ctx: FixContext, channel) -> list:
    """Every `make(chan T)` / `make(chan T, 0)` that binds the channel: a local's in its
    function, a field's anywhere in the file (composite literals and `x.f = ...`), a package
    variable's initialiser. Empty when any binding is something else."""
    root = ctx.doc.tree.root_node
    field = selector_parts(channel)[1] if channel.type == "selector_expression" else None
    name = channel.text if channel.type == "identifier" else None
    scope = _outermost(channel) if name is not None else root
    sites, other = [], False
    for node in walk_named(scope):
        values = []
        if node.type == "keyed_element" and field is not None and len(node.named_children) == 2:
            key, value = node.named_children
            key = key.named_children[0] if key.type == "literal_element" and key.named_children else key
            value = value.named_children[0] if value.type == "literal_element" and value.named_children else value
            if key.text.decode() == field:
                values.append(value)
        elif node.type in ("assignment_statement", "short_var_declaration"):
            for target, value in assignment_pairs(node):
                parts = selector_parts(target)
                if (field is not None and parts is not None and parts[1] == field) or \
                        (name is not None and target.type == "identifier" and target.text == name):
                    values.append(value)
        elif node.type == "var_spec" and name is not None:
            names = list(node.children_by_field_name("name"))
            value_list = node.child_by_field_name("value")
            if any(n.text == name for n in names):
                if value_list is None or len(value_list.named_children) != len(names):
                    other = True
                else:
                    values.extend(v for n, v in zip(names, value_list.named_children, strict=True) if n.text == name)
        for value in values:
            if make_buffering(value) == "unbuffered":
                sites.append(unparen(value))
            else:
                other = True
    if name is not None and not sites and scope is not root:
        return _make_sites_at(ctx, root, name)
    return [] if other else sites


def _make_sites_at(ctx: FixContext, root, name: bytes) -> list:
    """A package variable's `var c = make(chan T)`."""
    sites = []
    for declaration in root.named_children:
        if declaration.type != "var_declaration":
            continue
        for spec in walk_named(declaration):
            if spec.type != "var_spec":
                continue
            names = list(spec.children_by_field_name("name"))
            values = spec.child_by_field_name("value")
            for n, v in zip(names, values.named_children if values is not None else [], strict=False):
                if n.text == name and make_buffering(v) == "unbuffered":
                    sites.append(unparen(v))
    return sites


def _synchronous_uses(ctx: FixContext, channel, key: bytes) -> bool:
    """A plain blocking send (a hand-off the sender may rely on: it returns only once the
    receiver has the value) or len/cap of the channel, which a buffer would change."""
    field = selector_parts(channel)[1] if channel.type == "selector_expression" else None
    scope = _outermost(channel) if field is None else ctx.doc.tree.root_node

    def same(expr) -> bool:
        expr = unparen(expr)
        if expr is None:
            return False
        if field is not None:
            parts = selector_parts(expr)
            return parts is not None and parts[1] == field
        return channel_key(expr) == key

    for node in walk_named(scope):
        if node.type == "send_statement" and same(sent_channel(node)):
            case = node.parent
            if case is None or case.type != "communication_case" or select_cases(case.parent)[1] is None:
                return True
        elif node.type == "call_expression":
            if same(builtin_argument(node, b"len")) or same(builtin_argument(node, b"cap")):
                return True
    return False


def _buffer_one(make) -> TextEdit:
    args = make.child_by_field_name("arguments")
    if len(args.named_children) == 2:
        size = args.named_children[1]
        return TextEdit(size.start_byte, size.end_byte, b"1")
    last = args.named_children[0]
    return TextEdit(last.end_byte, last.end_byte, b", 1")


def _element_type(make) -> str:
    kind = make.child_by_field_name("arguments").named_children[0]
    element = kind.child_by_field_name("value")
    return (element.text.decode() if element is not None else kind.text.decode()[len("chan "):]).replace(" ", "")
