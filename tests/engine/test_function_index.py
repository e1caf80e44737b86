"""enclosing_function answers from the per-unit index exactly as a walk over parents does, on
every node of every fixture file (the index exists because tree-sitter's Node.parent descends
from the root, which made deeply nested files take seconds)."""

from pathlib import Path

import pytest

from golens.document import Document
from golens.syntax import tree
from golens.syntax.unit import FileContext, Unit, statement_position
from testsupport import FIXTURES

FILES = sorted(FIXTURES.rglob("*.go"))[:80] + [None]

NESTED = ("package p\n\nfunc f(c chan int) {\n" + "go func() {\nfor {\nselect {\ncase <-c:\n" * 30
          + "}\n}\n}()\n" * 30 + "x := func() {}\n_ = x\n}\n\nvar g = func() { go func() {}() }\n")


def _all_nodes(root):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name if p else "nested")
def test_index_agrees_with_the_parent_walk(path: Path | None):
    doc = Document(path.read_bytes() if path else NESTED, str(path) if path else "nested.go")
    if doc.tree is None:
        return
    context = FileContext.of(doc)
    for declaration in doc.tree.root_node.named_children:
        unit = Unit(declaration, context)
        expected = {node.id: tree.enclosing_function(node) for node in _all_nodes(declaration)}
        with tree.indexed_functions(unit):
            for node in _all_nodes(declaration):
                assert tree.enclosing_function(node) == expected[node.id], (node.type, node.start_point)


GO_NESTED = "package p\n\nfunc f() {\n" + "go func() {\n// c\ndefer func() {}()\n" * 20 + "}()\n" * 20 + \
    "L:\n\tgo func() {}()\n\tgo (func() {})()\n\tgo g(func() {})\n}\n"


@pytest.mark.parametrize("path", FILES[:40] + [None], ids=lambda p: p.name if p else "nested-go")
def test_go_literals_and_statement_positions_agree_with_the_parent_walk(path: Path | None):
    """is_go_literal and statement_position answer from one pass over the unit (GL304, GL403 and
    enclosing_handler asked Node.parent per go statement: 5,000 nested `go func() {` took 72 s)."""
    doc = Document(path.read_bytes() if path else GO_NESTED.encode(), str(path) if path else "nested.go")
    if doc.tree is None:
        return
    context = FileContext.of(doc)
    go_literals = 0
    for declaration in doc.tree.root_node.named_children:
        unit = Unit(declaration, context)
        literals = [n for n in _all_nodes(declaration) if n.type == "func_literal"]
        expected = [tree.is_go_literal(n) for n in literals]
        go_literals += sum(expected)
        with tree.indexed_functions(unit):
            assert [tree.is_go_literal(n) for n in literals] == expected
        for go in unit.nodes("go_statement"):
            parent = go.parent
            position = statement_position(unit, go)
            if parent is None or parent.type != "statement_list":
                assert position is None
                continue
            siblings = [s for s in parent.named_children if s.type != "comment"]
            assert position == (siblings, siblings.index(go))
    if path is None:
        assert go_literals == 21  # the 20 nested ones and the labelled one; not `go (func(){})()`, not an argument
