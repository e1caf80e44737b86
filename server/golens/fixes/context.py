"""What every fix needs: the finding's node, statements, indentation, names in scope, imports."""

from tree_sitter import Node

from golens.document import Document, TextEdit
from golens.findings import Finding
from golens.syntax.tree import enclosing_function, text
from golens.syntax.unit import walk_named

_STATEMENT_PARENTS = ("statement_list", "source_file")


class FixContext:
    def __init__(self, doc: Document, finding: Finding):
        self.doc = doc
        self.finding = finding
        self.data = finding.data or {}

    # -- where -----------------------------------------------------------------------------------

    @property
    def root(self) -> Node:
        tree = self.doc.tree
        assert tree is not None, "fixes are computed only for parsed documents (see fixes_for)"
        return tree.root_node

    @property
    def node(self) -> Node:
        """The smallest node covering the finding's range."""
        node = self.root.descendant_for_byte_range(self.finding.start, self.finding.end)
        assert node is not None, "a finding lies inside its document"
        return node

    def named_node(self, *types: str) -> Node | None:
        """The finding's node or its nearest ancestor of one of these types."""
        node: Node | None = self.node
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
        return {text(n) for n in walk_named(node) if n.type == "identifier"}

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
    found: set[str] = set()
    body = function.child_by_field_name("body")
    if body is None:
        return found
    for node in walk_named(body, skip_function_literals=True):
        if node.start_byte >= use.start_byte:
            break
        if node.type == "short_var_declaration" and node.end_byte <= use.start_byte:
            left = node.child_by_field_name("left")
            for ident in left.named_children if left is not None else ():
                if ident.type == "identifier" and text(ident) in names:
                    found.add(text(ident))
    return found
