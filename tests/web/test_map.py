"""The one map in a real browser: markers, colours, the panel, live readings, public view, keys."""

from __future__ import annotations

import datetime as dt
import socket
import time

import httpx
import pytest
from tests.api.conftest import free_port, running_service
from tests.api.test_map_api import exchange, hour_upload
from tests.web.conftest import Watched

from ecohub.ingest.hj212_server import GatewayConfig

# HJ 633-2026 Table 1 / Appendix A RGB, written out here (not read from ecohub.standards.aqi)
AQI_COLOURS = {(0, 50): "#00E400", (51, 100): "#FFFF00", (101, 150): "#FF7E00",
               (151, 200): "#FF0000", (201, 300): "#99004C", (301, 500): "#7E0023"}
POINT_LAYERS = [f"{t}-points" for t in ("air_station", "water_station", "noise_station",
                                        "pollution_source", "outlet")]


def aqi_colour(aqi: float) -> str:
    return next(c for (lo, hi), c in AQI_COLOURS.items() if lo <= aqi <= hi)


def rendered(browser_page) -> dict[str, dict]:
    features = browser_page.evaluate(
        "layers => window.ecohubMap.queryRenderedFeatures({layers})"
        ".map(f => f.properties)", POINT_LAYERS)
    return {f["code"]: f for f in features}


def ready(browser_page):
    browser_page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    return browser_page


def test_one_marker_per_object_in_the_colour_its_data_implies(page, web):
    browser_page = ready(page.sign_in("viewer"))
    shown = rendered(browser_page)
    with web.client("viewer") as client:
        state = {r["code"]: r for r in client.get("/api/v1/map/objects").json()["items"]}
    assert set(shown) == set(state) == {"340100-A01", "340200-A01", "E1", "E1-DA001"}
    for code, row in state.items():
        assert shown[code]["colour"] == row["colour"], code
    # the stations' last hour: PM2.5 53 and 54 µg/m³ → AQI 86 and 88 (良, yellow)
    assert shown["340100-A01"]["colour"] == aqi_colour(86) == "#FFFF00"
    assert shown["340200-A01"]["colour"] == aqi_colour(88)
    legend = browser_page.locator("#legend").inner_text()
    assert "HJ 633-2026" in legend and "重度污染" in legend and "示意（非真实行政边界）" in legend
    # labels are drawn with the system's CJK font (no glyph server): the symbol layer renders
    labels = browser_page.evaluate(
        "window.ecohubMap.queryRenderedFeatures({layers: ['air_station-labels']}).length")
    assert labels >= 1
    page.screenshot("map-signed-in")


def test_a_click_opens_the_panel_with_charts_limits_and_the_record(page, web):
    browser_page = ready(page.sign_in("analyst"))
    point = browser_page.evaluate("""() => {
        const m = window.ecohubMap;
        const f = m.queryRenderedFeatures({layers: ['air_station-points']})
          .find(f => f.properties.code === '340100-A01');
        const p = m.project(f.geometry.coordinates);
        const box = m.getCanvas().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""")
    browser_page.mouse.click(*point)
    panel = browser_page.locator("#panel[data-ready='1']")
    panel.wait_for(timeout=30_000)
    assert "合肥市监测站" in panel.locator("h2").inner_text()
    assert "AQI 86" in panel.inner_text() and "HJ 633-2026" in panel.inner_text()
    hours = panel.locator("[data-chart='a34004-24h']")
    assert hours.get_attribute("data-points") == "24"
    # the GB 3095-2026 24-hour PM2.5 limit (transition stage, grade 2: 60 µg/m³) is drawn
    assert panel.locator("[data-chart='a34004-30d']").get_attribute("data-limits") == "60"
    assert hours.locator("canvas").count() == 1
    assert "大气环境处" in panel.inner_text() and "MN-0" in panel.inner_text()
    page.screenshot("map-panel")


def test_the_public_view_shows_only_published_stations(page, web):
    requests: list[str] = []
    browser_page = page.page
    browser_page.on("request", lambda r: requests.append(r.url))
    ready(page.open("/"))
    assert set(rendered(browser_page)) == {"340100-A01", "340200-A01"}
    text = browser_page.locator("#controls").inner_text()
    assert "排放口" not in text and "污染源" not in text and "公众视图" in text
    browser_page.fill("#search", "芜湖")
    browser_page.press("#search", "Enter")
    browser_page.locator("#panel[data-ready='1']").wait_for(timeout=30_000)
    assert "AQI 88" in browser_page.locator("#panel").inner_text()
    api_calls = {u.split("/api/v1")[1].split("?")[0] for u in requests if "/api/v1" in u}
    assert api_calls <= {"/auth/me", "/public/map/objects", "/map/regions", "/map/config",
                         "/events"}, api_calls
    page.screenshot("map-public")
    # (the page fixture fails the test on any console error, e.g. a 401)


def test_keyboard_reaches_layers_and_search_and_enter_opens_the_panel(page, web):
    browser_page = ready(page.sign_in("viewer"))
    focused = []
    for _ in range(30):
        browser_page.keyboard.press("Tab")
        focused.append(browser_page.evaluate("document.activeElement.id"))
        if "search" in focused and "layer-outlet" in focused:
            break
    assert "search" in focused and "layer-outlet" in focused
    browser_page.focus("#layer-air_station")
    browser_page.keyboard.press("Space")
    assert not browser_page.locator("#layer-air_station").is_checked()
    browser_page.wait_for_function(
        "window.ecohubMap.getLayoutProperty('air_station-points', 'visibility') === 'none'")
    browser_page.keyboard.press("Space")
    browser_page.focus("#search")
    browser_page.keyboard.type("E1-DA")
    browser_page.keyboard.press("Tab")  # to the first result
    assert "1号排放口" in browser_page.evaluate("document.activeElement.textContent")
    browser_page.keyboard.press("Enter")
    panel = browser_page.locator("#panel[data-ready='1']")
    panel.wait_for(timeout=30_000)
    assert "1号排放口" in panel.locator("h2").inner_text()
    browser_page.keyboard.press("Escape")
    assert browser_page.locator("#panel").is_hidden()


@pytest.fixture
def live(store):
    port = free_port()
    with running_service(store, GatewayConfig(host="127.0.0.1", port=port)) as service:
        yield service, port


def test_a_reading_sent_to_the_gateway_appears_within_5_seconds(browser, live):
    service, port = live
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1440, "height": 900})
    watched = Watched(context.new_page(), service.url)
    try:
        browser_page = ready(watched.sign_in("viewer"))
        browser_page.fill("#search", "合肥市监测站")
        browser_page.press("#search", "Enter")
        browser_page.locator("#panel[data-ready='1']").wait_for(timeout=30_000)
        browser_page.wait_for_function("window.ecohubLive !== undefined")
        time.sleep(0.5)  # the event stream is open
        hour = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
                .replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1))
        sent = time.monotonic()
        with socket.create_connection(("127.0.0.1", port)) as link:
            exchange(link, hour_upload("MN-0", 200, hour))
        # 200 µg/m³ → AQI 250, 重度污染 (purple) — on the marker and in the open panel
        browser_page.wait_for_function(
            "() => window.ecohubMap.querySourceFeatures('air_station').some(f =>"
            " f.properties.code === '340100-A01' && f.properties.colour === '#99004C')",
            timeout=5_000)
        browser_page.wait_for_function(
            "document.querySelector('#panel-state').textContent.includes('AQI 250')",
            timeout=5_000)
        assert time.monotonic() - sent < 5
        with httpx.Client(base_url=service.url) as client:
            state = client.get("/api/v1/public/map/objects?code=340100-A01").json()
        assert state["items"][0]["colour"] == aqi_colour(250)
        watched.screenshot("map-live")
    finally:
        context.close()
    assert not watched.errors, "\n".join(watched.errors)
