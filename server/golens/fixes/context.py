"""What every fix needs: the finding's node, statements, indentation, names in scope, imports."""

from tree_sitter import Node

from golens.document import Document, TextEdit
from golens.findings import Finding
from golens.syntax.tree import enclosing_function
from golens.syntax.unit import walk_named

_STATEMENT_PARENTS = ("statement_list", "source_file")


class FixContext:
    def __init__(self, doc: Document, finding: Finding):
        self.doc = doc
        self.finding = finding
        self.data = finding.data or {}

    # -- where -----------------------------------------------------------------------------------

    @property
    def node(self) -> Node:
        """The smallest node covering the finding's range."""
        return self.doc.tree.root_node.descendant_for_byte_range(self.finding.start, self.finding.end)

    def named_node(self, *types: str) -> Node | None:
        """The finding's node or its nearest ancestor of one of these types."""
        node = self.node
        while node is not None and node.type not in types:
            node = node.parent
        return node

    def statement(self, node: Node | None = None) -> Node | None:
        """The statement (a direct child of a statement list) that contains `node`."""
        node = node or self.node
        while node is not None and node.parent is not None and node.parent.type not in _STATEMENT_PARENTS:
            node = node.parent
        if node is None or node.parent is None:
            return None
        return node

    def function(self) -> Node | None:
        return enclosing_function(self.node)

    def touches_error(self) -> bool:
        """Refuse fixes around broken code: tree-sitter's recovery makes ranges unreliable there
        (gopls once deleted most of a file applying a fix on a syntax error)."""
        function = self.function()
        scope = function if function is not None else self.statement()
        return scope is not None and scope.has_error

    # -- text ------------------------------------------------------------------------------------

    def text(self, node: Node) -> str:
        return self.doc.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def indent_at(self, offset: int) -> str:
        line = self.doc.lines.position(offset)[0]
        text = self.doc.line_text(line)
        return text[: len(text) - len(text.lstrip(b" \t"))].decode()

    def insert_after(self, statement: Node, code: str) -> TextEdit:
        """A new statement on the line after `statement`, at its indentation (after a trailing
        comment, which stays with the statement it explains)."""
        end = statement.end_byte
        line_end = self.doc.lines.line_end(self.doc.lines.position(end)[0])
        rest = self.doc.source[end:line_end].strip()
        if not rest or rest.startswith(b"//"):
            end = line_end
        return TextEdit(end, end, f"\n{self.indent_at(statement.start_byte)}{code}".encode())

    def starts_line(self, node: Node) -> bool:
        """Nothing but indentation before `node` on its first line."""
        start = self.doc.lines.line_start(node.start_point[0])
        return not self.doc.source[start:node.start_byte].strip()

    def ends_line(self, node: Node) -> bool:
        """Nothing but blanks or a line comment after `node` on its last line."""
        rest = self.doc.source[node.end_byte:self.doc.lines.line_end(node.end_point[0])].strip()
        return not rest or rest.startswith(b"//")

    def own_lines(self, statement: Node) -> str | None:
        """The statement's text with its trailing line comment (which moves with it), when it
        sits alone on its lines; None otherwise."""
        if not self.starts_line(statement) or not self.ends_line(statement):
            return None
        end = self.doc.lines.line_end(statement.end_point[0])
        return self.doc.source[statement.start_byte:end].decode("utf-8", "replace").rstrip()

    def insert_before(self, statement: Node, code: str) -> TextEdit:
        """A new statement on its own line before `statement` (which starts its line), at its
        indentation."""
        at = self.doc.lines.line_start(statement.start_point[0])
        return TextEdit(at, at, f"{self.indent_at(statement.start_byte)}{code}\n".encode())

    def delete_statement(self, statement: Node) -> TextEdit:
        """Remove a statement that sits alone on its lines, with its line break."""
        lines = self.doc.lines
        first = lines.position(statement.start_byte)[0]
        last = lines.position(statement.end_byte)[0]
        start = lines.line_start(first)
        end = lines.line_start(last + 1) if last + 1 < lines.line_count else lines.line_end(last)
        return TextEdit(start, end, b"")

    # -- names -----------------------------------------------------------------------------------

    def names_in(self, node: Node | None) -> set[str]:
        if node is None:
            return set()
        return {n.text.decode() for n in walk_named(node) if n.type == "identifier"}

    def free_name(self, preferred: str, scope: Node | None = None) -> str:
        """`preferred`, or preferred2, preferred3... when the function already uses the name."""
        scope = scope or self.function()
        used = self.names_in(scope)
        if preferred not in used:
            return preferred
        n = 2
        while f"{preferred}{n}" in used:
            n += 1
        return f"{preferred}{n}"

    # -- imports ---------------------------------------------------------------------------------

    def package_name(self, import_path: str) -> str | None:
        """The name this file uses for an import, if it imports it."""
        names = self.doc.header.local_names(import_path)
        return names[0] if names else None

    def ensure_import(self, import_path: str) -> tuple[str, list[TextEdit]]:
        """(name to use, edits adding the import if missing), keeping gofmt's sorted order."""
        existing = self.package_name(import_path)
        if existing is not None:
            return existing, []
        name = import_path.rsplit("/", 1)[-1]
        root = self.doc.tree.root_node
        declarations = [c for c in root.named_children if c.type == "import_declaration"]
        spec_text = f'"{import_path}"'
        if not declarations:
            package = next((c for c in root.named_children if c.type == "package_clause"), None)
            at = package.end_byte if package is not None else 0
            return name, [TextEdit(at, at, f"\n\nimport {spec_text}".encode())]
        block = next((c for d in declarations for c in d.named_children if c.type == "import_spec_list"), None)
        if block is None:
            # `import "x"` becomes a block so that the new path can sit beside it.
            first = declarations[0]
            spec = next(c for c in first.named_children if c.type == "import_spec")
            specs = sorted([self.text(spec), spec_text], key=_import_sort_key)
            body = "".join(f"\t{s}\n" for s in specs)
            return name, [TextEdit(first.start_byte, first.end_byte, f"import (\n{body})".encode())]
        specs = [c for c in block.named_children if c.type == "import_spec"]
        # gofmt sorts each group (separated by blank lines); join the first group.
        group = _first_group(self.doc, specs)
        for spec in group:
            if _import_sort_key(spec_text) < _import_sort_key(self.text(spec)):
                at = self.doc.lines.line_start(spec.start_point[0])
                return name, [TextEdit(at, at, f"\t{spec_text}\n".encode())]
        last = group[-1] if group else None
        if last is None:
            at = block.start_byte + 1
            return name, [TextEdit(at, at, f"\n\t{spec_text}".encode())]
        return name, [TextEdit(last.end_byte, last.end_byte, f"\n\t{spec_text}".encode())]


def _import_sort_key(spec_text: str) -> str:
    path = spec_text.split('"')[1] if '"' in spec_text else spec_text
    return path


def _first_group(doc: Document, specs: list[Node]) -> list[Node]:
    group: list[Node] = []
    for spec in specs:
        if group and spec.start_point[0] > group[-1].end_point[0] + 1:
            break
        group.append(spec)
    return group


def pick_context(ctx: FixContext) -> str | None:
    """The context a fix should pass (catalog §0.8): the request's in a handler, else a
    context.Context parameter, else a local `ctx` declared before the finding; None otherwise."""
    from golens.syntax.bindings import context_parameter
    from golens.syntax.handlers import enclosing_handler, request_context_names
    from golens.syntax.unit import FileContext

    file = FileContext.of(ctx.doc)
    node = ctx.node
    handler = enclosing_handler(node, file)
    if handler is not None:
        names = _declared_before(request_context_names(handler, file), handler.function, node)
        if names:
            return "ctx" if "ctx" in names else sorted(names)[0]
        if handler.request:
            return f"{handler.request}.Context()"
    function = enclosing_function(node)
    while function is not None:
        parameter = context_parameter(function, file)
        if parameter is not None:
            return parameter
        if _declared_before({"ctx"}, function, node):
            return "ctx"
        function = enclosing_function(function)
    return None


def _declared_before(names: set[str], function: Node, use: Node) -> set[str]:
    found = set()
    body = function.child_by_field_name("body")
    if body is None:
        return found
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte >= use.start_byte:
            break
        if node.type == "short_var_declaration" and node.end_byte <= use.start_byte:
            left = node.child_by_field_name("left")
            for ident in left.named_children if left is not None else ():
                if ident.type == "identifier" and ident.text.decode() in names:
                    found.add(ident.text.decode())
    return found


def drop_unused_import(ctx: FixContext, import_path: str, removed: list[tuple[int, int]]) -> list[TextEdit] | None:
    """Edits deleting the import of `import_path` when the fix's `removed` byte ranges held
    every use of it (Go refuses to compile an unused import): [] when it stays in use or is not
    imported, None when its spec sits where a clean deletion is not obvious (a trailing comment,
    an alias shared by another spec) and the fix had better not be offered."""
    header = ctx.doc.header
    specs = [i for i in header.imports if i.path == import_path and i.name not in ("_", ".")]
    if len(specs) != 1:
        return [] if not specs else None
    name = specs[0].local_name.encode()
    root = ctx.doc.tree.root_node
    for node in walk_named(root):
        if node.type == "import_declaration":
            continue
        if node.type in ("identifier", "package_identifier") and node.text == name and \
                not any(start <= node.start_byte and node.end_byte <= end for start, end in removed):
            if not _inside_import(node):
                return []
    spec = root.descendant_for_byte_range(specs[0].start, specs[0].end)
    while spec is not None and spec.type != "import_spec":
        spec = spec.parent
    if spec is None:
        return None
    lines = ctx.doc.lines
    row = spec.start_point[0]
    if spec.end_point[0] != row or ctx.doc.source[spec.end_byte:lines.line_end(row)].strip():
        return None
    block = spec.parent if spec.parent is not None and spec.parent.type == "import_spec_list" else None
    siblings = [c for c in block.named_children] if block is not None else [spec]
    if any(c.type == "comment" for c in siblings):
        return None  # comments in the block may belong to the spec; leave such blocks alone
    if len(siblings) == 1:
        declaration = spec.parent if block is None else block.parent
        return [_delete_lines(ctx, declaration, blank_after=True)]
    index = siblings.index(spec)
    previous = siblings[index - 1] if index > 0 else None
    following = siblings[index + 1] if index + 1 < len(siblings) else None
    blank_before = previous is not None and row > previous.end_point[0] + 1
    blank_after = following is not None and following.start_point[0] > row + 1
    if previous is not None and not blank_before:
        # From the end of the previous spec: an insertion ensure_import makes after either one
        # then touches this deletion instead of falling inside it.
        return [TextEdit(previous.end_byte, spec.end_byte, b"")]
    if previous is None and not blank_after:
        opening = block.children[0]
        return [TextEdit(opening.end_byte, spec.end_byte, b"")]
    # Alone in its group: take one of the blank lines that separated the group with it.
    start = lines.line_start(row - 1) if blank_before and (blank_after or following is None) else lines.line_start(row)
    end = lines.line_start(row + 1)
    if blank_after and not blank_before:
        end = lines.line_start(row + 2)
    return [TextEdit(start, end, b"")]


def _inside_import(node: Node) -> bool:
    while node is not None:
        if node.type == "import_declaration":
            return True
        node = node.parent
    return False


def _delete_lines(ctx: FixContext, node: Node, blank_after: bool) -> TextEdit:
    """Remove `node`'s lines, and the blank line after them when there is one."""
    lines = ctx.doc.lines
    first, last = node.start_point[0], node.end_point[0]
    end_row = last + 1
    if blank_after and end_row < lines.line_count and not ctx.doc.line_text(end_row).strip():
        end_row += 1
    end = lines.line_start(end_row) if end_row < lines.line_count else len(ctx.doc.source)
    return TextEdit(lines.line_start(first), end, b"")


def update_imports(ctx: FixContext, add: tuple[str, ...] = (), drop: tuple[str, ...] = (),
                   removed: list[tuple[int, int]] = ()) -> tuple[dict[str, str], list[TextEdit]] | None:
    """Add imports and delete the ones the fix leaves unused, as one edit of the import
    region. Adding and deleting in the same block would give edits that touch each other, so
    the deletions are applied first and the additions computed on the result.

    Returns ({import path: name to use} for `add`, edits), or None when an import cannot be
    deleted cleanly (then the fix should not be offered)."""
    deletions: list[TextEdit] = []
    for path in drop:
        found = drop_unused_import(ctx, path, list(removed))
        if found is None:
            return None
        deletions.extend(found)
    source = ctx.doc.source
    region_end = _import_region_end(ctx.doc.tree.root_node)
    from golens.fixes import apply_edits

    current = apply_edits(source, deletions)
    names: dict[str, str] = {}
    for path in add:
        doc = Document(current, ctx.doc.path, module_go_version=ctx.doc.module_go_version)
        name, edits = FixContext(doc, ctx.finding).ensure_import(path)
        names[path] = name
        current = apply_edits(current, edits)
    delta = len(current) - len(source)
    if current[region_end + delta:] != source[region_end:]:
        return None
    old, new = source[:region_end], current[:region_end + delta]
    if old == new:
        return names, []
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return names, [TextEdit(prefix, len(old) - suffix, new[prefix:len(new) - suffix])]


def _import_region_end(root: Node) -> int:
    end = 0
    for child in root.named_children:
        if child.type in ("package_clause", "import_declaration"):
            end = child.end_byte
        elif child.type != "comment":
            break
    return end
