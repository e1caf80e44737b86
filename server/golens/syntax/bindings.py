"""What a name is bound to, from syntactic evidence only (catalog §0.2): our stand-in for types.

Never guess: a name without evidence has no kind, and checks that need a kind stay silent.
"""

from collections.abc import Iterator

from tree_sitter import Node

from golens.syntax.calls import call_target, package_member, selector_parts
from golens.syntax.facts import BoolConst, EmbeddedKind, FieldKind, FieldType, VarKind
from golens.syntax.tree import enclosing_function, unparen
from golens.syntax.unit import FileContext, Unit, walk_named

# (import path, type name) -> kind; pointer or not does not matter for what the checks ask.
TYPE_KINDS = {
    ("database/sql", "DB"): "SQLDB",
    ("database/sql", "Tx"): "SQLTX",
    ("database/sql", "Conn"): "SQLCONN",
    ("database/sql", "Stmt"): "SQLSTMT",
    ("net/http", "Client"): "HTTPCLIENT",
    ("net/http", "Request"): "REQ",
    ("net/http", "ResponseWriter"): "RW",
    ("time", "Ticker"): "TICKER",
    ("time", "Timer"): "TIMER",
    ("context", "Context"): "CTX",
    ("context", "CancelFunc"): "CANCEL",
    ("sync", "WaitGroup"): "WAITGROUP",
    ("sync", "Mutex"): "MUTEX",
    ("sync", "RWMutex"): "RWMUTEX",
    ("sync", "Once"): "ONCE",
    ("sync", "Cond"): "COND",
    ("sync", "Pool"): "POOL",
    ("golang.org/x/sync/errgroup", "Group"): "ERRGROUP",
}
# Package functions whose (first) result has a known kind.
CONSTRUCTOR_KINDS = {
    ("database/sql", "Open"): "SQLDB",
    ("database/sql", "OpenDB"): "SQLDB",
    ("time", "NewTicker"): "TICKER",
    ("time", "NewTimer"): "TIMER",
    ("sync", "NewCond"): "COND",
    ("golang.org/x/sync/errgroup", "WithContext"): "ERRGROUP",
}
# Methods on a bound receiver whose result has a known kind.
METHOD_KINDS = {
    ("SQLDB", "Begin"): "SQLTX", ("SQLDB", "BeginTx"): "SQLTX",
    ("SQLCONN", "BeginTx"): "SQLTX",
    ("SQLDB", "Conn"): "SQLCONN",
    ("SQLDB", "Prepare"): "SQLSTMT", ("SQLDB", "PrepareContext"): "SQLSTMT",
    ("SQLTX", "Prepare"): "SQLSTMT", ("SQLTX", "PrepareContext"): "SQLSTMT",
}
_PREDECLARED_TYPES = frozenset({
    b"bool", b"byte", b"complex64", b"complex128", b"error", b"float32", b"float64", b"int", b"int8", b"int16",
    b"int32", b"int64", b"rune", b"string", b"uint", b"uint8", b"uint16", b"uint32", b"uint64", b"uintptr", b"any",
})
# Package-level variables with a known kind.
VARIABLE_KINDS = {("net/http", "DefaultClient"): "HTTPCLIENT"}


def type_kind(type_node: Node | None, file: FileContext) -> str | None:
    """Kind of a type expression: `*sql.DB`, `sql.DB`, `*http.Client`, ..."""
    while type_node is not None and type_node.type in ("pointer_type", "parenthesized_type"):
        type_node = type_node.named_children[0] if type_node.named_children else None
    if type_node is None or type_node.type != "qualified_type":
        return None
    package = type_node.child_by_field_name("package")
    name = type_node.child_by_field_name("name")
    if package is None or name is None:
        return None
    path = file.import_path(package.text.decode())
    return TYPE_KINDS.get((path, name.text.decode())) if path else None


def value_kind(value: Node | None, unit: Unit, at: Node | None = None) -> str | None:
    """Kind of an expression's value (the first result, for multi-value calls)."""
    if value is None:
        return None
    kind = value.type
    if kind == "unary_expression" and value.text.startswith(b"&"):
        operand = value.child_by_field_name("operand")
        return value_kind(operand, unit, at)
    if kind == "composite_literal":
        return type_kind(value.child_by_field_name("type"), unit.file)
    if kind == "call_expression":
        target = call_target(value, unit.file)
        if target is not None:
            return CONSTRUCTOR_KINDS.get(target)
        function = value.child_by_field_name("function")
        if function is not None and function.type == "identifier" and function.text == b"new":
            args = value.child_by_field_name("arguments")
            first = args.named_children[0] if args is not None and args.named_children else None
            return type_kind(first, unit.file)
        parts = selector_parts(function)
        if parts is not None:
            receiver_kind = expression_kind(parts[0], unit)
            return METHOD_KINDS.get((receiver_kind, parts[1])) if receiver_kind else None
        return None
    if kind == "selector_expression":
        member = package_member(value, unit.file)
        if member is not None:
            return VARIABLE_KINDS.get(member)
        return expression_kind(value, unit)
    if kind == "identifier":
        return expression_kind(value, unit)
    return None


def expression_kind(expr: Node, unit: Unit) -> str | None:
    """Kind of an identifier or `x.field` used at `expr`."""
    if expr.type == "identifier":
        return _identifier_kind(expr, unit)
    if expr.type == "selector_expression":
        member = package_member(expr, unit.file)
        if member is not None:
            return VARIABLE_KINDS.get(member)
        parts = selector_parts(expr)
        if parts is None:
            return None
        return field_kind(parts[1], unit.file, struct_type_of(parts[0], unit.file))
    if expr.type == "parenthesized_expression" and expr.named_children:
        inner = unparen(expr)  # a loop: `((((x))))` must not recurse once per parenthesis
        return expression_kind(inner, unit) if inner.type != "parenthesized_expression" else None
    return None


def field_kind(field: str, file: FileContext, struct: str | None = None) -> str | None:
    """A struct field's kind: in `struct` when the operand's struct type is known and declares
    the field, else when every struct of the package that declares the field agrees."""
    declared = [fact for fact in file.facts.of(FieldKind) if fact.field == field]
    if struct is not None:
        own = {fact.kind for fact in declared if fact.struct == struct}
        if own:
            return own.pop() if len(own) == 1 else None
    kinds = {fact.kind for fact in declared}
    return kinds.pop() if len(kinds) == 1 else None


def struct_type_of(operand: Node, file: FileContext | None = None) -> str | None:
    """The named type of `operand` when it is a receiver or parameter declared as `T` or `*T`
    of a package-local type (`s` in `func (s *Server) ...`): enough to tell one struct's `mu`
    from another's. With the file's facts, also a field of such a struct whose type is declared
    in the package (`r.client`, a `client *conn` field of r's struct)."""
    operand = unparen(operand)
    if operand.type == "selector_expression" and file is not None:
        parts = selector_parts(operand)
        owner = struct_type_of(parts[0], file) if parts is not None else None
        if owner is None or parts is None:
            return None
        types = {f.type for f in file.facts.by_name(FieldType).get(owner, ()) if f.field == parts[1]}
        return types.pop() if len(types) == 1 else None
    if operand.type != "identifier":
        return None
    name = operand.text
    function = enclosing_function(operand)
    while function is not None:
        for part in ("receiver", "parameters"):
            params = function.child_by_field_name(part)
            for decl in params.named_children if params is not None else ():
                if not any(n.text == name for n in decl.children_by_field_name("name")):
                    continue
                type_node = decl.child_by_field_name("type")
                while type_node is not None and type_node.type in ("pointer_type", "parenthesized_type"):
                    type_node = type_node.named_children[0] if type_node.named_children else None
                if type_node is not None and type_node.type == "generic_type":
                    type_node = type_node.child_by_field_name("type")
                return type_node.text.decode() if type_node is not None and type_node.type == "type_identifier" \
                    else None
        if _declares_locally(function, name):
            return None
        function = enclosing_function(function)
    return None


def _declares_locally(function: Node, name: bytes) -> bool:
    body = function.child_by_field_name("body")
    if body is None:
        return False
    for node in walk_named(body, skip_function_literals=True):
        if node.type in ("short_var_declaration", "var_spec", "range_clause"):
            left = node.child_by_field_name("left")
            names = node.children_by_field_name("name") if node.type == "var_spec" else \
                (left.named_children if left is not None and left.type == "expression_list" else [left])
            if any(n is not None and n.text == name for n in names):
                return True
    return False


def _identifier_kind(identifier: Node, unit: Unit) -> str | None:
    name = identifier.text
    function = enclosing_function(identifier)
    while function is not None:
        found = _local_kind(function, name, identifier, unit)
        if found is not None:
            return found or None
        function = enclosing_function(function)
    decoded = name.decode()
    kinds = {fact.kind for fact in unit.file.facts.of(VarKind) if fact.name == decoded}
    return kinds.pop() if len(kinds) == 1 else None


def _local_kind(function: Node, name: bytes, use: Node, unit: Unit) -> str | None:
    """The kind of `name` as declared in `function` before `use`: a kind, "" when declared with
    no known kind (it shadows outer declarations), or None when not declared here."""
    for field in ("receiver", "parameters"):
        params = function.child_by_field_name(field)
        if params is None:
            continue
        for decl in params.named_children:
            if any(n.text == name for n in decl.children_by_field_name("name")):
                return type_kind(decl.child_by_field_name("type"), unit.file) or ""
    body = function.child_by_field_name("body")
    if body is None:
        return None
    found: str | None = None
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte >= use.start_byte:
            break
        if node.end_byte > use.start_byte:
            continue  # the use is inside this declaration (x = x.Next()): only earlier bindings count
        if node.type == "var_spec":
            names = list(node.children_by_field_name("name"))
            for index, n in enumerate(names):
                if n.text == name:
                    declared = type_kind(node.child_by_field_name("type"), unit.file)
                    values = node.child_by_field_name("value")
                    if declared is None and values is not None and index == 0 and values.named_children:
                        declared = value_kind(values.named_children[0], unit)
                    found = declared or ""
        elif node.type in ("short_var_declaration", "assignment_statement"):
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is None or right is None:
                continue
            lefts = left.named_children
            for index, n in enumerate(lefts):
                if n.type == "identifier" and n.text == name:
                    values = right.named_children
                    value = values[index] if len(values) == len(lefts) else (values[0] if index == 0 and values else None)
                    kind = value_kind(value, unit) if value is not None else None
                    if node.type == "short_var_declaration" or kind:
                        found = kind or ""
    return found


def summarize_bindings(unit: Unit) -> Iterator[FieldKind | FieldType | EmbeddedKind | VarKind | BoolConst]:
    """Facts for package-wide lookups: struct field kinds and local types, package-level
    variable kinds and boolean constants."""
    node = unit.node
    if node.type == "type_declaration":
        for field_decl in unit.nodes("field_declaration"):
            kind = type_kind(field_decl.child_by_field_name("type"), unit.file)
            if kind is None:
                local = _local_type_name(field_decl.child_by_field_name("type"))
                if local is not None:
                    struct = _struct_name(field_decl)
                    for n in field_decl.children_by_field_name("name"):
                        yield FieldType(struct, n.text.decode(), local)
                continue
            struct = _struct_name(field_decl)
            names = list(field_decl.children_by_field_name("name"))
            if names:
                for n in names:
                    yield FieldKind(struct, n.text.decode(), kind)
            else:  # embedded sync.Mutex: methods are promoted
                yield EmbeddedKind(struct, kind)
    elif node.type == "var_declaration":
        for spec in unit.nodes("var_spec"):
            kind = type_kind(spec.child_by_field_name("type"), unit.file)
            values = spec.child_by_field_name("value")
            if kind is None and values is not None and values.named_children:
                kind = value_kind(values.named_children[0], unit)
            if kind:
                for n in spec.children_by_field_name("name"):
                    yield VarKind(n.text.decode(), kind)
    elif node.type == "const_declaration":
        for spec in unit.nodes("const_spec"):
            names = spec.children_by_field_name("name")
            values = spec.child_by_field_name("value")
            # A spec without a value repeats the one above it (iota style): left unknown.
            if len(names) == 1 and values is not None and len(values.named_children) == 1 and \
                    values.named_children[0].type in ("true", "false"):
                yield BoolConst(names[0].text.decode(), values.named_children[0].type == "true")


def _local_type_name(type_node: Node | None) -> str | None:
    """`T` of a field typed `T` or `*T` (a type of the package: not qualified, not generic)."""
    if type_node is not None and type_node.type == "pointer_type" and type_node.named_children:
        type_node = type_node.named_children[0]
    if type_node is None or type_node.type != "type_identifier" or type_node.text in _PREDECLARED_TYPES:
        return None
    return type_node.text.decode()


def _struct_name(field_decl: Node) -> str:
    """The named type a field belongs to ("" inside an anonymous struct)."""
    node = field_decl.parent
    while node is not None and node.type != "type_spec":
        if node.type == "struct_type" and node.parent is not None and node.parent.type != "type_spec":
            return ""
        node = node.parent
    name = node.child_by_field_name("name") if node is not None else None
    return name.text.decode() if name is not None else ""


def context_parameter(function: Node, file: FileContext) -> str | None:
    """The name of the function's first named `context.Context` parameter."""
    params = function.child_by_field_name("parameters")
    for decl in params.named_children if params is not None else ():
        if type_kind(decl.child_by_field_name("type"), file) == "CTX":
            names = [n.text.decode() for n in decl.children_by_field_name("name") if n.text != b"_"]
            if names:
                return names[0]
    return None
