"""GL202 blocking-call-without-ctx: switch to the context-aware variant."""

from golens.document import TextEdit
from golens.fixes.context import FixContext, pick_context
from golens.syntax.calls import selector_parts

HTTP_METHODS = {"Get": "MethodGet", "Head": "MethodHead", "Post": "MethodPost"}


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    call = ctx.named_node("call_expression")
    if call is None:
        return []
    context_expr = pick_context(ctx)
    if context_expr is None:
        return []  # inventing a context.TODO() would hide the problem rather than fix it
    variant = ctx.data.get("variant")
    function = call.child_by_field_name("function")
    args = call.child_by_field_name("arguments")
    parts = selector_parts(function)
    if parts is None or args is None:
        return []
    method = parts[1]
    if variant == "sql":
        replacement = ctx.data["replacement"]
        field = function.child_by_field_name("field")
        extra = ", nil" if method == "Begin" else ""
        edits = (
            TextEdit(field.start_byte, field.end_byte, replacement.encode()),
            _prepend_argument(args, context_expr, extra),
        )
        return [Fix(f"Use {replacement}({context_expr}, ...)", edits, preferred=True)]
    if variant == "new-request":
        field = function.child_by_field_name("field")
        edits = (
            TextEdit(field.start_byte, field.end_byte, b"NewRequestWithContext"),
            _prepend_argument(args, context_expr, ""),
        )
        return [Fix(f"Use http.NewRequestWithContext({context_expr}, ...)", edits, preferred=True)]
    if variant in ("http-shortcut", "http-client") and method in HTTP_METHODS:
        return _request_with_context(ctx, call, parts, context_expr, variant)
    return []


def tight_binary(ctx: FixContext, node) -> str:
    if node.type != "binary_expression":
        return ctx.text(node)
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    return f"{tight_binary(ctx, left)}{operator.text.decode()}{tight_binary(ctx, right)}"


def _prepend_argument(args, expr: str, suffix: str) -> TextEdit:
    at = args.start_byte + 1
    text = expr + suffix + (", " if args.named_children else "")
    return TextEdit(at, at, text.encode())


def _request_with_context(ctx: FixContext, call, parts, context_expr: str, variant: str):
    """`resp, err := http.Get(u)` + `if err != nil {...}` becomes a request built with the
    context, the same error check, and `Do`."""
    from golens.fixes import Fix

    declaration = call.parent.parent if call.parent is not None else None
    if declaration is None or declaration.type != "short_var_declaration":
        return []
    statement = ctx.statement(declaration)
    if statement is not declaration and statement != declaration:
        return []
    left = declaration.child_by_field_name("left")
    names = [n for n in left.named_children] if left is not None else []
    if len(names) != 2 or names[1].type != "identifier":
        return []
    check = declaration.next_named_sibling
    while check is not None and check.type == "comment":
        check = check.next_named_sibling
    err = ctx.text(names[1])
    if check is None or check.type != "if_statement" or check.child_by_field_name("initializer") is not None:
        return []
    condition = check.child_by_field_name("condition")
    if condition is None or ctx.text(condition).replace(" ", "") != f"{err}!=nil":
        return []
    http_name = ctx.package_name("net/http")
    if http_name is None:
        return []
    receiver, method = parts
    # gofmt drops the blanks around binary operators in multi-argument calls (f(a + b) but
    # f(x, a+b)); the arguments move into such a call.
    args = [tight_binary(ctx, a) for a in call.child_by_field_name("arguments").named_children]
    if method == "Post" and len(args) == 3:
        url, content_type, body = args
    elif method in ("Get", "Head") and len(args) == 1:
        url, content_type, body = args[0], None, "nil"
    else:
        return []
    client = ctx.text(receiver) if variant == "http-client" else f"{http_name}.DefaultClient"
    req = ctx.free_name("req")
    indent = ctx.indent_at(declaration.start_byte)
    lines = [f"{req}, {err} := {http_name}.NewRequestWithContext({context_expr}, {http_name}.{HTTP_METHODS[method]}, {url}, {body})",
             ctx.text(check)]
    if content_type is not None:
        lines.append(f'{req}.Header.Set("Content-Type", {content_type})')
    lines.append(f"{ctx.text(left)} {declaration.children[1].text.decode()} {client}.Do({req})")
    new_text = f"\n{indent}".join(lines)
    edit = TextEdit(declaration.start_byte, declaration.end_byte, new_text.encode())
    return [Fix(f"Build the request with {http_name}.NewRequestWithContext({context_expr}, ...) and Do it",
                (edit,), preferred=True)]
