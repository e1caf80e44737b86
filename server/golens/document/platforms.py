"""Which GOOS/GOARCH a file can be compiled for, from its name (`x_linux.go`, `x_windows_amd64.go`)
and its `//go:build` line, as `go/build` decides. The package model uses it to keep apart files
that never compile together: `osalloc_linux.go` and `osalloc_windows.go` may each declare
`type OSAllocator` with different fields.

Tags other than GOOS/GOARCH names (`cgo`, `go1.21`, custom tags) may be either true or false, so a
file is ruled out for a platform only when its constraint is false there whatever they are."""

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

KNOWN_OS = frozenset({
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux",
    "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
})
KNOWN_ARCH = frozenset({
    "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle",
    "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
    "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
})
UNIX_OS = frozenset({
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "linux",
    "netbsd", "openbsd", "solaris",
})
# GOOS=android also satisfies `linux`, illumos `solaris`, ios `darwin` (go/build's matchTag).
_IMPLIED_OS = {"android": "linux", "illumos": "solaris", "ios": "darwin"}
_TOKEN = re.compile(r"\s*(\(|\)|!|&&|\|\||[\w.]+)")


@dataclass(frozen=True)
class Platforms:
    """The GOOS values and GOARCH values a file can be built for (each judged on its own)."""

    oses: frozenset[str] = KNOWN_OS
    arches: frozenset[str] = KNOWN_ARCH

    def overlaps(self, other: "Platforms") -> bool:
        """Could both files be in one build? False only when no GOOS or no GOARCH suits both."""
        return bool(self.oses & other.oses) and bool(self.arches & other.arches)


ANY = Platforms()


def platforms(path: str | None, build_expression: str | None) -> Platforms:
    name_os, name_arch = _name_constraint(os.path.basename(path)) if path else (None, None)
    expr = _parse(build_expression) if build_expression else None
    oses = frozenset(goos for goos in KNOWN_OS
                     if (name_os is None or _os_tag(name_os, goos))
                     and (expr is None or _eval(expr, partial(_os_value, goos=goos)) is not False))
    arches = frozenset(arch for arch in KNOWN_ARCH
                       if (name_arch is None or name_arch == arch)
                       and (expr is None or _eval(expr, partial(_arch_value, arch=arch)) is not False))
    if oses == KNOWN_OS and arches == KNOWN_ARCH:
        return ANY
    return Platforms(oses, arches)


def _name_constraint(name: str) -> tuple[str | None, str | None]:
    """go/build's goodOSArchFile: `_GOOS`, `_GOARCH` or `_GOOS_GOARCH` before `.go` (and `_test`)."""
    stem = name.split(".", 1)[0]
    if "_" not in stem:
        return None, None
    parts = stem[stem.index("_"):].split("_")
    if parts and parts[-1] == "test":
        parts = parts[:-1]
    if len(parts) >= 2 and parts[-2] in KNOWN_OS and parts[-1] in KNOWN_ARCH:
        return parts[-2], parts[-1]
    if parts and parts[-1] in KNOWN_OS:
        return parts[-1], None
    if parts and parts[-1] in KNOWN_ARCH:
        return None, parts[-1]
    return None, None


def _os_tag(tag: str, goos: str) -> bool:
    return tag == goos or _IMPLIED_OS.get(goos) == tag or (tag == "unix" and goos in UNIX_OS)


def _os_value(tag: str, goos: str) -> bool | None:
    if tag in KNOWN_OS or tag == "unix":
        return _os_tag(tag, goos)
    return None


def _arch_value(tag: str, arch: str) -> bool | None:
    return tag == arch if tag in KNOWN_ARCH else None


# A parsed constraint: a tag, ("!", x), ("&&", x, y) or ("||", x, y).
Expr = str | tuple["Expr", ...]


def _parse(text: str) -> Expr | None:
    tokens: list[str] = []
    at = 0
    text = text.strip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            return None
        tokens.append(match[1])
        at = match.end()
    parsed, rest = _or(tokens)
    return parsed if parsed is not None and not rest else None


def _or(tokens: list[str]) -> tuple[Expr | None, list[str]]:
    left, tokens = _and(tokens)
    while left is not None and tokens[:1] == ["||"]:
        right, tokens = _and(tokens[1:])
        left = ("||", left, right) if right is not None else None
    return left, tokens


def _and(tokens: list[str]) -> tuple[Expr | None, list[str]]:
    left, tokens = _not(tokens)
    while left is not None and tokens[:1] == ["&&"]:
        right, tokens = _not(tokens[1:])
        left = ("&&", left, right) if right is not None else None
    return left, tokens


def _not(tokens: list[str]) -> tuple[Expr | None, list[str]]:
    if not tokens:
        return None, tokens
    head, rest = tokens[0], tokens[1:]
    if head == "!":
        inner, rest = _not(rest)
        return (("!", inner) if inner is not None else None), rest
    if head == "(":
        inner, rest = _or(rest)
        if inner is None or rest[:1] != [")"]:
            return None, rest
        return inner, rest[1:]
    if head in (")", "&&", "||"):
        return None, tokens
    return head, rest


def _eval(expr: Expr, value: Callable[[str], bool | None]) -> bool | None:
    """Three-valued: None when the answer depends on tags this platform does not decide."""
    if isinstance(expr, str):
        return value(expr)
    if expr[0] == "!":
        inner = _eval(expr[1], value)
        return None if inner is None else not inner
    left, right = _eval(expr[1], value), _eval(expr[2], value)
    if expr[0] == "&&":
        if left is False or right is False:
            return False
        return True if left and right else None
    if left is True or right is True:
        return True
    return False if left is False and right is False else None


