import re
from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax import Report, Unit
from golens.syntax.calls import call_arguments, call_target, is_shadowed, package_member, selector_parts
from golens.syntax.facts import Fact, FuncDecl
from golens.syntax.goroutines import start_of_literal
from golens.syntax.handlers import as_handler
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import FUNCTION_TYPES

_PRINTS = {
    ("fmt", "Print"), ("fmt", "Println"), ("fmt", "Printf"),
    ("log", "Print"), ("log", "Println"), ("log", "Printf"),
}
_FPRINTS = {("fmt", "Fprint"), ("fmt", "Fprintln"), ("fmt", "Fprintf")}
_STD_STREAMS = {("os", "Stdout"), ("os", "Stderr")}
_BUILTINS = (b"print", b"println")
# `if debug {`, `if *verbose {`, `if t.trace {`, `if testing.Verbose() {`: deliberate output.
_GUARD = re.compile(rb"debug|verbose|trace|dump|logging|\*\s*[A-Za-z_]", re.IGNORECASE)
_OUTPUT_NAME = re.compile(
    rb"print|dump|debug|trace|show|log|usage|help|report|list|display|write|output|render|describe|"
    rb"summar|banner|emit|verbose", re.IGNORECASE)
_CRASH_NAME = re.compile(rb"throw|fatal|panic|exit|abort|crash|fail", re.IGNORECASE)
_NOT_LIBRARY_DIRS = re.compile(r"(^|[/\\])(cmd|examples?)[/\\]")
# Only what is true of the place: "every pass" needs a loop, "every request" a handler.
_HOW_OFTEN = {
    "loop": "on every pass (a syscall each time, serialised across goroutines)",
    "handler": "on every request (a syscall each time, serialised across goroutines)",
    "goroutine": "from every goroutine that runs it (a syscall, serialised with all other output)",
}
_PURE = frozenset({"identifier", "interpreted_string_literal", "raw_string_literal", "int_literal",
                   "float_literal", "selector_expression", "true", "false", "nil", "rune_literal"})


def summarize(unit: Unit) -> Iterator[Fact]:
    # A package-level func named print/println shadows the builtin for the whole file.
    node = unit.node
    if node.type == "function_declaration":
        name = node.child_by_field_name("name")
        if name is not None and name.text in _BUILTINS:
            yield FuncDecl(name.text.decode())


def check(unit: Unit) -> Iterator[Report]:
    file = unit.file
    # Test files: off by default through the rule's `tests = false` ([tests] enable turns it on).
    if file.package == "main" or not _library_file(file.path):
        return
    packages = {name.encode() for path in ("fmt", "log") for name in file.names_for(path)}
    for call in unit.nodes("call_expression"):
        function = call.child_by_field_name("function")
        if function is None:
            continue
        if function.type == "identifier":
            if function.text not in _BUILTINS:
                continue
        else:
            parts = selector_parts(function)
            if parts is None or parts[0].text not in packages or not parts[1].startswith(("Print", "Fprint")):
                continue  # cheap filter before call_target's shadowing walk
        context = _hot_context(call, unit)
        if context is None or _guarded(call) or _printing_function(call) or _before_crash(call):
            continue
        printed = _printer(call, unit)
        if printed is None:
            continue
        where, phrase = context
        args = call_arguments(call)
        pure = all(_is_pure(a) for a in args)
        first = args[0] if args and args[0].type in ("interpreted_string_literal", "raw_string_literal") else None
        replacement = "slog.Debug" if not file.go_below(21) else "trace.Log"
        yield unit.report(
            call.child_by_field_name("function"),
            f"{printed} {phrase} looks like leftover debugging: it writes unbuffered {_HOW_OFTEN[where]}; "
            f"remove it or use {replacement} "
            "(or trace.Log to see it in an execution trace)",
            data={"function": printed, "where": where,
                  "pure_args": pure, "message": unit.text(first) if first is not None else None,
                  "replacement": replacement, "variant": "delete" if pure else "slog"},
        )


def _library_file(path: str | None) -> bool:
    if not path:
        return True
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if _OUTPUT_NAME.search(name.encode("utf-8", "surrogateescape")):  # a file name need not be UTF-8
        return False  # files about output (printer.go, debug.go)
    return not _NOT_LIBRARY_DIRS.search(path)


def _printer(call: Node, unit: Unit) -> str | None:
    """How the print is spelled, when `call` prints to stdout/stderr."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "identifier":
        if function.text not in _BUILTINS or FuncDecl(function.text.decode()) in unit.file.facts:
            return None
        return None if is_shadowed(function, function.text.decode(), unit.file) else function.text.decode()
    target = call_target(call, unit.file)
    if target is None:
        return None
    if target in _PRINTS:
        return f"{target[0]}.{target[1]}"
    if target in _FPRINTS:
        args = call_arguments(call)
        if args and package_member(args[0], unit.file) in _STD_STREAMS:
            return f"fmt.{target[1]}({unit.text(args[0])}, ...)"
    return None


def _hot_context(call: Node, unit: Unit) -> tuple[str, str] | None:
    """Loop, goroutine or handler (with how to say it), judged within the innermost function:
    a print in a callback defined in a loop is not itself in the loop."""
    node = call.parent
    while node is not None and node.type not in FUNCTION_TYPES:
        if node.type == "for_statement":
            return "loop", "in a loop"
        node = node.parent
    if node is None:
        return None
    if node.type == "func_literal":
        if start_of_literal(node, unit) is not None:
            return "goroutine", "in a goroutine"
    if as_handler(node, unit.file) is not None:
        return "handler", "in an HTTP handler"
    return None


def _printing_function(call: Node) -> bool:
    """A function or method whose job is output (printTrace, dumpState, usage, a method of a
    `fieldsPrinter`): printing is what it is for."""
    function = enclosing_function(call)
    while function is not None:
        name = function.child_by_field_name("name")
        if name is not None and _OUTPUT_NAME.search(name.text):
            return True
        receiver = function.child_by_field_name("receiver") if function.type == "method_declaration" else None
        if receiver is not None and _OUTPUT_NAME.search(receiver.text):
            return True
        function = enclosing_function(function)
    return False


def _before_crash(call: Node) -> bool:
    """Diagnostics printed right before a throw/panic/exit in the same block or an enclosing
    one: the message explaining the crash, not debugging."""
    node = call
    while node is not None and node.type not in FUNCTION_TYPES:
        parent = node.parent
        if parent is not None and parent.type == "statement_list":
            seen = False
            for sibling in parent.named_children:
                if sibling == node:
                    seen = True
                elif seen and sibling.type == "expression_statement" and sibling.named_children and \
                        sibling.named_children[0].type == "call_expression":
                    callee = sibling.named_children[0].child_by_field_name("function")
                    if callee is not None and _CRASH_NAME.search(callee.text.rsplit(b".", 1)[-1]):
                        return True
        node = parent
    return False


def _guarded(call: Node) -> bool:
    node = call.parent
    while node is not None:
        if node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            if condition is not None and _GUARD.search(condition.text):
                return True
        node = node.parent
    return False


def _is_pure(arg: Node) -> bool:
    # A stack, not recursion: `len(len(...))` nests as deep as the input does.
    stack = [arg]
    while stack:
        node = stack.pop()
        if node.type in _PURE:
            continue
        if node.type != "call_expression":
            return False
        function = node.child_by_field_name("function")
        if function is None or function.type != "identifier" or function.text not in (b"len", b"cap"):
            return False
        stack.extend(call_arguments(node))
    return True
