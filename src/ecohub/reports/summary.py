"""The terminal summary of an assessment: headline figures that fit 80 columns.

A day of air is 7 tables and thousands of rows; the terminal shows one line per city (or the
worst and best ``top`` cities), how many rows each table has, and where the full tables went
(or the ``--out`` option that writes them). Headers and digits come from
:mod:`ecohub.reports.labels`, as in the workbooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from ecohub.reports.labels import edition_text, label, publish, sheet_name
from ecohub.reports.tables import flat

__all__ = ["terminal_summary"]


def _table(frame: pl.DataFrame, columns: Sequence[str], title: str, *, top: int,
           order: str | None = None) -> Table:
    """Published cells of ``columns``, short Chinese headers; worst / best ``top`` rows."""
    chosen = [c for c in columns if c in frame.columns]
    if order is not None and order in frame.columns:
        frame = frame.sort(order, descending=True, nulls_last=True)
    published, _ = publish(flat(frame.select(chosen)))
    rows = list(published.iter_rows())
    left_out = 0
    if len(rows) > 2 * top:
        left_out = len(rows) - 2 * top
        rows = [*rows[:top], None, *rows[-top:]]
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1),
                  caption=f"中间 {left_out} 行未显示" if left_out else None)
    for column, dtype in zip(chosen, published.dtypes, strict=True):
        table.add_column(label(column).terminal, overflow="fold",
                         justify="right" if dtype.is_numeric() else "left")
    for row in rows:
        if row is None:
            table.add_row(*("⋮" for _ in chosen))
        else:
            table.add_row(*("—" if v is None else str(v) for v in row))
    return table


def _counts(tables: dict[str, pl.DataFrame]) -> Text:
    parts = "，".join(f"{sheet_name(name)} {frame.height:,}" for name, frame in tables.items())
    total = sum(frame.height for frame in tables.values())
    return Text(f"共 {len(tables)} 张表 {total:,} 行：{parts}")


def _where(written: Sequence[Path] | None) -> Text:
    if written:
        return Text("完整表格已写入：" + "，".join(str(p) for p in written))
    return Text("完整表格：加 --out 文件.xlsx（每表一个工作表）或 --out 文件.csv 导出")


def _air(result: Any, top: int) -> list[RenderableType]:
    daily = result.city_daily
    out: list[RenderableType] = []
    with_aqi = daily.filter(pl.col("aqi").is_not_null())
    if daily.height:
        day = (with_aqi if with_aqi.height else daily)["date"].max()
        last = daily.filter(pl.col("date") == day)
        share = daily.group_by("city_code").agg(
            (pl.col("aqi").le(100).sum() / pl.col("aqi").is_not_null().sum())
            .alias("good_share"))
        last = last.join(share, on="city_code", how="left", maintain_order="left")
        days = daily["date"].n_unique()
        columns = ["city", "aqi", "category", "primary", "PM2.5_ug_m3", "O3_max_8h_ug_m3"]
        if days > 1:
            columns.append("good_share")
        out.append(_table(last, columns, f"城市空气质量日报 {day}（AQI 由高到低）", top=top,
                          order="aqi"))
        out.append(Text(f"执行标准：{edition_text(last, 'air_city_daily')}；"
                        f"{last.height} 个城市，{days} 天"
                        + (f"，优良天数比例为 {daily['date'].min()} 至 {day} 的" if days > 1
                           else "")))
    else:
        out.append(Text("没有城市日报：所选时段内无有效日均值（GB 3095 表 4 的有效性规定）"))
    ranking = result.ranking
    if ranking.height:
        last_period = ranking.filter(pl.col("period_start") == ranking["period_start"].max())
        best = last_period.sort("rank", nulls_last=True).head(3)["city"].to_list()
        period = {"month": "月", "year": "年"}.get(last_period["period"][0], "")
        out.append(Text(f"综合指数排名（{period} {last_period['period_start'][0]} 起，"
                        f"规则 {last_period['preset'][0]}）前三：" + "、".join(best)))
    return out


def _water(result: Any, top: int) -> list[RenderableType]:
    sections = result.sections
    out: list[RenderableType] = [_table(
        result.cities, ["city", "n_sections", "status", "share_i_iii", "share_inferior_v",
                        "label"], "城市地表水水质状况", top=top)]
    if sections.height:
        counts = sections.group_by("label").len().sort("label")
        out.append(Text(f"{sections.height} 个断面，类别：" + "，".join(
            f"{lab or '无数据'} {n}" for lab, n in counts.iter_rows())
            + "；执行标准：GB 3838-2002"))
    return out


def _noise(result: Any, top: int) -> list[RenderableType]:
    return [
        _table(result.cities, ["city", "stations", "day_compliance", "night_compliance"],
               "城市声环境功能区达标率", top=top),
        Text("执行标准：GB 3096-2008（昼间 06:00–22:00，夜间 22:00–06:00）"),
    ]


def terminal_summary(domain: str, result: Any, *, written: Sequence[Path] | None = None,
                     top: int = 10) -> list[RenderableType]:
    """What ``ecohub assess`` prints: a short table, the row counts and where the tables are.

    Parameters
    ----------
    domain : {"air", "water", "noise"}
    result : AirAssessment, WaterAssessment or NoiseAssessment
    written : sequence of Path, optional
        Files the full tables were written to; without them the last line names ``--out``.
    top : int, default 10
        With more than ``2 * top`` cities only the ``top`` first and last rows are shown (air:
        highest and lowest AQI).

    Returns
    -------
    list of rich renderables
        Print each with ``console.print``; the table fits 80 columns for the Anhui cities.
    """
    parts = {"air": _air, "water": _water, "noise": _noise}[domain](result, top)
    return [*parts, _counts(result.tables()), _where(written)]
