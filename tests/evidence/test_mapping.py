"""Frame paths → workspace files: module paths, exact and foreign absolute paths, nested modules,
go.work, vendored and module-cache frames, GOROOT frames, moved and stale files."""

import os
import shutil
import time
from pathlib import Path

import pytest

from golens.evidence import Workspace, load_evidence
from golens.evidence.mapping import Where, parse_symbol, stale_reason
from golens.findings import Severity
from golens.trace import Frame, Stack

TRACES = Path(__file__).resolve().parents[2] / "traces"

HANDLER = """package api

type Server struct{}

func Handle() {
	go func() {
		select {}
	}()
}

func (s *Server) Serve() {
}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


@pytest.fixture
def svc(tmp_path):
    return write(tmp_path / "svc", {
        "go.mod": "module example.com/svc\n\ngo 1.22\n",
        "api/handler.go": HANDLER,
        "cmd/server/main.go": "package main\n\nfunc main() {\n}\n",
        "tools/go.mod": "module example.com/svc/tools\n\ngo 1.22\n",
        "tools/gen/main.go": "package main\n\nfunc main() {\n\tgen()\n}\n\nfunc gen() {}\n",
        "vendor/example.com/dep/dep.go": "package dep\n\nfunc Do() {}\n",
        "vendor/modules.txt": "# example.com/dep v1.0.0\n",
    })


def test_symbols():
    assert parse_symbol("main.handleReport.func1") == ("main", None, "handleReport")
    assert parse_symbol("example.com/svc/api.(*Server).Serve.func2.1") == ("example.com/svc/api", "Server", "Serve")
    assert parse_symbol("example.com/svc/api.Server.Serve") == ("example.com/svc/api", "Server", "Serve")
    assert parse_symbol("main.main.gowrap1") == ("main", None, "main")
    assert parse_symbol("iter.Pull[...].func1") == ("iter", None, "Pull")
    assert parse_symbol("main.glob..func1").name is None


def test_trimpath_module_paths_and_nested_modules(svc):
    ws = Workspace.scan(svc)
    r = ws.resolve("example.com/svc/api/handler.go", "example.com/svc/api.Handle")
    assert (r.where, r.path, r.how) == (Where.WORKSPACE, svc / "api/handler.go", "module")
    # The nested module wins for its own files: its path is the longer prefix.
    r = ws.resolve("example.com/svc/tools/gen/main.go", "main.gen")
    assert (r.where, r.path, r.how) == (Where.WORKSPACE, svc / "tools/gen/main.go", "module")


def test_absolute_paths_exact_and_foreign(svc):
    ws = Workspace.scan(svc)
    local = ws.resolve(str(svc / "api/handler.go"), "example.com/svc/api.Handle")
    assert (local.where, local.how) == (Where.WORKSPACE, "exact")
    foreign = ws.resolve("/home/ci/build/svc/api/handler.go", "example.com/svc/api.Handle")
    assert (foreign.where, foreign.path, foreign.how) == (Where.WORKSPACE, svc / "api/handler.go", "suffix")
    # A foreign path sharing only a file name with two workspace files: the function decides.
    both = ws.resolve("/home/ci/elsewhere/main.go", "main.gen")
    assert (both.where, both.path) == (Where.WORKSPACE, svc / "tools/gen/main.go")
    # ... and a function found in neither leaves it unresolved rather than guessing.
    assert ws.resolve("/home/ci/elsewhere/main.go", "main.other").where is Where.UNRESOLVED


def test_stdlib_module_cache_and_cgo_frames_are_not_workspace(svc):
    ws = Workspace.scan(svc)
    assert ws.resolve("net/http/server.go", "net/http.(*conn).serve").where is Where.STDLIB
    assert ws.resolve("/usr/local/go/src/net/http/server.go", "net/http.(*conn).serve").where is Where.STDLIB
    assert ws.resolve("runtime/proc.go", "runtime.gopark").where is Where.STDLIB
    assert ws.resolve("github.com/x/y@v1.2.3/z.go", "github.com/x/y.Z").where is Where.EXTERNAL
    assert ws.resolve("/home/u/go/pkg/mod/github.com/x/y@v1.2.3/z.go", "github.com/x/y.Z").where is Where.EXTERNAL
    assert ws.resolve("_cgo_gotypes.go", "main._Cfunc_run").where is Where.EXTERNAL
    assert ws.resolve("_testmain.go", "main.main").where is Where.EXTERNAL
    assert ws.resolve("/home/ci/other/thing.go", "example.com/other.F").where is Where.UNRESOLVED


def test_vendored_frames_are_skipped_for_the_caller(svc):
    ws = Workspace.scan(svc)
    assert ws.resolve("example.com/dep/dep.go", "example.com/dep.Do").where is Where.VENDOR
    assert ws.resolve("/home/ci/svc/vendor/example.com/dep/dep.go", "example.com/dep.Do").where is Where.VENDOR
    stack = Stack(1, (
        Frame("runtime.chansend1", "runtime/chan.go", 161, 1),
        Frame("example.com/dep.Do", "example.com/dep/dep.go", 3, 2),
        Frame("example.com/svc/api.Handle.func1", "example.com/svc/api/handler.go", 7, 3),
    ))
    frame, res = ws.first_workspace_frame(stack)
    assert (frame.line, res.path) == (7, svc / "api/handler.go")


def test_go_work_with_several_modules(tmp_path):
    root = write(tmp_path / "work", {
        "go.work": "go 1.22\n\nuse (\n\t./a\n\t./b // the second module\n)\n",
        "a/go.mod": "module example.com/a\n\ngo 1.22\n",
        "a/a.go": "package a\n\nfunc A() {}\n",
        "b/go.mod": "module example.com/b\n\ngo 1.22\n",
        "b/sub/b.go": "package sub\n\nfunc B() {}\n",
    })
    ws = Workspace.scan(root)
    assert dict(ws.modules) == {"example.com/a": root / "a", "example.com/b": root / "b"}
    assert ws.resolve("example.com/a/a.go", "example.com/a.A").path == root / "a/a.go"
    assert ws.resolve("example.com/b/sub/b.go", "example.com/b/sub.B").path == root / "b/sub/b.go"


def test_go_work_use_outside_the_root(tmp_path):
    write(tmp_path, {
        "proj/go.work": "go 1.22\nuse ./app\nuse ../shared\n",
        "proj/app/go.mod": "module example.com/app\n",
        "proj/app/main.go": "package main\n\nfunc main() {}\n",
        "shared/go.mod": "module example.com/shared\n",
        "shared/lib.go": "package shared\n\nfunc Lib() {}\n",
    })
    ws = Workspace.scan(tmp_path / "proj")
    r = ws.resolve("example.com/shared/lib.go", "example.com/shared.Lib")
    assert (r.where, r.path) == (Where.WORKSPACE, tmp_path / "shared/lib.go")


def test_moved_file_is_found_by_its_function(svc):
    ws = Workspace.scan(svc)
    # The trace was taken when handler.go lived in legacy/: the module path no longer exists.
    r = ws.resolve("example.com/svc/legacy/handler.go", "example.com/svc/api.(*Server).Serve")
    assert (r.where, r.path, r.how) == (Where.WORKSPACE, svc / "api/handler.go", "moved")


def test_staleness_by_function_not_by_mtime(svc):
    path = svc / "api/handler.go"
    assert stale_reason(path, 7, "example.com/svc/api.Handle.func1") is None
    assert stale_reason(path, 11, "example.com/svc/api.(*Server).Serve") is None
    moved = stale_reason(path, 11, "example.com/svc/api.Handle.func1")
    assert moved == "line 11 is now in (*Server).Serve, the trace saw Handle"
    # touch, a checkout or cp -r: a new mtime, the same text.
    future = time.time() + 3600
    os.utime(path, (future, future))
    assert stale_reason(path, 7, "example.com/svc/api.Handle.func1") is None


def _copy_handler_leak(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "traces"
    (root / "handler_leak").mkdir(parents=True)
    shutil.copy(TRACES / "go.mod", root / "go.mod")
    shutil.copy(TRACES / "handler_leak/main.go", root / "handler_leak/main.go")
    trace = root / "handler_leak/trace.out"
    shutil.copy(TRACES / "handler_leak/go1.27.trace", trace)
    return root, trace


def test_newer_files_with_the_same_lines_stay_current(tmp_path):
    """touch, a checkout, cp -r or an edit that keeps every line in its function: not stale."""
    root, trace = _copy_handler_leak(tmp_path)
    fresh = load_evidence(trace, root=root)
    assert {e.severity for e in fresh.evidence} == {Severity.WARNING}
    main = root / "handler_leak/main.go"
    main.write_text(main.read_text().replace("// Leak 1:", "// Leak one:"))
    future = time.time() + 3600
    os.utime(main, (future, future))
    later = load_evidence(trace, root=root)
    assert [(e.site.line, e.severity, e.message) for e in later.evidence] == \
        [(e.site.line, e.severity, e.message) for e in fresh.evidence]
    assert not any(e.stale for e in later.evidence)


def test_shifted_lines_are_stale_by_function(tmp_path):
    root, trace = _copy_handler_leak(tmp_path)
    main = root / "handler_leak/main.go"
    # 40 lines pushed in front of everything: line 51 (time.Sleep in pollUpstream) is now elsewhere.
    main.write_text(main.read_text().replace("type auditEntry", "\n" * 40 + "type auditEntry"))
    te = load_evidence(trace, root=root)
    by_line = {e.site.line: e for e in te.evidence}
    assert by_line[51].stale == "line 51 is no longer inside pollUpstream" or \
        by_line[51].stale.startswith("line 51 is now in")
    assert all(e.stale for e in te.evidence)
    assert all(e.severity == Severity.INFORMATION and "[stale: line " in e.message for e in te.evidence)


def test_unresolved_frames_are_counted(tmp_path):
    # The handler_leak trace against a workspace that has the module but not the file.
    root = write(tmp_path / "ws", {"go.mod": "module example.com/golens/traces\n", "other/x.go": "package other\n"})
    te = load_evidence(TRACES / "handler_leak/go1.27.trace", root=root)
    assert te.evidence == []
    assert te.summary.unresolved_frames >= 5  # handleReport, its closure, refreshCache, pollUpstream, main
    assert "example.com/golens/traces/handler_leak/main.go" in te.summary.unresolved_examples
