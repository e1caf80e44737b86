"""The VS Code extension (vscode-client/): type check, unit tests, packaging, and the end-to-end run
in a real VS Code (code-server + Chromium), all from pytest so that `scripts/test` covers them.

`scripts/setup-vscode-e2e.sh` installs what is missing (Debian packages, npm dependencies,
code-server); a failure there fails these tests rather than skipping them: a machine that cannot
run them must say so.
"""

import fcntl
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lsprotocol import converters
from pytest_lsp import client_capabilities

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "vscode-client"
ARTIFACTS = REPO / "artifacts" / "vscode-e2e"
SERVER_COMMANDS = ("golens.loadTrace", "golens.clearTrace", "golens.showTraceSummary")

# One xdist worker runs them all: they share vscode-client/out, node_modules and one install.
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("vscode")]


def run(cmd, *, cwd=CLIENT, timeout=600, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} exited {result.returncode}\n"
                    f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}")
    return result


@pytest.fixture(scope="session")
def checkout_lock():
    """One run of these tests per checkout at a time: they share vscode-client/out and
    node_modules, and other engineers' full test runs use the same checkout."""
    lock_dir = REPO / ".cache"
    lock_dir.mkdir(exist_ok=True)
    with open(lock_dir / "vscode-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def tools(checkout_lock) -> dict[str, str]:
    """Runs the setup script; its stdout is KEY=VALUE lines (CODE_SERVER, CHROMIUM)."""
    result = run(["bash", str(REPO / "scripts" / "setup-vscode-e2e.sh")], cwd=REPO, timeout=1500)
    found = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    for key in ("CODE_SERVER", "CHROMIUM"):
        assert key in found and Path(found[key]).exists(), f"setup did not provide {key}: {result.stdout}"
    return found


@pytest.fixture(scope="session")
def vsix(tools) -> Path:
    out = CLIENT / "out" / "golens.vsix"
    out.unlink(missing_ok=True)
    run(["npm", "run", "--silent", "package"])
    assert out.is_file()
    return out


@pytest.fixture(scope="session")
def vsix_linux_x64(vsix) -> Path:
    """The platform build carrying golens and its dependencies as wheels (after `vsix`: both
    builds share out/)."""
    out = CLIENT / "out" / "golens-linux-x64.vsix"
    out.unlink(missing_ok=True)
    run(["npm", "run", "--silent", "package:linux-x64"], env={**os.environ, "PYTHON": sys.executable})
    assert out.is_file()
    return out


def test_platform_vsix_carries_the_server_as_wheels(vsix_linux_x64):
    archive = zipfile.ZipFile(vsix_linux_x64)
    names = set(archive.namelist())
    wheels = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("extension/bundled/wheels/"))
    assert any(w.startswith("golens-") and w.endswith("-py3-none-any.whl") for w in wheels), wheels
    for version in ("cp311", "cp312", "cp313"):
        assert any(w.startswith("tree_sitter-") and f"-{version}-" in w and "x86_64" in w for w in wheels), wheels
    for needed in ("pygls-", "lsprotocol-", "tree_sitter_go-", "protobuf-", "attrs-", "cattrs-"):
        assert any(w.startswith(needed) for w in wheels), (needed, wheels)
    assert 'TargetPlatform="linux-x64"' in archive.read("extension.vsixmanifest").decode()


def golens_executable() -> Path:
    """The golens console script of the interpreter running the tests (the project's venv)."""
    path = Path(sys.executable).parent / ("golens.exe" if os.name == "nt" else "golens")
    assert path.is_file(), f"no golens next to {sys.executable}: pip install -e ."
    return path


def server_capabilities() -> dict:
    """What `golens serve` advertises to a VS Code-like client: decides which conditional e2e
    checks run (quick fixes, trace commands)."""
    caps = converters.get_converter().unstructure(client_capabilities("visual-studio-code"))
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"processId": None, "rootUri": None, "capabilities": caps}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    payload = b"".join(
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        for body in (json.dumps(m).encode() for m in messages)
    )
    proc = subprocess.run([str(golens_executable()), "serve"], input=payload, capture_output=True, timeout=60)
    data = proc.stdout
    while data:
        header, _, rest = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", header).group(1))
        message = json.loads(rest[:length])
        data = rest[length:]
        if message.get("id") == 1:
            return message["result"]["capabilities"]
    pytest.fail(f"golens serve gave no initialize result: {proc.stdout[:2000]!r} {proc.stderr[-2000:]!r}")


def test_typecheck(tools):
    run(["npx", "--no-install", "tsc", "--noEmit", "-p", "."])


def test_unit_tests(tools):
    result = run(["npm", "run", "--silent", "test:unit"])
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.M)
    failed = re.search(r"^# fail (\d+)$", result.stdout, re.M)
    assert passed and failed, result.stdout[-3000:]
    assert int(failed.group(1)) == 0, result.stdout
    assert int(passed.group(1)) >= 30, f"only {passed.group(1)} unit tests ran"


def test_vsix_contents(vsix):
    names = set(zipfile.ZipFile(vsix).namelist())
    for needed in ("extension/package.json", "extension/out/extension.js", "extension/readme.md",
                   "extension/changelog.md", "extension/LICENSE.txt"):
        assert needed in names, f"{needed} missing from the vsix: {sorted(names)}"
    assert not any("node_modules/" in n or n.startswith("extension/src/") or n.startswith("extension/test/")
                   for n in names), sorted(names)
    # Every image the README shows ships with it (the extension page renders it from the vsix).
    readme = (CLIENT / "README.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert images, "the README has no screenshots"
    for image in images:
        assert f"extension/{image}" in names, f"{image} is referenced by the README but not packaged"
    manifest = json.loads(zipfile.ZipFile(vsix).read("extension/package.json"))
    assert manifest["main"] == "./out/extension.js"
    # The bundle must not try to load the language client from node_modules (not packaged).
    bundle = zipfile.ZipFile(vsix).read("extension/out/extension.js").decode()
    assert 'require("vscode-languageclient' not in bundle


def test_e2e_in_code_server(tools, vsix, vsix_linux_x64, capsys):
    caps = server_capabilities()
    commands = set((caps.get("executeCommandProvider") or {}).get("commands") or [])
    quickfix = bool(caps.get("codeActionProvider"))
    trace = all(c in commands for c in SERVER_COMMANDS)
    env = {
        **os.environ,
        "CODE_SERVER": tools["CODE_SERVER"],
        "CHROMIUM": tools["CHROMIUM"],
        "VSIX": str(vsix),
        "VSIX_BUNDLED": str(vsix_linux_x64),
        "GOLENS_SERVER": str(golens_executable()),
        "GOLENS_PYTHON": sys.executable,
        "ARTIFACTS": str(ARTIFACTS),
        "E2E_QUICKFIX": "1" if quickfix else "0",
        "E2E_TRACE": "1" if trace else "0",
    }
    result = subprocess.run(["node", "test/e2e/run.js"], cwd=CLIENT, env=env, capture_output=True, text=True,
                            timeout=540)
    summary = [line for line in result.stdout.splitlines() if line.startswith("[e2e")]
    with capsys.disabled():
        print(f"\nvscode e2e: quick fix {'checked' if quickfix else 'not checked (server has no codeActionProvider)'}"
              f", trace {'checked' if trace else 'not checked (server lacks ' + ', '.join(sorted(set(SERVER_COMMANDS) - commands)) + ')'}"
              f"; screenshots in {ARTIFACTS.relative_to(REPO)}")
    assert result.returncode == 0 and "e2e: PASSED" in result.stdout, (
        "\n".join(summary) + f"\n--- stderr ---\n{result.stderr[-6000:]}\n"
        f"(screenshots and the golens output log: {ARTIFACTS})")
    expected = ("quickfix=" + ("ran" if quickfix else "skipped") + " trace=" + ("ran" if trace else "skipped")
                + " bundled=ran")
    assert expected in result.stdout
