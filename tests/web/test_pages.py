"""The data pages and the cockpit in a real browser, over two weeks of data in three cities.

Each page must draw without a console error, show what the API answers (the same call), keep
the public view to public data, be usable by keyboard and readable (WCAG AA contrast).
Screenshots go to build/test-output/web/ for people to look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from tests.api.conftest import Service, running
from tests.web.data import LAST_DAY, populate_rich

DAY = LAST_DAY.isoformat()

# Relative luminance and contrast ratio of WCAG 2.1 (1.4.3), of each cell's text against the
# first opaque background behind it.
CONTRAST = """(selector) => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((c) => c / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length < 4 || colour[3] > 0) return colour;
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll(selector)].filter((n) => n.innerText.trim())
    .map((node) => {
      const [a, b] = [lum(rgb(getComputedStyle(node).color)), lum(background(node))];
      return { text: node.innerText.trim().slice(0, 20),
               ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
    });
}"""


@pytest.fixture
def web(web_store) -> Iterator[Service]:
    """The server over the richer data (overrides conftest's ``web``)."""
    secrets = populate_rich(web_store)
    with running(web_store) as url:
        yield Service(url, web_store, secrets)


def ready(browser_page) -> None:
    browser_page.wait_for_selector("body[data-ready='1']", timeout=30_000)


def cells(browser_page, table: str) -> list[list[str]]:
    return browser_page.eval_on_selector_all(
        f"#{table} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def assert_readable(browser_page, selector: str) -> None:
    measured = browser_page.evaluate(CONTRAST, selector)
    assert measured, f"no text under {selector}"
    poor = [m for m in measured if m["ratio"] < 4.5]
    assert not poor, f"contrast below 4.5:1 under {selector}: {poor[:5]}"


def tab_to(browser_page, selector: str, presses: int = 40) -> None:
    """Press Tab until the element matched has the focus; assert its focus is visible."""
    for _ in range(presses):
        browser_page.keyboard.press("Tab")
        if browser_page.evaluate(f"document.activeElement.matches({selector!r})"):
            outline = browser_page.evaluate(
                "getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("none", ""), f"{selector}: focus not visible"
            return
    raise AssertionError(f"{selector} not reached by Tab in {presses} presses")


# ---- air -----------------------------------------------------------------------------------


def test_the_air_ranking_is_the_apis(page, web):
    browser_page = page.sign_in("analyst", next_path=f"/air?day={DAY}")
    ready(browser_page)
    with web.client("analyst") as api:
        answer = api.get("/api/v1/assessments/air", params={
            "from": DAY, "to": DAY, "table": "daily_ranking", "published": "true"}).json()
    shown = cells(browser_page, "daily-ranking")
    assert len(shown) == answer["count"] == 3
    for row, item in zip(shown, answer["items"], strict=True):
        assert row[:5] == [str(item["rank"]), item["city"], str(item["aqi"]),
                           "、".join(item["primary"]) or "—", item["category"]]
        assert row[5] == str(item["PM2.5_ug_m3"])
    # the category in its HJ 633 colour, as the API gives it
    colour = browser_page.eval_on_selector(
        "#daily-ranking tbody tr:first-child .chip", "n => getComputedStyle(n).backgroundColor")
    r, g, b = (int(answer["items"][0]["colour_rgb"][i:i + 2], 16) for i in (1, 3, 5))
    assert colour == f"rgb({r}, {g}, {b})"
    headers = browser_page.eval_on_selector_all("#daily-ranking th", "h => h.map(n => n.innerText)")
    assert "PM2.5 (µg/m³)" in headers and "CO (mg/m³)" in headers
    assert "GB 3095-2026（过渡阶段）" in browser_page.locator("#daily-standards").inner_text()

    # the month's comprehensive index, as the API ranks it
    with web.client("analyst") as api:
        month = api.get("/api/v1/assessments/air", params={
            "from": "2026-12-01", "to": DAY, "table": "ranking", "published": "true"}).json()
    expected = [[str(i["rank"]), i["city"], f"{i['composite_index']:.2f}"]
                for i in month["items"] if i["period"] == "month"]
    assert [row[:3] for row in cells(browser_page, "period-ranking")] == expected
    rule = browser_page.locator("#period-standards").inner_text()
    assert month["ranking_rule"] in rule and "PM2.5 3" in rule and "transition" not in rule

    # good days to date against the year before, from the API
    with web.client("analyst") as api:
        good = api.get("/api/v1/assessments/air/good-days",
                       params={"day": DAY, "published": "true"}).json()["items"]
    shown = cells(browser_page, "good-days")
    assert [row[0] for row in shown] == [g["city"] for g in good][:3] + ["全部城市"]
    assert shown[0][3] == f"{good[0]['good_share'] * 100:.1f}"
    assert "两期同口径，均按 GB 3095-2026（过渡阶段）" in browser_page.locator(
        "#good-standards").inner_text()
    assert browser_page.locator("#calendar svg").count() == 1
    links = browser_page.eval_on_selector_all("#downloads a", "a => a.map(n => n.href)")
    assert f"{web.url}/api/v1/reports/air-daily?day={DAY}&format=pdf" in links
    assert f"{web.url}/api/v1/reports/air-monthly?month=2026-12&format=xlsx" in links
    page.screenshot("air")


def test_the_air_page_follows_the_date_picker(page, web):
    browser_page = page.sign_in("viewer", next_path=f"/air?day={DAY}")
    ready(browser_page)
    before = cells(browser_page, "daily-ranking")
    browser_page.fill("#day", "2026-11-28")
    browser_page.dispatch_event("#day", "change")
    browser_page.wait_for_function(
        "document.querySelector('#daily-sub').innerText.startsWith('2026-11-28')")
    ready(browser_page)
    assert "day=2026-11-28" in browser_page.url
    with web.client("viewer") as api:
        answer = api.get("/api/v1/assessments/air", params={
            "from": "2026-11-28", "to": "2026-11-28", "table": "daily_ranking",
            "published": "true"}).json()["items"]
    after = cells(browser_page, "daily-ranking")
    assert [r[2] for r in after] == [str(i["aqi"]) for i in answer]
    assert after != before


def test_the_public_air_view_calls_only_public_endpoints(page, web):
    calls: list[str] = []
    page.page.on("request", lambda r: "/api/v1/" in r.url and calls.append(r.url))
    browser_page = page.open(f"/air?day={DAY}")
    ready(browser_page)
    assert browser_page.locator(".public-badge").is_visible()
    paths = {c.split("/api/v1", 1)[1].split("?")[0] for c in calls}
    assert paths == {"/auth/me", "/assessments/public/air/city-daily"}
    with web.client() as api:
        public = api.get("/api/v1/assessments/public/air/city-daily",
                         params={"day": DAY}).json()["items"]
    shown = cells(browser_page, "daily-ranking")
    assert [r[:3] for r in shown] == [[str(p["rank"]), p["city"], str(p["aqi"])] for p in public]
    # no concentrations, no period ranking, no good days for the public
    assert len(shown[0]) == 5
    assert browser_page.locator("#signed-in").is_hidden()
    assert browser_page.locator("#city").is_hidden() and browser_page.locator("#year").is_hidden()
    assert browser_page.locator("#public-note").is_visible()
    page.screenshot("air-public")


def test_the_air_page_is_keyboard_usable_and_readable(page, web):
    browser_page = page.sign_in("analyst", next_path=f"/air?day={DAY}")
    ready(browser_page)
    tab_to(browser_page, "#day")
    tab_to(browser_page, "#city")
    tab_to(browser_page, "#downloads a")
    tab_to(browser_page, ".table-wrap")
    assert_readable(browser_page, "table.data th, table.data td, table.data .chip")
    assert_readable(browser_page, "#shell a, #shell .viewer, h1, h2")


# ---- cockpit -------------------------------------------------------------------------------


def test_the_cockpit_fits_a_1920x1080_screen_and_shows_the_apis_figures(browser, web):
    from tests.web.conftest import Watched

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1920, "height": 1080})
    page = Watched(context.new_page(), web.url)
    try:
        browser_page = page.sign_in("viewer", next_path=f"/cockpit?day={DAY}")
        ready(browser_page)
        size = browser_page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
            " innerWidth, innerHeight]")
        assert size[0] <= size[2] and size[1] <= size[3], f"scrolls: {size}"
        # every panel inside the screen
        bottom = browser_page.evaluate(
            "Math.max(...[...document.querySelectorAll('.kpi, .panel, .foot')]"
            ".map(n => n.getBoundingClientRect().bottom))")
        assert bottom <= 1080
        with web.client("viewer") as api:
            overview = api.get("/api/v1/overview/day", params={"day": DAY}).json()
        tile = browser_page.locator("#kpi-aqi .value").inner_text()
        assert tile.startswith(str(overview["air"]["day"]["mean_aqi"]))
        good = browser_page.locator("#kpi-good .value").inner_text()
        assert good.startswith(f"{overview['good_days']['good_share'] * 100:.1f}")
        assert overview["air"]["day"]["worst"]["city"] in browser_page.locator(
            "#kpi-worst").inner_text()
        outlets = browser_page.locator("#kpi-outlets .value").inner_text()
        assert outlets.startswith(str(overview["exceedances"]["day"]["outlets_exceeded"]))
        assert overview["exceedances"]["day"]["outlets_exceeded"] == 1
        rejected = browser_page.locator("#kpi-rejected .value").inner_text()
        assert rejected.startswith(str(overview["rejected"]["today"])) and overview[
            "rejected"]["today"] == 3
        assert browser_page.locator("#ranking svg").count() == 1
        assert browser_page.locator("#trend svg").count() == 1
        assert_readable(browser_page, ".kpi h2, .kpi .value, .kpi .change, .panel h2, .foot")
        tab_to(browser_page, "#day")
        page.screenshot("cockpit")
    finally:
        context.close()
    assert not page.errors, "\n".join(page.errors)


@pytest.mark.parametrize("path", ["/cockpit", "/water", "/quality", "/sources", "/operations"])
def test_pages_with_non_public_data_send_the_public_to_sign_in(page, path):
    calls: list[str] = []
    page.page.on("request", lambda r: "/api/v1/" in r.url and calls.append(r.url))
    browser_page = page.open(path)
    browser_page.wait_for_url(f"**/login?next=%2F{path[1:]}")
    assert {c.split("/api/v1", 1)[1].split("?")[0] for c in calls} == {"/auth/me"}


# ---- operations ----------------------------------------------------------------------------


def test_operations_explains_why_packets_were_not_stored(page, web):
    from ecohub.ingest.reasons import REASONS

    browser_page = page.sign_in("operator", next_path="/operations")
    ready(browser_page)
    rejected = cells(browser_page, "rejected-packets")
    assert len(rejected) == 3
    by_mn = {row[1]: row for row in rejected}
    assert REASONS["unknown_mn"].explanation in by_mn["MN-X9"][4]
    assert by_mn["MN-X9"][3] == "隔离待登记"
    explained = " ".join(row[4] for row in rejected)
    assert REASONS["password"].explanation in explained
    assert REASONS["crc"].action in explained
    status = {row[0]: row for row in cells(browser_page, "logger-status")}
    assert REASONS["crc"].explanation in status["MN-0"][6]
    assert "未连接" in status["MN-0"][2]
    with web.client("operator") as api:
        items = {i["mn"]: i for i in api.get("/api/v1/ingest/status").json()["items"]}
    # MN-0 sent a packet a minute ago: its arrival in China Standard Time, as the API says
    last = dt.datetime.fromisoformat(items["MN-0"]["last_received"])
    assert last.utcoffset() == dt.timedelta(hours=8)
    assert status["MN-0"][3] == f"{last:%Y-%m-%d %H:%M}"
    assert status["MN-1"][3] == "—" and items["MN-1"]["last_received"] is None
    page.screenshot("operations")

    # filtered by MN: only that logger and its packets
    browser_page.select_option("#mn", "MN-0")
    browser_page.get_by_role("button", name="查询").click()
    browser_page.wait_for_function("location.search.includes('mn=MN-0')")
    ready(browser_page)
    assert [row[0] for row in cells(browser_page, "logger-status")] == ["MN-0"]
    assert {row[1] for row in cells(browser_page, "rejected-packets")} == {"MN-0"}
    tab_to(browser_page, "#since")
    tab_to(browser_page, "#mn")
    assert_readable(browser_page, "table.data th, table.data td")


def test_operations_shows_the_status_since_a_chosen_day(page, web):
    browser_page = page.sign_in("administrator", next_path=f"/operations?since={DAY}")
    ready(browser_page)
    status = {row[0]: row for row in cells(browser_page, "logger-status")}
    with web.client("administrator") as api:
        items = {i["mn"]: i for i in api.get("/api/v1/ingest/status",
                                              params={"since": DAY}).json()["items"]}
    assert set(status) == set(items)
    for mn, item in items.items():
        assert status[mn][4:6] == [str(item["packets"]), str(item["readings"])]
    assert status["MN-0"][8] == f"{items['MN-0']['clock_offset_s']:.0f}"
    # the deviations the water section's logger's profile accepted, described in Chinese
    from ecohub.protocols.hj212.profiles import DEVIATION_KINDS

    assert items["MN-W-2"]["deviations"].startswith("crc.lowercase×")
    assert DEVIATION_KINDS["crc.lowercase"] in status["MN-W-2"][7]
    page.screenshot("operations-since")


def test_operations_is_not_for_the_public_nor_for_viewers(page):
    browser_page = page.open("/operations")
    browser_page.wait_for_url("**/login?next=%2Foperations")
    browser_page = page.sign_in("viewer", next_path="/operations")
    ready(browser_page)
    assert "无权" in browser_page.locator("#status .error").inner_text()
    assert "无权" in browser_page.locator("#rejected .error").inner_text()
    page.errors.clear()  # the 403s are the console's only errors: the role may not read this


# ---- water and quality ---------------------------------------------------------------------


def test_the_water_page_shows_the_apis_classes_and_a_trend(page, web):
    page.sign_in("analyst", next_path="/water")
    browser_page = page.open(f"/water?from=2026-11-25&to={DAY}")
    ready(browser_page)
    with web.client("analyst") as api:
        sections = api.get("/api/v1/assessments/water", params={
            "from": "2026-11-25", "to": DAY, "published": "true"}).json()
    shown = cells(browser_page, "water-sections")
    assert [(r[1], r[3]) for r in shown] == [(s["name"], s["label"])
                                             for s in sections["items"]]
    assert {r[6] for r in shown} == {"达标", "未达标"}
    headers = browser_page.eval_on_selector_all("#water-sections th",
                                                "h => h.map(n => n.innerText)")
    assert "氨氮 (mg/L)" in headers
    assert browser_page.locator("#trend svg").count() == 1
    assert browser_page.locator("#section option").count() == 2
    tab_to(browser_page, "#from")
    assert_readable(browser_page, "table.data th, table.data td")
    page.screenshot("water")


def test_the_quality_page_explains_low_scores(page, web):
    page.sign_in("viewer", next_path="/quality")
    browser_page = page.open(f"/quality?from={DAY}&to={DAY}")
    ready(browser_page)
    with web.client("viewer") as api:
        scores = api.get("/api/v1/quality/scores", params={"from": DAY, "to": DAY}).json()
    shown = cells(browser_page, "quality-scores")
    assert [r[0] for r in shown] == [s["department"] for s in scores["items"]]
    assert [r[-1] for r in shown] == [f"{s['score'] * 100:.1f}" for s in scores["items"]]
    assert scores["notes"] and browser_page.locator("#why li").first.inner_text() == \
        scores["notes"][0]
    tab_to(browser_page, "#by")
    assert_readable(browser_page, "table.data th, table.data td, #why li")
    page.screenshot("quality")


# ---- sources -------------------------------------------------------------------------------


def test_the_sources_page_lists_the_sources_loggers(page, web):
    page.sign_in("operator", next_path="/sources")
    browser_page = page.open(f"/sources?day={DAY}")
    ready(browser_page)
    shown = {r[2]: r for r in cells(browser_page, "source-loggers")}
    assert sorted(shown) == ["MN-2", "MN-3"]  # the enterprise and its outlet
    assert {r[1] for r in shown.values()} == {"污染源", "排放口"}
    with web.client("operator") as api:
        items = {i["mn"]: i for i in api.get("/api/v1/ingest/status",
                                              params={"since": DAY}).json()["items"]}
    for mn, row in shown.items():  # the enterprise's logger sent today, the outlet's did not
        sent = items[mn]["last_received"]
        assert row[4] == (f"{dt.datetime.fromisoformat(sent):%Y-%m-%d %H:%M}" if sent else "—")
        assert row[5] == str(items[mn]["readings"])
    assert shown["MN-2"][4] != "—" and shown["MN-3"][4] == "—"
    # the outlet against its permit limits, as GET /compliance/outlets answers
    with web.client("operator") as api:
        rows = api.get("/api/v1/compliance/outlets", params={"day": DAY}).json()["items"]
    compliance = cells(browser_page, "outlet-compliance")
    assert len(compliance) == len(rows) == 2
    exceeded = next(r for r in rows if r["status"] == "exceeded")
    first = compliance[0]  # exceeded first
    assert first[2] == exceeded["factor_name"] and first[8] == "超标"
    assert first[4] == f"{exceeded['worst_value']} {exceeded['unit']}"
    assert first[7] == str(exceeded["hours_exceeded"]) == "6"
    assert compliance[1][8] == "无数据" and compliance[1][4] == "—"
    tab_to(browser_page, "#day")
    assert_readable(browser_page, "table.data th, table.data td")
    page.screenshot("sources")


def test_the_sources_page_says_when_the_role_may_not_see_loggers(page, web):
    page.sign_in("viewer", next_path="/sources")
    browser_page = page.open(f"/sources?day={DAY}")
    ready(browser_page)
    assert "无权" in browser_page.locator("#online").inner_text()
    assert cells(browser_page, "outlet-compliance")  # the compliance is data.read
