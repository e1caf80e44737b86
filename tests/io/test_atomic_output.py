"""safeio.atomic_output: how golens writes the files it produces (reports, exports)."""

import os
import stat

import pytest

from golens.safeio import UnsafeFileError, atomic_output


def test_new_file_gets_the_umask_permissions_and_no_temporary_is_left(tmp_path):
    target = tmp_path / "report.html"
    mask = os.umask(0o027)
    try:
        with atomic_output(target) as out:
            out.write(b"page")
    finally:
        os.umask(mask)
    assert target.read_bytes() == b"page"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_replaced_file_keeps_its_permission_bits(tmp_path):
    target = tmp_path / "trace.json"
    target.write_bytes(b"old")
    target.chmod(0o600)
    with atomic_output(target) as out:
        out.write(b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_an_error_while_writing_keeps_the_old_file_whole(tmp_path):
    target = tmp_path / "trace.pb.gz"
    target.write_bytes(b"old profile")
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write(b"half of a new")
        raise RuntimeError("disk full, say")
    assert target.read_bytes() == b"old profile"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.pb.gz"]


def test_before_rename_can_still_keep_the_old_file(tmp_path):
    target = tmp_path / "main.go"
    target.write_bytes(b"package main\n")

    def changed_meanwhile() -> None:
        raise OSError("changed on disk")

    with pytest.raises(OSError, match="changed on disk"), atomic_output(target, before_rename=changed_meanwhile) as out:
        out.write(b"package fixed\n")
    assert target.read_bytes() == b"package main\n"


@pytest.mark.parametrize("kind", ["symlink", "fifo", "directory"])
def test_links_fifos_and_directories_are_refused(tmp_path, kind):
    target = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"keep")
    if kind == "symlink":
        target.symlink_to(elsewhere)
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    with pytest.raises(UnsafeFileError), atomic_output(target) as out:
        out.write(b"x")
    assert elsewhere.read_bytes() == b"keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "out"]
