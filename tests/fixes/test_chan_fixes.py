"""The channel, context, print and loop-variable fixes: where a fix would be wrong it is not
offered, and `preferred` (what fix-all applies) is given only where behaviour is kept. The
apply-every-fix test cannot see a fix that is missing or wrongly preferred."""

from golens.document import Document, GoVersion
from golens.engine import Engine
from golens.fixes import apply_edits, fix_all, fixes_for

ENGINE = Engine()
GO_1_24 = GoVersion(1, 24)


def offered(source: str, rule: str, go: GoVersion | None = GO_1_24) -> list[list[tuple[str, bool]]]:
    doc = Document(source.encode(), "p.go", module_go_version=go)
    return [[(f.title, f.preferred) for f in fixes_for(doc, finding)]
            for finding in ENGINE.check(doc).findings if finding.rule == rule]


def test_gl305_make_only_when_both_ends_are_in_the_function():
    source = """package p

func only() int {
	var results chan int
	return <-results
}

func sendOnly(v int) {
	var out chan<- int
	out <- v
}

func paired(work func()) {
	var done chan struct{}
	go func() {
		work()
		close(done)
	}()
	<-done
}
"""
    assert offered(source, "GL305") == [[], [], [("Make done (done := make(chan struct{}))", True)]]


def test_gl302_buffer_preferred_only_for_notifications():
    source = """package p

type W struct {
	wake chan struct{}
	vals chan int
}

func New() *W { return &W{wake: make(chan struct{}), vals: make(chan int)} }

func (w *W) notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *W) offer(v int) {
	select {
	case w.vals <- v:
	default:
	}
}
"""
    found = offered(source, "GL302")
    assert [[p for _, p in fixes] for fixes in found] == [[True], [False]]


def test_gl302_no_buffer_when_a_blocking_send_relies_on_the_handoff():
    source = """package p

func f(v int) {
	c := make(chan int)
	go func() { <-c }()
	select {
	case c <- v:
	default:
	}
	c <- v
}
"""
    assert offered(source, "GL302") == [[]]


def test_gl303_keeps_the_explicit_close_when_work_follows_it():
    source = """package p

import "sync"

func f(out chan int, wg *sync.WaitGroup) {
	defer close(out)
	out <- 1
	close(out)
	wg.Wait()
}
"""
    assert offered(source, "GL303") == [[]]


def test_gl303_conditional_first_close_is_removed_with_its_if():
    source = """package p

func f(done chan struct{}, fail bool) {
	if fail {
		close(done)
	}
	close(done)
}
"""
    doc = Document(source.encode(), "p.go", module_go_version=GoVersion(1, 24))
    fixed = fix_all(doc, ENGINE)
    assert fixed.decode() == "package p\n\nfunc f(done chan struct{}, fail bool) {\n\tclose(done)\n}\n"


def test_gl304_no_move_past_a_receive_or_a_goroutine():
    source = """package p

func drains(ch chan int, xs []int) {
	close(ch)
	for range ch {
	}
	for _, x := range xs {
		ch <- x
	}
}

func spawns(ch chan int) {
	close(ch)
	go func() { ch <- 1 }()
}
"""
    assert offered(source, "GL304") == [[], []]


def test_gl601_never_preferred_and_no_delete_leaving_an_unused_local():
    source = """package p

import "log"

func f(xs []string) {
	for _, x := range xs {
		log.Println(x)
	}
}
"""
    assert offered(source, "GL601") == [[("Log it at debug level (slog.Debug)", False)]]
    assert offered(source, "GL601", GoVersion(1, 20)) == [[]]


def test_gl701_no_copy_of_a_variable_that_steers_the_loop():
    source = """package p

func f(n int, use func(int)) {
	for i := 0; i < n; i++ {
		go func() { use(i) }()
		i++
	}
}
"""
    assert offered(source, "GL701", GoVersion(1, 21)) == [[]]


def test_gl203_drops_the_context_import_it_no_longer_needs():
    source = """package p

import (
	"context"
	"net/http"
)

type Store interface{ Put(ctx context.Context) error }

func handler(s Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = s.Put(context.Background())
	}
}
"""
    doc = Document(source.encode(), "p.go", module_go_version=GoVersion(1, 24))
    finding = next(f for f in ENGINE.check(doc).findings if f.rule == "GL203")
    preferred = next(f for f in fixes_for(doc, finding) if f.preferred)
    fixed = apply_edits(doc.source, preferred.edits).decode()
    assert "_ = s.Put(r.Context())" in fixed and '"context"' in fixed  # Store still names it
    without = source.replace("type Store interface{ Put(ctx context.Context) error }", "type Store interface{ Put(any) error }")
    doc = Document(without.encode(), "p.go", module_go_version=GoVersion(1, 24))
    finding = next(f for f in ENGINE.check(doc).findings if f.rule == "GL203")
    fixed = apply_edits(doc.source, next(f for f in fixes_for(doc, finding) if f.preferred).edits).decode()
    assert fixed.startswith('package p\n\nimport (\n\t"net/http"\n)\n'), fixed
