"""Import edits for fixes: adding an import where gofmt would put it, and deleting the ones a
fix leaves unused (Go refuses to compile those)."""

from collections.abc import Sequence

from tree_sitter import Node

from golens.document import Document, TextEdit
from golens.fixes import apply_edits
from golens.fixes.context import FixContext
from golens.syntax.unit import walk_named


def _root(ctx: FixContext) -> Node:
    tree = ctx.doc.tree
    assert tree is not None, "fixes are computed only for parsed documents (see fixes_for)"
    return tree.root_node


def ensure_import(ctx: FixContext, import_path: str) -> tuple[str, list[TextEdit]]:
    """(name to use, edits adding the import if missing), keeping gofmt's sorted order."""
    existing = ctx.package_name(import_path)
    if existing is not None:
        return existing, []
    name = import_path.rsplit("/", 1)[-1]
    root = _root(ctx)
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
        texts = sorted([ctx.text(spec), spec_text], key=_import_sort_key)
        body = "".join(f"\t{text}\n" for text in texts)
        return name, [TextEdit(first.start_byte, first.end_byte, f"import (\n{body})".encode())]
    specs = [c for c in block.named_children if c.type == "import_spec"]
    # gofmt sorts each group (separated by blank lines); join the first group.
    group = _first_group(ctx.doc, specs)
    for spec in group:
        if _import_sort_key(spec_text) < _import_sort_key(ctx.text(spec)):
            at = ctx.doc.lines.line_start(spec.start_point[0])
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
    root = _root(ctx)
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
        return [_delete_lines(ctx, declaration, blank_after=True)] if declaration is not None else None
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
        assert block is not None  # a spec without a block has no siblings
        opening = block.children[0]
        return [TextEdit(opening.end_byte, spec.end_byte, b"")]
    # Alone in its group: take one of the blank lines that separated the group with it.
    start = lines.line_start(row - 1) if blank_before and (blank_after or following is None) else lines.line_start(row)
    end = lines.line_start(row + 1)
    if blank_after and not blank_before:
        end = lines.line_start(row + 2)
    return [TextEdit(start, end, b"")]


def _inside_import(node: Node | None) -> bool:
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
                   removed: Sequence[tuple[int, int]] = ()) -> tuple[dict[str, str], list[TextEdit]] | None:
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
    region_end = _import_region_end(_root(ctx))
    current = apply_edits(source, deletions)
    names: dict[str, str] = {}
    for path in add:
        doc = Document(current, ctx.doc.path, module_go_version=ctx.doc.module_go_version)
        name, edits = ensure_import(FixContext(doc, ctx.finding), path)
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
