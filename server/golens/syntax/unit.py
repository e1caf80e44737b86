from collections import defaultdict
from collections.abc import Callable, Generator, Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from tree_sitter import Node

from golens.document.goversion import GoVersion
from golens.findings import Severity
from golens.syntax.facts import NO_FACTS, Facts
from golens.syntax.tree import FUNCTION_TYPES

T = TypeVar("T")


class Memo:
    """Values derived once from an owner that does not change while they are kept: a declaration
    (`Unit.memo`) or one check of a file (`FileContext.memo`). The one place derived syntax data
    is cached; a key is the function computing it, plus whatever the function is asked about."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[Hashable, object] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        values = self._values
        if key in values:
            return cast(T, values[key])
        value = values[key] = compute()
        return value


@dataclass(frozen=True)
class FileContext:
    """What every check may know about the file beyond the declaration it is looking at.

    `facts` is the union of every declaration's summary in the package (see checks' optional
    `summarize` and `golens.syntax.facts`), so that a check can ask about other declarations
    without walking them again. `memo` holds what is derived from this check's tree."""

    path: str | None
    package: str | None
    imports: tuple[tuple[str, str], ...]  # (local name, import path), blank and dot imports excluded
    dot_imports: frozenset[str]
    go_version: GoVersion | None
    is_test: bool
    facts: Facts = NO_FACTS
    go_wrappers: frozenset[str] = frozenset()  # golens.toml `go-wrappers`: calls that start a goroutine
    memo: Memo = field(default_factory=Memo, compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, doc, go_wrappers: frozenset[str] = frozenset()) -> "FileContext":
        """The context of a parsed Document, without facts (the engine adds those after
        summarising every declaration)."""
        header = doc.header
        return cls(
            path=doc.path,
            package=header.package,
            imports=tuple(sorted(header.alias_map().items())),
            dot_imports=header.dot_imports(),
            go_version=doc.go_version,
            is_test=doc.is_test_file,
            go_wrappers=go_wrappers,
        )

    def import_path(self, local_name: str) -> str | None:
        for name, path in self.imports:
            if name == local_name:
                return path
        return None

    def names_for(self, import_path: str) -> tuple[str, ...]:
        return tuple(name for name, path in self.imports if path == import_path)

    def go_at_least(self, minor: int) -> bool:
        """True when the file's Go version is known to be >= 1.minor."""
        return self.go_version is not None and self.go_version >= GoVersion(1, minor)

    def go_below(self, minor: int) -> bool:
        """True only when the Go version is known and older: unknown versions count as new, so
        version-gated rules stay silent rather than guess."""
        return self.go_version is not None and self.go_version < GoVersion(1, minor)


@dataclass(frozen=True, slots=True)
class Report:
    """A check's raw result; the engine adds the rule id and the configured severity."""

    start: int
    end: int
    message: str
    related: tuple[tuple[int, int, str], ...] = ()
    data: Mapping[str, Any] | None = None  # a TypedDict beside the check, for its fix
    severity: Severity | None = None  # None: the rule's configured severity


def walk_named(node: Node, skip_function_literals: bool = False) -> Iterator[Node]:
    """Named descendants of `node` in source order. A tree cursor, not recursion: deeply nested
    expressions must not hit Python's recursion limit, and the cursor is ~3x faster than
    materialising every node's children."""
    cursor = node.walk()
    if not cursor.goto_first_child():
        return
    depth = 1
    while True:
        current = cursor.node
        descend = True
        if current.is_named:
            yield current
            descend = not (skip_function_literals and current.type == "func_literal")
        if descend and cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            cursor.goto_parent()
            depth -= 1
            if depth == 0:
                return


# A step of a nested walk written as a generator: it yields the sub-steps it needs and is sent
# their results (`outcome = yield self.statement(child)`); what it returns is its own result.
Step = Generator[Any, Any, T]


def descend(step: "Step[T]") -> T:
    """Runs a recursive walk written as generators (see Step) with an explicit stack: each level
    of nesting costs a suspended generator on the heap instead of Python frames, so 2,000 nested
    blocks do not reach the recursion limit (where the walk's findings were silently lost)."""
    stack: list[Step[Any]] = [step]
    value: Any = None
    while True:
        try:
            child = stack[-1].send(value)
        except StopIteration as finished:
            stack.pop()
            if not stack:
                return cast(T, finished.value)
            value = finished.value
            continue
        stack.append(child)
        value = None


class Unit:
    """One top-level declaration, walked once; every check reads from the same index."""

    def __init__(self, node: Node, file: FileContext):
        self.node = node
        self.file = file
        self.memo = Memo()
        by_type: dict[str, list[Node]] = defaultdict(list)
        by_type[node.type].append(node)
        # walk_named inlined: this loop visits every node of every changed declaration.
        cursor = node.walk()
        if cursor.goto_first_child():
            depth = 1
            first_child, next_sibling, parent = cursor.goto_first_child, cursor.goto_next_sibling, cursor.goto_parent
            while True:
                current = cursor.node
                if current.is_named:
                    by_type[current.type].append(current)
                if first_child():
                    depth += 1
                    continue
                while not next_sibling():
                    parent()
                    depth -= 1
                    if depth == 0:
                        break
                if depth == 0:
                    break
        self._by_type = by_type

    def derived(self, compute: "Callable[[Unit], T]") -> T:
        """`compute(self)`, computed once per declaration: what several checks ask about the
        same declaration (its channels, its pooled values, its locks)."""
        return self.memo.get(compute, lambda: compute(self))

    def nodes(self, node_type: str) -> list[Node]:
        """All named nodes of this type in the declaration, in source order."""
        return self._by_type.get(node_type, [])

    @property
    def functions(self) -> list[Node]:
        found = [n for t in FUNCTION_TYPES for n in self._by_type.get(t, ())]
        found.sort(key=lambda n: n.start_byte)
        return found

    @staticmethod
    def text(node: Node | None) -> str:
        return node.text.decode("utf-8", "replace") if node is not None else ""

    def report(
        self,
        node: Node | tuple[int, int],
        message: str,
        *,
        related: tuple[tuple[Node, str], ...] = (),
        data: Mapping[str, Any] | None = None,
        severity: Severity | None = None,
    ) -> Report:
        start, end = (node.start_byte, node.end_byte) if isinstance(node, Node) else node
        return Report(
            start,
            end,
            message,
            tuple((n.start_byte, n.end_byte, msg) for n, msg in related),
            data,
            severity,
        )


def statement_position(unit: Unit, statement: Node) -> tuple[list[Node], int] | None:
    """The statements (comments left out) of the statement list that holds `statement`, and its
    index among them; None when its parent is not a statement list (a labelled statement). From
    one pass over the declaration: `Node.parent` and `prev_named_sibling` descend from the root
    each time, and asking them per go statement made 5,000 nested `go func() {` quadratic."""
    return unit.derived(_statement_positions).get(statement)


def _statement_positions(unit: Unit) -> dict[Node, tuple[list[Node], int]]:
    positions: dict[Node, tuple[list[Node], int]] = {}
    for block in unit.nodes("statement_list"):
        statements = [s for s in block.named_children if s.type != "comment"]
        for index, statement in enumerate(statements):
            positions[statement] = (statements, index)
    return positions
