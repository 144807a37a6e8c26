"""JupyterHub for a course that uses the mtl-nlp collection: run ``jupyterhub -f jupyterhub_config.py``.

Every setting that differs between a course and the loopback test (tests/test_jupyterhub.py) is read from an
``MTL_HUB_*`` environment variable; the defaults are those of a course on one server. What a real course
changes is said beside each setting; deploy/jupyterhub/README.md maps the same values to Zero to JupyterHub
on Kubernetes and to The Littlest JupyterHub.

Each student gets a single-user Jupyter server of their own: JupyterLab, and the playground as a Voilà app at
``/user/<name>/voila/render/notebooks/apps/playground.ipynb`` (the room app, which tests/test_jupyterhub.py opens
through the hub) or ``/user/<name>/voila/render/notebooks/08_playground.ipynb`` (Voilà's server extension, installed
with voila), running in the users' environment: ``pip install -r requirements.txt`` of the collection, which installs it
(``-e .``), jupyterhub, the proxy and the idle culler. At a student's first start the hook below copies the
collection's notebooks into their home folder, so each edits their own copy; the corpora stay in one shared,
read-only folder (``NLTK_DATA``).
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - injected by JupyterHub's (traitlets') config loader

COLLECTION = Path(__file__).resolve().parents[2]  # this file is <collection>/deploy/jupyterhub/


def setting(name: str, default: str) -> str:
    """The value of environment variable ``MTL_HUB_<name>``, or ``default`` when it is unset or empty."""
    return os.environ.get(f"MTL_HUB_{name}", "").strip() or default


def whole(name: str, default: int, low: int = 1, high: int = 65535) -> int:
    """A whole number (a port, seconds) from ``MTL_HUB_<name>``; a ValueError names a bad value and the fix."""
    text = setting(name, str(default))
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"MTL_HUB_{name}={text!r} must be a whole number from {low} to {high}, e.g. {default}.")
    return int(text)


def amount(name: str, default: str, pattern: str, example: str) -> str:
    """A memory size or a number of cores from ``MTL_HUB_<name>``, checked against ``pattern``."""
    text = setting(name, default)
    if not re.fullmatch(pattern, text) or not float(re.sub("[KMGT]$", "", text)) > 0:
        raise ValueError(f"MTL_HUB_{name}={text!r} must be above 0, written like {example}.")
    return text


IP = setting("IP", "127.0.0.1")
STATE = Path(setting("STATE_DIR", "/srv/jupyterhub"))
NOTEBOOKS = Path(setting("NOTEBOOKS", str(COLLECTION / "notebooks")))
NLTK_DATA = setting("NLTK_DATA", "/srv/mtl-nlp/nltk_data")

# ----------------------------------------------------------------------------- network
# The public address. 127.0.0.1 keeps the hub on this machine (the test; or behind nginx/Caddy with TLS on the
# same host). A course sets MTL_HUB_IP to the server's address, or 0.0.0.0, and serves HTTPS: either
# c.JupyterHub.ssl_cert / ssl_key here or TLS in the reverse proxy in front.
c.JupyterHub.ip = IP
c.JupyterHub.port = whole("PORT", 8000)
c.JupyterHub.hub_ip = "127.0.0.1"  # the hub's own API, reached by the proxy and the servers on this host
c.JupyterHub.hub_port = whole("HUB_PORT", 8081)
c.Spawner.ip = "127.0.0.1"  # single-user servers listen on loopback only; students reach them via the proxy

# The proxy: the pure-Python configurable-http-proxy (PyPI, 0.4.0, in requirements.txt), which JupyterHub
# starts and drives like the Node.js original (same command name and options; the test runs this one). To use
# npm's instead: `npm install -g configurable-http-proxy` and put its bin folder first on PATH (or set
# MTL_HUB_PROXY_COMMAND to the path of its configurable-http-proxy). --proxy-timeout: the Python proxy gives a
# server 20 s to answer by default, and Voilà answers only once the whole notebook has run (30-50 s for the room
# app with three students starting at once on 2 cores; minutes for notebook 08 in class mode): without it the
# student gets "503 Service Unavailable" while the page is still being computed.
c.ConfigurableHTTPProxy.command = [setting("PROXY_COMMAND", "configurable-http-proxy"),
                                   f"--proxy-timeout={1000 * whole('PROXY_TIMEOUT', 600, high=10**6)}"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{whole('PROXY_API_PORT', 8001)}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# ----------------------------------------------------------------------------- state
# The user database and the cookie secret, kept out of the working folder (the test: a temporary folder).
# A course keeps STATE on a backed-up disk; a large one may use PostgreSQL (c.JupyterHub.db_url).
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")

# ----------------------------------------------------------------------------- who may log in
# Default: PAM, the server's own user accounts (JupyterHub's default). A course uses a real authenticator:
# MTL_HUB_AUTHENTICATOR=github (pip install oauthenticator; c.GitHubOAuthenticator.client_id / client_secret /
# allowed_organizations) or LTI from the learning platform (pip install jupyterhub-ltiauthenticator). The test
# uses "shared-password" (jupyterhub.authenticators.shared.SharedPasswordAuthenticator, built into
# JupyterHub >= 5.3; DummyAuthenticator's password is deprecated since 5.3): insecure, for loopback tests only.
c.JupyterHub.authenticator_class = setting("AUTHENTICATOR", "pam")
if password := setting("PASSWORD", ""):
    c.SharedPasswordAuthenticator.user_password = password  # 8 characters or more
if users := setting("ALLOWED_USERS", ""):  # the course roster, comma-separated
    c.Authenticator.allowed_users = {name.strip() for name in users.split(",") if name.strip()}
if admins := setting("ADMIN_USERS", ""):  # instructors: may see and stop students' servers
    c.Authenticator.admin_users = {name.strip() for name in admins.split(",") if name.strip()}

# ----------------------------------------------------------------------------- the students' servers
# Default: SystemdSpawner (pip install jupyterhub-systemdspawner), which runs each server as its system user
# in a systemd unit and ENFORCES mem_limit and cpu_limit (cgroups), as The Littlest JupyterHub does; on
# Kubernetes, KubeSpawner (Zero to JupyterHub). The test uses jupyterhub.spawner.SimpleLocalProcessSpawner:
# no system users needed, servers run as the hub's own user in MTL_HUB_STATE_DIR/home/<name>, and limits are
# NOT enforced (they only reach the server as MEM_LIMIT / CPU_LIMIT in its environment): never for students.
c.JupyterHub.spawner_class = setting("SPAWNER", "systemdspawner.SystemdSpawner")
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")

# Per-student limits, from the measured sessions (benchmarks/README.md): a fast-mode playground session holds
# about 0.6 GiB (PSS); the largest class-mode kernel of the series peaked at 4.41 GiB (2026-12-02), so 6G
# leaves headroom; one core each (MTL_THREADS below matches it). Under SystemdSpawner or KubeSpawner a server
# that goes past mem_limit loses a process (its largest, usually the kernel).
c.Spawner.mem_limit = amount("MEM_LIMIT", "6G", r"[0-9]+(\.[0-9]+)?[KMGT]?", "4G or 512M")
c.Spawner.cpu_limit = float(amount("CPU_LIMIT", "1", r"[0-9]+(\.[0-9]+)?", "1 or 0.5"))
c.Spawner.environment = {
    "NLTK_DATA": NLTK_DATA,  # the corpora, once for everybody: a folder students can read, not write
    "MTL_THREADS": setting("THREADS", "1"),  # TensorFlow threads per kernel (mtl_helpers.config.thread_cap)
    "MTL_FAST": setting("FAST", "0"),  # 1: fast mode (the test); a class runs the real settings
    "TF_CPP_MIN_LOG_LEVEL": "2",
}
c.SystemdSpawner.readonly_paths = [NLTK_DATA]  # SystemdSpawner mounts the corpora read-only in each server
# Where students land after logging in: JupyterLab, or the playground as an app with no code shown,
# MTL_HUB_DEFAULT_URL=/voila/render/notebooks/apps/playground.ipynb (the room app; the test lands there) or
# /voila/render/notebooks/08_playground.ipynb (the notebook with its lesson; Voilà runs all of it first).
c.Spawner.default_url = setting("DEFAULT_URL", "/lab")
c.Spawner.start_timeout = c.Spawner.http_timeout = 120  # a loaded server imports TensorFlow slowly
if os.geteuid() == 0 and "SimpleLocalProcessSpawner" in c.JupyterHub.spawner_class:
    c.Spawner.args = ["--ServerApp.allow_root=True"]  # the test in a root container: servers run as root


def copy_notebooks(spawner) -> None:
    """Before a student's first start: copy the collection's notebooks (not the solutions) into their home,
    so each edits their own copy. For spawners whose servers run on this machine; KubeSpawner courses put the
    notebooks in the image or fetch them with nbgitpuller (README)."""
    home = Path(getattr(spawner, "home_dir", "") or os.path.expanduser(f"~{spawner.user.name}"))
    target = home / "notebooks"
    if target.exists() or not home.is_absolute():
        return
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns("solutions", ".ipynb_checkpoints"))
    if os.geteuid() == 0 and spawner.user.name != "root" and home.owner() == spawner.user.name:
        for path in [target, *target.rglob("*")]:
            shutil.chown(path, spawner.user.name)


c.Spawner.pre_spawn_hook = copy_notebooks

# ----------------------------------------------------------------------------- idle culling
# jupyterhub-idle-culler (PyPI, in requirements.txt) as a hub-managed service: stops a server idle for
# MTL_HUB_CULL_TIMEOUT seconds (default one hour), checking every MTL_HUB_CULL_EVERY seconds (default 10 min).
c.JupyterHub.services = [{
    "name": "jupyterhub-idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={whole('CULL_TIMEOUT', 3600, high=10**7)}",
                f"--cull-every={whole('CULL_EVERY', 600, high=10**7)}"],
}]
c.JupyterHub.load_roles = [{
    "name": "jupyterhub-idle-culler-role",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["jupyterhub-idle-culler"],
}]
