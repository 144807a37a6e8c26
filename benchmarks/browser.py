"""What the browser tests and the classroom load test share: Debian's Chromium (started by start_chromium)
and loopback servers, each in a process group of its own, the skip-or-fail rule for a machine without a browser, and the screenshot (and
server log) a failing browser test leaves for a human."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTEFACTS = Path(__file__).resolve().parents[1] / "build" / "browser-test"  # git-ignored


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM the process group we started (server + kernels / browser + helpers), then SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_s)


def start_chromium(folder: Path) -> tuple[subprocess.Popen, int]:
    """Headless Chromium for Playwright to drive over CDP, in a process group of its own (profile and log in
    ``folder``); returns the process and its DevTools port. Stopped here if the port does not appear in 30 s."""
    profile, log = folder / "profile", folder / "chromium.log"
    command = [str(CHROMIUM), *CHROMIUM_FLAGS, "--remote-debugging-address=127.0.0.1",
               "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    port_file, deadline = profile / "DevToolsActivePort", time.monotonic() + 30
    while not (port_file.is_file() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process, grace_s=15.0)
            raise RuntimeError(f"Chromium did not open its DevTools port:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return process, int(port_file.read_text().split()[0])


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; fail with the log tail if the process dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def missing(chromium: Path = CHROMIUM) -> list[str]:
    """What a browser run lacks here: the system Chromium, the playwright package (empty when all is there)."""
    problems = []
    if not chromium.is_file():
        problems.append(f"{chromium} is missing (Debian: apt-get install -y chromium)")
    try:
        import playwright.async_api
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright Python package is missing (pip install playwright; "
                        "do NOT run `playwright install`, the system Chromium is used)")
    return problems


def require(what: str, chromium: Path = CHROMIUM) -> None:
    """Skip a test with the reason when the browser is missing, or fail it under CI=true (no silent pass)."""
    import pytest

    if problems := missing(chromium):
        reason = f"{what} needs " + " and ".join(problems)
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)


@contextlib.contextmanager
def artefacts_on_failure(page: Any, name: str, *, server_log: Path | None = None, full_page: bool = True,
                         folder: Path = ARTEFACTS) -> Iterator[None]:
    """On any failure inside the block keep a screenshot of ``page`` (a Playwright page) as ``name``.png, and a
    copy of ``server_log`` as ``name``-server.log, in ``folder`` for a human; then re-raise. Saving is best
    effort: a page or log that cannot be saved never hides the test's own error."""
    try:
        yield
    except BaseException:
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)
        if server_log is not None:
            with contextlib.suppress(Exception):
                shutil.copy(server_log, folder / f"{name}-server.log")
        raise
