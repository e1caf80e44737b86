"""Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe):
load a page, run JS in it, click at a point like a mouse does, take screenshots. Standard
library only: the report needs nothing of a browser-automation library but these few calls."""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def chromium_path() -> str | None:
    # Debian's /usr/bin/chromium is a shell wrapper; the binary behind it is started directly so
    # that nothing sits between the test and the protocol pipe.
    if os.access("/usr/lib/chromium/chromium", os.X_OK):
        return "/usr/lib/chromium/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def installed_chromium() -> str:
    """chromium_path(), installing Debian's chromium first when it is missing and this is root (as
    scripts/setup-vscode-e2e.sh does for the editor tests): a fresh machine runs the browser tests
    instead of failing them. Raises BrowserError when there is still none."""
    found = chromium_path()
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        # Another checkout's tests may be running apt at the same moment: wait for dpkg's lock.
        apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = [*apt, "install", "--no-install-recommends", "chromium"]
        if subprocess.run(install, env=env, capture_output=True, timeout=1200).returncode != 0:
            # A stale or absent package list: refresh once.
            subprocess.run([*apt, "update"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=1200)
        found = chromium_path()
    if found is None:
        raise BrowserError("Chromium is needed for the browser tests (Debian: apt-get install chromium)")
    return found


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="golens-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:  # the protocol's fixed descriptors: commands on 3, replies on 4
            # Copied out of the way first: a pipe end may already be 3 or 4, and dup2 onto itself
            # would leave it close-on-exec.
            commands, replies = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self._proc = subprocess.Popen(
            [binary, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             f"--user-data-dir={self._profile.name}", f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            # Our own pipe ends are non-inheritable (close on exec); only 3 and 4 reach Chromium.
            preexec_fn=wire_fds, close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buf = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.session = ""
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True,
                                 session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            os.close(self._to_browser)
        except OSError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._from_browser)
        self._profile.cleanup()

    # -- protocol -------------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("no answer from Chromium in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium exited: {self._proc.stderr.read().decode()[-2000:]}")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, timeout: float = 30, session: bool = True, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self._events):
                if ev["method"] == method:
                    return self._events.pop(i)
            message = self._read_message(deadline)
            if "method" in message:
                self._events.append(message)

    # -- what a test does -------------------------------------------------------------------------
    def open(self, path: Path) -> float:
        """Load a local file; returns seconds until its load event."""
        self._events.clear()
        t0 = time.monotonic()
        self.call("Page.navigate", url=path.resolve().as_uri())
        self.wait_event("Page.loadEventFired")
        return time.monotonic() - t0

    def eval(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def console_errors(self) -> list[str]:
        """Uncaught exceptions and console.error calls seen so far."""
        out = []
        for ev in self._events:
            if ev["method"] == "Runtime.exceptionThrown":
                out.append(json.dumps(ev["params"]["exceptionDetails"])[:500])
            elif ev["method"] == "Runtime.consoleAPICalled" and ev["params"]["type"] == "error":
                out.append(json.dumps(ev["params"]["args"])[:500])
        return out

    def click(self, x: float, y: float) -> None:
        """A real left click at page coordinates (press and release), as a mouse makes it."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=0 if kind == "mouseMoved" else 1)

    def click_element(self, selector: str) -> None:
        box = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                        "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                        "return [r.left + Math.min(r.width / 2, 20), r.top + r.height / 2]; })()")
        self.click(*box)

    def screenshot(self, out: Path, selector: str | None = None) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if selector:
            r = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                          "e.scrollIntoView(); const r = e.getBoundingClientRect(); "
                          "return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}; })()")
            params["clip"] = {**r, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", **params)["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out
