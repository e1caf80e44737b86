"""`golens check` / `trace-info` on hostile trees: special files where Go files, go.mod or a trace
are expected, and --fix where a link or a concurrent save is involved. Each must end promptly
with a one-line message and exit 2, and lose nothing else."""

import json
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


# -- command-line errors ------------------------------------------------------------------------

def _one_message(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "Traceback" not in result.stderr, result
    return lines[0]


@pytest.mark.parametrize(("output", "reason"), [
    ("missing/report.txt", "No such file or directory"),
    (".", "a directory, not a regular file; not written"),
    ("/dev/full", "a character device, not a regular file; not written"),
])
def test_output_that_cannot_be_written(tree, output, reason):
    message = _one_message(golens("check", "--output", output, ".", cwd=tree))
    assert message.startswith("golens: cannot write the report to ") and message.endswith(reason)


def test_stdout_on_a_full_disk(tree):
    with open("/dev/full", "w") as full:
        result = subprocess.run([*GOLENS, "check", "."], cwd=tree, stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and result.stderr.splitlines() == [
        "golens: cannot write the report to standard output: No space left on device"], result.stderr


@pytest.mark.parametrize("jobs", ["-1", "100000", "many"])
def test_bad_job_counts_are_usage_errors(tree, jobs):
    result = golens("check", "--jobs", jobs, ".", cwd=tree)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("golens check: error: argument --jobs/-j: ")


@pytest.mark.slow  # several golens runs over a tree
def test_non_utf8_file_name(tree):
    name = os.fsdecode(b"caf\xe9.go")
    (tree / name).write_text(LEAKY)
    (tree / "leaky.go").unlink()
    for fmt in ("text", "json", "sarif"):
        result = golens("check", "--format", fmt, ".", cwd=tree)
        assert result.returncode == 1 and result.stderr == "", result
    text = golens("check", ".", cwd=tree).stdout
    assert text.startswith("caf\\xe9.go:9:")
    assert json.loads(golens("check", "--format", "json", ".", cwd=tree).stdout)[0]["path"] == "caf\\xe9.go"


def test_newline_in_a_file_name_cannot_forge_a_line(tree):
    (tree / "leaky.go").rename(tree / "a.go\nforged.go:1:1: GL999 fake.go")
    result = golens("check", ".", cwd=tree)
    assert result.returncode == 1, result
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("a.go\\nforged.go:1:1: GL999 fake.go:9:"), lines


def test_unreadable_subdirectory_is_reported(tree, monkeypatch):
    # In-process, because the tests may run as root, who can list any directory.
    from golens import workspace_files

    (tree / "secret").mkdir()
    (tree / "secret/s.go").write_text(LEAKY)
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("secret"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    errors: list[str] = []
    found = list(workspace_files.go_files([str(tree)], errors.append))
    assert found == [tree / "leaky.go"]
    assert errors == [f"{tree / 'secret'}: cannot list the directory: Permission denied"]


def test_sarif_uris_of_odd_file_names_are_percent_encoded(tree):
    name = os.fsdecode(b"caf\xe9 #1%.go")
    (tree / name).write_text(LEAKY)
    result = golens("check", "--format", "sarif", ".", cwd=tree)
    assert result.returncode == 1, result.stderr
    sarif = json.loads(result.stdout)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"] for loc in r["locations"]}
    assert uris == {"caf%E9%20%231%25.go", "leaky.go"}
