"""How long a goroutine is meant to live, as its starting code says: started once per process
(inside `sync.Once.Do`, `sync.OnceFunc`, a singleflight `Do`) or from a process-lifetime
function (`main`, `init`, a daemon's `Run`/`Serve`/`Start` method). Goroutines like these are
supposed to outlive any request and to run until the process exits."""

import re

from tree_sitter import Node

from golens.syntax.calls import function_name, selector_parts
from golens.syntax.unit import FUNCTION_TYPES, FileContext

ENTRY_POINTS = frozenset({"main", "init"})
# A daemon's entry points: main builds the service and calls one of these, which runs until
# shutdown. Functions in other packages cannot see main, so the name is the evidence.
PROCESS_LIFETIME_METHODS = frozenset({"Run", "Serve", "Start", "ListenAndServe"})
# Receivers of a `Do` that runs its function once: sync.Once fields, singleflight groups.
_ONCE_RECEIVER = re.compile(rb"once|flight|group", re.IGNORECASE)


def started_once(node: Node) -> bool:
    """`node` runs inside a function literal handed to `x.Do(...)` (sync.Once, singleflight) or
    to `sync.OnceFunc`/`OnceValue`: at most once per key, however often the caller runs."""
    current = node.parent
    while current is not None:
        if current.type == "func_literal":
            arguments = current.parent
            call = arguments.parent if arguments is not None and arguments.type == "argument_list" else None
            callee = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
            parts = selector_parts(callee) if callee is not None else None
            if parts is not None and (parts[1] in ("OnceFunc", "OnceValue", "OnceValues") or (
                    parts[1] == "Do" and _ONCE_RECEIVER.search(parts[0].text or b""))):
                return True
        current = current.parent
    return False


def is_process_lifetime(function: Node, file: FileContext) -> bool:
    """`main` in package main, any `init`, or a method named like a daemon's entry point."""
    if function.type not in FUNCTION_TYPES or function.type == "func_literal":
        return False
    name = function_name(function)
    if function.type == "function_declaration":
        return name == "init" or (name == "main" and file.package == "main")
    return name in PROCESS_LIFETIME_METHODS
