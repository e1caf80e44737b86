"""File-level facts read from the top of a Go file: package, imports, build-tag Go version,
generated-file marker. Computed from the tree's top-level nodes only (cheap on every edit)."""

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from golens.document.goversion import GoVersion

# https://go.dev/s/generatedcode: the marker must appear before the package clause.
GENERATED_MARKER = re.compile(rb"^// Code generated .* DO NOT EDIT\.\r?$", re.MULTILINE)
_BUILD_LINE = re.compile(rb"^//go:build (.+?)\r?$", re.MULTILINE)
_BUILD_GO_TERM = re.compile(r"(?:^|&&|\()\s*go1\.(\d+)\s*(?=&&|\)|$)")


def is_generated(source: bytes) -> bool:
    """True when a `// Code generated ... DO NOT EDIT.` line precedes the package clause.

    Runs on raw bytes, before any parse, so that huge generated files cost nothing."""
    package = re.search(rb"^package\s", source[: 1 << 20], re.MULTILINE)
    head = source[: package.start()] if package else source[: 1 << 16]
    return GENERATED_MARKER.search(head) is not None


def build_expression(source: bytes) -> str | None:
    """The expression of the `//go:build` line above the package clause, if there is one."""
    package = re.search(rb"^package\s", source[: 1 << 20], re.MULTILINE)
    head = source[: package.start()] if package else b""
    match = _BUILD_LINE.search(head)
    return match[1].decode("utf-8", "replace") if match else None


def build_tag_go_version(source: bytes) -> GoVersion | None:
    """The minimum Go version a `//go:build` line requires, when it is a plain conjunction."""
    expr = build_expression(source)
    if expr is None:
        return None
    if "||" in expr or "!go1" in expr:
        return None
    versions = [int(m) for m in _BUILD_GO_TERM.findall(expr)]
    return GoVersion(1, max(versions)) if versions else None


@dataclass(frozen=True)
class Import:
    path: str
    name: str | None  # explicit alias, "_" or "."; None when the package's own name is used
    start: int
    end: int

    @property
    def local_name(self) -> str:
        """The identifier this file uses for the package (last path element without an alias;
        a version suffix like /v2 is skipped, as the go tool does for most modules)."""
        if self.name:
            return self.name
        parts = self.path.split("/")
        last = parts[-1]
        if re.fullmatch(r"v\d+", last) and len(parts) > 1:
            last = parts[-2]
        return last.removeprefix("go-").replace("-", "_").replace(".", "_")


@dataclass(frozen=True)
class FileHeader:
    package: str | None
    imports: tuple[Import, ...] = field(default=())

    def alias_map(self) -> dict[str, str]:
        """Local name -> import path, without blank and dot imports."""
        return {imp.local_name: imp.path for imp in self.imports if imp.name not in ("_", ".")}

    def dot_imports(self) -> frozenset[str]:
        return frozenset(imp.path for imp in self.imports if imp.name == ".")

    def local_names(self, import_path: str) -> tuple[str, ...]:
        return tuple(imp.local_name for imp in self.imports if imp.path == import_path and imp.name not in ("_", "."))


def _string_value(node: Node) -> str:
    text = (node.text or b"").decode("utf-8", "replace")
    return text[1:-1] if len(text) >= 2 else text


def parse_header(root: Node) -> FileHeader:
    package = None
    imports: list[Import] = []
    for child in root.named_children:
        kind = child.type
        if kind == "package_clause":
            for part in child.named_children:
                if part.type == "package_identifier":
                    package = (part.text or b"").decode("utf-8", "replace")
        elif kind == "import_declaration":
            specs = [c for c in child.named_children if c.type == "import_spec"]
            for spec_list in (c for c in child.named_children if c.type == "import_spec_list"):
                specs.extend(c for c in spec_list.named_children if c.type == "import_spec")
            for spec in specs:
                path = spec.child_by_field_name("path")
                if path is None or path.has_error:
                    continue
                name_node = spec.child_by_field_name("name")
                name = (name_node.text or b"").decode("utf-8", "replace") if name_node is not None else None
                imports.append(Import(_string_value(path), name, spec.start_byte, spec.end_byte))
        elif kind in ("function_declaration", "method_declaration", "type_declaration",
                      "var_declaration", "const_declaration"):
            # Imports must precede declarations; stop early on big files.
            break
    return FileHeader(package, tuple(imports))
