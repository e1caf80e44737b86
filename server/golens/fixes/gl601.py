"""GL601 print-in-hot-path: delete the debug print, or turn it into a slog.Debug call."""

import re

from golens.document import TextEdit
from golens.fixes.context import FixContext
from golens.fixes.imports import update_imports
from golens.syntax.calls import call_arguments, function_name
from golens.syntax.selects import assigned_expressions
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named

_VERB = re.compile(r"%[-+# 0]*\d*(?:\.\d+)?[vdsqxXfFgGeEtTcUbop]")
_PRINT_PACKAGES = ("fmt", "log", "os")


def fixes(ctx: FixContext):
    from golens.fixes import Fix

    call = ctx.node.parent if ctx.node is not None else None
    while call is not None and call.type != "call_expression":
        call = call.parent
    statement = call.parent if call is not None else None
    if statement is None or statement.type != "expression_statement" or statement.parent is None or \
            statement.parent.type != "statement_list":
        return []  # the print's results are used
    if _shares_aligned_comments(ctx, statement):
        return []  # gofmt would re-align the neighbours' trailing comments
    found = []
    removal = ctx.delete_statement(statement)
    if ctx.data.get("pure_args") and not _leaves_unused_local(ctx, call, statement):
        imports = update_imports(ctx, drop=_PRINT_PACKAGES, removed=[(removal.start, removal.end)])
        if imports is not None:
            found.append(Fix(f"Remove this {ctx.data.get('function', 'print')}", (removal, *imports[1])))
    if ctx.data.get("replacement") == "slog.Debug":
        arguments = _slog_arguments(ctx, call)
        if arguments is not None:
            imports = update_imports(ctx, add=("log/slog",), drop=_PRINT_PACKAGES,
                                     removed=[(call.start_byte, call.end_byte)])
            if imports is not None:
                slog = imports[0]["log/slog"]
                text = f"{slog}.Debug({', '.join(arguments)})"
                found.append(Fix(f"Log it at debug level ({slog}.Debug)",
                                 (TextEdit(call.start_byte, call.end_byte, text.encode()), *imports[1])))
    return found


def _shares_aligned_comments(ctx: FixContext, statement) -> bool:
    """Is the statement's line, or the line it would leave a gap at, part of a run of lines
    whose trailing comments gofmt aligns?"""
    row = statement.start_point[0]
    if statement.end_point[0] != row:
        return False
    commented = [_trailing_comment(ctx, r) for r in (row - 1, row, row + 1)]
    return (commented[1] and (commented[0] or commented[2])) or (commented[0] and commented[2])


def _trailing_comment(ctx: FixContext, row: int) -> bool:
    if row < 0 or row >= ctx.doc.lines.line_count:
        return False
    text = ctx.doc.line_text(row)
    start = ctx.doc.lines.line_start(row)
    code = text.lstrip(b" \t")
    if not code or code.startswith(b"//"):
        return False
    node = ctx.doc.tree.root_node.descendant_for_byte_range(start + len(text.rstrip()) - 1, start + len(text.rstrip()))
    while node is not None and node.type != "comment" and node.start_byte >= start:
        node = node.parent
    return node is not None and node.type == "comment"


def _leaves_unused_local(ctx: FixContext, call, statement) -> bool:
    """Would deleting the print leave a local variable (a range variable, `x := ...`) with no
    use, which Go refuses to compile?"""
    function = enclosing_function(call)
    while function is not None and enclosing_function(function) is not None:
        function = enclosing_function(function)
    if function is None:
        return True
    names = {n.text for a in call_arguments(call) for n in [a, *walk_named(a)] if n.type == "identifier"}
    locals_ = {t.text for n in walk_named(function)
               if n.type in ("short_var_declaration", "var_spec", "range_clause", "receive_statement")
               for t in assigned_expressions(n) if t.type == "identifier"}
    for name in names & locals_:
        uses = [n for n in walk_named(function) if n.type == "identifier" and n.text == name and
                not (statement.start_byte <= n.start_byte < statement.end_byte)]
        if len(uses) < 2:  # the declaration itself is one of them
            return True
    return False


def _slog_arguments(ctx: FixContext, call) -> list[str] | None:
    """The message and key-value pairs of the slog.Debug call, or None when the print's
    arguments do not map onto them plainly."""
    args = call_arguments(call)
    function = call.child_by_field_name("function")
    spelled = ctx.text(function)
    if spelled.split(".")[-1].startswith("Fprint"):
        args = args[1:]  # the os.Stdout/os.Stderr writer
    formatted = spelled.endswith("f")
    message = None
    if args and args[0].type == "interpreted_string_literal":
        content = ctx.text(args[0])[1:-1]
        if formatted:
            if "%%" in content or "%[" in content or "*" in content or \
                    len(_VERB.findall(content)) != len(args) - 1 or "%" in _VERB.sub("", content):
                return None
            content = _VERB.sub("", content)
        content = content.replace("\\n", " ").replace("\\t", " ")
        content = re.sub(r"\s+", " ", content).strip().rstrip(":=,").strip()
        message = content or None
        args = args[1:]
    elif formatted:
        return None
    if message is None:
        outer = enclosing_function(call)
        while outer is not None and function_name(outer) is None:
            outer = enclosing_function(outer)
        message = function_name(outer) if outer is not None else "debug"
    pairs = [f'"{message}"']
    used: set[str] = set()
    for index, arg in enumerate(args):
        key = _key(arg) or f"arg{index}"
        base, n = key, 2
        while key in used:
            key, n = f"{base}{n}", n + 1
        used.add(key)
        pairs.append(f'"{key}", {ctx.text(arg)}')
    return pairs


def _key(arg) -> str | None:
    if arg.type == "identifier":
        return arg.text.decode().lower()
    if arg.type == "selector_expression":
        field = arg.child_by_field_name("field")
        return field.text.decode().lower() if field is not None else None
    if arg.type == "call_expression":
        callee = arg.child_by_field_name("function")
        if callee is not None and callee.type == "identifier":
            return callee.text.decode()
    return None
