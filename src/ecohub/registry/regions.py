"""Region outlines for the map: imported from GeoJSON, or a schematic drawn from the registry.

**Import** (``ecohub map import FILE.geojson --crs wgs84|gcj02``): a GeoJSON FeatureCollection
(or a single Feature) whose features are all Polygon or MultiPolygon, each with a name
(property ``name``, ``NAME``, ``名称`` or ``city``; else "区域 n"). The CRS must be stated:
Chinese map services publish boundaries in GCJ-02, which is offset from WGS 84 by up to ~700 m,
and a file does not say which it is. GCJ-02 coordinates are **converted to WGS 84 at import**
(:func:`gcj02_to_wgs84`), so everything the map draws — positions from the registry, outlines,
an operator's basemap — is in one datum; the stored record keeps the source CRS.

**Schematic** (no file imported): :func:`schematic_regions` draws, per registered city, a circle
around the centroid of its objects' positions, with a radius of 45 % of the distance to the
nearest other city's centroid (so neighbours do not overlap), labelled "（示意）". It is a
schematic only: its properties say so and the map's legend says "示意（非真实行政边界）".
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from ecohub.store import MonitoredObject, Region

__all__ = ["CRSES", "RegionFileError", "gcj02_to_wgs84", "read_regions", "schematic_regions",
           "wgs84_to_gcj02"]

CRSES: Final = ("wgs84", "gcj02")
"""The coordinate reference systems an import may state."""

SCHEMATIC_NOTE: Final = "示意（非真实行政边界）"


class RegionFileError(ValueError):
    """A region file that cannot be imported; the message names the feature and what is wrong."""


# --------------------------------------------------------------------------------- GCJ-02
# GCJ-02 ("Mars coordinates", 国测局坐标) is WGS 84 plus an obfuscating offset published in no
# standard; the forward formula below is the widely used reconstruction (Krasovsky 1940
# ellipsoid a = 6378245 m, e² = 0.00669342162296594323), exact to the centimetre against the
# services that use it. The inverse has no closed form: a fixed-point iteration converges to
# < 1e-9° in a few steps.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323


def _out_of_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
             + 0.2 * math.sqrt(abs(x)))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    d_lon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """A WGS 84 position in GCJ-02 (unchanged outside China).

    >>> [round(v, 6) for v in wgs84_to_gcj02(117.23, 31.82)]
    [117.235481, 31.817999]
    """
    if _out_of_china(lon, lat):
        return lon, lat
    d_lon, d_lat = _delta(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """A GCJ-02 position in WGS 84: the inverse of :func:`wgs84_to_gcj02` (< 1e-9° error).

    >>> [round(v, 6) for v in gcj02_to_wgs84(117.235481, 31.817999)]
    [117.23, 31.82]
    """
    if _out_of_china(lon, lat):
        return lon, lat
    w_lon, w_lat = lon, lat
    for _ in range(30):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = g_lon - lon, g_lat - lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if abs(e_lon) < 1e-10 and abs(e_lat) < 1e-10:
            break
    return w_lon, w_lat


# --------------------------------------------------------------------------------- import
_NAME_KEYS: Final = ("name", "NAME", "名称", "city", "Name")
_CODE_KEYS: Final = ("adcode", "code", "CODE", "city_code", "区划代码")


def read_regions(path: str | Path, crs: str | None) -> list[Region]:
    """The region outlines of a GeoJSON file, in WGS 84.

    Parameters
    ----------
    path : str or Path
        A GeoJSON FeatureCollection or Feature of Polygon / MultiPolygon features.
    crs : {"wgs84", "gcj02"}
        What the file's coordinates are in (required: a file does not say).

    Raises
    ------
    RegionFileError
        No or an unknown CRS; not GeoJSON; a feature that is not a (Multi)Polygon or has a
        coordinate outside longitude −180…180 / latitude −90…90 (the message names the
        feature, by its name or its index).
    """
    if crs is None or crs.lower().replace("-", "") not in CRSES:
        raise RegionFileError(
            f"{path}: the coordinate system must be stated: --crs wgs84 or --crs gcj02 "
            f"(got {crs!r}); Chinese map services publish GCJ-02, GPS and national data WGS 84")
    crs = crs.lower().replace("-", "")
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise RegionFileError(f"{path}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise RegionFileError(f"{path}: not JSON (line {error.lineno}: {error.msg})") from None
    if isinstance(document, dict) and document.get("type") == "Feature":
        features = [document]
    elif isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features") or []
    else:
        kind = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise RegionFileError(f"{path}: expected a GeoJSON FeatureCollection of Polygon or "
                              f"MultiPolygon features, got {kind!r}")
    if not features:
        raise RegionFileError(f"{path}: the FeatureCollection has no features")
    regions = []
    for index, feature in enumerate(features, start=1):
        properties = (feature or {}).get("properties") or {}
        name = next((str(properties[k]) for k in _NAME_KEYS if properties.get(k)), None)
        where = f"{path}: feature {index}" + (f" ({name})" if name else "")
        geometry = (feature or {}).get("geometry") or {}
        kind = geometry.get("type")
        if kind not in ("Polygon", "MultiPolygon"):
            raise RegionFileError(f"{where}: geometry is {kind!r}, expected Polygon or "
                                  "MultiPolygon (region outlines)")
        polygons = geometry.get("coordinates")
        polygons = [polygons] if kind == "Polygon" else polygons
        converted = [[_ring(ring, crs, where) for ring in polygon] for polygon in polygons or []]
        if not converted or not all(converted):
            raise RegionFileError(f"{where}: the {kind} has no rings")
        code = next((str(properties[k]) for k in _CODE_KEYS if properties.get(k)), None)
        regions.append(Region(
            name=name or f"区域 {index}", code=code,
            geometry={"type": kind,
                      "coordinates": converted[0] if kind == "Polygon" else converted},
            properties={k: v for k, v in properties.items()
                        if isinstance(v, str | int | float | bool)},
            source_crs=crs, source_file=Path(path).name))
    return regions


def _ring(ring: Any, crs: str, where: str) -> list[list[float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise RegionFileError(f"{where}: a ring needs at least 4 positions, got "
                              f"{len(ring) if isinstance(ring, list) else ring!r}")
    out = []
    for position in ring:
        try:
            lon, lat = float(position[0]), float(position[1])
        except (TypeError, ValueError, IndexError):
            raise RegionFileError(f"{where}: position {position!r} is not [longitude, "
                                  "latitude]") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90) or math.isnan(lon + lat):
            raise RegionFileError(f"{where}: position [{lon}, {lat}] is outside longitude "
                                  "−180…180 / latitude −90…90 (projected coordinates? the "
                                  "file must be in degrees)")
        if crs == "gcj02":
            lon, lat = gcj02_to_wgs84(lon, lat)
        out.append([round(lon, 7), round(lat, 7)])
    return out


# --------------------------------------------------------------------------------- schematic
def schematic_regions(objects: Sequence[MonitoredObject], vertices: int = 48) -> list[Region]:
    """A schematic outline per city of the registered objects (see the module docstring)."""
    cities: dict[str, list[tuple[float, float]]] = {}
    codes: dict[str, str | None] = {}
    for o in objects:
        if o.city and o.longitude is not None and o.latitude is not None:
            cities.setdefault(o.city, []).append((o.longitude, o.latitude))
            codes.setdefault(o.city, o.city_code)
    centres = {city: (sum(p[0] for p in points) / len(points),
                      sum(p[1] for p in points) / len(points))
               for city, points in cities.items()}
    regions = []
    for city, (lon, lat) in centres.items():
        scale = math.cos(math.radians(lat))
        others = [math.hypot((lon - x) * scale, lat - y)
                  for other, (x, y) in centres.items() if other != city]
        spread = max(math.hypot((p[0] - lon) * scale, p[1] - lat) for p in cities[city])
        radius = min(0.45 * min(others), 0.6) if others else 0.3
        radius = max(radius, min(spread + 0.02, 0.6)) if not others else radius
        ring = [[round(lon + radius * math.cos(2 * math.pi * k / vertices) / scale, 6),
                 round(lat + radius * math.sin(2 * math.pi * k / vertices), 6)]
                for k in range(vertices)]
        ring.append(ring[0])
        regions.append(Region(
            name=f"{city}（示意）", code=codes[city],
            geometry={"type": "Polygon", "coordinates": [ring]},
            properties={"schematic": True, "note": SCHEMATIC_NOTE, "city": city},
            source_crs="wgs84"))
    return regions
