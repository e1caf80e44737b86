"""Each message variant states only what is true of the code it points at, at the severity its
variant ships with: no timer for WithCancel, no "no deadline" for a client that may have a
Timeout, no "every pass" outside a loop, no "deadlock" for a sleep. The fixture lines are found
by their text, so the table survives edits above them."""

import re

import pytest

from golens.document import Document, find_module_go_version
from golens.engine import Engine
from golens.findings import Severity
from testsupport import FIXTURES

WARN, INFO = Severity.WARNING, Severity.INFORMATION

VARIANTS = [
    # (fixture, text on the flagged line, rule, severity, message must match, must not match)
    ("lostcancel/lostcancel.go", "ctx, _ := context.WithTimeout(context.Background(), 2*time.Second)", "GL201", WARN,
     r"discarded: the context and its timer live until", None),
    ("lostcancel/lostcancel.go", "ctx, _ := ctxpkg.WithCancel(context.Background())", "GL201", WARN,
     r"discarded: the context lives until", r"timer"),
    ("lostcancel/lostcancel.go", "ctx, cancel := context.WithCancel(parent) // want", "GL201", WARN,
     r"this return is reached", r"end of"),
    ("lostcancel/lostcancel.go", '// want "GL201: the end of the block that declares it', "GL201", WARN, r"the end of the block that declares it", r"function"),
    ("lostcancel/lostcancel.go", '// want "GL201: the end of the loop body', "GL201", WARN, r"the end of the loop body", r"function"),
    ("blockingcall/blockingcall.go", 'http.Get("http://avatar.internal/"', "GL202", WARN,
     r"has no deadline \(http\.DefaultClient sets no Timeout\)", None),
    ("blockingcall/blockingcall.go", "client.Post(", "GL202", WARN,
     r"cannot be cancelled by the caller \(only the client's Timeout, if it has one", r"no deadline"),
    ("blockingcall/blockingcall.go", "http.NewRequest(http.MethodGet", "GL202", WARN,
     r"only the client's Timeout, if it has one", r"no deadline"),
    ("sync_lock/locks.go", "time.Sleep(time.Millisecond) // want", "GL405", INFO,
     r"time\.Sleep runs while holding s\.mu .*waits that long too \(a latency cost, not a deadlock\)", r"deadlocks"),
    ("sync_lock/locks.go", "s.client.Get(url)", "GL405", INFO, r"HTTP request s\.client\.Get runs .* latency", r"deadlocks"),
    ("sync_lock/locks.go", "s.wg.Wait() // want", "GL405", WARN, r"s\.wg\.Wait\(\) blocks while holding s\.rw .* deadlocks",
     r"latency"),
    ("sync_lock/locks.go", "s.notify <- k // want", "GL405", INFO, r"sending on s\.notify can block", r"latency"),
    ("sync_lock/locks.go", "c.handleWg.Wait() // want", "GL405", INFO,
     r"no function that calls c\.handleWg\.Done\(\) locks c\.reconnectMu, so this is a latency cost, not a deadlock",
     r"deadlocks"),
    ("sync_lock/locks.go", "p.workers.Wait() // want", "GL405", WARN, r"if the other side needs p\.poolMu .* deadlocks",
     r"latency"),
    ("sync_lock/relock.go", "if q.Len() > max { // want", "GL408", WARN, r"locks q\.mu again .* so this call deadlocks",
     r"read lock"),
    ("sync_lock/relock.go", "return len(q.Snapshot()) // want", "GL408", WARN,
     r"read-locks q\.rw again .* a writer calling q\.rw\.Lock\(\) in between deadlocks both", r"this call deadlocks"),
    ("chan_close/close.go", "close(s.quit) // want", "GL303", INFO, r"if two goroutines run it at once", r"races"),
    ("debug_print/dispatch.go", 'fmt.Println("got job"', "GL601", INFO, r"in a loop .* on every pass", None),
    ("debug_print/dispatch.go", 'fmt.Printf("running', "GL601", INFO, r"in a goroutine .* from every goroutine",
     r"every pass"),
    ("debug_print/dispatch.go", 'println("request"', "GL601", INFO, r"in an HTTP handler .* on every request",
     r"every pass"),
    ("chan_drop/drop.go", "case w.changed <- struct{}{}: // want \"GL302: w.changed is unbuffered\"", "GL302", INFO,
     r"w\.changed is unbuffered", None),
    ("chan_drop/drop.go", "case b.events <- e: // want \"GL302\"\n\tdefault:\n\t\tb.dropped.Add(1)", "GL302", INFO,
     r"b\.events is unbuffered", None),
]


def _findings_at(fixture: str, text: str) -> tuple[int, list]:
    path = FIXTURES / fixture
    source = path.read_text()
    assert source.count(text) >= 1, f"{text!r} not in {fixture}"
    line = source[:source.index(text)].count("\n")
    doc = Document(source.encode(), str(path), module_go_version=find_module_go_version(str(path)))
    result = Engine().check(doc)
    assert not result.failures, result.failures
    return line, [f for f in result.findings if doc.lines.position(f.start)[0] == line]


@pytest.mark.parametrize("fixture, text, rule, severity, must, must_not", VARIANTS,
                         ids=[f"{v[2]}-{i}" for i, v in enumerate(VARIANTS)])
def test_message_variant(fixture, text, rule, severity, must, must_not):
    line, findings = _findings_at(fixture, text)
    [finding] = [f for f in findings if f.rule == rule] or [None]
    assert finding is not None, f"{fixture}:{line + 1}: no {rule} ({[f.rule for f in findings]})"
    assert re.search(must, finding.message), finding.message
    if must_not:
        assert not re.search(must_not, finding.message), finding.message
    assert finding.severity == severity


def test_gl405_data_says_which_cost():
    _, sleep = _findings_at("sync_lock/locks.go", "time.Sleep(time.Millisecond) // want")
    _, wait = _findings_at("sync_lock/locks.go", "s.wg.Wait() // want")
    assert [f.data["cost"] for f in sleep if f.rule == "GL405"] == ["latency"]
    assert [f.data["cost"] for f in wait if f.rule == "GL405"] == ["deadlock"]
