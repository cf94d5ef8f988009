"""The offline SVG maps: points, and the city AQI map."""

from __future__ import annotations

import polars as pl
import pytest

from ecohub.reports.maps import city_map, point_map


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
    assert 'fill="#FF0000"' in svg and ">200</text>" in svg and "合肥市" in svg
    assert "芜湖市" not in svg and "HJ 633-2026" in svg
