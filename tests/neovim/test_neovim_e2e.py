"""golens in real headless Neovims: 0.7.2 (Debian; utf-16, byte columns in code-action context)
and 0.11.4 (PyPI wheel; negotiates utf-8, pull diagnostics). The checks themselves are Lua
(e2e.lua, snippet.lua) run by Neovim; this file builds the workspace, runs them under `timeout`
and insists that the expected checks really ran and passed."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PLUGIN = REPO / "editors" / "neovim"

# Real Neovims, installed on first use: one xdist worker runs them all (one install, no race).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("neovim")]
SERVER = [sys.executable, "-m", "golens", "serve"]
NVIM_TIMEOUT = 90

# Gofmt would split the first line of work(); on one line, the finding sits after non-ASCII text.
FIXTURE = """package main

import (
\t"context"
\t"time"
)

func work() error {
\t_ = "é😀"; ctx, _ := context.WithTimeout(context.Background(), time.Second)
\treturn ctx.Err()
}

func main() { _ = work() }
"""

# case -> (binary key from setup-neovim.sh, version printed, how e2e.lua configures golens)
CASES = {
    "nvim-0.7": ("NVIM_07", "0.7.2", "setup"),
    "nvim-0.11": ("NVIM_011", "0.11.4", "config"),
    # The README promises one require('golens').setup() for every version.
    "nvim-0.11-setup": ("NVIM_011", "0.11.4", "setup"),
}

# Checks that must have run and passed whatever the server advertises.
ALWAYS = [
    "user command :GolensLoadTrace defined",
    ":GolensClearTrace without a server reports an error",
    "golens client started and attached",
    "root_dir is the go.mod directory",
    "negotiated position encoding",
    "GL201 exactly on the discarded cancel",
    "severity from settings.golens.severity",
    "hover on the finding shows GL201 title and short fix, links the rest",
    ":GolensExplain on the diagnostic opens the rule page",
    ":checkhealth golens reports server, version, client and watching",
    ":GolensTraceReport writes the report",
    "no hover just after the finding",
    "after inserting a line above, GL201 moved to line 10",
    "fixing the code by hand clears the diagnostic",
    "restoring the text restores the diagnostic at line 9",
    "second Go file attached to the same client",
    ":GolensLoadTrace with a missing file says so",
    "no deprecation warnings",
]
# Checks that must have run when the named conditional block ran.
WHEN = {
    "code-actions": ["quick fix applied at the right place", "diagnostic cleared after the quick fix",
                     "suppress comment inserted, code unchanged", ":GolensFixAll applied the preferred fix"],
    "trace-commands": [":GolensLoadTrace brings golens-trace diagnostics", ":GolensLoadTrace answered without error",
                       "hover on trace evidence shows a table", "statusline helper shows the loaded trace",
                       ":GolensLoadTrace of a non-trace reports the error alone"],
    "trace-summary": [":GolensTraceSummary opens the summary buffer", "trace code lenses are shown",
                      "running a trace code lens opens the summary"],
    "trace-clear": [":GolensClearTrace removes golens-trace diagnostics", ":GolensRestart starts a new server",
                    "a cleared trace stays cleared after :GolensRestart"],
}


# An untrusted checkout's own Python packages: `python -m golens` started in the checkout, or any
# Python child the server spawns from there, would import them instead of the real ones.
HOSTILE_PACKAGES = ("golens", "multiprocessing")


def hostile_marker(tmp_path: Path) -> Path:
    return tmp_path / "hostile-code-ran"


def make_workspace(tmp_path: Path) -> Path:
    """outer/.git above ws/go.mod: the nearer go.mod must win the root. ws holds the fixture, the
    bundled trace example under the module path its trace was recorded with, and Python packages
    that write a marker file when imported (the tests assert it never appears)."""
    outer = tmp_path / "outer"
    (outer / ".git").mkdir(parents=True)
    ws = outer / "ws"
    (ws / "fixture").mkdir(parents=True)
    (ws / "fixture" / "main.go").write_text(FIXTURE, encoding="utf-8")
    (ws / "handler_leak").mkdir()
    for name in ("main.go", "go1.27.trace"):
        shutil.copy(REPO / "traces" / "handler_leak" / name, ws / "handler_leak" / name)
    (ws / "go.mod").write_text("module example.com/golens/traces\n\ngo 1.22\n")
    payload = f"open({str(hostile_marker(tmp_path))!r}, 'a').write(__name__ + '\\n')\n"
    for package in HOSTILE_PACKAGES:
        (ws / package).mkdir()
        for module in ("__init__.py", "__main__.py"):
            (ws / package / module).write_text(payload)
    return ws


def run_nvim(nvim: str, script: Path, ws: Path, tmp_path: Path, extra_env: dict) -> tuple[str, int]:
    home = tmp_path / "home"
    env = {
        **os.environ,
        # Keep the user's config, shada and LSP log out of it.
        "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
        "GOLENS_WORKSPACE": str(ws),
        **extra_env,
    }
    proc = subprocess.run(
        ["timeout", str(NVIM_TIMEOUT), nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n",
         "-c", f"luafile {script}"],
        cwd=ws, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=NVIM_TIMEOUT + 30,
    )
    output = proc.stdout + ("\n--- stderr ---\n" + proc.stderr if proc.stderr.strip() else "")
    print(output)  # pytest shows it with the failure
    if proc.returncode == 124:
        pytest.fail(f"nvim hung and was killed after {NVIM_TIMEOUT}s:\n{output}")
    marker = hostile_marker(tmp_path)
    assert not marker.exists(), f"the workspace's own Python code ran: {marker.read_text()}"
    return proc.stdout, proc.returncode


def results(stdout: str) -> tuple[dict[str, bool], dict[str, str], tuple[int, int] | None]:
    checks, conditions, done = {}, {}, None
    for line in stdout.splitlines():
        if line.startswith(("ok   ", "FAIL ")):
            checks[line[5:]] = line.startswith("ok")
        elif line.startswith("COND "):
            name, _, status = line[5:].partition(" ")
            conditions[name] = status
        elif m := re.fullmatch(r"DONE (\d+) (\d+)", line):
            done = int(m[1]), int(m[2])
    return checks, conditions, done


def passed(checks: dict[str, bool], prefix: str) -> bool:
    return any(ok for name, ok in checks.items() if name.startswith(prefix))


def assert_all_passed(stdout: str, code: int, version: str, required: list[str]) -> dict[str, str]:
    checks, conditions, done = results(stdout)
    assert stdout.startswith(f"nvim {version}"), f"expected Neovim {version}:\n{stdout[:200]}"
    failed = [name for name, ok in checks.items() if not ok]
    assert not failed, f"failed checks: {failed}"
    assert done is not None, "the Lua script stopped before its end (see the output)"
    assert done[1] == 0 and code == 0, f"exit {code}, {done[1]} failure(s)"
    missing = [name for name in required if not passed(checks, name)]
    assert not missing, f"checks that did not run: {missing}"
    return conditions


@pytest.mark.parametrize("case", CASES)
def test_neovim_e2e(case, neovims, tmp_path, conditional_report):
    key, version, setup = CASES[case]
    ws = make_workspace(tmp_path)
    stdout, code = run_nvim(neovims[key], HERE / "e2e.lua", ws, tmp_path, {
        "GOLENS_PLUGIN": str(PLUGIN), "GOLENS_CMD": json.dumps(SERVER), "GOLENS_SETUP": setup,
    })
    checks, conditions, _ = results(stdout)
    conditional_report(case, conditions)
    assert set(conditions) >= {"code-actions", "trace-commands"}, f"conditional blocks not reached: {conditions}"
    required = list(ALWAYS)
    for name, status in conditions.items():
        if status == "ran":
            required += WHEN.get(name, [])
    if case == "nvim-0.7" and conditions["code-actions"] == "ran":
        required.append("nvim 0.7 sent byte columns in context.diagnostics")
    assert_all_passed(stdout, code, version, required)


def readme_snippet() -> str:
    """The plugin-free 0.7-0.10 snippet of editors/neovim/README.md, exactly as documented."""
    text = (PLUGIN / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```lua\n(.*?)```", text, flags=re.S)
    matches = [b for b in blocks if b.startswith("-- golens for Neovim 0.7-0.10 without the plugin")]
    assert len(matches) == 1, "the README's plugin-free snippet is missing or duplicated"
    return matches[0]


@pytest.mark.parametrize("case", ["nvim-0.7", "nvim-0.11"])
def test_readme_snippet(case, neovims, tmp_path):
    """On 0.7 the snippet takes its start_client branch, on 0.11 its vim.lsp.start branch (the API
    of 0.8-0.10); `golens` is found on PATH, as the snippet expects."""
    key, version, _ = CASES[case]
    ws = make_workspace(tmp_path)
    snippet = tmp_path / "snippet.lua"
    snippet.write_text(readme_snippet(), encoding="utf-8")
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    stdout, code = run_nvim(neovims[key], HERE / "snippet.lua", ws, tmp_path, {
        "GOLENS_SNIPPET": str(snippet), "PATH": path,
    })
    assert_all_passed(stdout, code, version, [
        "snippet: GL201 at line 9, byte col 20", "snippet: settings reached the server",
        "snippet: root_dir is the go.mod directory", "snippet: one client for both files of the project",
    ])
