"""Which GOOS/GOARCH a file builds for, from its name and `//go:build` line (go/build's rules)."""

import pytest

from golens.document.platforms import ANY, KNOWN_ARCH, platforms


@pytest.mark.parametrize(("name", "build", "oses", "arches"), [
    ("alloc_linux.go", None, {"linux", "android"}, None),  # android satisfies linux
    ("alloc_windows_amd64_test.go", None, {"windows"}, {"amd64"}),
    ("sctp_linux_386.go", None, {"linux", "android"}, {"386"}),
    ("x_arm64.go", None, None, {"arm64"}),
    ("x.go", "darwin || (linux && !android)", {"darwin", "ios", "linux"}, None),
    ("x.go", "go1.21 && windows", {"windows"}, None),  # version tags decide nothing here
    ("x.go", "linux && !386", {"linux", "android"}, KNOWN_ARCH - {"386"}),
])
def test_constraints(name: str, build: str | None, oses: set[str] | None, arches: set[str] | None):
    found = platforms(name, build)
    if oses is not None:
        assert found.oses == oses
    if arches is not None:
        assert found.arches == arches


@pytest.mark.parametrize(("name", "build"), [
    ("linux.go", None),  # a bare GOOS name is no constraint
    ("x_unix.go", None),  # `unix` is a build tag, not a file-name suffix
    ("x.go", "cgo && customtag"),
    ("x.go", "linux &&"),  # unparsable: assume nothing
])
def test_no_constraint(name: str, build: str | None):
    assert platforms(name, build) is ANY


def test_overlaps():
    linux, windows = platforms("a_linux.go", None), platforms("b.go", "windows")
    assert not linux.overlaps(windows)
    assert linux.overlaps(platforms("c_android.go", None))
    assert platforms("d.go", "unix").overlaps(platforms("e.go", "!windows"))
    assert not platforms("f.go", "unix").overlaps(platforms("g_windows.go", None))
    assert not platforms("h_amd64.go", None).overlaps(platforms("i.go", "linux && 386"))
