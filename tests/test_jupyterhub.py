"""The course's JupyterHub (deploy/jupyterhub/jupyterhub_config.py): its settings fast, and one real hub.

The real run starts JupyterHub with that file on 127.0.0.1 (the pure-Python configurable-http-proxy, the
shared-password authenticator, SimpleLocalProcessSpawner, state in a temporary folder), in a process group of
its own. Three students log in, each in their own headless-Chromium context (Playwright over the DevTools
protocol, as tests/test_browser.py does), land on the playground served by Voilà's server extension in their
own single-user server, wait for its controls and first plot, press an arrow key on the probe slider and see
the plot redrawn. It checks what the servers got (limits, NLTK_DATA, fast mode), that every listening socket
the hub started is on loopback, and that nothing it started is left running. It is marked ``browser`` and
``slow``; without Chromium, Playwright or JupyterHub it skips with the reason (fails under ``CI=true``). No
timing is asserted: speed targets live in benchmarks/.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks import browser as browser_tools
from benchmarks.classroom import MemorySampler, tree_memory, tree_pids

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The page each student opens as a Voilà app, relative to their home (the hub copies notebooks/ there).
NOTEBOOK = "notebooks/apps/playground.ipynb"
CONFIG = PROJECT_ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
USERS = ("ann", "bob", "cai")
PASSWORD = "mtl-hub-test-password"  # the shared-password authenticator wants 8 characters or more
SLIDER = ".playground-probe-slider"  # mtl_helpers.playground_ui.PROBE_SLIDER_CLASS
OUTPUT = ".playground-probe-output"  # mtl_helpers.playground_ui.PROBE_OUTPUT_CLASS
BUSY = "training…"
READY_TIMEOUT_MS = 300_000  # three servers start and run the notebook at once on a loaded 2-core machine
CHANGE_TIMEOUT_MS = 180_000


def load_config(monkeypatch: pytest.MonkeyPatch, **settings: str):
    """The traitlets Config that JupyterHub would load from CONFIG with these MTL_HUB_* settings (only)."""
    from traitlets.config.loader import PyFileConfigLoader

    for name in [n for n in os.environ if n.startswith("MTL_HUB_")]:
        monkeypatch.delenv(name)
    for name, value in settings.items():
        monkeypatch.setenv(f"MTL_HUB_{name}", value)
    return PyFileConfigLoader(CONFIG.name, str(CONFIG.parent)).load_config()


def test_defaults_are_a_course_on_one_server(monkeypatch) -> None:
    """Without settings: the measured limits, shared corpora, one TensorFlow thread, culling, PAM + systemd."""
    c = load_config(monkeypatch)
    assert c.Spawner.mem_limit == "6G" and c.Spawner.cpu_limit == 1.0
    assert c.Spawner.environment == {"NLTK_DATA": "/srv/mtl-nlp/nltk_data", "MTL_THREADS": "1", "MTL_FAST": "0",
                                     "TF_CPP_MIN_LOG_LEVEL": "2"}
    assert c.JupyterHub.ip == c.JupyterHub.hub_ip == c.Spawner.ip == "127.0.0.1"
    assert (c.JupyterHub.port, c.JupyterHub.hub_port) == (8000, 8081)
    assert c.JupyterHub.authenticator_class == "pam"
    assert c.JupyterHub.spawner_class == "systemdspawner.SystemdSpawner"
    assert c.JupyterHub.db_url == "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
    assert c.ConfigurableHTTPProxy.command == ["configurable-http-proxy", "--proxy-timeout=600000"]
    [culler] = c.JupyterHub.services
    assert culler["command"][1:] == ["-m", "jupyterhub_idle_culler", "--timeout=3600", "--cull-every=600"]
    [role] = c.JupyterHub.load_roles
    assert role["services"] == [culler["name"]] and "delete:servers" in role["scopes"]
    assert c.SystemdSpawner.readonly_paths == ["/srv/mtl-nlp/nltk_data"] and c.Spawner.default_url == "/lab"
    assert "allowed_users" not in c.Authenticator and "args" not in c.Spawner


def test_test_settings_stay_on_loopback_in_a_temporary_folder(monkeypatch, tmp_path: Path) -> None:
    c = load_config(monkeypatch, STATE_DIR=str(tmp_path), PORT="18000", HUB_PORT="18001", PROXY_API_PORT="18002",
                    AUTHENTICATOR="shared-password", PASSWORD=PASSWORD, ALLOWED_USERS="ann, bob,cai",
                    SPAWNER="jupyterhub.spawner.SimpleLocalProcessSpawner", NLTK_DATA="/corpora", FAST="1",
                    CULL_TIMEOUT="600")
    assert (c.JupyterHub.ip, c.JupyterHub.port, c.JupyterHub.hub_port) == ("127.0.0.1", 18000, 18001)
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:18002"
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path}/jupyterhub.sqlite"
    assert c.JupyterHub.cookie_secret_file == str(tmp_path / "jupyterhub_cookie_secret")
    assert c.ConfigurableHTTPProxy.pid_file == str(tmp_path / "jupyterhub-proxy.pid")
    assert c.SimpleLocalProcessSpawner.home_dir_template == str(tmp_path / "home" / "{username}")
    assert c.SharedPasswordAuthenticator.user_password == PASSWORD
    assert c.Authenticator.allowed_users == {"ann", "bob", "cai"}
    assert c.Spawner.environment["NLTK_DATA"] == "/corpora" and c.Spawner.environment["MTL_FAST"] == "1"
    assert "--timeout=600" in c.JupyterHub.services[0]["command"]


@pytest.mark.parametrize("name, value", [("PORT", "http"), ("HUB_PORT", "70000"), ("CULL_TIMEOUT", "-5"),
                                         ("MEM_LIMIT", "4GB"), ("MEM_LIMIT", "0G"), ("CPU_LIMIT", "one")])
def test_a_bad_setting_is_named(monkeypatch, name, value) -> None:
    with pytest.raises(ValueError, match=f"MTL_HUB_{name}='{value}' must be (a whole number|above 0)"):
        load_config(monkeypatch, **{name: value})


def test_first_start_copies_the_notebooks_but_not_the_solutions(monkeypatch, tmp_path: Path) -> None:
    source = tmp_path / "collection"
    (source / "solutions").mkdir(parents=True)
    (source / "apps").mkdir()
    (source / "08.ipynb").write_text("{}")
    (source / "apps" / "app.ipynb").write_text("{}")
    (source / "solutions" / "08_solutions.ipynb").write_text("{}")
    c = load_config(monkeypatch, NOTEBOOKS=str(source))
    spawner = SimpleNamespace(home_dir=str(tmp_path / "home" / "ann"), user=SimpleNamespace(name="ann"))
    c.Spawner.pre_spawn_hook(spawner)
    copied = tmp_path / "home" / "ann" / "notebooks"
    assert sorted(p.relative_to(copied).as_posix() for p in copied.rglob("*")) == ["08.ipynb", "apps",
                                                                                    "apps/app.ipynb"]
    (copied / "08.ipynb").write_text("the student's edits")
    c.Spawner.pre_spawn_hook(spawner)  # a later start keeps the student's copy
    assert (copied / "08.ipynb").read_text() == "the student's edits"


def test_requirements_install_the_hub_for_ci() -> None:
    lines = (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
    for package in ("jupyterhub", "configurable-http-proxy", "jupyterhub-idle-culler"):
        assert any(line.startswith(f"{package}>=") for line in lines), package


# ----------------------------------------------------------------------------- one real hub
def _require_hub() -> None:
    """Skip (or fail under CI=true) with the reason when the browser or the hub's packages are missing."""
    browser_tools.require("JupyterHub test")
    missing = [name for name in ("jupyterhub", "jupyterhub_idle_culler") if not _importable(name)]
    if shutil.which("configurable-http-proxy", path=_path()) is None:
        missing.append("configurable-http-proxy (its command)")
    if missing:
        reason = f"JupyterHub test needs {', '.join(missing)}: pip install -r requirements.txt"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)


@pytest.mark.parametrize("ci, outcome", [("", pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_a_missing_hub_skips_with_reason_but_fails_under_ci(monkeypatch, ci, outcome) -> None:
    monkeypatch.setattr(browser_tools, "require", lambda what: None)  # the browser is another test's concern
    monkeypatch.setattr(sys.modules[__name__], "_importable", lambda module: module != "jupyterhub")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="needs jupyterhub: pip install -r requirements.txt"):
        _require_hub()


def _path() -> str:
    """PATH with this Python's scripts folder first: the hub finds the proxy and jupyterhub-singleuser there
    even when the virtual environment is not activated."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _started(pid: int) -> str | None:
    """The start time of a live process (to tell it from a later one with the same pid); None when gone."""
    with contextlib.suppress(OSError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return None if fields[0] in "ZX" else fields[19]
    return None


def _processes(root: int) -> dict[int, tuple[str, str, dict[str, str]]]:
    """root and its descendants: pid -> (start time, command line, environment)."""
    found = {}
    for pid in tree_pids(root):
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().decode(
                errors="replace").split("\0") if "=" in item)
            if (started := _started(pid)) is not None:
                found[pid] = (started, cmdline, environ)
    return found


def _listening(pids: set[int]) -> list[str]:
    """The local addresses (hex, as /proc/net/tcp* writes them) of the TCP sockets these processes listen on."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if (target := os.readlink(fd)).startswith("socket:["):
                        inodes.add(target[8:-1])
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.append(fields[1].rsplit(":", 1)[0])
    return addresses


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 in /proc/net's byte order

# The controls are ready (the slider's handle, a plot, no retrain running), or the hub shows an error page.
_READY = """([slider, output, busy]) => { const o = document.querySelector(output);
    return !!(document.querySelector(slider + ' [role=slider]') && o && o.querySelector('img')
              && !o.innerText.includes(busy)) || !!document.querySelector('div.error'); }"""
# Watches the probe output from now on: window.__plot counts new plot images, window.__done says the retrain
# after the key press is complete (the output changed, shows a plot and no longer says it is training).
_WATCH = """([output, busy]) => { const o = document.querySelector(output);
    const snap = () => o.innerText + '\\u0000' + o.querySelector('img').src; const before = snap();
    window.__plot = 0; window.__done = false;
    new MutationObserver(() => { window.__plot += 1; }).observe(o.querySelector('img'),
                                                                {attributes: true, attributeFilter: ['src']});
    const observer = new MutationObserver(() => { if (snap() !== before && o.querySelector('img')
            && !o.innerText.includes(busy)) { window.__done = true; observer.disconnect(); } });
    observer.observe(o, {subtree: true, childList: true, characterData: true, attributes: true}); }"""


def _hub_env(tmp: Path) -> tuple[dict[str, str], int]:
    """The test's settings for CONFIG (loopback, free ports, a temporary state folder), and the public port."""
    port = browser_tools.free_port()
    nltk_data = os.environ.get("NLTK_DATA") or str(PROJECT_ROOT / "data" / "nltk_data")
    settings = {"STATE_DIR": str(tmp / "state"), "PORT": str(port), "HUB_PORT": str(browser_tools.free_port()),
                "PROXY_API_PORT": str(browser_tools.free_port()), "AUTHENTICATOR": "shared-password",
                "PASSWORD": PASSWORD, "ALLOWED_USERS": ",".join(USERS), "NLTK_DATA": nltk_data, "FAST": "1",
                "SPAWNER": "jupyterhub.spawner.SimpleLocalProcessSpawner", "DEFAULT_URL": f"/voila/render/{NOTEBOOK}"}
    env = {n: v for n, v in os.environ.items() if not n.startswith("MTL_HUB_")}
    env.update({f"MTL_HUB_{n}": v for n, v in settings.items()}, PYTHONUNBUFFERED="1", PATH=_path())
    return env, port


def _log_in_and_open(context, base: str, user: str):
    """A page that logged ``user`` in; the hub then starts their server and sends them to the app."""
    page = context.new_page()
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit", no_wait_after=True)
    return page


@pytest.mark.browser
@pytest.mark.slow
def test_three_students_open_the_playground_through_the_hub(tmp_path: Path) -> None:
    """Log in, land on the Voilà app in one's own server, move the probe slider, see the plot redrawn; the
    servers got the limits and corpora; everything listens on loopback; nothing is left running."""
    _require_hub()
    from playwright.sync_api import sync_playwright

    assert (PROJECT_ROOT / NOTEBOOK).is_file(), f"{NOTEBOOK} is missing; this test opens it as the app"
    before = set(tree_pids(os.getpid())) - {os.getpid()}
    env, port = _hub_env(tmp_path)
    (tmp_path / "state").mkdir()
    base, log = f"http://127.0.0.1:{port}", tmp_path / "hub.log"
    with log.open("wb") as sink:
        hub = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)], cwd=tmp_path, env=env,
                               stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    chromium = sampler = None
    baseline = 0
    seen: dict[int, tuple[str, str, dict[str, str]]] = {}
    timings: dict[str, float] = {}
    plots: dict[str, str | None] = {}
    try:
        browser_tools.wait_http(f"{base}/hub/api", hub, log, timeout_s=120)
        time.sleep(2.0)  # the proxy and the idle culler start after the hub's API answers
        baseline, _ = tree_memory(hub.pid)
        sampler = MemorySampler(hub.pid)
        sampler.start()
        chromium, cdp_port = browser_tools.start_chromium(tmp_path)
        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{cdp_port}")
            try:
                start = time.monotonic()
                pages = {user: _log_in_and_open(browser.new_context(viewport={"width": 1400, "height": 1000}),
                                                base, user) for user in USERS}
                for user, page in pages.items():  # all three servers start and run the notebook at once
                    with browser_tools.artefacts_on_failure(page, f"jupyterhub-{user}", server_log=log):
                        app = f"{base}/user/{user}/voila/render/{NOTEBOOK}"
                        page.wait_for_url(app, wait_until="commit", timeout=READY_TIMEOUT_MS)
                        page.wait_for_function(_READY, arg=[SLIDER, OUTPUT, BUSY], timeout=READY_TIMEOUT_MS,
                                               polling=500)
                        error = page.locator("div.error")
                        assert not error.count(), f"{user} got the hub's error page: {error.first.inner_text()}"
                        timings[f"{user} ready"] = time.monotonic() - start
                        assert page.url == app
                start = time.monotonic()
                for user, page in pages.items():  # three retrains at once
                    page.evaluate(_WATCH, [OUTPUT, BUSY])
                    plots[user] = page.locator(f"{OUTPUT} img").first.get_attribute("src")
                    handle = page.locator(SLIDER).get_by_role("slider")
                    handle.focus()
                    handle.press("ArrowRight")
                for user, page in pages.items():
                    with browser_tools.artefacts_on_failure(page, f"jupyterhub-{user}", server_log=log):
                        page.wait_for_function("() => window.__done", timeout=CHANGE_TIMEOUT_MS, polling=200)
                        timings[f"{user} retrained"] = time.monotonic() - start
                        after = page.locator(f"{OUTPUT} img").first.get_attribute("src")
                        assert after != plots[user], f"{user}'s plot was not redrawn"
                        assert page.evaluate("() => window.__plot") >= 1
                seen = _processes(hub.pid)
            finally:
                browser.close()
        servers = [environ for _, cmdline, environ in seen.values() if "jupyterhub-singleuser" in cmdline]
        assert sorted(environ["JUPYTERHUB_USER"] for environ in servers) == sorted(USERS)
        for environ in servers:
            assert environ["MEM_LIMIT"] == str(6 * 2**30) and float(environ["CPU_LIMIT"]) == 1.0
            assert environ["NLTK_DATA"] == env["MTL_HUB_NLTK_DATA"]
            assert (environ["MTL_FAST"], environ["MTL_THREADS"]) == ("1", "1")
        kernels = [cmdline for _, cmdline, environ in seen.values() if "ipykernel" in cmdline]
        assert len(kernels) >= len(USERS), f"expected a kernel per student, found {len(kernels)}"
        assert any("jupyterhub_idle_culler" in cmdline for _, cmdline, _ in seen.values()), "no idle culler"
        addresses = _listening(set(seen))
        assert addresses and set(addresses) <= LOOPBACK, f"listening beyond loopback: {addresses}"
    finally:
        seen = seen or (_processes(hub.pid) if hub.poll() is None else {})
        if sampler is not None:
            sampler.stop()
        if chromium is not None:
            browser_tools.stop(chromium)
        browser_tools.stop(hub, grace_s=60)  # SIGTERM: the hub stops the servers (and their kernels), the proxy
        left = [pid for pid, (started, _, _) in seen.items() if _started(pid) == started]
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        (PROJECT_ROOT / "build").mkdir(exist_ok=True)
        shutil.copy(log, PROJECT_ROOT / "build" / "jupyterhub-test.log")
    (PROJECT_ROOT / "build" / "jupyterhub-test.json").write_text(json.dumps(  # for a human: nothing asserted
        {"seconds": timings, "hub_alone_pss_gib": baseline / 2**30, "peak_pss_gib": sampler.peak_pss / 2**30,
         "per_student_pss_gib": (sampler.peak_pss - baseline) / len(USERS) / 2**30, "processes": len(seen)}, indent=1))
    assert not left, f"left running after the hub stopped: {[seen[pid][1][:80] for pid in left]}"
    assert set(tree_pids(os.getpid())) - {os.getpid()} <= before, "the test left a process running"
