"""`ecohub map import`: region outlines from GeoJSON, the CRS stated, clear errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.registry.regions import gcj02_to_wgs84, wgs84_to_gcj02
from ecohub.store import open_store

SQUARE = [[117.0, 31.7], [117.4, 31.7], [117.4, 32.0], [117.0, 32.0], [117.0, 31.7]]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def geojson(tmp_path, features, name="regions.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def feature(name, geometry):
    return {"type": "Feature", "properties": {"name": name, "adcode": "340100"},
            "geometry": geometry}


@pytest.fixture
def data_dir(tmp_path):
    data = tmp_path / "data"
    open_store(data_dir=data, migrate=True).close()
    return data


def test_a_wgs84_file_is_stored_as_given(tmp_path, data_dir):
    path = geojson(tmp_path, [feature("合肥市", {"type": "Polygon", "coordinates": [SQUARE]})])
    result = run("map", "import", path, "--crs", "wgs84", "--by", "测试", "--data-dir",
                 data_dir)
    assert result.exit_code == 0, result.output
    assert "1 region outline(s) imported" in result.output
    with open_store(data_dir=data_dir) as store:
        (region,) = store.regions.all()
    assert region.name == "合肥市" and region.code == "340100"
    assert region.geometry["coordinates"][0] == SQUARE and region.source_crs == "wgs84"
    assert region.imported_by == "测试"


def test_a_gcj02_file_is_converted_to_wgs84_and_replaces_the_last_import(tmp_path, data_dir):
    first = geojson(tmp_path, [feature("旧", {"type": "Polygon", "coordinates": [SQUARE]})])
    assert run("map", "import", first, "--crs", "wgs84", "--data-dir", data_dir).exit_code == 0
    shifted = [list(wgs84_to_gcj02(*p)) for p in SQUARE]
    path = geojson(tmp_path, [feature("合肥市", {"type": "MultiPolygon",
                                              "coordinates": [[shifted]]})], "gcj.geojson")
    result = run("map", "import", path, "--crs", "gcj02", "--data-dir", data_dir)
    assert result.exit_code == 0 and "GCJ-02, converted to WGS 84" in result.output
    with open_store(data_dir=data_dir) as store:
        (region,) = store.regions.all()
    ring = region.geometry["coordinates"][0][0]
    # GCJ-02 is ~500 m off here; converted back, within 1e-6° of the WGS 84 square
    assert abs(shifted[0][0] - SQUARE[0][0]) > 0.003
    assert all(abs(a - b) < 1e-6 for p, q in zip(ring, SQUARE, strict=True)
               for a, b in zip(p, q, strict=True))
    assert region.source_crs == "gcj02"


def test_the_crs_must_be_stated(tmp_path, data_dir):
    path = geojson(tmp_path, [feature("合肥市", {"type": "Polygon", "coordinates": [SQUARE]})])
    result = run("map", "import", path, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "the coordinate system must be stated: --crs wgs84 or --crs gcj02" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_feature_that_is_not_a_polygon_is_named(tmp_path, data_dir):
    path = geojson(tmp_path, [
        feature("合肥市", {"type": "Polygon", "coordinates": [SQUARE]}),
        feature("巢湖站", {"type": "Point", "coordinates": [117.8, 31.6]})])
    result = run("map", "import", path, "--crs", "wgs84", "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "feature 2 (巢湖站): geometry is 'Point', expected Polygon or MultiPolygon" in \
        result.output
    assert len(result.output.strip().splitlines()) == 1
    with open_store(data_dir=data_dir) as store:
        assert store.regions.all() == []  # nothing half-imported


def test_coordinates_outside_lon_lat_are_refused(tmp_path, data_dir):
    projected = [[500000.0, 3500000.0], [500100.0, 3500000.0], [500100.0, 3500100.0],
                 [500000.0, 3500000.0]]
    path = geojson(tmp_path, [feature("合肥市", {"type": "Polygon", "coordinates": [projected]})])
    result = run("map", "import", path, "--crs", "wgs84", "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "feature 1 (合肥市): position [500000.0, 3500000.0] is outside longitude" in \
        result.output


def test_gcj02_round_trip_and_outside_china_unchanged():
    lon, lat = wgs84_to_gcj02(117.23, 31.82)
    assert abs(lon - 117.23) > 0.004  # the offset is real
    back = gcj02_to_wgs84(lon, lat)
    assert abs(back[0] - 117.23) < 1e-8 and abs(back[1] - 31.82) < 1e-8
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
