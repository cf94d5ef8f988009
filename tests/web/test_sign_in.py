"""Sign-in and sign-out in the browser: the service's session cookie, never a token in JS."""

from __future__ import annotations

import httpx
import pytest
from tests.api.conftest import PASSWORD, running_service
from tests.web.conftest import Watched

from ecohub.store import open_store


def test_sign_in_sets_an_http_only_session_and_sign_out_ends_it(page, web):
    browser_page = page.sign_in("analyst", next_path="/login")
    assert browser_page.locator("#shell .viewer").inner_text() == "analyst（分析人员）"
    cookies = {c["name"]: c for c in browser_page.context.cookies()}
    session = cookies["ecohub_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert browser_page.evaluate("document.cookie").find("ecohub_session") == -1
    # the browser's session is the API's: the same cookie reads non-public data
    with httpx.Client(base_url=web.url, cookies={"ecohub_session": session["value"]}) as api:
        assert api.get("/api/v1/auth/me").json()["username"] == "analyst"
        browser_page.locator("#sign-out").click()
        browser_page.wait_for_url(f"{web.url}/")
        assert api.get("/api/v1/auth/me").json()["kind"] == "anonymous"
    page.screenshot("sign-in")


def test_a_wrong_password_is_said_in_chinese_and_keeps_the_form(page):
    browser_page = page.open("/login")
    browser_page.get_by_label("用户名").fill("analyst")
    browser_page.get_by_label("密码").fill(PASSWORD + "x")
    browser_page.get_by_role("button", name="登录").click()
    message = browser_page.locator("#message")
    message.wait_for(state="visible")
    assert "用户名或密码错误" in message.inner_text()
    assert browser_page.get_by_label("用户名").input_value() == "analyst"
    page.errors.clear()  # the 401 of the sign-in request itself is the console's only error


def test_the_sign_in_page_sends_its_user_only_to_this_site(page):
    browser_page = page.sign_in("viewer", next_path="/login")
    assert browser_page.url == f"{page.base_url}/login"
    browser_page = page.open("/login?next=//evil.example/")
    browser_page.get_by_label("用户名").fill("viewer")
    browser_page.get_by_label("密码").fill(PASSWORD)
    browser_page.get_by_role("button", name="登录").click()
    browser_page.wait_for_url(f"{page.base_url}/")


@pytest.mark.postgres
def test_the_pages_work_on_the_postgresql_server_deployment(browser, pg_url):
    store = open_store(pg_url, migrate=True)
    try:
        with running_service(store) as service:
            context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
            watched = Watched(context.new_page(), service.url)
            browser_page = watched.sign_in("analyst", next_path="/login")
            assert browser_page.locator("#shell .viewer").inner_text() == "analyst（分析人员）"
            context.close()
            assert not watched.errors, "\n".join(watched.errors)
    finally:
        store.close()
