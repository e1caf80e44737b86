"""Hostile workspace layouts against the one module that opens and writes workspace files, and
against the places that used to open files on their own (go.mod lookup, go.work, trace frames)."""

import errno
import os
import threading
from pathlib import Path

import pytest

from golens import safeio
from golens.document import find_module_go_version
from golens.document.goversion import GoVersion, forget_go_mod_cache
from golens.evidence import Workspace
from golens.safeio import (
    ContentChangedError,
    FileTooLargeError,
    UnsafeFileError,
    read_head,
    read_regular,
    replace_atomically,
    within,
)


def _in_thread(function, *args, timeout: float = 5.0):
    """Run `function` with a deadline: a FIFO read that blocks must fail the test, not hang it."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"{function.__name__} blocked"
    return outcome


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "x.go"
    os.mkfifo(fifo)
    for reader in (read_regular, lambda p: read_head(p, 16)):
        outcome = _in_thread(reader, fifo)
        assert isinstance(outcome.get("error"), UnsafeFileError)
        assert "FIFO" in str(outcome["error"])


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/stdin", "/dev/null"])
def test_link_to_a_device_is_refused(tmp_path, device):
    link = tmp_path / "x.go"
    link.symlink_to(device)
    outcome = _in_thread(read_regular, link)
    assert isinstance(outcome.get("error"), UnsafeFileError), outcome


def test_reads_are_bounded(tmp_path):
    big = tmp_path / "big.go"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(FileTooLargeError) as raised:
        read_regular(big, limit=1000)
    assert (raised.value.size, raised.value.limit) == (1001, 1000)
    assert read_regular(big, limit=1001) == b"x" * 1001


def test_within_keeps_paths_in_the_root(tmp_path):
    root = tmp_path / "root"
    (root / "pkg").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path)
    assert within(root, "pkg/x.go") == root.resolve() / "pkg/x.go"
    assert within(root, "../x.go") is None
    assert within(root, "pkg/../../x.go") is None
    assert within(root, "out/x.go") is None
    assert within(root, "/etc/passwd") is None


def test_go_mod_lookup_skips_a_fifo_and_a_link_to_stdin(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
    for name, make in (("fifo", os.mkfifo), ("stdin", lambda p: p.symlink_to("/dev/stdin"))):
        package = tmp_path / name
        package.mkdir()
        make(package / "go.mod")
        forget_go_mod_cache()
        outcome = _in_thread(find_module_go_version, str(package / "x.go"))
        # The hostile go.mod is no go.mod: the lookup continues to the real one above it.
        assert outcome == {"value": GoVersion(1, 21)}


def test_trace_frame_path_cannot_climb_out_of_its_module(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/m\n")
    (root / "main.go").write_text("package main\n\nfunc main() {}\n")
    (tmp_path / "secret.go").write_text("package secret\n\nfunc main() {}\n")
    ws = Workspace.scan(root)
    assert ws.resolve("example.com/m/main.go", "main.main").path == root.resolve() / "main.go"
    escaped = ws.resolve("example.com/m/../secret.go", "main.main")
    assert escaped.path is None or root.resolve() in escaped.path.parents


def test_go_work_use_of_an_ancestor_is_not_walked(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    (root / "app").mkdir(parents=True)
    (root / "go.work").write_text("go 1.22\n\nuse (\n\t/\n\t../..\n\t./app\n)\n")
    (root / "app/go.mod").write_text("module example.com/app\n")
    (root / "app/main.go").write_text("package main\n\nfunc main() {}\n")
    walked: list[str] = []
    real_walk = os.walk

    def recording_walk(top, *args, **kwargs):
        walked.append(os.fspath(top))
        return real_walk(top, *args, **kwargs)

    monkeypatch.setattr("golens.evidence.mapping.os.walk", recording_walk)
    ws = Workspace.scan(root)
    assert dict(ws.modules) == {"example.com/app": root.resolve() / "app"}
    assert all(Path(top).resolve() in (root.resolve(), root.resolve() / "app") for top in walked), walked


# -- replace_atomically ----------------------------------------------------------------------------

def test_replace_keeps_the_mode_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "x.go"
    target.write_bytes(b"old")
    target.chmod(0o640)
    replace_atomically(target, b"old", b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.go"]


def test_replace_refuses_a_file_changed_since_it_was_read(tmp_path):
    target = tmp_path / "x.go"
    target.write_bytes(b"saved by the editor meanwhile")
    with pytest.raises(ContentChangedError):
        replace_atomically(target, b"what the fixes were computed from", b"fixed")
    assert target.read_bytes() == b"saved by the editor meanwhile"


def test_replace_refuses_to_write_through_a_symlink(tmp_path):
    elsewhere = tmp_path / "elsewhere.go"
    elsewhere.write_bytes(b"old")
    link = tmp_path / "x.go"
    link.symlink_to(elsewhere)
    with pytest.raises(UnsafeFileError) as raised:
        replace_atomically(link, b"old", b"new")
    assert raised.value.errno == errno.ELOOP
    assert elsewhere.read_bytes() == b"old" and link.is_symlink()


def test_a_failed_write_leaves_the_original_intact(tmp_path, monkeypatch):
    target = tmp_path / "x.go"
    target.write_bytes(b"original content")

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safeio.os, "fsync", disk_full)
    with pytest.raises(OSError) as raised:
        replace_atomically(target, b"original content", b"new content")
    assert raised.value.errno == errno.ENOSPC
    assert target.read_bytes() == b"original content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.go"]


# -- links on the read side: what read_regular follows, and what it refuses ---------------------

def test_reads_follow_a_link_to_a_regular_file_even_out_of_the_tree(tmp_path):
    # The documented policy: a workspace may link shared sources in (monorepos do); what may not
    # leave the tree is decided where there is a tree (safeio.within), and writes never follow.
    shared = tmp_path / "shared.go"
    shared.write_bytes(b"package shared\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "x.go").symlink_to(shared)
    (tree / "y.go").symlink_to(tree / "x.go")  # a chain of links ends at the same regular file
    assert read_regular(tree / "x.go") == read_regular(tree / "y.go") == b"package shared\n"
    assert within(tree, "x.go") is None  # ...but it is not inside the tree


@pytest.mark.parametrize("layout", ["chain to a device", "loop", "dangling", "directory"])
def test_hostile_links_are_refused_without_blocking(tmp_path, layout):
    link = tmp_path / "x.go"
    if layout == "chain to a device":
        (tmp_path / "hop").symlink_to("/dev/zero")
        link.symlink_to(tmp_path / "hop")
    elif layout == "loop":
        (tmp_path / "a.go").symlink_to(tmp_path / "b.go")
        (tmp_path / "b.go").symlink_to(tmp_path / "a.go")
        link = tmp_path / "a.go"
    elif layout == "dangling":
        link.symlink_to(tmp_path / "gone.go")
    else:
        (tmp_path / "dir").mkdir()
        link.symlink_to(tmp_path / "dir")
    outcome = _in_thread(read_regular, link)
    error = outcome.get("error")
    assert isinstance(error, OSError), outcome
    if layout in ("chain to a device", "directory"):
        assert isinstance(error, UnsafeFileError)
