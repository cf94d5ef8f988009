"""The terminal summary of ``ecohub assess``: short, within 80 columns, nothing truncated."""

from __future__ import annotations

import datetime as dt

from rich.console import Console

from analytics._stores import cst, hourly, write
from ecohub.analytics.air import assess_air
from ecohub.region import ANHUI_CITIES
from ecohub.reports.summary import terminal_summary
from ecohub.store import ObjectSpec, open_store


def _render(parts, width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    for part in parts:
        console.print(part)
    return console.export_text()


def test_a_16_city_day_fits_80_columns_in_a_few_lines(tmp_path):
    """16 cities, one day: one line per city, the row counts and where the tables went — not the
    1,147 lines of every table; PM2.5 71.37291666666665 µg/m³ is shown as published, 71."""
    day = dt.date(2026, 11, 20)
    with open_store(data_dir=tmp_path, migrate=True) as store:
        objects = store.registry.add_objects([
            ObjectSpec(code=f"S{code}", name=f"{name}站", object_type="air_station", city=name,
                       city_code=code, longitude=lon, latitude=lat)
            for code, name, lon, lat in ANHUI_CITIES])
        readings = []
        for i, obj in enumerate(objects):
            level = 71.37291666666665 if i == 7 else 20.0 + 7 * i
            readings.append(hourly(obj, "a34004", cst(2026, 11, 20), [level] * 24))
        write(store, *readings)
        result = assess_air(store, day, day)
    parts = terminal_summary("air", result, written=[tmp_path / "air.xlsx"])
    for width in (80, 120):
        text = _render(parts, width)
        lines = text.rstrip("\n").splitlines()
        assert len(lines) <= 40, text
        assert max(len(line) for line in lines) <= width
        assert "…" not in text  # no truncated cell
    text = _render(parts, 80)
    assert sum(name in text for _, name, _, _ in ANHUI_CITIES) == 16
    assert "PM2.5 (µg/m³)" in text and "AQI" in text and "首要污染物" in text
    assert " 71 " in text and "71.37" not in text
    assert f"完整表格已写入：{tmp_path / 'air.xlsx'}" in text.replace("\n", "")
    assert "共 7 张表" in text and "城市日报 16" in text
    assert "HJ 633-2026" in text


def test_without_out_the_summary_names_the_option(tmp_path):
    with open_store(data_dir=tmp_path, migrate=True) as store:
        hefei, = store.registry.add_objects([
            ObjectSpec(code="H1", name="合肥站", object_type="air_station", city="合肥市",
                       city_code="340100", longitude=117.23, latitude=31.82)])
        # Half a day: no valid daily mean (GB 3095-2026 Table 4), so no city daily AQI.
        write(store, hourly(hefei, "a34004", cst(2026, 11, 20), [30.0] * 12))
        result = assess_air(store, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    text = _render(terminal_summary("air", result), 80)
    assert "--out" in text and "合肥市" in text and "—" in text  # AQI "NA" shown as —


def test_top_and_bottom_rows_when_there_are_many_cities(tmp_path):
    day = dt.date(2026, 11, 20)
    with open_store(data_dir=tmp_path, migrate=True) as store:
        objects = store.registry.add_objects([
            ObjectSpec(code=f"S{code}", name=f"{name}站", object_type="air_station", city=name,
                       city_code=code, longitude=lon, latitude=lat)
            for code, name, lon, lat in ANHUI_CITIES])
        write(store, *(hourly(obj, "a34004", cst(2026, 11, 20), [20.0 + 7 * i] * 24)
                       for i, obj in enumerate(objects)))
        result = assess_air(store, day, day)
    text = _render(terminal_summary("air", result, top=3), 80)
    assert "中间 10 行未显示" in text and "⋮" in text
