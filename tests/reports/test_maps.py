"""The offline SVG maps: points, and the city AQI map."""

from __future__ import annotations

import re

import polars as pl
import pytest

from ecohub.region import ANHUI_CITIES
from ecohub.reports.maps import city_map, legend_entries, place_labels, point_map
from ecohub.standards import aqi


def test_points_are_placed_west_to_east_and_north_to_south():
    points = pl.DataFrame({
        "longitude": [116.0, 118.0], "latitude": [33.0, 30.0], "label": ["北<A>", "南"],
        "value": ["55", "120"], "colour": ["#FFFF00", "#FF7E00"]})
    svg = point_map(points, "AQI", [("#FFFF00", "良")])
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    circles = [line for line in svg.split("<circle")[1:]]
    (x1, y1), (x2, y2) = [(float(c.split('cx="')[1].split('"')[0]),
                           float(c.split('cy="')[1].split('"')[0])) for c in circles]
    assert x1 < x2 and y1 < y2  # the north-western point is left of and above the other
    assert "北&lt;A&gt;" in svg  # labels are escaped
    assert 'fill="#FF7E00"' in svg and ">良</text>" in svg
    assert 'class="north"' in svg and 'class="scale"' in svg


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="missing column"):
        point_map(pl.DataFrame({"longitude": [1.0]}), "x")
    empty = pl.DataFrame(schema={"longitude": pl.Float64, "latitude": pl.Float64,
                                 "label": pl.String, "value": pl.String, "colour": pl.String})
    with pytest.raises(ValueError, match="no points"):
        point_map(empty, "x")


def test_city_aqi_map_from_stored_readings(tmp_path):
    """HJ 633-2026: PM2.5 24-h 150 µg/m³ → IAQI 200, published without the other pollutants
    (AQI > 100, 5.3) in red (Appendix A); a city whose AQI is "NA" is not drawn."""
    import datetime as dt

    from analytics._stores import cst, hourly, write
    from ecohub.analytics.air import assess_air
    from ecohub.store import ObjectSpec, open_store

    with open_store(data_dir=tmp_path, migrate=True) as store:
        hefei, wuhu = store.registry.add_objects([
            ObjectSpec(code="H1", name="合肥站", object_type="air_station", city="合肥市",
                       city_code="340100", longitude=117.23, latitude=31.82),
            ObjectSpec(code="W1", name="芜湖站", object_type="air_station", city="芜湖市",
                       city_code="340200", longitude=118.38, latitude=31.33)])
        write(store, hourly(hefei, "a34004", cst(2026, 11, 20), [150.0] * 24),
              hourly(wuhu, "a34004", cst(2026, 11, 20), [20.0] * 24))
        result = assess_air(store, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
        svg = city_map(result, store)
    assert svg.count('class="point"') == 1
    assert 'fill="#FF0000" stroke' in svg and ">200</text>" in svg and "合肥市</text>" in svg
    assert svg.count("芜湖市") == 1 and "HJ 633-2026" in svg  # only in the note
    assert "AQI 为 NA 未绘：芜湖市" in svg and "示意图" in svg


def _boxes(svg: str) -> list[tuple[float, float, float, float]]:
    return [tuple(float(v) for v in m.split(","))  # type: ignore[misc]
            for m in re.findall(r'class="label" data-box="([^"]+)"', svg)]


def _circles(svg: str) -> list[tuple[float, float, float, float]]:
    return [(float(x) - float(r), float(y) - float(r), 2 * float(r), 2 * float(r))
            for x, y, r in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"', svg)]


def _intersect(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_labels_never_overlap_each_other_or_markers():
    """The 16 Anhui cities plus crowded points (four within 0.1°): every label box is free of
    every other label box and every marker, and inside the drawing."""
    cities = list(ANHUI_CITIES) + [
        ("x1", "近邻一号", 117.25, 31.84), ("x2", "近邻二号", 117.21, 31.80),
        ("x3", "近邻三号", 117.27, 31.78), ("x4", "近邻四号", 117.2, 31.86)]
    points = pl.DataFrame({
        "longitude": [c[2] for c in cities], "latitude": [c[3] for c in cities],
        "label": [c[1] for c in cities], "value": [str(50 + i) for i in range(len(cities))],
        "colour": ["#FFFF00"] * len(cities)})
    svg = point_map(points, "AQI", legend_entries())
    boxes, circles = _boxes(svg), _circles(svg)
    assert len(boxes) == len(circles) == len(cities)
    width = float(re.search(r'width="(\d+)"', svg)[1])
    height = float(re.search(r'height="(\d+)"', svg)[1])
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[0] + a[2] <= width and a[1] >= 0 and a[1] + a[3] <= height
        for b in boxes[i + 1:]:
            assert not _intersect(a, b), (a, b)
        for c in circles:
            assert not _intersect(a, c), (a, c)
    assert 'class="leader"' in svg  # the crowded labels were moved out, with a leader line


def test_label_placement_is_deterministic_and_prefers_the_right():
    placed = place_labels([(100.0, 100.0)], [(40.0, 18.0)], [], (0, 0, 400, 400))
    ((x, y, w, h), leader), = placed
    assert x > 100 and abs(y + h / 2 - 100) < 1e-9 and not leader
    assert placed == place_labels([(100.0, 100.0)], [(40.0, 18.0)], [], (0, 0, 400, 400))


def test_legend_lists_every_aqi_category_in_its_colour():
    """HJ 633-2026 Table 1 and Appendix A: six categories, six colours."""
    points = pl.DataFrame({"longitude": [117.23], "latitude": [31.82], "label": ["合肥市"],
                           "value": ["55"], "colour": ["#FFFF00"]})
    svg = point_map(points, "AQI", legend_entries())
    items = re.findall(r'<g class="legend-item"><rect [^>]*fill="(#[0-9A-F]{6})"[^>]*/>'
                       r'<text [^>]*>([^<]+)</text>', svg)
    assert [c for c, _ in items] == [g.rgb_hex for g in aqi.GRADES]
    assert [t.split("　")[0] for _, t in items] == ["优", "良", "轻度污染", "中度污染", "重度污染",
                                                  "严重污染"]
    assert "0–50" in items[0][1] and "＞300" in items[-1][1]
