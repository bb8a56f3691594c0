"""Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``).

The pipe needs no extra library and no port: Chromium reads commands from its fd 3 and writes
replies and events to its fd 4, each a JSON message ended by a NUL byte. The protocol lets the
test set the ``_token`` cookie Airflow's UI sets at login, wait for pages to load, read the
rendered DOM and take a full-page screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import itertools
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TIMEOUT = 30.0
_CHILD_READ_FD, _CHILD_WRITE_FD = 3, 4  # fixed by --remote-debugging-pipe


def find_chromium() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class BrowserError(RuntimeError):
    pass


class Page:
    """One tab, attached with a flat session id."""

    def __init__(self, browser: Browser, session_id: str) -> None:
        self.browser = browser
        self.session_id = session_id

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, params, session_id=self.session_id)

    def goto(self, url: str) -> str:
        """Load ``url`` (following redirects) and return the address the tab ends on."""
        self.browser.events.clear()
        self.send("Page.navigate", url=url)
        self.browser.wait_event("Page.loadEventFired", self.session_id)
        return self.evaluate("location.href")

    def evaluate(self, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression!r} failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def wait_for(self, expression: str, timeout: float = TIMEOUT) -> None:
        """Poll ``expression`` until it is truthy (client-side navigation has no load event to wait for)."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(f"!!({expression})"):
            if time.monotonic() > deadline:
                raise BrowserError(
                    f"{expression!r} still false after {timeout} s (at {self.evaluate('location.href')})"
                )
            time.sleep(0.1)

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type as a person does (React sees real input events)."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", text=text)

    def dom(self) -> str:
        return self.evaluate("document.documentElement.outerHTML")

    def screenshot(self, path: Path, width: int) -> None:
        """A PNG of the whole page at ``width`` CSS pixels."""
        height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], commands: int, replies: int) -> None:
        self.process = process
        self._commands = commands
        self._replies = replies
        self._buffer = b""
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                raise BrowserError("Chromium did not answer in time" if remaining <= 0 else "Chromium exited")
            ready, _, _ = select.select([self._replies], [], [], remaining)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, *, session_id: str | None = None) -> Any:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_event(self, method: str, session_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session_id:
                    self.events.remove(event)
                    return event
            self.events.append(self._read_message(deadline))

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Network.enable")
        return page

    def set_cookie(self, name: str, value: str, url: str) -> None:
        self.send("Storage.setCookies", {"cookies": [{"name": name, "value": value, "url": url, "path": "/"}]})

    def clear_cookies(self) -> None:
        self.send("Storage.clearCookies")


def _high_fd(fd: int) -> int:
    """A copy of ``fd`` above the numbers Chromium expects, so the child's dup2 cannot clobber it."""
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return copy


@contextmanager
def chromium(binary: str, user_data_dir: Path, window: tuple[int, int] = (1440, 900)) -> Iterator[Browser]:
    """Start Chromium with the test flags and a fresh profile; stop it afterwards."""
    to_child_read, to_child_write = (_high_fd(fd) for fd in os.pipe())
    from_child_read, from_child_write = (_high_fd(fd) for fd in os.pipe())

    def wire_pipe() -> None:  # runs in the child before exec
        os.dup2(to_child_read, _CHILD_READ_FD)
        os.dup2(from_child_write, _CHILD_WRITE_FD)

    process = subprocess.Popen(
        [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={user_data_dir}",
            f"--window-size={window[0]},{window[1]}",
            "--remote-debugging-pipe",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=False,  # Python's own fds are close-on-exec; the dup2'ed 3 and 4 are not
        preexec_fn=wire_pipe,
    )
    os.close(to_child_read)
    os.close(from_child_write)
    try:
        yield Browser(process, to_child_write, from_child_read)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(to_child_write)
        os.close(from_child_read)
