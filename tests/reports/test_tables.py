"""Export of assessment tables to Excel and CSV, and the terminal renderer."""

from __future__ import annotations

import datetime as dt

import openpyxl
import polars as pl
import pytest
from rich.console import Console

from ecohub.reports.tables import to_rich_table, write_tables

CST = "Asia/Shanghai"


@pytest.fixture
def tables() -> dict[str, pl.DataFrame]:
    daily = pl.DataFrame({
        "city": ["合肥市", "芜湖市"],
        "date": [dt.date(2026, 3, 1)] * 2,
        "PM2.5_ug_m3": [45.0, float("nan")],
        "aqi": [70, None],
        "primary": [["PM2.5"], []],
    })
    hourly = pl.DataFrame({
        "city": ["合肥市"],
        "period_start": [dt.datetime(2026, 3, 1, 0, tzinfo=dt.UTC)],
    }).with_columns(pl.col("period_start").dt.convert_time_zone(CST))
    return {"air_city_daily": daily, "air_city_hourly": hourly}


def test_xlsx_has_one_sheet_per_table(tables, tmp_path):
    path = tmp_path / "air.xlsx"
    assert write_tables(tables, path) == [path]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["air_city_daily", "air_city_hourly"]
    rows = list(book["air_city_daily"].values)
    assert rows[0] == ("city", "date", "PM2.5_ug_m3", "aqi", "primary")
    assert rows[1][0] == "合肥市" and rows[1][2] == 45 and rows[1][3] == 70
    assert rows[1][4] == "PM2.5"
    assert rows[2][2] is None and rows[2][3] is None  # NaN and null → empty cells
    assert rows[1][1].date() == dt.date(2026, 3, 1)
    hourly = list(book["air_city_hourly"].values)
    # Local wall time, with the zone in the header (Excel keeps no zone).
    assert hourly[0][1] == f"period_start ({CST})"
    assert hourly[1][1] == dt.datetime(2026, 3, 1, 8, 0)
    assert not list(tmp_path.glob("*.partial"))


def test_csv_writes_the_main_table_and_one_file_per_other(tables, tmp_path):
    paths = write_tables(tables, tmp_path / "air.csv")
    assert paths == [tmp_path / "air.csv", tmp_path / "air_air_city_hourly.csv"]
    main = (tmp_path / "air.csv").read_text(encoding="utf-8-sig").splitlines()
    assert main[0] == "city,date,PM2.5_ug_m3,aqi,primary"
    assert main[1] == "合肥市,2026-03-01,45.0,70,PM2.5"
    assert main[2] == '芜湖市,2026-03-01,,,""'  # missing values empty; no primary: ""


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
    assert "空气质量日报" in text and "45.0" in text and "PM2.5" in text and "—" in text
