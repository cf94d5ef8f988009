"""Charts people read in a bulletin, as self-contained SVG written here (no plotting library).

Two kinds are enough for the air bulletins: :func:`bar_chart` (one bar per city, each in its
own colour, e.g. the daily AQI in the HJ 633 Appendix A colours) and :func:`category_calendar`
(a city × day grid of the daily AQI categories of a month). The text is Chinese, in
"Noto Sans CJK SC" (installed with the platform, ``fonts-noto-cjk``), so WeasyPrint and a browser
draw it alike. Like :mod:`ecohub.reports.maps` the SVG carries its numbers for checks: every
bar is a ``<rect class="bar" data-value=…>``, every calendar cell a ``<rect class="day">``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from ecohub.reports.maps import text_width

__all__ = ["FONT_FAMILY", "bar_chart", "category_calendar", "nice_ticks"]

FONT_FAMILY = "Noto Sans CJK SC, Microsoft YaHei, SimHei, sans-serif"

_INK_ON_DARK = {"#FF0000", "#99004C", "#7E0023"}  # HJ 633 colours that need white text


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``top`` (steps 1, 2, 2.5, 5 × 10^n).

    >>> nice_ticks(156)
    [0, 50, 100, 150, 200]
    >>> nice_ticks(0)
    [0, 1]
    """
    if not math.isfinite(top) or top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) if step < 1 else int(round(i * step)) for i in range(n + 1)]


def _svg_open(width: float, height: float) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
            f'viewBox="0 0 {width:g} {height:g}" font-family="{FONT_FAMILY}">'
            '<rect width="100%" height="100%" fill="#ffffff"/>')


def bar_chart(labels: Sequence[str], values: Sequence[float | None], colours: Sequence[str],
              title: str, axis_label: str, *,
              texts: Sequence[str] | None = None,
              guides: Sequence[tuple[float, str]] = (),
              legend: Sequence[tuple[str, str]] = (),
              missing: str = "无数据", width: float = 760, height: float = 330) -> str:
    """A vertical bar chart with one bar per label, in the order given.

    Parameters
    ----------
    labels : sequence of str
        Category axis (e.g. city names); long ones are written vertically.
    values : sequence of float or None
        Bar heights; None draws no bar and writes ``missing`` instead.
    colours : sequence of str
        Fill of each bar (CSS colour).
    title, axis_label : str
        Chart title and the value axis' label with its unit.
    texts : sequence of str, optional
        Text above each bar (default: the value as given).
    guides : sequence of (value, text)
        Dashed horizontal lines, e.g. ``(100, "AQI 100")``.
    legend : sequence of (colour, text)
        Drawn under the title.

    Returns
    -------
    str
        A self-contained SVG document.
    """
    n = len(labels)
    if not (len(values) == len(colours) == n) or (texts is not None and len(texts) != n):
        raise ValueError("bar_chart: labels, values, colours (and texts) must be as long")
    shown = [v for v in values if v is not None and math.isfinite(v)]
    ticks = nice_ticks(max([*shown, *(g for g, _ in guides), 0.0]))
    top_band = 52 + (22 if legend or guides else 0)
    label_band = max(28.0, 6 + max((text_width(s, 12) for s in labels), default=0)) \
        if n > 10 else 28.0
    left, right, bottom = 58.0, 16.0, height - label_band - 8
    plot_h = bottom - top_band
    slot = (width - left - right) / max(n, 1)
    bar_w = min(42.0, slot * 0.62)

    def y(v: float) -> float:
        return bottom - v / ticks[-1] * plot_h

    parts = [_svg_open(width, height),
             f'<text x="{width / 2:g}" y="24" font-size="16" font-weight="bold" '
             f'text-anchor="middle">{escape(title)}</text>']
    x_leg = left
    for colour, text in legend:
        parts.append(f'<rect x="{x_leg:.1f}" y="38" width="12" height="12" fill="{escape(colour)}"'
                     f' stroke="#555" stroke-width="0.6"/><text x="{x_leg + 16:.1f}" y="48.5" '
                     f'font-size="11">{escape(text)}</text>')
        x_leg += 16 + text_width(text, 11) + 14
    for _, text in guides:  # a guide's text is in the legend row: it never covers a bar
        parts.append(f'<line x1="{x_leg:.1f}" x2="{x_leg + 18:.1f}" y1="44" y2="44" '
                     'stroke="#c00" stroke-width="1" stroke-dasharray="5 3"/>'
                     f'<text x="{x_leg + 22:.1f}" y="48.5" font-size="11">{escape(text)}</text>')
        x_leg += 22 + text_width(text, 11) + 14
    for t in ticks:
        parts.append(f'<line x1="{left:g}" x2="{width - right:g}" y1="{y(t):.1f}" '
                     f'y2="{y(t):.1f}" stroke="#e2e2e2" stroke-width="0.8"/>'
                     f'<text x="{left - 6:g}" y="{y(t) + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{t:g}</text>')
    parts.append(f'<text x="14" y="{(top_band + bottom) / 2:.1f}" font-size="12" '
                 f'text-anchor="middle" transform="rotate(-90 14 {(top_band + bottom) / 2:.1f})">'
                 f'{escape(axis_label)}</text>')
    for i, (name, value, colour) in enumerate(zip(labels, values, colours, strict=True)):
        cx = left + slot * (i + 0.5)
        if value is None or not math.isfinite(value):
            parts.append(f'<text x="{cx:.1f}" y="{bottom - 4:.1f}" font-size="10" fill="#777" '
                         f'text-anchor="middle">{escape(missing)}</text>')
        else:
            text = texts[i] if texts is not None else f"{value:g}"
            parts.append(
                f'<rect class="bar" data-value="{value:g}" x="{cx - bar_w / 2:.1f}" '
                f'y="{y(value):.1f}" width="{bar_w:.1f}" height="{bottom - y(value):.1f}" '
                f'fill="{escape(colour)}" stroke="#444" stroke-width="0.6"/>'
                f'<text x="{cx:.1f}" y="{y(value) - 4:.1f}" font-size="11" '
                f'text-anchor="middle">{escape(text)}</text>')
        if n > 10:  # vertical names: one character under the other
            chars = "".join(f'<tspan x="{cx:.1f}" dy="{13 if j else 0}">{escape(c)}</tspan>'
                            for j, c in enumerate(name))
            parts.append(f'<text x="{cx:.1f}" y="{bottom + 15:.1f}" font-size="12" '
                         f'text-anchor="middle">{chars}</text>')
        else:
            parts.append(f'<text x="{cx:.1f}" y="{bottom + 17:.1f}" font-size="12" '
                         f'text-anchor="middle">{escape(name)}</text>')
    for value, _ in guides:
        parts.append(f'<line class="guide" x1="{left:g}" x2="{width - right:g}" '
                     f'y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#c00" stroke-width="1" '
                     'stroke-dasharray="5 3"/>')
    parts.append(f'<line x1="{left:g}" x2="{width - right:g}" y1="{bottom:.1f}" '
                 f'y2="{bottom:.1f}" stroke="#333" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def category_calendar(rows: Sequence[str], days: Sequence[int],
                      cells: Sequence[Sequence[tuple[str, str] | None]], title: str,
                      legend: Sequence[tuple[str, str]], *, width: float = 760,
                      missing: str = "无有效数据") -> str:
    """A row per city, a column per day of the month, each cell in its category's colour.

    Parameters
    ----------
    rows : sequence of str
        Row names (cities), top to bottom.
    days : sequence of int
        Column headings (days of the month).
    cells : rows × days of (colour, tooltip text) or None
        None (no daily AQI: "NA") is drawn white with a grey diagonal.
    title : str
    legend : sequence of (colour, text)
        Drawn under the grid, followed by the ``missing`` swatch.

    Returns
    -------
    str
        A self-contained SVG document.
    """
    if len(cells) != len(rows) or any(len(r) != len(days) for r in cells):
        raise ValueError("category_calendar: cells must be rows × days")
    name_w = 8 + max((text_width(r, 12) for r in rows), default=0)
    left, top = name_w + 6, 58.0
    cell = min(20.0, (width - left - 10) / max(len(days), 1))
    grid_h = cell * len(rows)
    legend_y = top + grid_h + 24
    height = legend_y + 26
    parts = [_svg_open(width, height),
             f'<text x="{width / 2:g}" y="24" font-size="16" font-weight="bold" '
             f'text-anchor="middle">{escape(title)}</text>']
    for j, day in enumerate(days):
        parts.append(f'<text x="{left + cell * (j + 0.5):.1f}" y="{top - 6:g}" font-size="10" '
                     f'text-anchor="middle">{day}</text>')
    for i, (name, row) in enumerate(zip(rows, cells, strict=True)):
        y = top + cell * i
        parts.append(f'<text x="{left - 6:.1f}" y="{y + cell / 2 + 4:.1f}" font-size="12" '
                     f'text-anchor="end">{escape(name)}</text>')
        for j, entry in enumerate(row):
            x = left + cell * j
            if entry is None:
                parts.append(f'<rect class="day" x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" '
                             f'height="{cell:.1f}" fill="#fff" stroke="#bbb" stroke-width="0.6"/>'
                             f'<line x1="{x + 2:.1f}" y1="{y + cell - 2:.1f}" '
                             f'x2="{x + cell - 2:.1f}" y2="{y + 2:.1f}" stroke="#bbb" '
                             'stroke-width="0.6"/>')
            else:
                colour, tip = entry
                parts.append(f'<rect class="day" x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" '
                             f'height="{cell:.1f}" fill="{escape(colour)}" stroke="#fff" '
                             f'stroke-width="1"><title>{escape(tip)}</title></rect>')
    x_leg = left
    for colour, text in [*legend, ("#FFFFFF", missing)]:
        parts.append(f'<rect x="{x_leg:.1f}" y="{legend_y - 11:.1f}" width="12" height="12" '
                     f'fill="{escape(colour)}" stroke="#555" stroke-width="0.6"/>'
                     f'<text x="{x_leg + 16:.1f}" y="{legend_y:.1f}" font-size="11">'
                     f'{escape(text)}</text>')
        x_leg += 16 + text_width(text, 11) + 14
    parts.append("</svg>")
    return "".join(parts)
