"""GL203 detached-context-in-request-scope: pass the context that is in scope."""

from golens.document import TextEdit
from golens.fixes.context import FixContext, pick_context
from golens.fixes.imports import update_imports


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    call = ctx.named_node("call_expression")
    if call is None:
        return []
    # pick_context, not the finding's ctx: in a handler the check names `ctx` even when it is
    # declared after this call, where it is not yet in scope.
    context_expr = pick_context(ctx)
    if context_expr is None:
        return []
    span = [(call.start_byte, call.end_byte)]
    found = []
    imports = update_imports(ctx, drop=("context",), removed=span)
    if imports is not None:
        edits = (TextEdit(call.start_byte, call.end_byte, context_expr.encode()), *imports[1])
        found.append(Fix(f"Use {context_expr} instead of context.{ctx.data.get('call', 'Background')}()",
                         edits, preferred=True))
    if not ctx.doc.go_version or ctx.doc.go_version.minor >= 21:
        # Keeps the caller's values (trace ids, auth) but not its cancellation: for work that
        # must outlive the request on purpose. The call's own package name stays in use.
        package = call.child_by_field_name("function").child_by_field_name("operand").text.decode()
        found.append(Fix(f"Use {package}.WithoutCancel({context_expr}) (outlives the caller, keeps its values)",
                         (TextEdit(call.start_byte, call.end_byte,
                                   f"{package}.WithoutCancel({context_expr})".encode()),)))
    return found
