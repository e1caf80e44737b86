"""GL411 and GL412 read facts other files of the package contribute: a Broadcast in another file
silences a Wait, and another method that unlocks first makes returning with the lock held a
hand-off. Checked the way the server checks open files, and re-checked when the other file
changes."""

from pathlib import Path

from golens.document import Document, TextEdit
from golens.engine import CheckResult, Engine, UnitCache
from golens.package import PackageIndex

QUEUE = b"""package queue

import "sync"

type Queue struct {
	mu    sync.Mutex
	ready *sync.Cond
	items []int
	open  bool
}

func (q *Queue) Pop() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		q.ready.Wait()
	}
	v := q.items[0]
	q.items = q.items[1:]
	return v
}

func (q *Queue) Begin() {
	q.mu.Lock()
	if q.open {
		q.mu.Unlock()
		return
	}
	q.open = true
}

func double(n int) int {
	return n * 2
}
"""

PUSH = b"""package queue

func (q *Queue) Push(v int) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.ready.Broadcast()
}

func (q *Queue) End() {
	q.open = false
	q.mu.Unlock()
}
"""


class Package:
    def __init__(self, root: Path):
        (root / "queue.go").write_bytes(QUEUE)
        (root / "push.go").write_bytes(PUSH)
        self.engine = Engine()
        self.index = PackageIndex(self.engine.summarize)
        self.queue = Document(QUEUE, str(root / "queue.go"))
        self.push = Document(PUSH, str(root / "push.go"))
        self.caches = {id(self.queue): UnitCache(), id(self.push): UnitCache()}
        self.check(self.push)

    def check(self, doc: Document) -> CheckResult:
        result = self.engine.check(doc, self.caches[id(doc)], package=self.index.others(doc))
        self.index.set_open(doc, result.facts)
        return result

    def edit_push(self, old: bytes, new: bytes) -> None:
        start = self.push.source.index(old)
        self.push.apply_edits([TextEdit(start, start + len(old), new)])
        self.check(self.push)


def findings(doc: Document, result: CheckResult) -> list[tuple[str, int]]:
    return [(f.rule, doc.source.count(b"\n", 0, f.start) + 1) for f in result.findings
            if f.rule in ("GL411", "GL412")]


def test_a_broadcast_in_another_file_silences_the_wait_until_it_is_removed(tmp_path: Path):
    package = Package(tmp_path)
    assert findings(package.queue, package.check(package.queue)) == []

    package.edit_push(b"\tq.ready.Broadcast()\n", b"")
    after = package.check(package.queue)
    assert findings(package.queue, after) == [("GL411", 16)]
    assert after.checked_units == 1  # Pop, which looked up `ready`'s signals; Begin and double did not

    package.edit_push(b"\tq.mu.Unlock()\n}\n\nfunc (q *Queue) End",
                      b"\tq.mu.Unlock()\n\tq.ready.Signal()\n}\n\nfunc (q *Queue) End")
    assert findings(package.queue, package.check(package.queue)) == []


def test_a_method_that_unlocks_first_makes_returning_locked_a_hand_off(tmp_path: Path):
    package = Package(tmp_path)
    assert findings(package.queue, package.check(package.queue)) == []

    # Without End, nothing releases what Begin keeps: falling off its end with q.mu held is a bug.
    package.edit_push(b"\tq.open = false\n\tq.mu.Unlock()\n", b"\tq.open = false\n")
    after = package.check(package.queue)
    assert findings(package.queue, after) == [("GL412", 30)]
    assert after.checked_units == 1  # Begin only
