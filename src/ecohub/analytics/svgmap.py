"""A map people can look at: points on a longitude/latitude plane as a self-contained SVG.

No tiles and no network (the platform must work offline): an equirectangular projection
scaled by cos(latitude) at the map's centre, which is what a region the size of a province needs.
Used for the city AQI map of ``ecohub assess air --map``; colours come from the data (HJ 633
Appendix A colours in the AQI tables).
"""

from __future__ import annotations

import math
from html import escape

import polars as pl

_WIDTH, _MARGIN = 640, 60


def point_map(points: pl.DataFrame, title: str, legend: list[tuple[str, str]] | None = None) -> str:
    """SVG of labelled, coloured points.

    Parameters
    ----------
    points : polars.DataFrame
        Columns ``longitude``, ``latitude`` (degrees, WGS 84), ``label`` (text under the point),
        ``value`` (text inside the point) and ``colour`` (CSS colour, e.g. ``#FF7E00``).
    title : str
    legend : list of (colour, text), optional
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
