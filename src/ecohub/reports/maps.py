"""Maps people can look at: points on a longitude/latitude plane as a self-contained SVG.

No tiles and no network (the platform must work offline): an equirectangular projection
scaled by cos(latitude) at the map's centre, which is what a region the size of a province needs.
:func:`city_map` draws the city AQI map of ``ecohub assess air --map`` in the HJ 633 Appendix A
colours; :func:`point_map` draws any coloured points.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from html import escape
from typing import TYPE_CHECKING

import polars as pl

from ecohub.standards import aqi

if TYPE_CHECKING:
    from ecohub.analytics.air import AirAssessment
    from ecohub.store import Store

__all__ = ["city_map", "legend_entries", "place_labels", "point_map", "text_width"]

_MAP_WIDTH, _MARGIN, _TOP = 620, 50, 78  # map area width, margin, title band height
_LEGEND_WIDTH = 210
_WIDTH = _MAP_WIDTH + _LEGEND_WIDTH
_RADIUS = 15  # marker radius
_FONT = 13  # label font size (px)
_KM_PER_DEGREE = 111.32  # one degree of latitude (WGS 84 mean), for the scale bar

Box = tuple[float, float, float, float]
"""x, y (top-left), width, height in SVG pixels."""


def text_width(text: str, size: float = _FONT) -> float:
    """Estimated width of ``text`` in pixels: CJK characters one em, others 0.6 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else 0.6 * size for c in text)


def _overlaps(a: Box, b: Box, pad: float = 1.0) -> bool:
    return (a[0] < b[0] + b[2] + pad and b[0] < a[0] + a[2] + pad
            and a[1] < b[1] + b[3] + pad and b[1] < a[1] + a[3] + pad)


def place_labels(anchors: list[tuple[float, float]], sizes: list[tuple[float, float]],
                 obstacles: list[Box], bounds: Box) -> list[tuple[Box, bool]]:
    """Label boxes that overlap nothing: a deterministic greedy placement.

    Each label tries eight positions around its point (right, left, above, below, then the
    diagonals), first next to the marker and then on rings further out; it takes the first box
    that overlaps no marker, no placed label and no other obstacle and lies inside ``bounds``.
    Labels are placed in the order given. A label moved to an outer ring gets a leader line.

    Parameters
    ----------
    anchors : list of (x, y)
        The points (marker centres).
    sizes : list of (width, height)
        Label sizes.
    obstacles : list of Box
        Markers, title, legend … that labels must not cover.
    bounds : Box
        Labels stay inside.

    Returns
    -------
    list of (Box, bool)
        Each label's box and whether it needs a leader line. If no free place exists within
        the rings (a very crowded map) the box with the fewest overlaps is taken.
    """
    placed: list[Box] = []
    result: list[tuple[Box, bool]] = []
    for (x, y), (w, h) in zip(anchors, sizes, strict=True):
        best: tuple[int, Box, bool] | None = None
        for ring in range(6):
            gap = _RADIUS + 3 + ring * 14
            candidates = [
                (x + gap, y - h / 2), (x - gap - w, y - h / 2),
                (x - w / 2, y - gap - h), (x - w / 2, y + gap),
                (x + gap * 0.7, y - gap * 0.7 - h), (x + gap * 0.7, y + gap * 0.7),
                (x - gap * 0.7 - w, y - gap * 0.7 - h), (x - gap * 0.7 - w, y + gap * 0.7),
            ]
            for left, top in candidates:
                box = (left, top, w, h)
                inside = (left >= bounds[0] and top >= bounds[1]
                          and left + w <= bounds[0] + bounds[2]
                          and top + h <= bounds[1] + bounds[3])
                hits = sum(_overlaps(box, other) for other in (*obstacles, *placed))
                hits += 0 if inside else 100
                if best is None or hits < best[0]:
                    best = (hits, box, ring > 0)
                if hits == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        placed.append(best[1])
        result.append((best[1], best[2]))
    return result


def _nice_length(km: float) -> float:
    """A round scale-bar length not above ``km`` (1, 2, 5 × 10^n)."""
    power = 10 ** math.floor(math.log10(km))
    return max(m * power for m in (1, 2, 5) if m * power <= km)


def point_map(points: pl.DataFrame, title: str, legend: list[tuple[str, str]] | None = None,
              *, subtitle: str | None = None) -> str:
    """SVG of labelled, coloured points, north up: a schematic without outlines.

    Parameters
    ----------
    points : polars.DataFrame
        Columns ``longitude``, ``latitude`` (degrees, WGS 84), ``label`` (text beside the
        point), ``value`` (text inside the point) and ``colour`` (CSS colour, e.g. ``#FF7E00``).
    title : str
    legend : list of (colour, text), optional
        Drawn right of the map as coloured squares with their text.
    subtitle : str, optional
        Second title line (e.g. that the map is a schematic).

    Returns
    -------
    str
        A self-contained SVG document; every point is a ``<g class="point">``, every label a
        ``<text class="label" data-box="x,y,w,h">`` (its box, for checks), and a north arrow
        and a scale bar are drawn. Labels never overlap markers or each other
        (:func:`place_labels`).

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
    points = points.sort(["latitude", "longitude"], descending=[True, False])
    lon, lat = points["longitude"].to_list(), points["latitude"].to_list()
    x_scale = math.cos(math.radians((min(lat) + max(lat)) / 2))
    span = max((max(lon) - min(lon)) * x_scale, max(lat) - min(lat), 1e-6)
    inner = _MAP_WIDTH - 2 * _MARGIN - 80  # room for labels right and left of the points
    scale = inner / span  # pixels per degree of latitude
    legend = legend or []
    map_height = (max(lat) - min(lat)) * scale + 2 * _MARGIN
    height = int(max(_TOP + map_height + 40, _TOP + 40 + 24 * len(legend) + 140))
    x0 = _MARGIN + 40 + (inner - (max(lon) - min(lon)) * x_scale * scale) / 2

    def xy(lo: float, la: float) -> tuple[float, float]:
        return ((lo - min(lon)) * x_scale * scale + x0, (max(lat) - la) * scale + _TOP + _MARGIN)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="Noto Sans CJK SC, Microsoft YaHei, '
        f'SimHei, sans-serif">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<rect x="10" y="{_TOP - 8}" width="{_MAP_WIDTH - 20}" height="{height - _TOP - 2}" '
        'fill="#f4f6f2" stroke="#999" stroke-width="1"/>',
        f'<text x="{_WIDTH / 2}" y="28" font-size="19" font-weight="bold" '
        f'text-anchor="middle">{escape(title)}</text>',
    ]
    if subtitle:
        parts.append(f'<text x="{_WIDTH / 2}" y="52" font-size="12" fill="#555" '
                     f'text-anchor="middle">{escape(subtitle)}</text>')
    anchors = [xy(lo, la) for lo, la in zip(lon, lat, strict=True)]
    markers = [(x - _RADIUS, y - _RADIUS, 2 * _RADIUS, 2 * _RADIUS) for x, y in anchors]
    north = (_MAP_WIDTH - 60, _TOP, 40, 56)
    scale_box = (20, height - 50, 200, 40)
    labels = [str(v) for v in points["label"].to_list()]
    sizes = [(text_width(t) + 4, _FONT + 5) for t in labels]
    placed = place_labels(anchors, sizes, [*markers, north, scale_box],
                          (14, _TOP - 4, _MAP_WIDTH - 28, height - _TOP - 6))
    for row, (x, y), ((bx, by, bw, bh), leader) in zip(
            points.iter_rows(named=True), anchors, placed, strict=True):
        fill = escape(row["colour"])
        ink = "#fff" if row["colour"].upper() in _DARK else "#000"
        parts.append(
            f'<g class="point"><circle cx="{x:.1f}" cy="{y:.1f}" r="{_RADIUS}" fill="{fill}" '
            f'stroke="#333" stroke-width="1.2"/>'
            f'<text x="{x:.1f}" y="{y + 4.5:.1f}" font-size="12" font-weight="bold" '
            f'text-anchor="middle" fill="{ink}">{escape(str(row["value"]))}</text></g>'
        )
        if leader:
            cx = min(max(x, bx), bx + bw)
            cy = min(max(y, by), by + bh)
            d = math.hypot(cx - x, cy - y) or 1.0
            sx, sy = x + (cx - x) * _RADIUS / d, y + (cy - y) * _RADIUS / d
            parts.append(f'<line class="leader" x1="{sx:.1f}" y1="{sy:.1f}" x2="{cx:.1f}" '
                         f'y2="{cy:.1f}" stroke="#666" stroke-width="0.8"/>')
        parts.append(
            f'<text class="label" data-box="{bx:.1f},{by:.1f},{bw:.1f},{bh:.1f}" '
            f'x="{bx + 2:.1f}" y="{by + bh - 5:.1f}" font-size="{_FONT}" fill="#222">'
            f'{escape(str(row["label"]))}</text>')
    # North arrow.
    nx, ny = north[0] + 20, north[1]
    parts.append(
        f'<g class="north"><path d="M{nx} {ny + 14} l-9 30 l9 -8 l9 8 z" fill="#333"/>'
        f'<text x="{nx}" y="{ny + 10}" font-size="13" text-anchor="middle">N 北</text></g>')
    # Scale bar (equirectangular: true at the centre latitude).
    length = _nice_length(120 / scale * _KM_PER_DEGREE)
    bar = length / _KM_PER_DEGREE * scale
    sx, sy = scale_box[0] + 10, scale_box[1] + 24
    parts.append(
        f'<g class="scale"><path d="M{sx} {sy - 5} v5 h{bar:.1f} v-5" fill="none" '
        f'stroke="#333" stroke-width="1.5"/><text x="{sx}" y="{sy + 14}" font-size="11">'
        f'0</text><text x="{sx + bar:.1f}" y="{sy + 14}" font-size="11" text-anchor="middle">'
        f'{length:g} km</text></g>')
    # Legend, right of the map.
    lx, ly = _MAP_WIDTH + 10, _TOP + 4
    if legend:
        parts.append(f'<text x="{lx}" y="{ly + 8}" font-size="14" font-weight="bold">图例</text>')
    for i, (colour, text) in enumerate(legend):
        y = ly + 30 + 24 * i
        parts.append(f'<g class="legend-item"><rect x="{lx}" y="{y - 13}" width="16" '
                     f'height="16" fill="{escape(colour)}" stroke="#333"/><text x="{lx + 24}" '
                     f'y="{y}" font-size="12">{escape(text)}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)


_DARK = {"#FF0000", "#99004C", "#7E0023"}


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
    legend = legend_entries()
    edition = on_day["edition"][0]
    title = f"城市空气质量指数（AQI）{day}　HJ 633-{edition}"
    left_out = sorted(set(result.city_daily.filter(pl.col("date") == day)["city"].to_list())
                      - set(on_day["city"].to_list()))
    subtitle = ("示意图：城市标于其空气站中心，不含行政区界线；颜色按 HJ 633 附录 A"
                + (f"；AQI 为 NA 未绘：{'、'.join(left_out)}" if left_out else ""))
    return point_map(points, title, legend, subtitle=subtitle)


def legend_entries() -> list[tuple[str, str]]:
    """(colour, text) of every AQI category (HJ 633-2026 Table 1, Appendix A colours)."""
    entries, low = [], 0
    for grade in aqi.GRADES:
        last = grade is aqi.GRADES[-1]
        span = f"＞{low - 1}" if last else f"{low}–{grade.aqi_max}"
        entries.append((grade.rgb_hex, f"{grade.category}　{span}　{grade.label}"))
        low = grade.aqi_max + 1
    return entries
