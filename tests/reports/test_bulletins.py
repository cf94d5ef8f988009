"""The city air bulletins (日报, 月报) over a store with known readings.

The AQI expected is computed here by :func:`ecohub.standards.aqi.aqi` from the daily means
written, not read from the assessment; the PDF is read back with ``pdftotext`` (poppler-utils,
installed at set-up) and the workbook with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from analytics._stores import cst, hourly, write
from ecohub.analytics.air import assess_air
from ecohub.errors import NoData
from ecohub.reports import bulletins
from ecohub.standards import aqi
from ecohub.store import ObjectSpec, open_store

PM25, PM10, SO2, NO2, CO, O3 = "a34004", "a34002", "a21026", "a21004", "a21005", "a05024"
DAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)  # 17:30 CST
CITIES = {  # code, name, lon, lat, station
    "340100": ("合肥市", 117.23, 31.82, "H1"),
    "340200": ("芜湖市", 118.38, 31.33, "W1"),
    "341000": ("黄山市", 118.34, 29.71, "S1"),
}
# Hourly values of one day; Hefei's alternate so that the daily means are 150.5 µg/m³ (published
# 150, GB/T 8170 half to even) and CO 1.25 mg/m³ (published 1.2).
HEFEI = {PM25: [150.0, 151.0] * 12, PM10: [100.0] * 24, SO2: [10.0] * 24, NO2: [20.0] * 24,
         CO: [1.2, 1.3] * 12, O3: [80.0] * 24}
WUHU = {PM25: [20.0] * 24, PM10: [40.0] * 24, SO2: [8.0] * 24, NO2: [15.0] * 24,
        CO: [0.5] * 24, O3: [60.0] * 24}
# Huangshan: PM2.5 for 10 hours only (not a valid day), the others clean: AQI "NA" (HJ 633 5.3).
HUANGSHAN = {PM25: [10.0] * 10 + [None] * 14, PM10: [30.0] * 24, SO2: [6.0] * 24,
             NO2: [10.0] * 24, CO: [0.4] * 24, O3: [50.0] * 24}
MEANS = {"合肥市": {"SO2": 10, "NO2": 20, "CO": 1.25, "O3_8h": 80, "PM10": 100, "PM2.5": 150.5},
         "芜湖市": {"SO2": 8, "NO2": 15, "CO": 0.5, "O3_8h": 60, "PM10": 40, "PM2.5": 20},
         "黄山市": {"SO2": 6, "NO2": 10, "CO": 0.4, "O3_8h": 50, "PM10": 30, "PM2.5": None}}


def _days(store, ids: dict[str, int], first: dt.datetime, days: int, scale: float = 1.0):
    tables = []
    for city, values in (("合肥市", HEFEI), ("芜湖市", WUHU), ("黄山市", HUANGSHAN)):
        for code, day in values.items():
            series = [None if v is None else v * scale for v in day] * days
            tables.append(hourly(ids[city], code, first, series))
    write(store, *tables)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """Three cities on 2026-12-01..03, and the same days of 2025 20 % dirtier."""
    where = tmp_path_factory.mktemp("bulletins")
    with open_store(data_dir=where, migrate=True) as store:
        specs = [ObjectSpec(code=station, name=f"{name}站", object_type="air_station",
                            city=name, city_code=code, longitude=lon, latitude=lat)
                 for code, (name, lon, lat, station) in CITIES.items()]
        ids = dict(zip([s.city for s in specs], store.registry.add_objects(specs), strict=True))
        for object_id in ids.values():
            store.registry.add_device(f"MN-{object_id}", object_id, "123456", [])
        _days(store, ids, cst(2026, 12, 1), 3)
        _days(store, ids, cst(2025, 12, 1), 3, scale=1.2)
    return where


@pytest.fixture
def store(data_dir):
    with open_store(data_dir=data_dir) as opened:
        yield opened


def pdf_text(path: Path, *, layout: bool = True) -> str:
    """The PDF's text: laid out as on the page (table rows), or as flowing text without spaces
    and line breaks (paragraphs, whose lines wrap anywhere)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is not installed; `make setup` installs it")
    text = subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    return text if layout else "".join(text.split())


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines()
                    if line.startswith("Pages:")))


def expected_aqi(city: str, edition: str = "2026") -> int | None:
    concentrations = dict(MEANS[city])
    if edition == "2012":
        concentrations["O3"] = concentrations["O3_8h"]  # constant: 1-hour max = 8-hour max
    return aqi.aqi(concentrations, "day", edition=edition).aqi


# ------------------------------------------------------------------------------- daily


def test_daily_pdf_states_cities_aqi_edition_stage_and_pages(store, tmp_path):
    bulletin = bulletins.air_daily(store, DAY, now=NOW)
    path = bulletins.write(bulletin, tmp_path / "daily.pdf")
    hefei, wuhu = expected_aqi("合肥市"), expected_aqi("芜湖市")
    assert expected_aqi("黄山市") is None and hefei > 150 and wuhu <= 50
    assert pdf_pages(path) == 2
    text = pdf_text(path)
    assert "安徽省城市环境空气质量日报" in text and "2026年12月1日" in text
    assert "GB 3095-2026（过渡阶段）、HJ 633-2026、HJ 663-2026" in text
    assert "限值阶段：过渡阶段" in text
    rows = {line.split()[1]: line.split() for line in text.splitlines()
            if len(line.split()) > 5 and line.split()[1] in ("合肥市", "芜湖市", "黄山市")}
    assert rows["合肥市"][:6] == ["2", "合肥市", str(hefei), "四级", "中度污染", "PM2.5"]
    assert rows["合肥市"][6:] == ["10", "20", "1.2", "80", "100", "150"]  # µg/m³, CO mg/m³
    assert rows["芜湖市"][:6] == ["1", "芜湖市", str(wuhu), "一级", "优", "—"]
    assert rows["黄山市"][1:3] == ["黄山市", "NA"]
    flowing = pdf_text(path, layout=False)
    assert "第1页/共2页" in flowing and "第2页/共2页" in flowing
    assert "生成时间：2026-12-0217:30（北京时间）" in flowing
    # the summary, the chart and the map are in Chinese
    assert "空气质量为优的城市1个" in flowing and "中度污染1个（合肥市）" in flowing
    assert "黄山市当日有效数据不足，AQI为NA" in flowing
    assert "图1" in flowing and "图2" in flowing and "示意图" in flowing
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    cjk = [line.split() for line in fonts if line.split()[0].endswith("Noto-Sans-CJK-SC")]
    assert cjk and all(row[-5] == "yes" for row in cjk), fonts  # embedded (emb = yes)
    assert not list(tmp_path.glob("*.partial"))


def test_daily_html_colours_each_category_as_hj633_appendix_a(store):
    html = bulletins.to_html(bulletins.air_daily(store, DAY, now=NOW))
    red = aqi.grade_of(expected_aqi("合肥市")).rgb_hex
    assert f'background:{red};color:#fff">中度污染' in html
    assert 'background:#00E400;color:#000">优' in html
    assert 'font-family: "Noto Sans CJK SC"' in html and "size: A4" in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_daily_workbook_headers_units_rounding_and_assessment_figures(store, tmp_path):
    bulletin = bulletins.air_daily(store, DAY, now=NOW)
    path = bulletins.write(bulletin, tmp_path / "daily.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["日报", "说明"]
    sheet = book["日报"]
    rows = list(sheet.values)
    assert "GB 3095-2026（过渡阶段）" in rows[0][0] and "2026年12月1日" in rows[0][0]
    assert rows[1] == ("排名", "城市", "AQI", "空气质量级别", "空气质量类别", "首要污染物",
                       "SO2 (µg/m³)", "NO2 (µg/m³)", "CO (mg/m³)",
                       "O3日最大8小时平均 (µg/m³)", "PM10 (µg/m³)", "PM2.5 (µg/m³)")
    by_city = {r[1]: r for r in rows[2:] if r[1]}
    daily = assess_air(store, DAY, DAY).city_daily
    for city in ("合肥市", "芜湖市"):
        figures = daily.filter(pl.col("city") == city).row(0, named=True)
        assert by_city[city][2] == figures["aqi"] == expected_aqi(city)
    assert by_city["合肥市"][8] == 1.2 and by_city["合肥市"][11] == 150  # 1.25 → 1.2, 150.5 → 150
    assert by_city["黄山市"][2] == "NA"
    assert sheet.cell(3 + [r[1] for r in rows[2:]].index("合肥市"), 5).fill.fgColor.rgb \
        .endswith("FF0000")
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref
    assert sheet._charts  # the native AQI chart
    notes = [r[0] for r in book["说明"].values if r[0]]
    assert any("限值阶段：过渡阶段" in n for n in notes)
    assert any(n.startswith("2026年12月1日，安徽省3个城市中") for n in notes)


def test_daily_with_the_2012_edition_names_it_and_adds_o3_one_hour(store, tmp_path):
    bulletin = bulletins.air_daily(store, DAY, edition="2012", now=NOW)
    assert (bulletin.edition, bulletin.stage) == ("2012", None)
    path = bulletins.write(bulletin, tmp_path / "daily2012.pdf")
    text = pdf_text(path)
    assert "GB 3095-2012、HJ 633-2012、HJ 663-2013" in text and "不分阶段" in text
    assert "过渡阶段" not in text
    row = next(line.split() for line in text.splitlines() if "合肥市" in line.split()[1:2])
    assert row[2] == str(expected_aqi("合肥市", "2012"))
    headers = bulletin.tables[0].frame.columns
    assert "O3_max_1h_ug_m3" in headers


def test_daily_final_stage_is_stated(store):
    bulletin = bulletins.air_daily(store, DAY, edition="2026", stage="final", now=NOW)
    assert "GB 3095-2026（最终阶段）" in bulletin.standards
    assert "最终阶段" in bulletins.to_html(bulletin)


def test_daily_without_data_and_bad_options_are_named(store):
    with pytest.raises(NoData, match="2026-11-30"):
        bulletins.air_daily(store, dt.date(2026, 11, 30))
    with pytest.raises(ValueError, match="stage='final' needs edition 2026"):
        bulletins.air_daily(store, DAY, stage="final")
    with pytest.raises(ValueError, match="expected .pdf or .xlsx"):
        bulletins.write(bulletins.air_daily(store, DAY), "x.docx")
    with pytest.raises(ValueError, match="not a month"):
        bulletins.parse_month("2026-13")


# ------------------------------------------------------------------------------- monthly


def test_monthly_ranking_statistics_and_change_match_the_assessment(store, tmp_path):
    bulletin = bulletins.air_monthly(store, DAY, now=NOW)
    path = bulletins.write(bulletin, tmp_path / "monthly.xlsx")
    result = assess_air(store, dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    before = assess_air(store, dt.date(2025, 12, 1), dt.date(2025, 12, 31), edition="2026",
                        stage="transition")
    ranking = result.ranking.filter(pl.col("period") == "month")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["城市排名", "污染物浓度", "每日空气质量", "说明"]
    rows = list(book["城市排名"].values)
    assert "安徽省城市环境空气质量月报" in rows[0][0] and "GB 3095-2026（过渡阶段）" in rows[0][0]
    assert rows[1][:5] == ("排名", "城市", "综合指数", "综合指数同比变化 (%)",
                           "优良天数比例 (%)")
    body = [r for r in rows[2:] if r[1]]
    assert [r[1] for r in body] == ranking.sort("rank", "city_code", nulls_last=True)[
        "city"].to_list()
    # Huangshan has no valid PM2.5 day: no comprehensive index, no rank, last
    assert body[-1][:3] == (None, "黄山市", None)
    old = before.ranking.filter(pl.col("period") == "month")
    for row in body[:-1]:
        mine = ranking.filter(pl.col("city") == row[1]).row(0, named=True)
        assert row[0] == mine["rank"] and row[2] == round(mine["composite_index"], 2)
        then = round(old.filter(pl.col("city") == row[1])["composite_index"][0], 2)
        assert row[3] == round((row[2] - then) / then * 100, 1)
        assert row[3] < 0  # last year was 20 % dirtier
    stats = {r[0]: r for r in list(book["污染物浓度"].values)[2:] if r[0]}
    assert list(book["污染物浓度"].values)[1] == (
        "城市", "PM2.5 平均浓度 (µg/m³)", "PM10 平均浓度 (µg/m³)",
        "O3日最大8小时平均第90百分位数 (µg/m³)", "SO2 平均浓度 (µg/m³)", "NO2 平均浓度 (µg/m³)",
        "CO 日均值第95百分位数 (mg/m³)")
    evaluation = result.evaluation.filter(pl.col("period") == "month", pl.col("city") == "合肥市")
    value = {(r["pollutant"], r["statistic"]): r["value"] for r in evaluation.iter_rows(named=True)}
    assert stats["合肥市"][1:] == (value[("PM2.5", "mean")], value[("PM10", "mean")],
                                   value[("O3", "p90")], value[("SO2", "mean")],
                                   value[("NO2", "mean")], value[("CO", "p95")])
    assert stats["合肥市"][1] == 150 and stats["合肥市"][6] == 1.2


def test_monthly_pdf_pages_text_and_month_without_last_year(store, tmp_path):
    bulletin = bulletins.air_monthly(store, DAY, now=NOW)
    path = bulletins.write(bulletin, tmp_path / "monthly.pdf")
    assert pdf_pages(path) == 3
    text = pdf_text(path, layout=False)
    for words in ("安徽省城市环境空气质量月报", "2026年12月", "GB3095-2026（过渡阶段）",
                  "综合指数", "优良天数比例", "CO日均值第95百分位数", "与2025年12月比较",
                  "合肥市", "芜湖市", "黄山市", "有效监测天数不满足", "第3页/共3页"):
        assert words in text, words
    # a year earlier there was no year before: said, not guessed
    older = bulletins.air_monthly(store, dt.date(2025, 12, 1), edition="2026", now=NOW)
    assert any("2024年12月无监测数据，未作同比" in n for n in older.notes)
    assert "composite_index_change" not in older.tables[0].frame.columns
    with pytest.raises(NoData, match="2026-11"):
        bulletins.air_monthly(store, dt.date(2026, 11, 5))


def test_no_publishable_aqi_is_said_not_drawn_as_empty_figures(tmp_path):
    """PM2.5 alone at 30 µg/m³: AQI <= 100 with pollutants missing is "NA" (HJ 633 5.3)."""
    with open_store(data_dir=tmp_path, migrate=True) as store:
        (a,) = store.registry.add_objects([ObjectSpec(
            code="H1", name="合肥站", object_type="air_station", city="合肥市",
            city_code="340100", longitude=117.23, latitude=31.82)])
        write(store, hourly(a, PM25, cst(2026, 12, 1), [30.0] * 24))
        daily = bulletins.air_daily(store, DAY, now=NOW)
        monthly = bulletins.air_monthly(store, DAY, now=NOW)
        assert pdf_pages(bulletins.write(daily, tmp_path / "d.pdf")) == 1
        assert pdf_pages(bulletins.write(monthly, tmp_path / "m.pdf")) == 2
    assert "合肥市当日有效数据不足，AQI 为 NA" in daily.summary[0]
    assert "无污染城市" not in daily.summary[0]
    assert daily.figures == () and monthly.figures == ()
    assert monthly.summary == ("2026年12月，安徽省1个城市均无有效的日空气质量指数，本月不作排名。",)
