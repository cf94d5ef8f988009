"""Maps people can look at: points on a longitude/latitude plane as a self-contained SVG.

No tiles and no network (the platform must work offline): an equirectangular projection
scaled by cos(latitude) at the map's centre, which is what a region the size of a province needs.
:func:`city_map` draws the city AQI map of ``ecohub assess air --map`` in the HJ 633 Appendix A
colours; :func:`point_map` draws any coloured points.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from typing import TYPE_CHECKING

import polars as pl

from ecohub.standards import aqi

if TYPE_CHECKING:
    from ecohub.analytics.air import AirAssessment
    from ecohub.store import Store

__all__ = ["city_map", "point_map"]

_WIDTH, _MARGIN = 640, 60


def point_map(points: pl.DataFrame, title: str, legend: list[tuple[str, str]] | None = None) -> str:
    """SVG of labelled, coloured points, north up.

    Parameters
    ----------
    points : polars.DataFrame
        Columns ``longitude``, ``latitude`` (degrees, WGS 84), ``label`` (text under the point),
        ``value`` (text inside the point) and ``colour`` (CSS colour, e.g. ``#FF7E00``).
    title : str
    legend : list of (colour, text), optional
        Drawn under the points as coloured squares with their text.

    Returns
    -------
    str
        A self-contained SVG document; every point is a ``<g class="point">``.

    Raises
    ------
    ValueError
        A column is missing, or there is no point.

    Examples
    --------
    >>> points = pl.DataFrame({"longitude": [117.23], "latitude": [31.82], "label": ["合肥市"],
    ...                        "value": ["55"], "colour": ["#FFFF00"]})
    >>> svg = point_map(points, "AQI", [("#FFFF00", "良")])
    >>> svg.startswith("<svg"), svg.count('class="point"')
    (True, 1)
    """
    missing = {"longitude", "latitude", "label", "value", "colour"} - set(points.columns)
    if missing:
        raise ValueError(f"point_map: missing column(s) {', '.join(sorted(missing))}")
    if points.is_empty():
        raise ValueError("point_map: no points to draw")
    lon, lat = points["longitude"].to_list(), points["latitude"].to_list()
    x_scale = math.cos(math.radians((min(lat) + max(lat)) / 2))
    span = max((max(lon) - min(lon)) * x_scale, max(lat) - min(lat), 1e-6)
    scale = (_WIDTH - 2 * _MARGIN) / span
    legend = legend or []
    height = int((max(lat) - min(lat)) * scale + 2 * _MARGIN + 40 + 18 * len(legend))

    def xy(lo: float, la: float) -> tuple[float, float]:
        return ((lo - min(lon)) * x_scale * scale + _MARGIN,
                (max(lat) - la) * scale + _MARGIN + 30)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="sans-serif">',
        '<rect width="100%" height="100%" fill="#f7f7f2"/>',
        f'<text x="{_WIDTH / 2}" y="24" font-size="18" text-anchor="middle">{escape(title)}</text>',
    ]
    for row in points.iter_rows(named=True):
        x, y = xy(row["longitude"], row["latitude"])
        fill = escape(row["colour"])
        parts.append(
            f'<g class="point"><circle cx="{x:.1f}" cy="{y:.1f}" r="17" fill="{fill}" '
            f'stroke="#333" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{y + 5:.1f}" font-size="13" text-anchor="middle">'
            f'{escape(str(row["value"]))}</text>'
            f'<text x="{x:.1f}" y="{y + 33:.1f}" font-size="12" text-anchor="middle">'
            f'{escape(str(row["label"]))}</text></g>'
        )
    for i, (colour, text) in enumerate(legend):
        y = height - 14 - 18 * (len(legend) - 1 - i)
        parts.append(f'<rect x="10" y="{y - 11}" width="14" height="14" fill="{escape(colour)}" '
                     f'stroke="#333"/><text x="30" y="{y}" font-size="12">{escape(text)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def city_map(result: AirAssessment, store: Store, day: dt.date | None = None) -> str:
    """SVG map of the cities' daily AQI on one day.

    Each city is drawn at the centre of its air stations, in the colour of its AQI grade
    (HJ 633 Appendix A); cities whose AQI is "NA" that day are left out.

    Parameters
    ----------
    result : AirAssessment
        From :func:`ecohub.analytics.air.assess_air`.
    store : Store
        The store assessed: its registry gives the stations' coordinates.
    day : datetime.date, optional
        Default the last day with a city AQI.

    Returns
    -------
    str
        The SVG document (:func:`point_map`), titled with the day and the HJ 633 edition.

    Raises
    ------
    ValueError
        No city has a daily AQI in the period, or on ``day``.
    """
    if "aqi" not in result.city_daily.columns:  # no data at all: the table has no AQI yet
        raise ValueError("city_map: no city has a daily AQI in the assessed period")
    daily = result.city_daily.filter(pl.col("aqi").is_not_null())
    if daily.is_empty():
        raise ValueError("city_map: no city has a daily AQI in the assessed period")
    day = day or daily["date"].max()
    centres = (
        pl.DataFrame([(o.city_code, o.longitude, o.latitude)
                      for o in store.registry.objects("air_station")],
                     schema=["city_code", "longitude", "latitude"], orient="row")
        .group_by("city_code")
        .agg(pl.col("longitude").mean(), pl.col("latitude").mean())
    )
    on_day = daily.filter(pl.col("date") == day)
    if on_day.is_empty():
        raise ValueError(f"city_map: no city has a daily AQI on {day}")
    points = on_day.join(centres, on="city_code").select(
        "longitude", "latitude", label=pl.col("city"), value=pl.col("aqi").cast(pl.String),
        colour=pl.col("colour_rgb"))
    legend = [(g.rgb_hex, f"{g.category} {g.category_en}") for g in aqi.GRADES]
    title = f"城市空气质量指数 city AQI {day} (HJ 633-{on_day['edition'][0]})"
    return point_map(points, title, legend)
