"""The city air-quality bulletins: the daily report (日报) and the monthly report (月报).

As bureaus publish them: in Chinese, as a PDF (A4) and an Excel workbook.

Every number comes from :func:`ecohub.analytics.air.assess_air` (HJ 633 AQI, HJ 663 statistics
and comprehensive index, GB 3095 limits and editions); this module only chooses, orders, words
and draws them. Columns are published through :mod:`ecohub.reports.labels` (Chinese header
with the unit, values rounded per GB/T 8170 to the digits the standards publish) and workbooks
are written by :mod:`ecohub.reports.tables`; the map is :mod:`ecohub.reports.maps`, the charts
:mod:`ecohub.reports.charts`.

* Daily (:func:`air_daily`): every city's AQI, grade, category (in its HJ 633 Appendix A
  colour), primary pollutant and the six pollutants' daily values, ranked by AQI; a summary
  paragraph (how many cities were excellent, good, polluted and by what); a bar chart of the
  cities' AQI and the city map.
* Monthly (:func:`air_monthly`): the city ranking by the comprehensive index (HJ 663; the
  preset named), the share of good days, the month's statistics of the six pollutants (PM2.5,
  PM10, SO2, NO2 means, the CO 95th percentile of daily means, the O3 90th percentile of daily
  maximum 8-hour means — HJ 663 Table 5), the change against the same month of the year before
  when that month has data (assessed with the same edition and stage, like for like), a
  calendar of the daily categories per city, and a map of the ranking.

Each bulletin states the edition of the standards and the GB 3095-2026 stage in its header
(and every worksheet in its title row); the PDF's page footer numbers the pages and gives the
time it was made, in China Standard Time. The PDF is rendered by WeasyPrint from HTML written
here, in "Noto Sans CJK SC" (the system's ``fonts-noto-cjk``; nothing is downloaded).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from ecohub.errors import NoData
from ecohub.reports import charts, maps
from ecohub.reports.labels import STAGES, composite_rule_text, edition_text, label, publish
from ecohub.reports.tables import add_published_sheet, excel_workbook, flat
from ecohub.standards import aqi, gb3095
from ecohub.standards._rounding import round_gbt8170
from ecohub.vocabulary import CHINA_TZ

if TYPE_CHECKING:
    from xlsxwriter import Workbook
    from xlsxwriter.worksheet import Worksheet

    from ecohub.analytics.air import AirAssessment
    from ecohub.store import Store

__all__ = ["FORMATS", "Bulletin", "BulletinTable", "Figure", "air_daily", "air_monthly",
           "parse_month", "render", "to_html", "write"]

FORMATS: Final = {"pdf": "application/pdf",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
"""Output format → media type."""

Progress = Callable[[str], None]

# GB/T 2260 province-level divisions (the first two digits of a city code): the region a
# bulletin of cities of one province is titled with.
_PROVINCES: Final = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

# Primary pollutants as the daily reports write them (HJ 633 item names).
_PRIMARY: Final = {"O3_8h": "O3_8h", "O3": "O3_1h"}
_DARK: Final = {"#FF0000", "#99004C", "#7E0023"}  # HJ 633 colours that take white text
_POLLUTED_FROM = 3  # HJ 633 Table 1: grade III (轻度污染) and above are polluted days


@dataclass(frozen=True)
class BulletinTable:
    """One table of a bulletin: a worksheet and a numbered table of the PDF.

    ``frame`` has result column names (published by :func:`ecohub.reports.labels.publish`);
    ``colours`` is the fill of each row's ``category`` cell (HJ 633 Appendix A), if any.
    """

    sheet: str
    caption: str
    frame: pl.DataFrame
    colours: tuple[str | None, ...] | None = None


@dataclass(frozen=True)
class Figure:
    """A chart or map of a bulletin: an SVG document and its caption."""

    caption: str
    svg: str


@dataclass(frozen=True)
class Bulletin:
    """A composed bulletin, ready to be written as PDF (:func:`to_html`) or workbook."""

    kind: str  # "daily" | "monthly"
    title: str
    period: str  # as printed: "2026年12月1日", "2026年12月"
    first: dt.date
    last: dt.date
    edition: str
    stage: str | None
    standards: str  # the standards, with the stage: edition_text()
    summary: tuple[str, ...]
    tables: tuple[BulletinTable, ...]
    figures: tuple[Figure, ...]
    notes: tuple[str, ...]
    generated_at: dt.datetime
    chart: tuple[str, str, str] | None = field(default=None)
    """(table sheet, category column, value column) of the workbook's native bar chart."""

    @property
    def edition_statement(self) -> str:
        """The edition and stage in words: ``标准版本：2026 版；GB 3095-2026 限值：过渡阶段``."""
        if self.edition == "2026":
            stage = STAGES.get(self.stage or "", self.stage or "—")
            return f"标准版本：2026 版；GB 3095-2026 限值阶段：{stage}"
        return f"标准版本：{self.edition} 版（GB 3095-{self.edition} 不分阶段）"

    @property
    def filename(self) -> str:
        """File name without extension: ``安徽省城市环境空气质量日报_2026-12-01``."""
        when = self.first.isoformat() if self.kind == "daily" else f"{self.first:%Y-%m}"
        return f"{self.title}_{when}"


# ---------------------------------------------------------------------------------------------
# composing
# ---------------------------------------------------------------------------------------------


def parse_month(value: str) -> dt.date:
    """The first day of a month written ``YYYY-MM``.

    >>> parse_month("2026-12")
    datetime.date(2026, 12, 1)
    """
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"{value!r} is not a month; expected YYYY-MM, e.g. 2026-12") from None


def _region(frame: pl.DataFrame, region: str | None) -> str:
    """The region in the title: given, else the province all the cities are in, else none."""
    if region is not None:
        return region
    prefixes = {str(c)[:2] for c in frame["city_code"].to_list()} if "city_code" in frame.columns \
        else set()
    return _PROVINCES.get(prefixes.pop(), "") if len(prefixes) == 1 else ""


def _pct(share: float) -> str:
    """A 0–1 share as published: percent, 1 decimal (GB/T 8170)."""
    return f"{float(round_gbt8170(share * 100, 1)):.1f}%"


def _edition_of(frame: pl.DataFrame) -> tuple[str, str | None]:
    row = frame.row(0, named=True)
    edition = str(row["edition"])
    return edition, (row.get("stage") if edition == "2026" else None)


def _primary_text(column: str = "primary") -> pl.Expr:
    """The primary pollutants as written in a report: ``PM2.5、O3_8h``; none (AQI <= 50) "—"."""
    joined = pl.col(column).list.eval(pl.element().replace(_PRIMARY)).list.join("、")
    return pl.when(joined.is_null() | (joined == "")).then(pl.lit("—")).otherwise(joined) \
        .alias(column)


def _check_options(edition: str | None, stage: str | None) -> None:
    if edition is not None and edition not in gb3095.EDITIONS:
        raise ValueError(f"edition={edition!r}: expected one of {', '.join(gb3095.EDITIONS)}")
    if stage is not None and edition != "2026":
        raise ValueError(f"stage={stage!r} needs edition 2026 (GB 3095-2012 has no stages)")
    if stage is not None and stage not in gb3095.STAGES:
        raise ValueError(f"stage={stage!r}: expected one of {', '.join(gb3095.STAGES)}")


def air_daily(store: Store, day: dt.date, *, edition: str | None = None,
              stage: str | None = None, region: str | None = None,
              now: dt.datetime | None = None, progress: Progress | None = None) -> Bulletin:
    """The city air-quality daily report of ``day`` (HJ 633 daily AQI).

    Parameters
    ----------
    store : Store
    day : datetime.date
        A natural day in China Standard Time.
    edition : {"2026", "2012"}, optional
        Default the edition in force on ``day`` (GB 3095-2026 / HJ 633-2026 from 2026-03-01).
    stage : {"transition", "final"}, optional
        GB 3095-2026 stage, with ``edition="2026"``; default the stage in force.
    region : str, optional
        Region in the title; default the province of the cities (GB/T 2260 code).
    now : datetime, optional
        Generation time printed in the footer (default now).
    progress : callable, optional
        Called with the name of each step.

    Returns
    -------
    Bulletin

    Raises
    ------
    ecohub.errors.NoData
        No air station, or no reading on ``day``, or no city with a daily value.
    ValueError
        A bad edition or stage.
    """
    from ecohub.analytics._common import has_data
    from ecohub.analytics.air import assess_air

    _check_options(edition, stage)
    step = progress or (lambda _: None)
    step("评价")
    has_data(store, "air", day, day)
    result = assess_air(store, day, day, edition=edition, stage=stage)
    daily = result.city_daily.filter(pl.col("date") == day) if "aqi" in \
        result.city_daily.columns else result.city_daily.clear()
    if daily.is_empty():
        raise NoData(f"no air data for {day} (CST): no city has a daily value that day")
    used_edition, used_stage = _edition_of(daily)
    ranked = daily.with_columns(
        pl.col("aqi").rank("min").cast(pl.Int32).alias("rank"),
        _primary_text(),
    ).sort("rank", "city_code", nulls_last=True)
    o3 = ["O3_max_8h_ug_m3"] + (["O3_max_1h_ug_m3"] if used_edition == "2012" else [])
    columns = ["rank", "city", "aqi", "grade", "category", "primary", "SO2_ug_m3", "NO2_ug_m3",
               "CO_mg_m3", *o3, "PM10_ug_m3", "PM2.5_ug_m3"]
    table = ranked.select([c for c in columns if c in ranked.columns])
    region_name = _region(daily, region)
    title = f"{region_name}城市环境空气质量日报"
    period = f"{day.year}年{day.month}月{day.day}日"
    standards = edition_text(daily)

    step("绘图")
    with_aqi = ranked.filter(pl.col("aqi").is_not_null())
    figures = []
    if not with_aqi.is_empty():  # no AQI published: the summary says so, nothing is drawn
        figures.append(Figure(f"{period}各城市空气质量指数（AQI）", charts.bar_chart(
            with_aqi["city"].to_list(), [float(v) for v in with_aqi["aqi"].to_list()],
            [str(c) for c in with_aqi["colour_rgb"].to_list()],
            f"{period}各城市 AQI（按 HJ 633-{used_edition}）", "AQI（无量纲）",
            guides=[(100, "AQI 100：优良上限")], legend=_legend_present(with_aqi))))
        figures.append(Figure(f"{period}各城市空气质量分布示意图",
                              maps.city_map(result, store, day)))
    return Bulletin(
        kind="daily", title=title, period=period, first=day, last=day, edition=used_edition,
        stage=used_stage, standards=standards,
        summary=(_daily_summary(ranked, period, region_name),),
        tables=(BulletinTable("日报", f"{period}城市环境空气质量", table,
                              tuple(None if c is None else str(c)
                                    for c in ranked["colour_rgb"].to_list())),),
        figures=tuple(figures),
        notes=_daily_notes(used_edition, ranked),
        generated_at=_now(now), chart=("日报", "city", "aqi"),
    )


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(CHINA_TZ)).astimezone(CHINA_TZ)


def _legend_present(frame: pl.DataFrame) -> list[tuple[str, str]]:
    present = set(frame["grade"].drop_nulls().to_list()) if "grade" in frame.columns else set()
    return [(g.rgb_hex, g.category) for g in aqi.GRADES if g.grade in present]


def _daily_summary(ranked: pl.DataFrame, period: str, region: str) -> str:
    """The paragraph of a published daily report, from the ranked city table."""
    n = ranked.height
    rated = ranked.filter(pl.col("aqi").is_not_null())
    counts = {g.grade: rated.filter(pl.col("grade") == g.grade).height for g in aqi.GRADES}
    good = counts[1] + counts[2]
    where = f"{region}{n}个城市中" if region else f"参与评价的{n}个城市中"
    text = [f"{period}，{where}，空气质量为优的城市{counts[1]}个、良的{counts[2]}个"]
    if rated.height:
        text.append(f"，优良城市比例为{_pct(good / rated.height)}")
    polluted = []
    for grade in aqi.GRADES[_POLLUTED_FROM - 1:]:
        cities = rated.filter(pl.col("grade") == grade.grade)
        if cities.height:
            polluted.append(f"{grade.category}{cities.height}个（{'、'.join(cities['city'])}）")
    if polluted:
        text.append("；" + "、".join(polluted))
        firsts = rated.filter(pl.col("grade") >= _POLLUTED_FROM)["primary"].to_list()
        kinds = sorted({p for s in firsts for p in s.split("、") if p != "—"})
        if kinds:
            word = "均为" if len(kinds) == 1 and len(firsts) > 1 else "为"
            text.append(f"，污染城市的首要污染物{word}{'、'.join(kinds)}")
    elif rated.height:
        text.append("；无污染城市")
    text.append("。")
    if rated.height:
        best, worst = rated.row(0, named=True), rated.sort("aqi", descending=True).row(
            0, named=True)
        text.append(f"AQI 最低的是{best['city']}（{best['aqi']}），"
                    f"最高的是{worst['city']}（{worst['aqi']}）。")
    missing = ranked.filter(pl.col("aqi").is_null())["city"].to_list()
    if missing:
        text.append(f"{'、'.join(missing)}当日有效数据不足，AQI 为 NA（HJ 633-2026 5.3）。")
    return "".join(text)


def _daily_notes(edition: str, ranked: pl.DataFrame) -> tuple[str, ...]:
    notes = [
        f"AQI 及分指数按 HJ 633-{edition} 计算；城市浓度为其国控空气质量监测点位日均值的算术"
        "平均（HJ 663）；排名按 AQI 由低到高，并列同名次。",
        "SO2、NO2、CO、PM10、PM2.5 为 24 小时平均浓度，O3 为日最大 8 小时滑动平均浓度"
        + ("，O3_1h 为日最大 1 小时平均浓度" if edition == "2012" else "")
        + "；浓度单位 µg/m³（CO 为 mg/m³），按 GB/T 8170 修约至标准发布的位数"
        "（CO 保留 1 位小数，其余取整）。",
        "AQI ≤ 50 时不报首要污染物（“—”）。",
    ]
    if ranked["aqi"].null_count():
        notes.append("AQI 为 NA：当日有效数据不足，按 HJ 633-2026 5.3 不发布 AQI 与级别。")
    return tuple(notes)


_TIERS: Final = (("#00E400", "排名前3位"), ("#8FAADC", "中间名次"), ("#FF7E00", "排名后3位"),
                 ("#BFBFBF", "无有效排名"))


def air_monthly(store: Store, month: dt.date, *, edition: str | None = None,
                stage: str | None = None, region: str | None = None,
                now: dt.datetime | None = None, progress: Progress | None = None) -> Bulletin:
    """The city air-quality monthly report of the month of ``month`` (HJ 663).

    Parameters
    ----------
    store : Store
    month : datetime.date
        Any day of the month (:func:`parse_month` reads ``YYYY-MM``).
    edition, stage, region, now, progress
        As :func:`air_daily`; by default the month is evaluated with the edition in force on
        its last day (:func:`ecohub.analytics.air.assess_air`). The same month of the year
        before is assessed with the edition and stage of this month, so that the change is
        like for like.

    Returns
    -------
    Bulletin

    Raises
    ------
    ecohub.errors.NoData
        No reading in the month.
    """
    from ecohub.analytics._common import has_data
    from ecohub.analytics.air import assess_air

    _check_options(edition, stage)
    step = progress or (lambda _: None)
    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    step("评价本月")
    has_data(store, "air", first, last)
    result = assess_air(store, first, last, edition=edition, stage=stage)
    periods = result.city_periods.filter(pl.col("period") == "month")
    if periods.is_empty():
        raise NoData(f"no air data for {first:%Y-%m} (CST): no city has a daily value")
    used_edition, used_stage = _edition_of(periods)

    step("评价去年同期")
    before = _same_month_last_year(store, first, used_edition, used_stage)
    table, statistics = _monthly_tables(result, before)
    region_name = _region(periods, region)
    title = f"{region_name}城市环境空气质量月报"
    period = f"{first.year}年{first.month}月"
    ranking = result.ranking.filter(pl.col("period") == "month")
    preset = composite_rule_text(ranking["preset"][0], used_stage) if ranking.height else ""

    step("绘图")
    figures = _monthly_figures(result, store, table, period, used_edition)
    notes = [
        "综合指数按《城市环境空气质量排名技术规定》计算：I = Σ wᵢ·Cᵢ/Sᵢ，数值越小空气质量越好；"
        f"{preset}。",
        "PM2.5、PM10、SO2、NO2 为月平均浓度，CO 为日均值第 95 百分位数，O3 为日最大 8 小时滑动"
        "平均第 90 百分位数（HJ 663 表 5）；单位 µg/m³（CO 为 mg/m³），按 GB/T 8170 修约（CO 保留 "
        "1 位小数，其余取整）；综合指数保留 2 位小数，比例保留 1 位小数。",
        "优良天数比例 = AQI ≤ 100 的天数 / 有效监测天数（HJ 663）。",
    ]
    if before is None:
        notes.append(f"{first.year - 1}年{first.month}月无监测数据，未作同比。")
    else:
        notes.append(f"同比：与{first.year - 1}年{first.month}月比较，去年同期按本期相同的标准"
                     "版本与阶段计算；综合指数、PM2.5 为变化率（%），优良天数比例为变化的百分点。")
    invalid = table.filter(~pl.col("valid"))["city"].to_list()
    if invalid:
        notes.append(f"{'、'.join(invalid)}本月有效监测天数不满足 GB 3095 表 4 的数据有效性要求，"
                     "统计结果仅供参考。")
    return Bulletin(
        kind="monthly", title=title, period=period, first=first, last=last,
        edition=used_edition, stage=used_stage, standards=edition_text(periods),
        summary=_monthly_summary(table, statistics, period, region_name, before is not None),
        tables=(
            BulletinTable("城市排名", f"{period}城市环境空气质量综合指数排名",
                          table.drop("valid")),
            BulletinTable("污染物浓度", f"{period}各城市六项污染物浓度", statistics),
            BulletinTable("每日空气质量", f"{period}各城市每日空气质量指数", _month_days(result),
                          tuple(None if c is None else str(c)
                                for c in _month_days(result, colours=True))),
        ),
        figures=tuple(figures), notes=tuple(notes), generated_at=_now(now),
        chart=("城市排名", "city", "composite_index"),
    )


def _same_month_last_year(store: Store, first: dt.date, edition: str,
                          stage: str | None) -> AirAssessment | None:
    from ecohub.analytics._common import has_data
    from ecohub.analytics.air import assess_air

    try:
        start = first.replace(year=first.year - 1)
    except ValueError:  # no such day: the month starts on the 1st, so never
        return None
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    try:
        has_data(store, "air", start, end)
    except NoData:
        return None
    result = assess_air(store, start, end, edition=edition, stage=stage)
    return result if result.city_periods.filter(pl.col("period") == "month").height else None


_STATISTIC_COLUMNS: Final = {  # HJ 663 Table 5, in the order monthly reports print them
    ("PM2.5", "mean"): "PM2.5_mean_ug_m3", ("PM10", "mean"): "PM10_mean_ug_m3",
    ("O3", "p90"): "O3_p90_ug_m3", ("SO2", "mean"): "SO2_mean_ug_m3",
    ("NO2", "mean"): "NO2_mean_ug_m3", ("CO", "p95"): "CO_p95_mg_m3",
}


def _statistics(result: AirAssessment) -> pl.DataFrame:
    """Per city, the month's statistics of :data:`_STATISTIC_COLUMNS` (publication precision)."""
    rows = result.evaluation.filter(pl.col("period") == "month").with_columns(
        pl.concat_str("pollutant", "statistic", separator="|").alias("_key"))
    keys = {f"{p}|{s}": c for (p, s), c in _STATISTIC_COLUMNS.items()}
    wide = (rows.filter(pl.col("_key").is_in(list(keys)))
            .pivot(on="_key", index="city_code", values="value")
            .rename({k: v for k, v in keys.items()}, strict=False))
    return wide.with_columns(pl.lit(None, pl.Float64).alias(c) for c in keys.values()
                             if c not in wide.columns)


def _monthly_tables(result: AirAssessment, before: AirAssessment | None
                    ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ranking table (with the change against last year) and the statistics table."""
    periods = result.city_periods.filter(pl.col("period") == "month")
    ranking = result.ranking.filter(pl.col("period") == "month").select(
        "city_code", "rank", "composite_index")
    statistics = _statistics(result)
    table = (periods.select("city", "city_code", "good_days", "valid_aqi_days", "good_share",
                            "valid")
             .join(ranking, on="city_code", how="left")
             .join(statistics.select("city_code", "PM2.5_mean_ug_m3"), on="city_code",
                   how="left"))
    change = []
    if before is not None:
        old = (before.city_periods.filter(pl.col("period") == "month")
               .select("city_code", pl.col("good_share").alias("_good"))
               .join(before.ranking.filter(pl.col("period") == "month")
                     .select("city_code", pl.col("composite_index").alias("_index")),
                     on="city_code", how="left")
               .join(_statistics(before).select("city_code",
                                                pl.col("PM2.5_mean_ug_m3").alias("_pm")),
                     on="city_code", how="left"))
        table = table.join(old, on="city_code", how="left").with_columns(
            # on the published values (comprehensive index 2 decimals, PM2.5 integer)
            ((pl.col("composite_index").round(2) - pl.col("_index").round(2))
             / pl.col("_index").round(2)).alias("composite_index_change"),
            (pl.col("good_share") - pl.col("_good")).alias("good_share_change"),
            ((pl.col("PM2.5_mean_ug_m3") - pl.col("_pm")) / pl.col("_pm"))
            .alias("PM2.5_mean_change"),
        ).with_columns(pl.col("composite_index_change", "good_share_change",
                              "PM2.5_mean_change").fill_nan(None))
        change = ["composite_index_change", "good_share_change", "PM2.5_mean_change"]
    table = table.sort("rank", "city_code", nulls_last=True).select(
        "rank", "city", "composite_index", *change[:1], "good_share", *change[1:2],
        "good_days", "valid_aqi_days", *change[2:], "valid", "city_code")
    stats = table.select("city", "city_code").join(statistics, on="city_code", how="left")
    return table.drop("city_code").with_columns(pl.col("valid").fill_null(False)), \
        stats.select("city", *_STATISTIC_COLUMNS.values())


def _month_days(result: AirAssessment, *, colours: bool = False) -> pl.DataFrame | list:
    """City × day AQI of the month (a wide table), or the colours of its category cells."""
    daily = result.city_daily
    if "aqi" not in daily.columns:
        return [] if colours else pl.DataFrame()
    frame = daily.select("date", "city", "city_code", "aqi", "category", "colour_rgb",
                         _primary_text())
    frame = frame.sort("date", "city_code")
    if colours:
        return frame["colour_rgb"].to_list()
    return frame.select("date", "city", "aqi", "category", "primary")


def _monthly_figures(result: AirAssessment, store: Store, table: pl.DataFrame, period: str,
                     edition: str) -> list[Figure]:
    figures = []
    ranked = table.filter(pl.col("composite_index").is_not_null())
    n = ranked.height
    if n == 0:  # no city ranked: the summary says so, nothing is drawn
        return figures
    tiers = [_TIERS[0][0] if r <= 3 else _TIERS[2][0] if r > n - 3 else _TIERS[1][0]
             for r in ranked["rank"].to_list()]
    values = [float(v) for v in ranked["composite_index"].to_list()]
    figures.append(Figure(f"{period}各城市环境空气质量综合指数", charts.bar_chart(
        ranked["city"].to_list(), values, tiers, f"{period}城市环境空气质量综合指数（由低到高）",
        "综合指数（无量纲）", texts=[f"{float(round_gbt8170(v, 2)):.2f}" for v in values],
        legend=list(_TIERS[:3]))))
    daily = result.city_daily
    if "aqi" in daily.columns and not daily.is_empty():
        order = table["city"].to_list()
        days = pl.date_range(result.start.astimezone(CHINA_TZ).date(),
                             (result.end.astimezone(CHINA_TZ) - dt.timedelta(hours=1)).date(),
                             "1d", eager=True).to_list()
        cells = {(r["city"], r["date"]): r for r in daily.iter_rows(named=True)}
        grid = [[(str(cells[(c, d)]["colour_rgb"]),
                  f"{c} {d}：AQI {cells[(c, d)]['aqi']} {cells[(c, d)]['category']}")
                 if (c, d) in cells and cells[(c, d)]["aqi"] is not None else None
                 for d in days] for c in order]
        figures.append(Figure(f"{period}各城市每日空气质量级别", charts.category_calendar(
            order, [d.day for d in days], grid,
            f"{period}各城市每日空气质量类别（HJ 633-{edition}）",
            [(g.rgb_hex, g.category) for g in aqi.GRADES])))
    figures.append(Figure(f"{period}城市综合指数排名示意图",
                          _ranking_map(store, table, period)))
    return figures


def _ranking_map(store: Store, table: pl.DataFrame, period: str) -> str:
    """The cities on the schematic map, each with its comprehensive index, coloured by tier."""
    centres = (pl.DataFrame([(o.city, o.longitude, o.latitude)
                             for o in store.registry.objects("air_station")],
                            schema=["city", "longitude", "latitude"], orient="row")
               .group_by("city").agg(pl.col("longitude").mean(), pl.col("latitude").mean()))
    n = table["composite_index"].is_not_null().sum()
    index_text = pl.col("composite_index").map_elements(
        lambda v: f"{float(round_gbt8170(v, 2)):.2f}", return_dtype=pl.String)
    points = table.join(centres, on="city").select(
        "longitude", "latitude",
        label=pl.when(pl.col("composite_index").is_null()).then(pl.col("city"))
        .otherwise(pl.concat_str(pl.col("city"), pl.lit(" "), index_text)),
        value=pl.when(pl.col("rank").is_null()).then(pl.lit("—"))
        .otherwise(pl.col("rank").cast(pl.String)),
        colour=pl.when(pl.col("composite_index").is_null()).then(pl.lit(_TIERS[3][0]))
        .when(pl.col("rank") <= 3).then(pl.lit(_TIERS[0][0]))
        .when(pl.col("rank") > n - 3).then(pl.lit(_TIERS[2][0]))
        .otherwise(pl.lit(_TIERS[1][0])))
    return maps.point_map(points, f"{period}城市环境空气质量综合指数", list(_TIERS),
                          subtitle="示意图：城市标于其空气站中心，不含行政区界线；圆内为排名，"
                          "城市名后为综合指数")


def _monthly_summary(table: pl.DataFrame, statistics: pl.DataFrame, period: str, region: str,
                     compared: bool) -> tuple[str, ...]:
    ranked = table.filter(pl.col("composite_index").is_not_null())
    n = table.height
    where = f"{region}{n}个城市" if region else f"参与评价的{n}个城市"
    parts = []
    shares = table.filter(pl.col("good_share").is_not_null())
    if shares.height:
        best = shares.sort("good_share", "rank", descending=[True, False]).row(0, named=True)
        worst = shares.sort("good_share", "rank", descending=[False, True]).row(0, named=True)
        good = shares["good_days"].sum()
        valid = shares["valid_aqi_days"].sum()
        parts.append(
            f"{period}，{where}优良天数比例在{_pct(worst['good_share'])}～"
            f"{_pct(best['good_share'])}之间，{best['city']}最高，{worst['city']}最低；"
            f"各城市累计有效监测{valid}天次，其中优良{good}天次。")
    if ranked.height:
        top = "、".join(ranked.head(3)["city"])
        bottom = "、".join(ranked.tail(3).reverse()["city"])
        parts.append(f"按环境空气质量综合指数排名，相对较好的前3位城市依次为{top}；相对较差"
                     f"的后3位城市依次为{bottom}（倒数第1至第3名）。" if ranked.height > 6 else
                     f"按环境空气质量综合指数排名，由好到差依次为{'、'.join(ranked['city'])}。")
        pm = statistics["PM2.5_mean_ug_m3"].drop_nulls()
        if pm.len():
            parts.append(f"PM2.5 月平均浓度在 {pm.min():.0f}～{pm.max():.0f} µg/m³ 之间。")
    if not parts:
        parts.append(f"{period}，{where}均无有效的日空气质量指数，本月不作排名。")
    if compared and "composite_index_change" in table.columns:
        change = table["composite_index_change"].drop_nulls()
        if change.len():
            parts.append(f"与去年同期相比，综合指数下降（改善）的城市{(change < 0).sum()}个，"
                         f"上升的{(change > 0).sum()}个，持平的{(change == 0).sum()}个。")
    return tuple(parts)


# ---------------------------------------------------------------------------------------------
# writing: HTML → PDF, workbook
# ---------------------------------------------------------------------------------------------


def _cells(table: BulletinTable) -> tuple[list[str], list[list[str]], list[bool]]:
    """Headers, cell texts as published, and which columns are numbers (right-aligned)."""
    published, digits = publish(flat(table.frame))
    headers = published.columns
    numeric = [published[c].dtype.is_numeric() for c in headers]
    rows = []
    for row in published.iter_rows():
        texts = []
        for header, value in zip(headers, row, strict=True):
            if value is None:
                texts.append("NA" if header == "AQI" else "—")
            elif isinstance(value, float) and header in digits:
                texts.append(f"{value:.{digits[header]}f}")
            elif isinstance(value, dt.date):
                texts.append(value.isoformat())
            else:
                texts.append(str(value))
        rows.append(texts)
    return headers, rows, numeric


def _html_table(number: int, table: BulletinTable) -> str:
    headers, rows, numeric = _cells(table)
    category = label("category").text
    out = [f'<table class="data"><caption>表{number}　{escape(table.caption)}</caption><thead><tr>']
    out += [f"<th>{escape(h)}</th>" for h in headers]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(rows):
        out.append("<tr>")
        for header, text, is_number in zip(headers, row, numeric, strict=True):
            style = ""
            colour = table.colours[i] if table.colours else None
            if header == category and colour:
                ink = "#fff" if colour.upper() in _DARK else "#000"
                style = f' style="background:{escape(colour)};color:{ink}"'
            cls = ' class="num"' if is_number else ""
            out.append(f"<td{cls}{style}>{escape(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


_CSS = """
@page {
  size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: "%(name)s"; font-size: 7.5pt; color: #555; width: 70mm; }
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
                   font-size: 8pt; color: #333; width: 40mm; white-space: nowrap; }
  @bottom-right { content: "生成时间：%(generated)s（北京时间）"; font-size: 7.5pt; color: #555;
                  width: 70mm; white-space: nowrap; }
}
html { font-family: "Noto Sans CJK SC", sans-serif; font-size: 9.5pt; color: #111; }
h1 { font-size: 19pt; text-align: center; margin: 0 0 2mm 0; letter-spacing: 0.08em;
     color: #b00000; }
.period { text-align: center; font-size: 11pt; margin: 0 0 2mm 0; }
.standards { border-top: 2px solid #b00000; border-bottom: 1px solid #b00000; padding: 1.5mm 0;
             margin-bottom: 3mm; font-size: 8.5pt; text-align: center; }
h2 { font-size: 11.5pt; margin: 4mm 0 2mm 0; border-left: 3pt solid #b00000; padding-left: 2mm; }
p.summary { text-indent: 2em; line-height: 1.6; margin: 0 0 2mm 0; }
table.data { border-collapse: collapse; width: 100%%; margin: 2mm 0 3mm 0; font-size: 8.3pt; }
table.data caption { font-weight: bold; font-size: 9.5pt; margin-bottom: 1.5mm; }
table.data th { background: #dbe5f1; border: 0.6pt solid #777; padding: 1mm 0.8mm;
                font-weight: bold; }
table.data td { border: 0.6pt solid #999; padding: 0.7mm 1mm; text-align: center;
                white-space: nowrap; }
table.data td.num { text-align: right; }
table.data thead { display: table-header-group; }
table.data tr { page-break-inside: avoid; }
figure { margin: 2mm 0 4mm 0; text-align: center; page-break-inside: avoid; }
figure img { width: 100%%; }
figure.map img { width: 92%%; }
figcaption { font-size: 9pt; margin-top: 1mm; }
.break { page-break-before: always; }
ol.notes { font-size: 8pt; color: #333; padding-left: 5mm; line-height: 1.5; }
"""


def _svg_img(figure: Figure, number: int, css_class: str = "") -> str:
    data = base64.b64encode(figure.svg.encode("utf-8")).decode("ascii")
    cls = f' class="{css_class}"' if css_class else ""
    return (f'<figure{cls}><img src="data:image/svg+xml;base64,{data}" '
            f'alt="{escape(figure.caption)}"/><figcaption>图{number}　{escape(figure.caption)}'
            "</figcaption></figure>")


def to_html(bulletin: Bulletin) -> str:
    """The bulletin as one HTML document (A4 pages when printed), charts and map inline."""
    css = _CSS % {"name": _css_text(f"{bulletin.title}　{bulletin.period}"),
                  "generated": f"{bulletin.generated_at:%Y-%m-%d %H:%M}"}
    body = [
        f"<h1>{escape(bulletin.title)}</h1>",
        f'<p class="period">{escape(bulletin.period)}</p>',
        f'<div class="standards">执行标准：{escape(bulletin.standards)}<br/>'
        f"{escape(bulletin.edition_statement)}</div>",
        "<h2>空气质量状况</h2>",
        *(f'<p class="summary">{escape(p)}</p>' for p in bulletin.summary),
    ]
    tables = list(bulletin.tables)
    figures = list(bulletin.figures)
    if bulletin.kind == "daily":
        body.append(_html_table(1, tables[0]))
        body.append(_notes(bulletin.notes))
        if figures:
            body.append('<div class="break"></div><h2>图表</h2>')
            body += [_svg_img(f, i, "map" if i == len(figures) and i > 1 else "")
                     for i, f in enumerate(figures, 1)]
    else:
        body.append(_html_table(1, tables[0]))
        body.append(_notes(bulletin.notes))
        body.append('<div class="break"></div><h2>污染物浓度与综合指数</h2>')
        body.append(_html_table(2, tables[1]))
        if figures:
            body.append(_svg_img(figures[0], 1))
        if len(figures) > 1:
            body.append('<div class="break"></div><h2>每日空气质量与空间分布</h2>')
            body += [_svg_img(f, i, "map" if i == len(figures) else "")
                     for i, f in enumerate(figures[1:], 2)]
    return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"/>"
            f"<title>{escape(bulletin.title)} {escape(bulletin.period)}</title>"
            f"<style>{css}</style></head><body>{''.join(body)}</body></html>")


def _css_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return ('<h2>说明</h2><ol class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in notes)
            + "</ol>")


def to_pdf(bulletin: Bulletin) -> bytes:
    """The bulletin as an A4 PDF (WeasyPrint), fonts embedded."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=to_html(bulletin)).write_pdf()


def to_xlsx(bulletin: Bulletin) -> bytes:
    """The bulletin as an Excel workbook: one sheet per table, a native chart, the notes."""
    buffer = io.BytesIO()
    from xlsxwriter import Workbook

    with Workbook(buffer, {"in_memory": True}) as book:
        _fill_workbook(book, bulletin)
    return buffer.getvalue()


def _fill_workbook(book: Workbook, bulletin: Bulletin) -> None:
    head = f"{bulletin.title}　{bulletin.period}　{bulletin.standards}"
    sheets: dict[str, tuple[Worksheet, pl.DataFrame]] = {}
    for table in bulletin.tables:
        sheet, published = add_published_sheet(book, table.sheet, table.frame,
                                               title=f"{head}　{table.caption}")
        sheets[table.sheet] = (sheet, published)
        _colour_categories(book, sheet, published, table)
    notes = book.add_worksheet("说明")
    bold = book.add_format({"bold": True, "font_size": 14})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    notes.set_column(0, 0, 110)
    lines = [(f"{bulletin.title}　{bulletin.period}", bold),
             (f"执行标准：{bulletin.standards}", None), (bulletin.edition_statement, None),
             (f"生成时间：{bulletin.generated_at:%Y-%m-%d %H:%M}（北京时间）", None), ("", None),
             *((p, wrap) for p in bulletin.summary), ("", None), ("说明", bold),
             *((f"{i}. {n}", wrap) for i, n in enumerate(bulletin.notes, 1))]
    for i, (text, fmt) in enumerate(lines):
        if text:
            notes.write_string(i, 0, text, fmt)
    if bulletin.chart is not None and bulletin.chart[0] in sheets:
        _native_chart(book, bulletin, *sheets[bulletin.chart[0]])


def _colour_categories(book: Workbook, sheet: Worksheet, published: pl.DataFrame,
                       table: BulletinTable) -> None:
    """Fill each category cell in its HJ 633 Appendix A colour; an AQI of NA written "NA"."""
    header = label("category").text
    formats: dict[str, object] = {}
    if table.colours and header in published.columns:
        j = published.columns.index(header)
        for i, (value, colour) in enumerate(zip(published[header].to_list(), table.colours,
                                                strict=True)):
            if value is None or not colour:
                continue
            if colour not in formats:
                ink = "#FFFFFF" if colour.upper() in _DARK else "#000000"
                formats[colour] = book.add_format({"bg_color": colour, "font_color": ink,
                                                   "border": 1})
            sheet.write_string(i + 2, j, str(value), formats[colour])
    if "AQI" in published.columns:
        j = published.columns.index("AQI")
        for i, value in enumerate(published["AQI"].to_list()):
            if value is None:
                sheet.write_string(i + 2, j, "NA")


def _native_chart(book: Workbook, bulletin: Bulletin, sheet: Worksheet,
                  published: pl.DataFrame) -> None:
    """An Excel column chart of the table's value column, beside the table."""
    _, category, value = bulletin.chart  # type: ignore[misc]
    cat_header, value_header = label(category).text, label(value).text
    if value_header not in published.columns or cat_header not in published.columns:
        return
    rows = published.height
    values = published[value_header].to_list()
    last = max((i for i, v in enumerate(values) if v is not None), default=-1)
    if last < 0:
        return
    chart = book.add_chart({"type": "column"})
    colours = [c for c in (bulletin.tables[0].colours or ())][: last + 1]
    name = sheet.get_name()
    chart.add_series({
        "name": value_header,
        "categories": [name, 2, published.columns.index(cat_header), 2 + last,
                       published.columns.index(cat_header)],
        "values": [name, 2, published.columns.index(value_header), 2 + last,
                   published.columns.index(value_header)],
        "data_labels": {"value": True},
        **({"points": [{"fill": {"color": c or "#8FAADC"}, "border": {"color": "#444444"}}
                       for c in colours]} if bulletin.kind == "daily" and colours else
           {"fill": {"color": "#8FAADC"}, "border": {"color": "#444444"}}),
    })
    chart.set_title({"name": f"{bulletin.period} {value_header}"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 720, "height": 360})
    chart.set_y_axis({"name": value_header, "major_gridlines": {"visible": True}})
    sheet.insert_chart(rows + 4, 1, chart)


def render(bulletin: Bulletin, fmt: str) -> bytes:
    """The bulletin's bytes in ``fmt`` ("pdf" or "xlsx")."""
    if fmt == "pdf":
        return to_pdf(bulletin)
    if fmt == "xlsx":
        return to_xlsx(bulletin)
    raise ValueError(f"format={fmt!r}: expected one of {', '.join(FORMATS)}")


def write(bulletin: Bulletin, path: str | os.PathLike[str]) -> Path:
    """Write the bulletin to ``path``; ``.pdf`` or ``.xlsx`` by its extension.

    The file appears only once complete (written beside it, then renamed).
    """
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"output {str(target)!r}: extension {target.suffix or '(none)'!r} is "
                         "not supported; expected .pdf or .xlsx")
    if fmt == "xlsx":
        with excel_workbook(target) as book:
            _fill_workbook(book, bulletin)
        return target
    data = render(bulletin, fmt)
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target

