"""Where a trace frame lives in the workspace, and whether the source there still matches it.

A frame's file is written by the Go toolchain of the machine that built the program, in one of
three shapes:

* module-relative (``-trimpath`` builds): ``example.com/mod/pkg/file.go`` for the workspace's own
  code, ``example.com/dep@v1.2.3/x.go`` for module-cache dependencies, ``net/http/server.go``
  for the standard library;
* absolute, often from another machine: ``/home/ci/src/mod/pkg/file.go``,
  ``/usr/local/go/src/net/http/server.go``, ``/home/ci/go/pkg/mod/example.com/dep@v1.2.3/x.go``;
* relative to GOROOT (the runtime's own frames in some builds).

Resolution order (first hit wins): the workspace's module paths (every ``go.mod`` under the root
and every ``use`` directory of ``go.work``), then the exact path on this machine, then the
longest path suffix that names exactly one workspace file. A suffix that names several files
is disambiguated by the function the frame says it is in (this is how a moved file is found);
a bare file-name match is only trusted when that function check passes. Standard-library,
module-cache and vendored frames are not workspace code: evidence is attributed to the first
frame that is. Frames that look like user code but resolve nowhere are counted as unresolved.

Staleness is decided from the source text, never from modification times (``touch``, a
checkout or ``cp -r`` change those without changing a line): the trace names the function of
every frame, and a mapped line is current while it still lies inside the function of that name
(``main.handleReport.func1`` belongs in ``handleReport``; ``pkg.(*T).M`` in method ``M`` of
``T``). Edits made in the editor after loading shift the lines (see ``lsp.trace_state``).
"""

from __future__ import annotations

import datetime as _dt
import enum
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from golens.document.document import DEFAULT_MAX_FILE_BYTES, Document
from golens.safeio import is_regular_file, read_regular, read_regular_text, within
from golens.syntax.calls import function_name
from golens.syntax.sync import receiver
from golens.trace import Frame, Stack

# Directories whose Go files are never the user's own code or are not indexed at all.
_SKIP_DIRS = frozenset({"testdata", "node_modules"})

class Where(enum.Enum):
    WORKSPACE = "workspace"
    VENDOR = "vendor"  # a vendored dependency inside the workspace
    STDLIB = "stdlib"
    EXTERNAL = "external"  # module cache dependency
    UNRESOLVED = "unresolved"  # looks like user code, found nowhere


class Resolution(NamedTuple):
    where: Where
    path: Path | None = None
    how: str = ""  # module | exact | suffix | moved


# -- function symbols ---------------------------------------------------------------------------

_CLOSURE_PART = re.compile(r"^(func\d+|gowrap\d+|deferwrap\d+|\d+|)$")


class FuncName(NamedTuple):
    package: str  # import path ("main" for package main)
    receiver: str | None  # method receiver type name, without * and type parameters
    name: str | None  # None: a package-level variable's func literal (no enclosing function)


def parse_symbol(symbol: str) -> FuncName:
    """Split a runtime function symbol into package, receiver and the outermost named function."""
    symbol = symbol.replace("[...]", "")
    slash = symbol.rfind("/")
    dot = symbol.find(".", slash + 1)
    if dot < 0:
        return FuncName(symbol, None, None)
    package, rest = symbol[:dot], symbol[dot + 1:]
    parts = rest.split(".")
    if parts[0] == "glob":
        return FuncName(package, None, None)
    if parts[0].startswith("("):
        recv = parts[0].strip("()").lstrip("*")
        return FuncName(package, recv, parts[1] if len(parts) > 1 else None)
    if len(parts) > 1 and not _CLOSURE_PART.match(parts[1]):
        return FuncName(package, parts[0], parts[1])
    return FuncName(package, None, parts[0])


def package_of(symbol: str) -> str:
    return parse_symbol(symbol).package


def is_stdlib_package(package: str) -> bool:
    """Standard-library import paths have no dot in their first element (and `main` is the user's)."""
    first = package.split("/", 1)[0]
    return "." not in first and package != "main" and first not in ("", "command-line-arguments")


# -- source functions ---------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _functions(path: str, mtime_ns: int, size: int) -> tuple[tuple[int, int, str | None, str], ...]:
    """(first line, last line, receiver, name) of every top-level function in the file (1-based lines)."""
    try:
        doc = Document(read_regular(path, DEFAULT_MAX_FILE_BYTES), path)
    except OSError:
        return ()
    if doc.tree is None:
        return ()
    out = []
    for node in doc.tree.root_node.named_children:
        if node.type not in ("function_declaration", "method_declaration"):
            continue
        name = function_name(node)
        if name is None:
            continue
        recv = receiver(node)
        out.append((node.start_point[0] + 1, node.end_point[0] + 1, recv.type if recv else None, name))
    return tuple(out)


def functions_in(path: Path) -> tuple[tuple[int, int, str | None, str], ...]:
    try:
        st = path.stat()
    except OSError:
        return ()
    return _functions(str(path), st.st_mtime_ns, st.st_size)


def enclosing_function(path: Path, line: int) -> tuple[str | None, str] | None:
    """(receiver, name) of the top-level function containing 1-based `line`, or None."""
    for first, last, recv, name in functions_in(path):
        if first <= line <= last:
            return recv, name
    return None


def describe(recv: str | None, name: str) -> str:
    return f"(*{recv}).{name}" if recv else name


def function_matches(symbol: str, path: Path, line: int) -> bool | None:
    """Does the function enclosing `line` match the frame's symbol? None when it cannot be told
    (a package-level func literal)."""
    want = parse_symbol(symbol)
    if want.name is None:
        return None
    got = enclosing_function(path, line)
    if got is None:
        return False
    recv, name = got
    return name == want.name and recv == want.receiver


# -- workspace ----------------------------------------------------------------------------------

def _read_module_path(go_mod: Path) -> str | None:
    try:
        text = read_regular_text(go_mod, errors="replace")
    except OSError:
        return None
    m = re.search(r"^\s*module\s+(\"?)([^\s\"]+)\1", text, re.MULTILINE)
    return m[2] if m else None


def _go_work_uses(go_work: Path) -> list[Path]:
    try:
        text = read_regular_text(go_work, errors="replace")
    except OSError:
        return []
    text = re.sub(r"//[^\n]*", "", text)
    dirs: list[str] = []
    for block in re.finditer(r"^\s*use\s*\(([^)]*)\)", text, re.MULTILINE):
        dirs += [d.strip().strip('"') for d in block[1].split("\n") if d.strip()]
    for single in re.finditer(r"^\s*use\s+([^\s(][^\n]*)$", text, re.MULTILINE):
        dirs.append(single[1].strip().strip('"'))
    # A `use` of an ancestor (`use /`, `use ../..`) in a cloned repository would have golens walk,
    # and read from, the whole file system; siblings (`use ../shared`) are normal Go workspaces.
    home = go_work.parent.resolve()
    uses = [(go_work.parent / d).resolve() for d in dirs]
    return [d for d in uses if d != home and d not in home.parents]


@dataclass
class Workspace:
    """The Go files and modules a trace's frames are mapped onto (no LSP, no trace)."""

    root: Path
    modules: list[tuple[str, Path]] = field(default_factory=list)  # longest module path first
    _by_name: dict[str, list[Path]] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[str, str], Resolution] = field(default_factory=dict, repr=False)

    @classmethod
    def scan(cls, root: str | os.PathLike) -> Workspace:
        root = Path(root).resolve()
        if root.is_file():
            root = root.parent
        ws = cls(root)
        dirs = [root]
        go_work = _find_upwards(root, "go.work")
        if go_work is not None:
            dirs += [d for d in _go_work_uses(go_work) if d.is_dir()]
        seen: set[Path] = set()
        mods: dict[str, Path] = {}
        for top in dirs:
            for directory, subdirs, files in os.walk(top):
                d = Path(directory)
                if len(seen) >= MAX_SCANNED_DIRECTORIES:
                    break
                if d in seen:
                    subdirs[:] = []
                    continue
                seen.add(d)
                subdirs[:] = sorted(s for s in subdirs if s not in _SKIP_DIRS and not s.startswith((".", "_")))
                in_vendor = "vendor" in d.relative_to(top).parts
                if "go.mod" in files and not in_vendor:
                    mod = _read_module_path(d / "go.mod")
                    if mod and mod not in mods:
                        mods[mod] = d
                for name in files:
                    if name.endswith(".go"):
                        ws._by_name.setdefault(name, []).append(d / name)
        # A root without its own go.mod may sit inside a module: map that module too.
        if not any(d == root or root in d.parents for d in mods.values()) or not mods:
            above = _find_upwards(root, "go.mod")
            if above is not None:
                mod = _read_module_path(above)
                if mod and mod not in mods:
                    mods[mod] = above.parent
        ws.modules = sorted(mods.items(), key=lambda kv: -len(kv[0]))
        return ws

    def contains(self, path: Path) -> bool:
        return path.name in self._by_name and path in self._by_name[path.name]

    def is_vendored(self, path: Path) -> bool:
        for _, d in self.modules:
            try:
                rel = path.relative_to(d)
            except ValueError:
                continue
            if rel.parts and rel.parts[0] == "vendor":
                return True
        try:
            return "vendor" in path.relative_to(self.root).parts[:-1]
        except ValueError:
            return False

    # -- resolution -----------------------------------------------------------------------------

    def resolve(self, file: str, func: str = "") -> Resolution:
        key = (file, func)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._resolve(file, func)
        return hit

    def resolve_frame(self, frame: Frame) -> Resolution:
        return self.resolve(frame.file, frame.func)

    def _is_stdlib(self, package: str) -> bool:
        return is_stdlib_package(package) and not any(
            package == m or package.startswith(m + "/") for m, _ in self.modules)

    def _classify(self, path: Path, how: str) -> Resolution:
        if self.is_vendored(path):
            return Resolution(Where.VENDOR, path, how)
        return Resolution(Where.WORKSPACE, path, how)

    def _resolve(self, file: str, func: str) -> Resolution:
        if not file or not file.endswith(".go"):
            return Resolution(Where.STDLIB if is_stdlib_package(package_of(func)) else Where.UNRESOLVED)
        norm = file.replace("\\", "/")
        base = norm.rsplit("/", 1)[-1]
        if base.startswith("_cgo_") or base == "_testmain.go":
            return Resolution(Where.EXTERNAL)  # written by cgo / go test at build time, never in the workspace
        # Module cache (either shape): a versioned path element.
        if re.search(r"@v\d[^/]*/", norm):
            return Resolution(Where.EXTERNAL)
        package = package_of(func) if func else ""
        # 1. Module paths (trimpath shape).
        if not norm.startswith("/") and not re.match(r"^[A-Za-z]:/", norm):
            for mod, d in self.modules:
                if norm == mod or norm.startswith(mod + "/"):
                    # within(): a frame path such as example.com/m/../../x.go stays in the module.
                    candidate = within(d, norm[len(mod) + 1:])
                    if candidate is not None and is_regular_file(candidate):
                        return self._classify(candidate, "module")
                    # The module's file is gone: it moved, or the trace is of other code.
                    res = self._by_suffix(norm, func)
                    return res._replace(how="moved") if res.path is not None else res
            else:
                if func and self._is_stdlib(package):
                    return Resolution(Where.STDLIB)
        # 2. The exact path on this machine.
        if norm.startswith("/") or re.match(r"^[A-Za-z]:/", norm):
            p = Path(file)
            if p.is_file():
                rp = p.resolve()
                if self.contains(rp):
                    return self._classify(rp, "exact")
            if func and self._is_stdlib(package) and "/src/" in norm:
                return Resolution(Where.STDLIB)
        if func and self._is_stdlib(package):
            return Resolution(Where.STDLIB)
        # 3. Longest unambiguous suffix.
        return self._by_suffix(norm, func)

    def _by_suffix(self, norm: str, func: str) -> Resolution:
        parts = [p for p in norm.split("/") if p]
        candidates = list(self._by_name.get(parts[-1], ())) if parts else []
        if not candidates:
            return Resolution(Where.UNRESOLVED)
        best_len, best = 0, []
        for c in candidates:
            cparts = c.parts
            n = 0
            while n < len(parts) and n < len(cparts) and parts[-1 - n] == cparts[-1 - n]:
                n += 1
            if n > best_len:
                best_len, best = n, [c]
            elif n == best_len:
                best.append(c)
        if len(best) == 1 and best_len >= 2:
            return self._classify(best[0], "suffix")
        # A bare file name, or several files sharing the suffix: only the frame's function can
        # tell which one (if any) it is — the file may also have moved to another directory.
        if not func or parse_symbol(func).name is None:
            return Resolution(Where.UNRESOLVED)
        want = parse_symbol(func)
        matching = [c for c in candidates if any(
            name == want.name and recv == want.receiver for _, _, recv, name in functions_in(c))]
        if len(matching) == 1:
            return self._classify(matching[0], "suffix" if matching[0] in best else "moved")
        return Resolution(Where.UNRESOLVED)

    def first_workspace_frame(self, stack: Stack | None) -> tuple[Frame, Resolution] | None:
        """The innermost frame of `stack` that is the workspace's own code."""
        if stack is None:
            return None
        for frame in stack.frames:
            if not frame.func or not frame.file:
                continue
            res = self.resolve_frame(frame)
            if res.where is Where.WORKSPACE:
                return frame, res
        return None

    def display(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


# A bound on the directories a trace's workspace scan visits, whatever the go.work says.
MAX_SCANNED_DIRECTORIES = 50_000


def _find_upwards(start: Path, name: str) -> Path | None:
    for d in (start, *start.parents):
        candidate = d / name
        if candidate.is_file():
            return candidate
    return None


# -- staleness ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TraceTime:
    """When a trace was taken, as well as it can be told."""

    captured_end: _dt.datetime | None = None  # wall clock at trace end (format 25+)


def stale_reason(path: Path, line: int, symbol: str) -> str | None:
    """Why the evidence mapped to `path:line` for function `symbol` can no longer be trusted, or
    None while the line still lies inside the function the trace named."""
    if function_matches(symbol, path, line) is not False:
        return None
    got = enclosing_function(path, line)
    want = parse_symbol(symbol)
    want_s = describe(want.receiver, want.name) if want.name else symbol
    if got is None:
        return f"line {line} is no longer inside {want_s}"
    return f"line {line} is now in {describe(*got)}, the trace saw {want_s}"
