"""`golens check` / `trace-info` on hostile trees: special files where Go files, go.mod or a trace
are expected, and --fix where a link or a concurrent save is involved. Each must end promptly
with a one-line message and exit 2, and lose nothing else."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOLENS = [sys.executable, "-m", "golens"]

LEAKY = (
    "package p\n\nimport (\n\t\"context\"\n\t\"time\"\n)\n\n"
    "func f() error {\n\tctx, _ := context.WithTimeout(context.Background(), time.Second)\n\treturn ctx.Err()\n}\n"
)


def golens(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # The timeout is the assertion for the cases that used to hang.
    return subprocess.run([*GOLENS, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/p\n\ngo 1.24\n")
    (tmp_path / "leaky.go").write_text(LEAKY)
    return tmp_path


@pytest.mark.parametrize("make", [
    pytest.param(os.mkfifo, id="fifo"),
    pytest.param(lambda p: p.symlink_to("/dev/zero"), id="link-to-dev-zero"),
])
def test_special_file_named_x_go(tree, make):
    make(tree / "x.go")
    result = golens("check", ".", cwd=tree)
    assert result.returncode == 2, result
    errors = [line for line in result.stderr.splitlines() if line]
    assert errors == [errors[0]] and errors[0].startswith("golens: x.go: ") and "not a regular file" in errors[0]
    # The other file is still checked and reported.
    assert any(line.startswith("leaky.go:9:") and "GL201" in line for line in result.stdout.splitlines())


def test_fifo_named_go_mod(tree):
    (tree / "pkg").mkdir()
    os.mkfifo(tree / "pkg/go.mod")
    (tree / "pkg/leaky.go").write_text(LEAKY)
    result = golens("check", ".", cwd=tree)
    assert result.returncode == 1, result
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {"leaky.go", "pkg/leaky.go"}


def test_trace_info_on_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "trace.out")
    result = golens("trace-info", "trace.out", cwd=tmp_path)
    assert result.returncode == 2, result
    assert "FIFO" in result.stderr and "Traceback" not in result.stderr


def test_fix_does_not_write_through_a_symlink(tree, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "elsewhere.go"
    outside.write_text(LEAKY)
    (tree / "leaky.go").unlink()
    (tree / "linked.go").symlink_to(outside)
    result = golens("check", "--fix", ".", cwd=tree)
    assert result.returncode == 2, result
    assert outside.read_text() == LEAKY and (tree / "linked.go").is_symlink()
    assert "golens: linked.go: fixes not written: a symbolic link; not written through" in result.stderr.splitlines()
    # Its findings are still reported.
    assert any(line.startswith("linked.go:9:") for line in result.stdout.splitlines())


def test_fix_writes_atomically_and_keeps_the_mode(tree):
    target = tree / "leaky.go"
    target.chmod(0o600)
    inode = target.stat().st_ino
    result = golens("check", "--fix", ".", cwd=tree)
    assert result.returncode in (0, 1), result
    assert target.read_text() != LEAKY and "cancel" in target.read_text()
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in tree.iterdir()) == ["go.mod", "leaky.go"]
