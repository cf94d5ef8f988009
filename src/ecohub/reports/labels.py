"""How a result column is published: its Chinese header with the unit, and its digits.

The one mapping of column name → Chinese label for every table people read (workbooks, CSV and
the terminal). The analytics keep full precision and machine names (``PM2.5_ug_m3``,
71.37291666666665); :func:`publish` makes the copy a bureau publishes (``PM2.5 (µg/m³)``, 71).

Digits, all rounded per GB/T 8170-2008 3.3 (四舍六入五成双) by the one implementation,
:mod:`ecohub.standards._rounding` (see ``docs/reference/standards.md`` §1.2):

* air concentrations — SO2, NO2, O3, PM10, PM2.5 to 1 µg/m³, CO to 0.1 mg/m³: HJ 633-2026 4.2.2
  (HJ 663 practice for 2012), via :func:`ecohub.standards.air_stats.publication_round`; hourly,
  daily and period statistics alike;
* IAQI and AQI — integers (HJ 633-2026 4.2.6: rounded up; already integers in the results);
* exceedance multiple, comprehensive index and its sub-indices — 2 decimals ◐ (HJ 663 and the
  city ranking practice); shares and rates (good days, exceedance rate, compliance, I–III and
  劣V sections) — percent with 1 decimal ◐;
* water factor means — the decimals of the factor's GB 3838-2002 Table 1 limits, at least one
  (CODMn 4.1, NH3-N 0.63, TP 0.168) ⚑ (a published value keeps the digits its limit is stated
  in); pH 2 decimals ⚑; TLI 1 decimal ◐;
* noise — L_Aeq levels and exceedances 0.1 dB(A) ◐ (GB 3096-2008 practice); limits integers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import numpy as np
import polars as pl

from ecohub.standards import air_stats, gb3838
from ecohub.standards._rounding import round_gbt8170

__all__ = ["EDITIONS", "STAGES", "TABLES", "Label", "column_labels", "composite_rule_text",
           "edition_text", "label", "publish", "rounded_as_published", "sheet_name"]


@dataclass(frozen=True)
class Label:
    """How one column is published.

    ``text``: Chinese header with the unit; ``short``: the terminal header (default ``text``);
    ``decimals``: digits kept (GB/T 8170), None = published as is; ``percent``: a 0–1 share
    published as percent; ``pollutant``: air pollutant whose publication precision applies.
    """

    text: str
    decimals: int | None = None
    percent: bool = False
    pollutant: str | None = None
    short: str | None = None

    @property
    def terminal(self) -> str:
        """The header of a terminal table."""
        return self.short or self.text


TABLES: Final[Mapping[str, str]] = {
    "air_city_daily": "城市日报", "air_city_periods": "城市时段评价",
    "air_evaluation": "污染物评价", "air_ranking": "城市排名",
    "air_station_daily": "站点日报", "air_city_hourly": "城市小时报",
    "air_station_hourly": "站点小时报",
    "water_sections": "断面水质", "water_factors": "断面因子", "water_bodies": "水体水质",
    "water_cities": "城市水质",
    "noise_daily": "点位昼夜声级", "noise_cities": "城市声环境",
}
"""Table name of ``Assessment.tables()`` → worksheet name (and CSV file name part)."""

EDITIONS: Final[Mapping[str, str]] = {
    "2026": "GB 3095-2026、HJ 633-2026、HJ 663-2026",
    "2012": "GB 3095-2012、HJ 633-2012、HJ 663-2013",
}
"""Air edition family → the standards it names (``docs/reference/standards.md``, Editions)."""

STAGES: Final[Mapping[str, str]] = {"transition": "过渡阶段", "final": "最终阶段"}
"""GB 3095-2026 Table 1 stage → Chinese."""

_UG, _MG = "µg/m³", "mg/m³"
_DB = "dB(A)"

_FIXED: Final[dict[str, Label]] = {
    # who and when
    "city": Label("城市"), "city_code": Label("城市代码"), "code": Label("点位编码"),
    "name": Label("点位名称"), "n_stations": Label("站点数"), "stations": Label("点位数"),
    "date": Label("日期"), "period_start (Asia/Shanghai)": Label("时段起 (北京时间)"),
    "hour": Label("时次"), "period": Label("评价时段"), "period_start": Label("时段起"),
    "period_end": Label("时段止"), "edition": Label("标准版本"), "stage": Label("限值阶段"),
    # AQI (HJ 633)
    "aqi": Label("AQI", 0), "grade": Label("空气质量级别", short="级别"),
    "category": Label("空气质量类别", short="类别"), "colour_rgb": Label("表示颜色"),
    "primary": Label("首要污染物"), "complete": Label("数据完整"),
    "beyond_scale": Label("超出指数上限"),
    # periods, evaluation and ranking (HJ 663)
    "days_requested": Label("统计天数"), "days_in_period": Label("时段天数"),
    "valid_aqi_days": Label("有效天数"), "good_days": Label("优良天数"),
    "good_share": Label("优良天数比例 (%)", 1, percent=True, short="优良比例 (%)"),
    "valid": Label("时段有效"), "meets": Label("达标"), "note": Label("说明"),
    "pollutant": Label("污染物"), "statistic": Label("统计量"), "averaging": Label("限值平均时间"),
    "value": Label("统计值"), "unit": Label("单位"), "limit": Label("标准限值"),
    "exceedance_multiple": Label("超标倍数", 2), "valid_days": Label("有效日数"),
    "days_over": Label("超标天数"),
    "exceedance_rate": Label("超标率 (%)", 1, percent=True),
    "period_valid": Label("时段有效"), "clause": Label("依据条款"),
    "rank": Label("排名"), "composite_index": Label("综合指数", 2),
    "preset": Label("排名规则"), "preset_description": Label("排名规则说明"),
    # bulletins: change against the same period of the year before (同比)
    "composite_index_change": Label("综合指数同比变化 (%)", 1, percent=True,
                                    short="综合指数同比 (%)"),
    "good_share_change": Label("优良天数比例同比变化 (百分点)", 1, percent=True,
                               short="优良比例同比 (百分点)"),
    "PM2.5_mean_change": Label("PM2.5 浓度同比变化 (%)", 1, percent=True,
                               short="PM2.5 同比 (%)"),
    # water (GB 3838-2002)
    "water": Label("水体"), "waterbody": Label("水体类型"), "n_readings": Label("有效数据条数"),
    "water_class": Label("水质类别代码"), "label": Label("水质类别"), "status": Label("水质状况"),
    "deciding": Label("定类指标"), "over_standard": Label("超标指标(倍数)"),
    "main_pollutants": Label("主要污染指标"), "target_class": Label("目标类别"),
    "complies": Label("达到目标"), "tn_class": Label("总氮类别"),
    "tli": Label("综合营养状态指数 TLI", 1), "trophic_state": Label("营养状态"),
    "tli_parameters": Label("TLI 参数"), "factor": Label("因子"), "factor_zh": Label("因子名称"),
    "mean": Label("均值"), "multiple": Label("超标倍数", 2), "n_sections": Label("断面数"),
    "method": Label("评价方法"), "status_en": Label("水质状况 (英文)"), "colour": Label("表示颜色"),
    "share_i_iii": Label("I–III类比例 (%)", 1, percent=True),
    "share_inferior_v": Label("劣V类比例 (%)", 1, percent=True),
    "pH": Label("pH值 (无量纲)", 2, short="pH"),
    # good days to date and the overview (ecohub.analytics.air.good_days_to_date)
    "from": Label("起"), "to": Label("止"),
    "good_share_last": Label("去年同期优良天数比例 (%)", 1, percent=True, short="去年同期 (%)"),
    "good_days_last": Label("去年同期优良天数"), "valid_aqi_days_last": Label("去年同期有效天数"),
    "change_pp": Label("同比变化 (百分点)", 1),
    # noise (GB 3096-2008)
    "zone_class": Label("声环境功能区类别"),
    "Ld_dB": Label(f"昼间等效声级 Ld ({_DB})", 1, short=f"Ld ({_DB})"),
    "Ln_dB": Label(f"夜间等效声级 Ln ({_DB})", 1, short=f"Ln ({_DB})"),
    "n_day_hours": Label("昼间有效小时数"), "n_night_hours": Label("夜间有效小时数"),
    "day_limit_dB": Label(f"昼间限值 ({_DB})", 0), "night_limit_dB": Label(f"夜间限值 ({_DB})", 0),
    "day_exceedance_dB": Label(f"昼间超标量 ({_DB})", 1),
    "night_exceedance_dB": Label(f"夜间超标量 ({_DB})", 1),
    "day_complies": Label("昼间达标"), "night_complies": Label("夜间达标"),
    "day_station_days": Label("昼间监测点次"), "day_compliant": Label("昼间达标点次"),
    "day_compliance": Label("昼间达标率 (%)", 1, percent=True),
    "night_station_days": Label("夜间监测点次"), "night_compliant": Label("夜间达标点次"),
    "night_compliance": Label("夜间达标率 (%)", 1, percent=True),
}

# Air concentration columns (ecohub.analytics.air.concentration_column), and the period
# statistics of HJ 663 Table 5 (``ecohub.standards.air_stats.EVALUATED_STATISTICS``) as the
# bulletins name them: ``PM2.5_mean_ug_m3``, ``CO_p95_mg_m3``, ``O3_p90_ug_m3`` (of the daily
# maximum 8-hour means).
_AIR_NAMES = {"O3_max_8h": "O3日最大8小时平均", "O3_max_1h": "O3日最大1小时平均",
              "O3_8h": "O3 8小时滑动平均", "SO2_24h": "SO2 24小时滑动平均",
              "PM10_24h": "PM10 24小时滑动平均", "PM2.5_24h": "PM2.5 24小时滑动平均",
              **{f"{p}_mean": f"{p} 平均浓度" for p in ("SO2", "NO2", "PM10", "PM2.5")},
              **{f"{p}_p98": f"{p} 日均值第98百分位数" for p in ("SO2", "NO2")},
              **{f"{p}_p95": f"{p} 日均值第95百分位数" for p in ("PM10", "PM2.5", "CO")},
              "O3_p90": "O3日最大8小时平均第90百分位数"}
_AIR_SHORT = {"O3_max_8h": "O3-8h", "O3_max_1h": "O3-1h", "CO_p95": "CO-95per",
              "O3_p90": "O3-8h-90per"}
_AIR_COLUMN = re.compile(
    r"^(SO2|NO2|CO|O3|PM10|PM2\.5)(_max_8h|_max_1h|_8h|_24h|_mean|_p98|_p95|_p90)?_(ug|mg)_m3$")
_INDICATOR_ZH = {"O3_8h": "O3 8小时", "O3": "O3", "SO2": "SO2", "NO2": "NO2", "CO": "CO",
                 "PM10": "PM10", "PM2.5": "PM2.5"}


# TP: the lake and reservoir row of Table 1 (0.025) has three decimals.
_WATER_DECIMALS_OVERRIDE: Final = {"TP": 3}

_GRADES_ZH = ("一级", "二级", "三级", "四级", "五级", "六级")
_VALUES: Final[dict[str, dict[str, str]]] = {
    "stage": dict(STAGES), "period": {"month": "月", "year": "年", "day": "日"},
    "averaging": {"year": "年平均", "day": "24小时平均", "max_8h": "日最大8小时平均",
                  "hour": "1小时平均"},
    "statistic": {"mean": "平均值", "p98": "第98百分位数", "p95": "第95百分位数",
                  "p90": "第90百分位数"},
    "waterbody": {"lake": "湖库", "river": "河流", "reservoir": "水库"},
    "method": {"share": "断面比例法", "mean": "均值法"},
}
"""Codes in the results → the Chinese words published (unknown codes stay as they are)."""


def _water_decimals(factor: gb3838.Factor) -> int:
    """Decimals of the factor's GB 3838-2002 Table 1 limits, at least one ⚑."""
    if factor.name in _WATER_DECIMALS_OVERRIDE:
        return _WATER_DECIMALS_OVERRIDE[factor.name]
    places = [-Decimal(repr(v)).normalize().as_tuple().exponent for v in factor.limits]
    return max(1, *places)


def label(column: str) -> Label:
    """The published form of a result column (header with unit, digits).

    Parameters
    ----------
    column : str
        A column of an ``Assessment.tables()`` table (after :func:`ecohub.reports.tables.flat`
        for zoned datetimes).

    Returns
    -------
    Label
        Unknown columns keep their name and value.

    Examples
    --------
    >>> label("PM2.5_ug_m3").text, label("CO_mg_m3").decimals, label("aqi").text
    ('PM2.5 (µg/m³)', 1, 'AQI')
    """
    if column in _FIXED:
        return _FIXED[column]
    if match := _AIR_COLUMN.match(column):
        pollutant, suffix = match[1], match[2] or ""
        unit = _MG if match[3] == "mg" else _UG
        key = pollutant + suffix
        name = _AIR_NAMES.get(key, pollutant)
        return Label(f"{name} ({unit})", decimals=1 if pollutant == "CO" else 0,
                     pollutant=pollutant, short=f"{_AIR_SHORT.get(key, key)} ({unit})")
    if column.startswith("iaqi_"):
        return Label(f"{_INDICATOR_ZH.get(column[5:], column[5:])} 分指数 IAQI", 0)
    if column.startswith("sub_"):
        return Label(f"{column[4:]} 单项指数", 2)
    if column.endswith("_valid_hours"):
        return Label(f"{column.removesuffix('_valid_hours')} 有效小时数")
    if column == "O3_valid_8h_windows":
        return Label("O3 有效8小时平均个数")
    if column == "fecal_coliform_count_L":
        return Label("粪大肠菌群 (个/L)", 0)
    factor_name = column.removesuffix("_mg_L")
    if column.endswith("_mg_L") and factor_name in gb3838.TABLE_1:
        factor = gb3838.TABLE_1[factor_name]
        return Label(f"{factor.zh} (mg/L)", _water_decimals(factor), short=f"{factor_name} (mg/L)")
    return Label(column)


def sheet_name(table: str) -> str:
    """Worksheet / CSV name of a table: :data:`TABLES`, else the table name itself."""
    return TABLES.get(table, table)


def edition_text(frame: pl.DataFrame, table: str = "") -> str:
    """The standards a table follows, with the GB 3095-2026 stage when it has one.

    E.g. ``"GB 3095-2026（过渡阶段）、HJ 633-2026、HJ 663-2026"``; water tables name GB 3838-2002,
    noise tables GB 3096-2008.
    """
    if table.startswith("water"):
        return "GB 3838-2002、地表水环境质量评价办法（试行）"
    if table.startswith("noise"):
        return "GB 3096-2008"
    if "edition" not in frame.columns:
        return ""
    texts = []
    stages = frame["stage"] if "stage" in frame.columns else None
    for edition in frame["edition"].drop_nulls().unique(maintain_order=True).to_list():
        text = EDITIONS.get(str(edition), str(edition))
        if stages is not None and str(edition) == "2026":
            chosen = frame.filter(pl.col("edition") == edition)["stage"].drop_nulls().unique()
            if chosen.len():
                stage = "、".join(STAGES.get(s, s) for s in sorted(chosen.to_list()))
                text = text.replace("GB 3095-2026", f"GB 3095-2026（{stage}）", 1)
        texts.append(text)
    return "；".join(texts)


def _rounded(series: pl.Series, decimals: int, pollutant: str | None, scale: float) -> pl.Series:
    values = series.cast(pl.Float64).fill_null(np.nan).to_numpy() * scale
    if pollutant is not None:
        out = np.asarray(air_stats.publication_round(pollutant, values), dtype=np.float64)
    else:
        out = np.asarray(round_gbt8170(values, decimals), dtype=np.float64)
    result = pl.Series(series.name, out).fill_nan(None)
    return result.cast(pl.Int64) if decimals == 0 else result


def publish(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """The table as published: Chinese headers with units, values rounded, yes/no in Chinese.

    Parameters
    ----------
    frame : polars.DataFrame
        A flat table (:func:`ecohub.reports.tables.flat`) with result column names.

    Returns
    -------
    (polars.DataFrame, dict of header → decimals)
        The published table and the decimals of each rounded column (for number formats).
        Per-row units (``value`` / ``limit`` of the air evaluation) are rounded by their row's
        pollutant and get no fixed format.

    Examples
    --------
    >>> table, digits = publish(pl.DataFrame({"PM2.5_ug_m3": [71.37291666666665],
    ...                                       "CO_mg_m3": [1.25]}))
    >>> table.row(0), digits
    ((71, 1.2), {'PM2.5 (µg/m³)': 0, 'CO (mg/m³)': 1})
    """
    columns: list[pl.Series] = []
    digits: dict[str, int] = {}
    per_row = {"value", "limit"} if {"pollutant", "unit"} <= set(frame.columns) else set()
    factor_rows = "factor" in frame.columns and "mean" in frame.columns
    for name in frame.columns:
        spec = label(name)
        series = frame[name]
        if name == "grade" and series.dtype.is_integer():
            # AQI grade (HJ 633 Table 1) beside an AQI, else the GB 3095 limit grade.
            spec = spec if "aqi" in frame.columns else Label("标准级别")
            series = series.map_elements(lambda g: _GRADES_ZH[g - 1] if 1 <= g <= 6 else str(g),
                                         return_dtype=pl.String)
        elif name in _VALUES and series.dtype == pl.String:
            series = series.replace(_VALUES[name])
        elif name in per_row:
            parts = [
                _rounded(series.filter(frame["pollutant"] == p), 1 if p == "CO" else 0, p, 1.0)
                .cast(pl.Float64)
                for p in frame["pollutant"].unique(maintain_order=True).to_list()
            ]
            order = np.argsort(np.concatenate(
                [np.flatnonzero((frame["pollutant"] == p).to_numpy())
                 for p in frame["pollutant"].unique(maintain_order=True).to_list()]),
                kind="stable")
            series = pl.concat(parts)[order.tolist()] if parts else series
        elif name == "mean" and factor_rows:
            decimals = np.array([
                (2 if f == "pH" else _water_decimals(gb3838.TABLE_1[f]))
                if f in gb3838.TABLE_1 else 3 for f in frame["factor"].to_list()], dtype=np.int64)
            values = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
            out = np.full(values.shape, np.nan)
            for d in np.unique(decimals):
                where = decimals == d
                out[where] = round_gbt8170(values[where], int(d))
            series = pl.Series(name, out).fill_nan(None)
        elif spec.decimals is not None and series.dtype.is_numeric():
            series = _rounded(series, spec.decimals, spec.pollutant,
                              100.0 if spec.percent else 1.0)
            digits[spec.text] = spec.decimals
        elif series.dtype == pl.Boolean:
            series = series.replace_strict({True: "是", False: "否"}, return_dtype=pl.String)
        elif isinstance(series.dtype, pl.Enum | pl.Categorical):
            series = series.cast(pl.String)
        columns.append(series.alias(spec.text))
    return pl.DataFrame(columns), digits


def rounded_as_published(frame: pl.DataFrame) -> pl.DataFrame:
    """The table with its numbers rounded as :func:`publish` rounds them, names and codes kept.

    For a program that shows a table itself (the web app): the digits a bureau publishes
    (GB/T 8170), machine column names, shares still 0–1 (rounded to 0.1 %), codes untouched;
    the headers come from :func:`column_labels`.
    """
    columns = []
    per_row = {"value", "limit"} if {"pollutant", "unit"} <= set(frame.columns) else set()
    for name in frame.columns:
        spec, series = label(name), frame[name]
        if name in per_row:
            published, _ = publish(frame.select(name, "pollutant", "unit"))
            series = published.to_series(0).alias(name)
        elif spec.decimals is not None and series.dtype.is_numeric():
            if spec.percent:
                series = (_rounded(series, spec.decimals, None, 100.0).cast(pl.Float64)
                          / 100.0).round(spec.decimals + 2).alias(name)
            else:
                series = _rounded(series, spec.decimals, spec.pollutant, 1.0)
        columns.append(series)
    return pl.DataFrame(columns, schema=None) if columns else frame


def column_labels(columns: list[str]) -> dict[str, dict[str, object]]:
    """Column → its Chinese header with unit, digits and whether it is a share.

    For a program that lays out a table itself: ``{"PM2.5_ug_m3": {"text": "PM2.5 (µg/m³)",
    "short": …, "decimals": 0, "percent": false}}``.
    """
    return {c: {"text": (spec := label(c)).text, "short": spec.terminal,
                "decimals": spec.decimals, "percent": spec.percent} for c in columns}


def composite_rule_text(name: str, stage: str | None) -> str:
    """The comprehensive-index preset ``name`` in Chinese (the bulletins and the ranking page).

    The weights and the limits Sᵢ the index divides by (HJ 663).
    """
    preset = air_stats.composite_preset(name.split("+")[0], stage=stage or "transition")
    weights = "、".join(f"{p} {w:g}" for p, w in preset.weights.items())
    limits = "、".join(f"{p} {v:g}" for p, v in preset.standards.items())
    source = ("GB 3095-2026（" + STAGES.get(stage or "transition", "") + "）"
              if name.startswith("2026") else "GB 3095-2012")
    return (f"权重 wᵢ：{weights}；Sᵢ 取 {source}二级浓度限值（CO 为 24 小时平均、O3 为日最大"
            f" 8 小时平均，其余为年平均）：{limits}（CO 单位 mg/m³，其余 µg/m³）")
