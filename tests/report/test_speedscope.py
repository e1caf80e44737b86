"""speedscope reads `golens trace --export pprof` as a person would: its released web app (the npm
package, installed at test time outside the checkout; nothing vendored) opens the file in
headless Chromium from a server on 127.0.0.1, and its own Export button writes what it imported as
a speedscope JSON file, whose totals are compared with the aggregate the export was made from.

speedscope shows one sample type, the profile's default (blocked time, ``delay``): its total and
each function's self time must equal golens' to the nanosecond.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from browser import Browser, installed_chromium

from golens.evidence import Workspace
from golens.export import aggregate
from golens.trace import read_trace

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "report"
SPEEDSCOPE_VERSION = "1.25.0"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("speedscope")]


@pytest.fixture(scope="module")
def speedscope_release() -> Path:
    """speedscope's built web app, npm-installed once into a cache shared by checkouts (a stamp
    written last marks a complete install). A machine that cannot install it fails here."""
    cache = Path(os.environ.get("GOLENS_SPEEDSCOPE_CACHE")
                 or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "golens-speedscope")
    home = cache / f"speedscope-{SPEEDSCOPE_VERSION}"
    release = home / "node_modules" / "speedscope" / "dist" / "release"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / ".complete").exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            (home / "package.json").write_text('{"name": "golens-speedscope", "private": true}\n')
            r = subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund",
                                f"speedscope@{SPEEDSCOPE_VERSION}"], cwd=home, capture_output=True, text=True,
                               timeout=600)
            if r.returncode != 0 or not (release / "index.html").exists():
                pytest.fail(f"npm install speedscope@{SPEEDSCOPE_VERSION} failed:\n{r.stderr[-3000:]}")
            (home / ".complete").touch()
    return release


@pytest.fixture(scope="module")
def served(speedscope_release: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, directory it serves): speedscope's app and the profiles the tests put there.
    speedscope fetches a profile given as #profileURL=, which a file:// page may not do."""
    root = tmp_path_factory.mktemp("speedscope")
    shutil.copytree(speedscope_release, root, dirs_exist_ok=True)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def imported_by_speedscope(base: str, root: Path, profile: Path, shot: Path) -> dict[str, Any]:
    """Opens `profile` in speedscope and returns the speedscope JSON its Export button writes."""
    binary = installed_chromium()
    shutil.copy(profile, root / profile.name)
    downloads = root.parent / f"{root.name}-downloads-{profile.stem}"
    downloads.mkdir()
    with Browser(binary) as b:
        b.call("Browser.setDownloadBehavior", session=False, behavior="allow", downloadPath=str(downloads))
        b.call("Page.navigate", url=f"{base}/index.html#profileURL={base}/{profile.name}")
        b.wait_event("Page.loadEventFired")
        # Loaded when the toolbar names the profile (the fetch and import are asynchronous).
        deadline = time.monotonic() + 30
        while b.eval("document.title") != f"{profile.name} - speedscope":
            assert time.monotonic() < deadline, b.eval("document.body.innerText.slice(0, 500)")
            time.sleep(0.2)
        b.screenshot(shot)
        b.eval("[...document.querySelectorAll('div')].filter(d => d.textContent.trim() === '⤴️Export').pop()"
               ".click()")
        deadline = time.monotonic() + 30
        while not list(downloads.glob("*.speedscope.json")):
            assert time.monotonic() < deadline, "speedscope's export was not written"
            time.sleep(0.2)
        assert b.console_errors() == []
    (exported,) = downloads.glob("*.speedscope.json")
    return json.loads(exported.read_text(encoding="utf-8"))


def self_time(doc: dict[str, Any]) -> Counter[str]:
    """Nanoseconds per function at the top of the stack, from speedscope's evented profile."""
    (profile,) = doc["profiles"]
    names = [f["name"] for f in doc["shared"]["frames"]]
    out: Counter[str] = Counter()
    stack: list[int] = []
    last = profile["startValue"]
    for ev in profile["events"]:
        if stack:
            out[names[stack[-1]]] += ev["at"] - last
        last = ev["at"]
        if ev["type"] == "O":
            stack.append(ev["frame"])
        else:
            assert stack.pop() == ev["frame"]
    return +out


@pytest.mark.parametrize("program", ["handler_leak", "sync_contention", "select_busy"])
def test_speedscope_imports_the_pprof_export_with_golens_totals(program, served, tmp_path):
    base, root = served
    profile = tmp_path / f"{program}.pb.gz"
    r = subprocess.run([sys.executable, "-m", "golens", "trace", f"traces/{program}/go1.27.trace", "--root",
                        f"traces/{program}", "--export", "pprof", str(profile)], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    doc = imported_by_speedscope(base, root, profile, ARTIFACTS / f"speedscope-{program}.png")

    trace = read_trace(REPO / "traces" / program / "go1.27.trace")
    agg = aggregate(trace, Workspace.scan(REPO / "traces" / program))
    (imported,) = doc["profiles"]
    assert imported["unit"] == "nanoseconds"
    assert imported["endValue"] - imported["startValue"] == agg.blocked_total() > 0
    want: Counter[str] = Counter()
    for table in agg.blocked.values():
        for sid, w in table.items():
            stack = trace.stacks.get(sid)
            want[(stack.frames[0].func or "?") if stack is not None and stack.frames else "(no stack)"] += w.total_ns
    assert self_time(doc) == +want
