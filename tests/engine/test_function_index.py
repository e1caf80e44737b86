"""enclosing_function answers from the per-unit index exactly as a walk over parents does, on
every node of every fixture file (the index exists because tree-sitter's Node.parent descends
from the root, which made deeply nested files take seconds)."""

from pathlib import Path

import pytest

from golens.document import Document
from golens.syntax import tree
from golens.syntax.unit import FileContext, Unit
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
