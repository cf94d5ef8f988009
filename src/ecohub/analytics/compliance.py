"""Outlets against their permit's discharge limits, one China Standard Time day at a time.

Each registered discharge limit (:class:`ecohub.store.DischargeLimit`: outlet, factor,
statistic ``Avg`` or ``ZsAvg``, value, unit, the standard or permit clause it comes from) is
compared with the outlet's **hourly** values of that factor and statistic whose period starts on
the day (00:00–24:00 CST). The limits are hourly-mean limits as permits for continuous emission
monitoring state them (HJ 75-2017 / HJ 353-2019 practice ◐: an hour over the limit is an
exceedance hour).

Which readings count: those valid for statistics (:func:`ecohub.quality.stored.read_for_statistics`
— an operator's review, else the automatic QC verdict, else the device flag), so a reading
flagged invalid (calibration, maintenance, a failed check) is not an exceedance ⚑. Values are
converted from the factor's wire unit (:func:`ecohub.vocabulary.wire_unit`) to the limit's unit.

A value equal to the limit complies; only values above it exceed (relative tolerance 1e-9 for
binary-float artefacts, as :mod:`ecohub.standards.gb3838` does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import polars as pl

from ecohub.quality.stored import read_for_statistics
from ecohub.store import Store
from ecohub.vocabulary import CHINA_TZ, FACTORS, factor_name, unit_factor, wire_unit

__all__ = ["COMPLIANCE_SCHEMA", "STATUS_NAMES", "outlet_compliance", "outlet_status"]

_REL_TOL: Final = 1e-9

STATUS_NAMES: Final = {"compliant": "达标", "exceeded": "超标", "no_data": "无数据"}
"""Status of an outlet-factor (and of an outlet) → its Chinese name."""

COMPLIANCE_SCHEMA: Final = {
    "object_code": pl.String, "name": pl.String, "source_code": pl.String,
    "factor": pl.String, "factor_name": pl.String, "statistic": pl.String,
    "limit": pl.Float64, "unit": pl.String, "standard": pl.String, "day": pl.Date,
    "worst_value": pl.Float64, "worst_at": pl.Datetime("us", "Asia/Shanghai"),
    "hours": pl.UInt32, "hours_exceeded": pl.UInt32, "exceeded": pl.Boolean,
    "status": pl.String, "status_name": pl.String,
}
"""Columns of :func:`outlet_compliance`."""


def outlet_compliance(store: Store, day: dt.date,
                      outlet_codes: Sequence[str] | None = None) -> pl.DataFrame:
    """Per outlet and limited factor: the day's worst hourly value against the permit limit.

    Parameters
    ----------
    store : Store
    day : date
        A natural day in China Standard Time.
    outlet_codes : sequence of str, optional
        Only these outlets (the caller's visible ones); all outlets with limits otherwise.

    Returns
    -------
    polars.DataFrame
        :data:`COMPLIANCE_SCHEMA`, one row per registered limit in service: ``worst_value``
        (in the limit's ``unit``) and when (``worst_at``, CST hour start), ``hours`` counted,
        ``hours_exceeded``, ``exceeded`` (null without data) and ``status`` ``compliant`` /
        ``exceeded`` / ``no_data`` with its Chinese ``status_name``. Ordered by outlet and factor.
    """
    wanted = None if outlet_codes is None else set(outlet_codes)
    limits = [lim for lim in store.registry.limits()
              if wanted is None or lim.outlet_code in wanted]
    if not limits:
        return pl.DataFrame(schema=COMPLIANCE_SCHEMA)
    outlets = {o.code: o for o in store.registry.objects("outlet")}
    sources = {o.id: o.code for o in store.registry.objects("pollution_source")}
    limits = [lim for lim in limits if lim.outlet_code in outlets]
    table = pl.DataFrame(
        [{"object_id": outlets[lim.outlet_code].id, "object_code": lim.outlet_code,
          "name": outlets[lim.outlet_code].name,
          "source_code": sources.get(outlets[lim.outlet_code].parent_id),
          "factor": lim.factor, "factor_name": factor_name(lim.factor),
          "statistic": lim.statistic, "limit": float(lim.value), "unit": lim.unit,
          "standard": lim.standard, "scale": _scale(lim.factor, lim.unit)} for lim in limits],
        schema={"object_id": pl.Int64, "object_code": pl.String, "name": pl.String,
                "source_code": pl.String, "factor": pl.String, "factor_name": pl.String,
                "statistic": pl.String, "limit": pl.Float64, "unit": pl.String,
                "standard": pl.String, "scale": pl.Float64})
    start = dt.datetime.combine(day, dt.time(), CHINA_TZ)
    end = start + dt.timedelta(days=1)
    parts = []
    for (statistic,), part in table.partition_by("statistic", as_dict=True).items():
        read = read_for_statistics(store, kind="hour", start=start, end=end,
                                   object_ids=part["object_id"].unique().to_list(),
                                   factors=part["factor"].unique().to_list(),
                                   statistic=statistic)
        parts.append(read.filter(pl.col("valid") & pl.col("value").is_not_nan())
                     .select(pl.col("object_id").cast(pl.Int64), "factor", "period_start",
                             "value", pl.lit(statistic).alias("statistic")))
    readings = pl.concat(parts) if parts else pl.DataFrame(
        schema={"object_id": pl.Int64, "factor": pl.String,
                "period_start": pl.Datetime("us", "UTC"), "value": pl.Float64,
                "statistic": pl.String})
    judged = (
        readings.join(table.select("object_id", "factor", "statistic", "limit", "scale"),
                      on=["object_id", "factor", "statistic"])
        .with_columns((pl.col("value") * pl.col("scale")).alias("value"))
        .filter(pl.col("value").is_not_null())
        .with_columns((pl.col("value") > pl.col("limit") * (1 + _REL_TOL)).alias("over"))
        .sort("value", descending=True)
        .group_by("object_id", "factor", "statistic")
        .agg(pl.col("value").first().alias("worst_value"),
             pl.col("period_start").first().dt.convert_time_zone("Asia/Shanghai")
             .alias("worst_at"),
             pl.len().cast(pl.UInt32).alias("hours"),
             pl.col("over").sum().cast(pl.UInt32).alias("hours_exceeded"))
    )
    status = (pl.when(pl.col("hours") == 0).then(pl.lit("no_data"))
              .when(pl.col("hours_exceeded") > 0).then(pl.lit("exceeded"))
              .otherwise(pl.lit("compliant")))
    return (
        table.join(judged, on=["object_id", "factor", "statistic"], how="left",
                   maintain_order="left")
        .with_columns(pl.col("hours").fill_null(0), pl.col("hours_exceeded").fill_null(0),
                      pl.lit(day).alias("day"))
        .with_columns(status.alias("status"),
                      pl.when(pl.col("hours") > 0).then(pl.col("hours_exceeded") > 0)
                      .otherwise(None).alias("exceeded"))
        .with_columns(pl.col("status").replace_strict(STATUS_NAMES).alias("status_name"))
        .select(list(COMPLIANCE_SCHEMA))
        .cast(COMPLIANCE_SCHEMA)
        .sort("object_code", "factor", "statistic")
    )


def outlet_status(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per outlet of :func:`outlet_compliance` rows: its overall status today.

    ``exceeded`` if any factor exceeded, ``compliant`` if every factor with data complied and at
    least one had data, ``no_data`` otherwise; ``worst_ratio`` is the worst value over its limit
    (the factor it is judged on: ``factor``, ``worst_value``, ``limit``, ``unit``).
    """
    ratio = (pl.col("worst_value") / pl.col("limit"))
    return (
        rows.with_columns(ratio.alias("worst_ratio"))
        .sort("worst_ratio", descending=True, nulls_last=True)
        .group_by("object_code", maintain_order=True)
        .agg(pl.col("status").is_in(["exceeded"]).any().alias("_any_over"),
             (pl.col("status") == "compliant").any().alias("_any_ok"),
             pl.col("factor").first(), pl.col("factor_name").first(),
             pl.col("worst_value").first(), pl.col("limit").first(), pl.col("unit").first(),
             pl.col("worst_ratio").first(), pl.col("source_code").first())
        .with_columns(pl.when(pl.col("_any_over")).then(pl.lit("exceeded"))
                      .when(pl.col("_any_ok")).then(pl.lit("compliant"))
                      .otherwise(pl.lit("no_data")).alias("status"))
        .drop("_any_over", "_any_ok")
    )


def _scale(factor: str, unit: str) -> float | None:
    """Multiplier from the factor's wire unit at an outlet to the limit's unit.

    None when not convertible (a rate limit over a concentration): judged on no data.
    """
    if factor not in FACTORS:
        return None
    try:
        return unit_factor(wire_unit(factor, "outlet"), unit)
    except ValueError:
        return None
