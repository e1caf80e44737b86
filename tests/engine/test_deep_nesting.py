"""Deeply nested code keeps every finding: no walk in syntax/ or checks/ recurses once per level
of the input's nesting (each of these lost its rule's findings to a RecursionError, reported only
as a rule failure), so 2,000 levels find exactly what 2 levels find."""

import pytest

from golens.document import Document
from golens.engine import Engine

DEEP = {  # name -> nesting depth -> Go source
    "blocks under a lock": lambda n: (
        "package p\n\nimport (\n\t\"context\"\n\t\"sync\"\n)\n\nvar mu sync.Mutex\n\nfunc f(ch chan int) {\n\tmu.Lock()\n"
        + "{\n" * n + "ctx, _ := context.WithCancel(context.Background())\n_ = ctx\nch <- 1\nmu.Lock()\n" + "}\n" * n + "}\n"),
    "for/select": lambda n: "package p\n\nfunc f(c chan int) {\n" + "for {\nselect {\ncase <-c:\n" * n + "}\n}\n" * n + "}\n",
    "range loops under a lock": lambda n: (
        "package p\n\nimport \"sync\"\n\nvar mu sync.Mutex\n\nfunc f(ch chan int) {\n\tmu.Lock()\n"
        + "for range ch {\n" * n + "ch <- 1\n" + "}\n" * n + "\tmu.Unlock()\n}\n"),
    "blocks after a deferred unlock in a loop": lambda n: (
        "package p\n\nimport \"sync\"\n\nvar mu sync.Mutex\n\nfunc f(n int) {\n\tfor i := 0; i < n; i++ {\n"
        "\t\tmu.Lock()\n\t\tdefer mu.Unlock()\n" + "{\n" * n + "n++\n" + "}\n" * n + "\t}\n}\n"),
    "a chain of structs holding a mutex": lambda n: (
        "package p\n\nimport \"sync\"\n\n" + "".join(f"type T{i} struct{{ next T{i + 1} }}\n" for i in range(n))
        + f"type T{n} struct{{ mu sync.Mutex }}\n\nfunc (t T0) Get() int {{ return 0 }}\n"),
    "parenthesized ticker": lambda n: (
        "package p\n\nimport \"time\"\n\nfunc f() {\n\tt := time.NewTicker(time.Second)\n\tgo func() {\n"
        "\t\tfor range " + "(" * n + "t" + ")" * n + ".C {\n\t\t}\n\t}()\n}\n"),
    "derived request contexts": lambda n: (
        "package p\n\nimport (\n\t\"context\"\n\t\"net/http\"\n)\n\ntype key int\n\n"
        "func h(w http.ResponseWriter, r *http.Request) {\n\tctx := " + "context.WithValue(" * n + "r.Context()"
        + ", key(1), 2)" * n + "\n\tgo func() {\n\t\t<-ctx.Done()\n\t}()\n\tgo func() {\n\t\tfor {\n\t\t}\n\t}()\n}\n"),
    "nested len in a print": lambda n: (
        "package p\n\nimport \"fmt\"\n\nfunc f(xs []string) {\n\tfor _, x := range xs {\n\t\tfmt.Println(" + "len(" * n
        + "x" + ")" * n + ")\n\t}\n}\n"),
    "slices of a pooled buffer": lambda n: (
        "package p\n\nimport (\n\t\"bytes\"\n\t\"sync\"\n)\n\n"
        "var pool = sync.Pool{New: func() any { return new(bytes.Buffer) }}\n\n"
        "func f() []byte {\n\tbuf := pool.Get().(*bytes.Buffer)\n\tdefer pool.Put(buf)\n\tbuf.Reset()\n"
        "\treturn buf.Bytes()" + "[:]" * n + "\n}\n"),
}

DEPTH = 2000


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.mark.parametrize("name", DEEP)
def test_deep_nesting_finds_what_shallow_nesting_finds(engine: Engine, name: str):
    shallow = engine.check(Document(DEEP[name](2).encode(), "lib/deep.go"))
    deep = engine.check(Document(DEEP[name](DEPTH).encode(), "lib/deep.go"))
    assert [(f.rule, f.error) for f in deep.failures] == []
    assert sorted(f.rule for f in deep.findings) == sorted(f.rule for f in shallow.findings)


def test_two_thousand_blocks_under_a_held_lock_keep_the_lock_findings(engine: Engine):
    source = DEEP["blocks under a lock"](DEPTH)
    result = engine.check(Document(source.encode(), "lib/deep.go"))
    lines = source.splitlines()
    found = {(f.rule, lines[source.encode().count(b"\n", 0, f.start)].strip()) for f in result.findings}
    assert ("GL405", "ch <- 1") in found  # a send while mu is held
    assert ("GL408", "mu.Lock()") in found  # mu locked again while held
