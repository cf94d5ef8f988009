"""Export of assessment tables to Excel and CSV, and the terminal renderer."""

from __future__ import annotations

import datetime as dt

import openpyxl
import polars as pl
import pytest
from rich.console import Console

from ecohub.reports.labels import label, publish
from ecohub.reports.tables import to_rich_table, write_tables

CST = "Asia/Shanghai"


@pytest.fixture
def tables() -> dict[str, pl.DataFrame]:
    daily = pl.DataFrame({
        "city": ["合肥市", "芜湖市"],
        "date": [dt.date(2026, 3, 1)] * 2,
        "edition": ["2026", "2026"],
        "stage": ["transition", "transition"],
        "PM2.5_ug_m3": [71.37291666666665, float("nan")],
        "CO_mg_m3": [1.25, 0.95],
        "aqi": [70, None],
        "category": ["轻度污染", None],
        "primary": [["PM2.5"], []],
    })
    hourly = pl.DataFrame({
        "city": ["合肥市"],
        "period_start": [dt.datetime(2026, 3, 1, 0, tzinfo=dt.UTC)],
    }).with_columns(pl.col("period_start").dt.convert_time_zone(CST))
    return {"air_city_daily": daily, "air_city_hourly": hourly}


def test_raw_xlsx_keeps_machine_names_and_full_precision(tables, tmp_path):
    path = tmp_path / "air.xlsx"
    assert write_tables(tables, path, raw=True) == [path]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["air_city_daily", "air_city_hourly"]
    rows = list(book["air_city_daily"].values)
    assert rows[0] == ("city", "date", "edition", "stage", "PM2.5_ug_m3", "CO_mg_m3", "aqi",
                       "category", "primary")
    assert rows[1][0] == "合肥市" and rows[1][4] == 71.37291666666665 and rows[1][6] == 70
    assert rows[1][8] == "PM2.5"
    assert rows[2][4] is None and rows[2][6] is None  # NaN and null → empty cells
    assert rows[1][1].date() == dt.date(2026, 3, 1)
    hourly = list(book["air_city_hourly"].values)
    # Local wall time, with the zone in the header (Excel keeps no zone).
    assert hourly[0][1] == f"period_start ({CST})"
    assert hourly[1][1] == dt.datetime(2026, 3, 1, 8, 0)
    assert not list(tmp_path.glob("*.partial"))


def test_published_xlsx_chinese_headers_rounded_styled(tables, tmp_path):
    """Chinese sheets and headers with units; 71.37291666666665 µg/m³ published as 71 and CO
    1.25 mg/m³ as 1.2 (HJ 633-2026 4.2.2, GB/T 8170-2008 3.3); title row with the edition and
    stage; bold filled header, panes frozen below it, autofilter over the table."""
    path = tmp_path / "air.xlsx"
    write_tables(tables, path, period="2026-03-01 至 2026-03-01")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["城市日报", "城市小时报"]
    sheet = book["城市日报"]
    title = sheet["A1"].value
    assert "城市日报" in title and "2026-03-01 至 2026-03-01" in title
    assert "GB 3095-2026（过渡阶段）" in title and "HJ 633-2026" in title
    header = [c.value for c in sheet[2]]
    assert header == ["城市", "日期", "标准版本", "限值阶段", "PM2.5 (µg/m³)", "CO (mg/m³)",
                      "AQI", "空气质量类别", "首要污染物"]
    row = {h: c for h, c in zip(header, sheet[3], strict=True)}
    assert row["PM2.5 (µg/m³)"].value == 71 and row["PM2.5 (µg/m³)"].number_format == "0"
    assert row["CO (mg/m³)"].value == 1.2 and row["CO (mg/m³)"].number_format == "0.0"
    assert row["AQI"].value == 70 and row["限值阶段"].value == "过渡阶段"
    assert row["日期"].value.date() == dt.date(2026, 3, 1)
    assert row["日期"].number_format == "yyyy-mm-dd"
    missing = {h: c.value for h, c in zip(header, sheet[4], strict=True)}
    assert missing["PM2.5 (µg/m³)"] is None and missing["AQI"] is None
    cell = sheet["A2"]
    assert cell.font.b and cell.fill.fgColor.rgb.endswith("DDEBF7")
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:I4"
    assert sheet.column_dimensions["E"].width >= len("PM2.5 (µg/m³)")
    hourly = book["城市小时报"]
    assert [c.value for c in hourly[2]][1] == "时段起 (北京时间)"
    assert not list(tmp_path.glob("*.partial"))


def test_csv_writes_the_main_table_and_one_file_per_other(tables, tmp_path):
    paths = write_tables(tables, tmp_path / "air.csv")
    # The sheet name, no doubled prefix ("air_air_city_hourly.csv").
    assert paths == [tmp_path / "air.csv", tmp_path / "air_城市小时报.csv"]
    assert not any("air_air" in p.name for p in tmp_path.iterdir())
    raw_bytes = (tmp_path / "air.csv").read_bytes()
    assert raw_bytes.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel on Chinese Windows
    main = raw_bytes.decode("utf-8-sig").splitlines()
    assert main[0] == ("城市,日期,标准版本,限值阶段,PM2.5 (µg/m³),CO (mg/m³),AQI,空气质量类别,"
                       "首要污染物")
    assert main[1] == "合肥市,2026-03-01,2026,过渡阶段,71,1.2,70,轻度污染,PM2.5"
    assert main[2] == '芜湖市,2026-03-01,2026,过渡阶段,,1.0,,,""'  # missing stays empty
    assert (tmp_path / "air_城市小时报.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_raw_csv_keeps_table_names_without_doubling(tables, tmp_path):
    paths = write_tables(tables, tmp_path / "air.csv", raw=True)
    assert paths == [tmp_path / "air.csv", tmp_path / "air_city_hourly.csv"]
    main = (tmp_path / "air.csv").read_text(encoding="utf-8-sig").splitlines()
    assert main[0] == "city,date,edition,stage,PM2.5_ug_m3,CO_mg_m3,aqi,category,primary"
    assert main[1].startswith("合肥市,2026-03-01,2026,transition,71.37291666666665,1.25,70")


def test_one_label_per_column_of_every_assessment_table():
    """Every column the analytics publish has a Chinese label (the one mapping)."""
    from ecohub.analytics.air import AIR_POLLUTANTS, DAILY_INDICATORS, HOURLY_INDICATORS
    from ecohub.analytics.air import concentration_column as air_column
    from ecohub.analytics.water import unit_column
    from ecohub.standards.gb3838 import TABLE_1

    columns = [air_column(c) for c in HOURLY_INDICATORS]
    columns += [air_column(c, daily=True) for c in DAILY_INDICATORS]
    columns += [unit_column(f) for f in TABLE_1]
    assert AIR_POLLUTANTS
    for column in columns:
        spec = label(column)
        assert spec.text != column and "(" in spec.text, column
    assert label("O3_max_8h_ug_m3").text == "O3日最大8小时平均 (µg/m³)"
    assert label("NH3-N_mg_L").decimals == 2 and label("TP_mg_L").decimals == 3
    assert label("Ld_dB").decimals == 1 and label("CO_mg_m3").decimals == 1


def test_published_digits_follow_the_standards():
    """HJ 633-2026 4.2.2 via GB/T 8170 round-half-even: 34.5 → 34, 35.5 → 36, CO 2.25 → 2.2,
    2.35 → 2.4; dB(A) to 0.1; shares as percent with one decimal; yes/no in Chinese."""
    frame = pl.DataFrame({
        "PM10_ug_m3": [34.5, 35.5, 71.37291666666665], "CO_mg_m3": [2.25, 2.35, None],
        "Ld_dB": [60.770250647716125, 55.25, 55.35], "good_share": [0.12345, 1.0, 0.0],
        "day_complies": [True, False, None],
    })
    published, digits = publish(frame)
    assert published["PM10 (µg/m³)"].to_list() == [34, 36, 71]
    assert published["CO (mg/m³)"].to_list() == [2.2, 2.4, None]
    assert published["昼间等效声级 Ld (dB(A))"].to_list() == [60.8, 55.2, 55.4]
    assert published["优良天数比例 (%)"].to_list() == [12.3, 100.0, 0.0]
    assert published["昼间达标"].to_list() == ["是", "否", None]
    assert digits["PM10 (µg/m³)"] == 0 and digits["CO (mg/m³)"] == 1


def test_other_extensions_are_refused(tables, tmp_path):
    with pytest.raises(ValueError, match=r"extension '\.json' is not supported; expected \.xlsx"):
        write_tables(tables, tmp_path / "air.json")
    with pytest.raises(ValueError, match="nothing to write"):
        write_tables({}, tmp_path / "air.csv")
    assert not list(tmp_path.iterdir())


def test_rich_table_renders_values(tables):
    console = Console(width=120, record=True)
    console.print(to_rich_table(tables["air_city_daily"], "空气质量日报"))
    text = console.export_text()
    assert "空气质量日报" in text and "71.4" in text and "PM2.5" in text and "—" in text
