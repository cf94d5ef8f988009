"""Surface-water assessment of the automatic water stations over stored data (GB 3838-2002).

Per section (a ``water_station``) the period mean of each factor over its valid readings — the
quarterly and annual evaluation of 地表水环境质量评价办法 (2011) uses the arithmetic mean ◐ —
classed by the single-factor method
(:func:`ecohub.standards.water_assessment.section_class`: class, deciding factors,
over-standard factors with multiples, main pollutants), checked against the section's
``target_class``. Per water body and per city the status follows the share table
(:func:`ecohub.standards.water_assessment.river_status`) from 5 sections up; with fewer
sections, and for a lake or reservoir, each factor is averaged over the sections first
(:func:`ecohub.standards.water_assessment.river_status_from_values`). Lakes and reservoirs
(``waterbody`` attribute ``lake`` / ``reservoir``) take the lake TP limits, TN classed
separately, and the trophic state index TLI(Σ) of the parameters measured
(:func:`ecohub.standards.trophic.tli`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecohub.analytics._common import objects_frame, resolve_period, valid_readings
from ecohub.standards import gb3838, trophic, water_assessment
from ecohub.store import Store

# TLI parameters measured by automatic stations, by GB 3838 factor name (CNEMC 2001 ◐).
# Chlorophyll a and transparency (SD) have no HJ 212 code the stations send.
_TLI_FROM_FACTOR = {"TP": "tp", "TN": "tn", "CODMn": "codmn"}
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}


def unit_column(factor: str) -> str:
    """Output column of a factor's mean, with its GB 3838-2002 unit in the name."""
    unit = gb3838.TABLE_1[factor].unit
    if unit == "dimensionless":
        return factor
    return f"{factor}_{unit.replace('/', '_')}"


@dataclass(frozen=True)
class WaterAssessment:
    """Result of :func:`assess_water`.

    ``sections``: one row per section — ``code, name, city, city_code, water, waterbody``, the
    period mean of every factor measured (``<factor>_mg_L``, ``pH``), ``n_readings``,
    ``water_class`` (1–6, 6 = 劣V, null when no factor), ``label`` (I … 劣V), ``status``,
    ``deciding`` (定类指标), ``over_standard`` (factors above class III with their multiple,
    "氨氮(0.45)"), ``main_pollutants``, ``target_class``, ``complies`` (class no worse than the
    target), and for lakes ``tn_class``, ``tli``, ``trophic_state``, ``tli_parameters``.

    ``factors``: one row per section and factor — mean, valid readings, single-factor class and
    over-standard multiple.

    ``waterbodies`` and ``cities``: status per water body (``water`` attribute) and per city
    with the method used (``share`` or ``mean``), the shares of I–III and 劣V sections (share
    method), the class and deciding factors of the averaged values (mean method), TLI for lakes,
    and a ``note`` where no rule applies.
    """

    sections: pl.DataFrame
    factors: pl.DataFrame
    waterbodies: pl.DataFrame
    cities: pl.DataFrame
    start: dt.datetime
    end: dt.datetime

    def tables(self) -> dict[str, pl.DataFrame]:
        """``water_sections`` (main), ``water_factors``, ``water_bodies``, ``water_cities``."""
        return {
            "water_sections": self.sections, "water_factors": self.factors,
            "water_bodies": self.waterbodies, "water_cities": self.cities,
        }

    def summary(self) -> pl.DataFrame:
        """Sections with their class, deciding factors, main pollutants and compliance."""
        return self.sections.select(
            "city", "name", "water", "label", "status", "deciding", "main_pollutants",
            "target_class", "complies",
        )


def assess_water(
    store: Store,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    *,
    city: str | None = None,
    kind: str = "hour",
) -> WaterAssessment:
    """Section classes, compliance with target classes and water-body / city status.

    Parameters
    ----------
    store : Store
    start, end : date or timezone-aware datetime
        A ``date`` is a CST natural day (``end`` inclusive); datetimes give [start, end).
    city : str, optional
        City name or code; default every city.
    kind : str, default "hour"
        Data kind averaged (hourly means, statistic ``Avg``, of the automatic stations).

    Returns
    -------
    WaterAssessment
        Concentrations in mg/L (pH dimensionless); only valid readings enter the means
        (``quality.stored.read_for_statistics``). Readings are converted from their HJ 212 wire
        unit (:func:`ecohub.standards.gb3838.hj212_to_table_unit`: some metals are µg/L on the
        wire).
    """
    period = resolve_period(start, end)
    stations = objects_frame(
        store, "water_station", city,
        {"water": pl.String, "waterbody": pl.String, "target_class": pl.String},
    ).with_columns(pl.col("waterbody").fill_null("river"))
    readings = valid_readings(
        store, period, stations["object_id"].to_list(), list(gb3838.HJ212_WATER_CODES), kind=kind
    )
    codes = pl.DataFrame(
        {
            "factor": list(gb3838.HJ212_WATER_CODES),
            "name": list(gb3838.HJ212_WATER_CODES.values()),
            "to_table_unit": [gb3838.hj212_to_table_unit(c) for c in gb3838.HJ212_WATER_CODES],
        }
    )
    long = (
        readings.join(codes, on="factor")
        .group_by("object_id", "name")
        .agg(
            (pl.col("value") * pl.col("to_table_unit")).mean().alias("mean"),
            pl.len().alias("n"),
        )
    )
    measured = [f for f in gb3838.FACTORS if f in set(long["name"])]
    means = (
        long.pivot(on="name", index="object_id", values="mean")
        .join(long.group_by("object_id").agg(pl.col("n").sum().alias("n_readings")),
              on="object_id")
        if measured else pl.DataFrame(schema={"object_id": pl.Int64, "n_readings": pl.UInt32})
    )
    # Sections without a valid reading stay listed, unclassed.
    sections = (
        stations.join(means, on="object_id", how="left")
        .with_columns(pl.col("n_readings").fill_null(0))
        .sort("city_code", "code")
    )
    sections, factors = _classify_sections(sections, measured)
    return WaterAssessment(
        sections=sections.rename({f: unit_column(f) for f in measured})
        .drop("object_id", "object_type"),
        factors=factors,
        waterbodies=_status_table(sections, measured, ["water", "waterbody"]),
        cities=_status_table(sections, measured, ["city", "city_code"]),
        start=period.start,
        end=period.end,
    )


def _target(value: str | None) -> int | None:
    """Target class attribute (3, "3" or "III") → 1–5."""
    if value is None:
        return None
    text = value.strip().upper()
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    if text in _ROMAN:
        return _ROMAN[text]
    raise ValueError(f"target_class={value!r}: expected a GB 3838 class 1–5 or I–V")


def _classify_sections(
    sections: pl.DataFrame, measured: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Single-factor class of every section and the long per-factor table.

    One call per section: they are few.
    """
    rows, factor_rows = [], []
    for record in sections.iter_rows(named=True):
        values = {f: record[f] for f in measured}
        try:
            result = water_assessment.section_class(values, waterbody=record["waterbody"])
            target = _target(record["target_class"])
        except ValueError as error:
            raise ValueError(f"water section {record['code']}: {error}") from error
        classed = result.water_class != gb3838.MISSING
        multiples = dict(result.over_standard)
        rows.append(
            {
                "object_id": record["object_id"],
                "water_class": result.water_class if classed else None,
                "label": result.label if classed else None,
                "status": result.status if classed else None,
                "deciding": ",".join(result.deciding) or None,
                "over_standard": ",".join(
                    gb3838.TABLE_1[n].zh + ("" if m is None else f"({m:.2f})")
                    for n, m in result.over_standard
                ) or None,
                "main_pollutants": ",".join(result.main_pollutant_labels(2)) or None,
                "target_class": target,
                "complies": (result.water_class <= target) if classed and target else None,
                "tn_class": result.tn_class,
                "tli": None, "trophic_state": None, "tli_parameters": None,
            }
            | (_tli({p: values.get(f) for f, p in _TLI_FROM_FACTOR.items()})
               if record["waterbody"] != "river" else {})
        )
        factor_rows.extend(
            {
                "code": record["code"], "name": record["name"], "city": record["city"],
                "water": record["water"], "waterbody": record["waterbody"], "factor": name,
                "factor_zh": gb3838.TABLE_1[name].zh, "unit": gb3838.TABLE_1[name].unit,
                "mean": values[name], "water_class": cls,
                "label": gb3838.CLASS_LABELS.get(cls), "multiple": multiples.get(name),
            }
            for name, cls in result.classes
        )
    verdicts = pl.DataFrame(
        rows,
        schema={
            "object_id": pl.Int64, "water_class": pl.Int8, "label": pl.String,
            "status": pl.String, "deciding": pl.String, "over_standard": pl.String,
            "main_pollutants": pl.String, "target_class": pl.Int8, "complies": pl.Boolean,
            "tn_class": pl.Int8, "tli": pl.Float64, "trophic_state": pl.String,
            "tli_parameters": pl.String,
        },
        orient="row",
    )
    out = sections.drop("target_class").join(verdicts, on="object_id", how="left")
    factors = pl.DataFrame(
        factor_rows,
        schema={
            "code": pl.String, "name": pl.String, "city": pl.String, "water": pl.String,
            "waterbody": pl.String, "factor": pl.String, "factor_zh": pl.String,
            "unit": pl.String, "mean": pl.Float64, "water_class": pl.Int8, "label": pl.String,
            "multiple": pl.Float64,
        },
        orient="row",
    )
    return out, factors


def _tli_inputs(frame: pl.DataFrame, measured: Sequence[str]) -> dict[str, np.ndarray]:
    """TLI parameters present among the factor columns, as float arrays (NaN = missing)."""
    return {
        parameter: frame[factor].cast(pl.Float64).fill_null(np.nan).to_numpy()
        for factor, parameter in _TLI_FROM_FACTOR.items() if factor in measured
    }


def _tli(inputs: dict[str, float]) -> dict[str, object]:
    """TLI(Σ) columns from the parameters present (weights renormalised, CNEMC 2001 ◐)."""
    present = {p: v for p, v in inputs.items() if v is not None and not math.isnan(v)}
    if not present:
        return {}
    result = trophic.tli(**present)
    return {"tli": result.value, "trophic_state": result.label_zh,
            "tli_parameters": ",".join(result.parameters)}


def _status_table(
    sections: pl.DataFrame, measured: Sequence[str], keys: list[str]
) -> pl.DataFrame:
    """Status of each group of sections (a water body or a city), one call per group."""
    rows = []
    for key, group in sections.group_by(keys, maintain_order=True):
        rows.append(dict(zip(keys, key, strict=True)) | _group_status(group, measured))
    schema = {k: pl.String for k in keys} | {
        "n_sections": pl.Int64, "method": pl.String, "status": pl.String,
        "status_en": pl.String, "colour": pl.String, "share_i_iii": pl.Float64,
        "share_inferior_v": pl.Float64, "water_class": pl.Int8, "label": pl.String,
        "deciding": pl.String, "main_pollutants": pl.String, "tli": pl.Float64,
        "trophic_state": pl.String, "tli_parameters": pl.String, "note": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _group_status(group: pl.DataFrame, measured: Sequence[str]) -> dict[str, object]:
    """Status of one group of sections: the share table or the class of the factor means.

    The share table from 5 classed sections up (rivers, or a region mixing kinds); otherwise —
    and always for a single lake or reservoir — the single-factor class of the factor means.
    """
    kinds = set(group["waterbody"])
    classes = group["water_class"].drop_nulls().to_numpy()
    lake = kinds <= {"lake", "reservoir"}
    out: dict[str, object] = {"n_sections": group.height}
    if len(classes) >= 5 and not lake:
        status = water_assessment.river_status(classes)
    elif len(kinds) == 1:
        status = water_assessment.river_status_from_values(
            group.select(measured), waterbody=next(iter(kinds))
        )
    else:
        return out | {"note": "fewer than 5 sections of rivers and lakes together: the share "
                      "table needs 5 and averaging mixes different TP limits; see the sections"}
    out |= {
        "method": status.method, "status": status.status, "status_en": status.status_en,
        "colour": status.colour, "share_i_iii": status.share_i_iii,
        "share_inferior_v": status.share_inferior_v,
    }
    if status.section is not None and status.section.water_class != gb3838.MISSING:
        out |= {
            "water_class": status.section.water_class, "label": status.section.label,
            "deciding": ",".join(status.section.deciding),
            "main_pollutants": ",".join(status.section.main_pollutant_labels(2)) or None,
        }
    if lake:
        # Lakes: each point averaged over time (the section means), then over the points.
        out |= _tli({
            p: float(np.nanmean(x)) if (~np.isnan(x)).any() else math.nan
            for p, x in _tli_inputs(group, measured).items()
        })
    return out


def daily_classes(
    store: Store, start: dt.date, end: dt.date, *, city: str | None = None,
    section: str | None = None,
) -> pl.DataFrame:
    """Each section's class per natural day (GB 3838-2002), for the trend of a section.

    One :func:`assess_water` of each day's hourly means (a daily class by the single-factor
    method of the day's mean, as automatic stations publish their daily results ◐).

    Parameters
    ----------
    store : Store
    start, end : date
        CST natural days, ``end`` inclusive (at most a few months: one assessment per day).
    city : str, optional
    section : str, optional
        One section's code.

    Returns
    -------
    polars.DataFrame
        ``date`` and the :attr:`WaterAssessment.sections` columns, one row per section and day
        (days without a valid reading of a section are left out).
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    parts = []
    day = start
    while day <= end:
        sections = assess_water(store, day, day, city=city).sections
        if section is not None:
            sections = sections.filter(pl.col("code") == section)
        parts.append(sections.filter(pl.col("n_readings") > 0)
                     .with_columns(pl.lit(day).alias("date")))
        day += dt.timedelta(days=1)
    out = pl.concat(parts, how="diagonal_relaxed")
    return out.select("date", *(c for c in out.columns if c != "date")).sort("code", "date")
