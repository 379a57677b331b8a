"""Browser tests: the real app (API + built web UI) on a free port, driven by Debian's Chromium.

The server is a uvicorn subprocess on a fresh, migrated SQLite database with one administrator.
Every test in this folder is marked ``e2e``; the folder is skipped when ``web/dist`` is not built
(``make web``) or ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB_DIST = ROOT / "web" / "dist"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_USER = "admin"
ADMIN_PASSWORD = "E2e#Admin-2026"
ADMIN_NAME = "系统管理员"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if not (WEB_DIST / "index.html").is_file():
                item.add_marker(
                    pytest.mark.skip(reason="web/dist/index.html is missing: build the UI first (make web)")
                )
            elif not Path(CHROMIUM).is_file():
                item.add_marker(
                    pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install -y chromium")
                )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Runs in the server subprocess: the real app factory, serving the built UI.
_SERVE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import uvicorn
    from omnistock.app import create_app
    from omnistock.platform.db import make_engine
    url, port, dist = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    app = create_app(make_engine(url), run_worker=False, web_dist=dist)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    """
)


@dataclass
class Server:
    base_url: str
    database_url: str

    def api(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def admin_token(self) -> str:
        with self.api() as c:
            r = c.post("/api/v1/identity/login", json={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
            r.raise_for_status()
            return r.json()["access_token"]


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    from omnistock.identity import service as identity
    from omnistock.platform import migrate
    from omnistock.platform.auth import Actor
    from omnistock.platform.db import make_engine
    from omnistock.platform.uow import UnitOfWork

    db = tmp_path_factory.mktemp("e2e") / "e2e.db"
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with UnitOfWork(engine, Actor.system("e2e")) as uow:
        identity.create_user(
            uow,
            username=ADMIN_USER,
            password=ADMIN_PASSWORD,
            display_name=ADMIN_NAME,
            roles=[identity.ADMIN_ROLE],
            scopes={},
        )
    engine.dispose()

    port = _free_port()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env["OMNISTOCK_DATABASE_URL"] = url
    env["OMNISTOCK_RUN_OUTBOX_WORKER"] = "false"
    env["OMNISTOCK_MEDIA_DIR"] = str(tmp_path_factory.mktemp("e2e-media"))
    log = (tmp_path_factory.getbasetemp() / f"e2e-server-{port}.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, url, str(port), str(WEB_DIST)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"the e2e server exited with {proc.returncode}:\n{log.read()[-4000:]}")
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the e2e server did not answer on {base} within 30 s:\n{log.read()[-4000:]}")
            time.sleep(0.1)
        yield Server(base, url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A fresh browser context (empty localStorage: Chinese UI, signed out) on the e2e server."""
    context = browser.new_context(
        base_url=server.base_url, locale="zh-CN", viewport={"width": 1440, "height": 900}
    )
    context.set_default_timeout(15_000)
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture
def login(page):
    """Sign in through the login form as the administrator; returns the page on the dashboard."""

    def _login(username: str = ADMIN_USER, password: str = ADMIN_PASSWORD):
        page.goto("/login")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(password)
        page.get_by_test_id("login-submit").click()
        return page

    return _login
