"""GL702's two kinds of finding ship at different severities: a t.Fatal-style call from a
started goroutine is a Warning (vet's testinggoroutine), an assertion library's fatal check
(testify require, gotest.tools assert) Information (rules/GL702-fatal-in-test-goroutine.md)."""

from golens.document import Document
from golens.engine import Engine
from golens.findings import Severity

SOURCE = b"""package p

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBoth(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		require.NoError(t, nil)
		t.Fatal("stop")
	}()
	wg.Wait()
}
"""


def test_assertions_are_information_and_fatal_calls_warnings():
    doc = Document(SOURCE, "p_test.go")
    found = [(doc.lines.position(f.start)[0] + 1, f.severity) for f in Engine().check(doc).findings
             if f.rule == "GL702"]
    assert found == [(15, Severity.INFORMATION), (16, Severity.WARNING)]
