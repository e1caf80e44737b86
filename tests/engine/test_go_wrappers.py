"""Goroutine wrappers named in golens.toml (`go-wrappers`) start goroutines for every rule;
the same call without the configuration, or a function of another package with the same
name, does not."""

from golens.config import Config
from golens.document import Document, GoVersion
from golens.engine import Engine

SOURCE = """package p

import (
	"errors"

	"example.com/lib/safe"
	other "example.com/lib/unsafe"
	"golang.org/x/sync/errgroup"
)

var errFail = errors.New("fail")

func compute() int { return 1 }

func viaPackage(fail bool) (int, error) {
	ch := make(chan int)
	safe.Go(func() {
		ch <- compute()
	})
	if fail {
		return 0, errFail
	}
	return <-ch, nil
}

func viaLocal() {
	done := make(chan struct{})
	GoSafe("worker", func() {
		<-done
	})
}

func GoSafe(name string, f func()) { go f() }

func sameNameOtherPackage() {
	ch := make(chan int)
	other.Go(func() {
		ch <- compute()
	})
}

func loopCapture(items []string) error {
	var g errgroup.Group
	for _, it := range items {
		safe.Go(func() {
			_ = it
		})
		g.Go(func() error {
			_ = it
			return nil
		})
	}
	return g.Wait()
}
"""


def findings(wrappers: frozenset[str]) -> list[tuple[int, str, str]]:
    doc = Document(SOURCE, "p/p.go", module_go_version=GoVersion(1, 21))
    result = Engine(config=Config(go_wrappers=wrappers)).check(doc)
    assert not result.failures, result.failures
    return [(doc.lines.position(f.start)[0] + 1, f.rule, f.message) for f in result.findings]


def test_configured_wrappers_start_goroutines():
    found = {(line, rule) for line, rule, _ in findings(frozenset({"safe.Go", "GoSafe"}))}
    assert found == {
        (18, "GL101"),  # safe.Go: the early return leaves the send without a receiver
        (29, "GL104"),  # GoSafe (this package's): nothing closes done
        (46, "GL701"),  # safe.Go's literal captures the loop variable (go 1.21)
        (49, "GL701"),  # so does the errgroup's, configured or not
    }


def test_without_configuration_a_wrapper_is_a_plain_call():
    assert {(line, rule) for line, rule, _ in findings(frozenset())} == {(49, "GL701")}


def test_the_import_path_names_the_package_too():
    # `safe.Go` also matches a file that imports the package under another name.
    renamed = SOURCE.replace('\t"example.com/lib/safe"', '\ts "example.com/lib/safe"').replace("safe.Go(", "s.Go(")
    doc = Document(renamed, "p/p.go", module_go_version=GoVersion(1, 21))
    result = Engine(config=Config(go_wrappers=frozenset({"safe.Go"}))).check(doc)
    assert {f.rule for f in result.findings} >= {"GL101"}
