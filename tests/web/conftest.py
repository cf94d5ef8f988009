"""The web app in a real browser: Playwright driving Debian's Chromium against a real server.

The server is :func:`ecohub.server.serve` over a real embedded store (tests/api's
``running_service``: two cities' air stations, an enterprise's outlet, a day of PM2.5, a user
and a token per role).
Every page a test opens is watched: a console error or an uncaught exception fails the test.
Screenshots go to ``build/test-output/web/`` for people to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.api.conftest import PASSWORD, Service, running_service

from ecohub.store import Store, open_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("ECOHUB_TEST_OUTPUT", "build/test-output")) / "web"
# Chromium as root on a machine without a GPU or outside network: no sandbox, software WebGL
# (MapLibre), and none of the background connections a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM}: no Chromium; `make setup` installs Debian's chromium")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def web_store(tmp_path) -> Iterator[Store]:
    """The embedded store: the browser tests are about the pages, which read only the API
    (whose tests cover both back-ends); one smoke test runs the pages on PostgreSQL too."""
    opened = open_store(data_dir=tmp_path, migrate=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def web(web_store) -> Iterator[Service]:
    """The server with the web app, over the tests' store and users."""
    with running_service(web_store) as started:
        yield started


class Watched:
    """A browser page whose console errors and page errors are collected."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error"
                and self.errors.append(f"console: {message.text} ({message.location})"))
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def open(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def sign_in(self, username: str, password: str = PASSWORD, next_path: str = "/"):
        page = self.open(f"/login?next={next_path}")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{self.base_url}{next_path}")
        return page

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, web: Service) -> Iterator[Watched]:
    """A fresh browser context (no cookies) on the server; fails on any console error."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1440, "height": 900})
    watched = Watched(context.new_page(), web.url)
    yield watched
    context.close()
    assert not watched.errors, "\n".join(watched.errors)
