"""Ambient-air assessment of the air stations over stored data (HJ 633, HJ 663, GB 3095).

From the valid hourly means of the six basic pollutants this module derives, per station and
per city:

* the real-time (hourly) AQI report of HJ 633 (2026: six 1-hour means; 2012: with the O3 8-hour
  and the PM 24-hour moving means in place of the PM 1-hour values, HJ 633-2012 5.1.3);
* the daily values — 24-hour means valid with >= 20 hours and the O3 daily maximum 8-hour mean
  with its own validity rule (:func:`ecohub.standards.air_stats.daily_indicators`) — and the
  daily AQI, primary pollutant and category;
* city values as the arithmetic mean of the city's stations' values, hourly and daily (HJ 663
  ◐; each indicator of each day is the mean over the stations valid for it ⚑);
* the monthly and annual evaluation of every city (HJ 663: means and percentiles, days over the
  limit, exceedance multiples, compliance, share of good days), with the GB 3095 Table 4
  validity of each period stated; and the city ranking by the comprehensive index.

Editions. Each day takes the edition in force on it (GB 3095-2026 / HJ 633-2026 from 2026-03-01,
with the transition stage until 2030-12-31, before that GB 3095-2012 / HJ 633-2012), unless the
caller fixes one edition for the whole period (a like-for-like trend). A month or year is
evaluated with the edition in force on its last requested day ⚑. Every table has ``edition``;
tables that use limits also ``stage``.

Units. Readings are converted explicitly from the unit their device sends
(:func:`ecohub.vocabulary.wire_unit`) to those of GB 3095: µg/m³, CO mg/m³.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import polars.selectors as cs

from ecohub.analytics._common import (
    Period,
    hour_labels,
    objects_frame,
    resolve_period,
    valid_readings,
)
from ecohub.standards import air_stats, aqi, gb3095
from ecohub.store import Store
from ecohub.vocabulary import CHINA_TZ, CHINA_TZ_NAME, FACTORS, unit_factor, wire_unit

POLLUTANTS: tuple[str, ...] = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")
"""The six basic pollutants of GB 3095, in the order of HJ 633 reports."""

AIR_POLLUTANTS: dict[str, str] = {
    code: FACTORS[code].symbol
    for code in ("a21026", "a21004", "a21005", "a05024", "a34002", "a34004")
}
"""HJ 212 code → pollutant (:data:`POLLUTANTS`) of the codes air stations send (HJ 212-2017
Table B.2; O3 ``a05024`` de facto)."""

# Moving means that the HJ 633-2012 real-time report uses (5.1.3): O3 8-hour, PM 24-hour, and the
# SO2 24-hour mean that replaces a 1-hour SO2 above 800 µg/m³ (Table 1 note 3).
_MOVING_24H = ("SO2", "PM10", "PM2.5")
HOURLY_INDICATORS: tuple[str, ...] = (
    *POLLUTANTS, "O3_8h", *(f"{p}_24h" for p in _MOVING_24H)
)
DAILY_INDICATORS: tuple[str, ...] = ("SO2", "NO2", "CO", "PM10", "PM2.5", "O3_8h", "O3")
"""Daily values: 24-hour means, the O3 daily maximum 8-hour mean (``O3_8h``) and, for the 2012
daily report, the O3 daily maximum 1-hour mean (``O3``)."""

# HJ 663 Table 5: the daily value each pollutant's period statistics are taken of.
_EVALUATED_DAILY = {"SO2": "SO2", "NO2": "NO2", "CO": "CO", "PM10": "PM10", "PM2.5": "PM2.5",
                    "O3": "O3_8h"}
_HOURS_PER_DAY = air_stats.HOURS_PER_DAY


def _unit(indicator: str) -> str:
    return gb3095.UNITS[indicator.split("_")[0]]


def concentration_column(indicator: str, *, daily: bool = False) -> str:
    """Output column of an indicator, with its unit: ``PM2.5_ug_m3``, ``CO_mg_m3``.

    In daily tables the O3 maxima are ``O3_max_8h_ug_m3`` and ``O3_max_1h_ug_m3``.
    """
    name = indicator
    if daily and indicator.startswith("O3"):
        name = "O3_max_8h" if indicator == "O3_8h" else "O3_max_1h"
    return f"{name}_{'mg_m3' if _unit(indicator) == 'mg/m³' else 'ug_m3'}"


@dataclass(frozen=True)
class AirAssessment:
    """Result of :func:`assess_air`; every table is a polars DataFrame.

    Hourly tables (``station_hourly``, ``city_hourly``) carry ``period_start`` (CST), ``date`` and
    the hour-ending label ``hour`` ("01:00" … "24:00"); daily tables carry ``date``. Concentration
    columns are named with their unit (:func:`concentration_column`); ``iaqi_<indicator>``,
    ``aqi`` (null = "NA", HJ 633-2026 5.3), ``grade``, ``category``, ``colour_rgb``, ``primary``
    (list), ``complete`` and ``beyond_scale`` come from :func:`ecohub.standards.aqi.aqi_columns`.
    In the 2012 real-time report ``iaqi_PM10`` / ``iaqi_PM2.5`` are of the 24-hour moving means.

    * ``station_hourly`` / ``city_hourly``: real-time report per station / city and hour.
    * ``station_daily`` / ``city_daily``: daily values and daily AQI (``*_valid_hours``: what the
      validity rule counted; ``n_stations``: stations averaged into the city value).
    * ``evaluation``: per city, month or year and pollutant statistic — value (publication
      precision), limit, ``meets``, ``exceedance_multiple``, ``valid_days``, ``days_over``,
      ``exceedance_rate`` and ``period_valid`` (GB 3095 Table 4).
    * ``city_periods``: per city and month or year — share of good days, overall compliance
      (null when the period is not valid) and a ``note`` saying why not.
    * ``ranking``: cities per month or year by the comprehensive index, with the preset used.
    """

    station_hourly: pl.DataFrame
    station_daily: pl.DataFrame
    city_hourly: pl.DataFrame
    city_daily: pl.DataFrame
    evaluation: pl.DataFrame
    city_periods: pl.DataFrame
    ranking: pl.DataFrame
    start: dt.datetime
    end: dt.datetime

    def tables(self) -> dict[str, pl.DataFrame]:
        """All tables by name, the city daily report first (the main table of a CSV export)."""
        return {
            "air_city_daily": self.city_daily,
            "air_city_periods": self.city_periods,
            "air_evaluation": self.evaluation,
            "air_ranking": self.ranking,
            "air_station_daily": self.station_daily,
            "air_city_hourly": self.city_hourly,
            "air_station_hourly": self.station_hourly,
        }

    @property
    def daily_ranking(self) -> pl.DataFrame:
        """The cities of each day ranked by their daily AQI, as the daily bulletin lists them.

        Lower is cleaner; cities with the same AQI share a rank (the lowest, "min" ranking), a
        city whose AQI is "NA" (HJ 633-2026 5.3) is listed last without a rank. Columns:
        ``date, rank, city, city_code, aqi, grade, category, colour_rgb, primary, edition,
        stage`` and the day's concentrations (:func:`concentration_column`).
        """
        first = {"date": pl.Date, "rank": pl.Int32, "city": pl.String, "city_code": pl.String,
                 "aqi": pl.Int64, "grade": pl.Int8, "category": pl.String,
                 "colour_rgb": pl.String, "primary": pl.List(pl.String), "edition": pl.String,
                 "stage": pl.String}
        daily = self.city_daily
        # a period without any AQI (no data) has no AQI columns: the same table, empty
        daily = daily.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in
                                   first.items() if name not in daily.columns and name != "rank")
        ranked = daily.with_columns(
            pl.col("aqi").rank("min").over("date").cast(pl.Int32).alias("rank")
        ).sort("date", "rank", "city_code", nulls_last=True)
        return ranked.select(*first, *(c for c in ranked.columns
                                       if c not in first and c.endswith(("_m3", "n_stations"))))

    def summary(self) -> pl.DataFrame:
        """Per city and period: good-day share (%), compliance, comprehensive index and rank."""
        ranks = self.ranking.select(
            "city_code", "period", "period_start", "composite_index", "rank", "preset"
        )
        return (
            self.city_periods.join(ranks, on=["city_code", "period", "period_start"], how="left")
            .with_columns((pl.col("good_share") * 100).round(1).alias("good_%"),
                          pl.col("composite_index").round(2))
            .select(
                "city", "period", "period_start", "edition", "stage", "valid_aqi_days",
                "good_%", "meets", "composite_index", "rank", "preset", "note",
            )
        )


def assess_air(
    store: Store,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    *,
    city: str | None = None,
    edition: str | None = None,
    stage: str | None = None,
    ranking_preset: str | None = None,
) -> AirAssessment:
    """Real-time and daily AQI, city values, period evaluation and ranking of the air stations.

    Parameters
    ----------
    store : Store
    start, end : date or timezone-aware datetime
        A ``date`` is a natural day in China Standard Time (``end`` inclusive); datetimes give
        the half-open interval [start, end) of hour starts.
    city : str, optional
        City name or code; default every city with air stations.
    edition : {"2026", "2012"}, optional
        One edition for the whole period; default the edition in force on each day.
    stage : {"transition", "final"}, optional
        GB 3095-2026 stage with ``edition="2026"``; default the stage in force on each day
        (transition before 2031-01-01, also for days before 2026-03-01).
    ranking_preset : {"2026", "2013"}, optional
        Comprehensive-index preset (:func:`ecohub.standards.air_stats.composite_preset`);
        default "2026" for periods evaluated with GB 3095-2026, "2013" with GB 3095-2012.

    Returns
    -------
    AirAssessment
        Only valid readings count (``quality.stored.read_for_statistics``). Each station takes
        the limits of its ``zone_class`` attribute (1 → grade 1, otherwise grade 2), cities the
        grade-2 limits.
    """
    if edition is not None and str(edition) not in gb3095.EDITIONS:
        raise ValueError(f"edition={edition!r}: expected one of {gb3095.EDITIONS} or None")
    if stage is not None and str(edition) != "2026":
        raise ValueError(f"stage={stage!r} needs edition='2026' (GB 3095-2012 has no stages)")
    if stage is not None and stage not in gb3095.STAGES:
        raise ValueError(f"stage={stage!r}: expected one of {gb3095.STAGES}")
    if ranking_preset is not None:
        air_stats.composite_preset(ranking_preset)  # fails early on an unknown name
    period = resolve_period(start, end)
    for moment in (period.start, period.end):
        if moment.timestamp() % 3600:
            raise ValueError(f"{moment.isoformat()}: expected the start of an hour (hourly data)")
    stations = _stations(store, city)
    editions = _editions(period, None if edition is None else str(edition), stage)

    # Moving means of the first hours need the 23 hours before the period.
    lookback = Period(period.start - dt.timedelta(hours=_HOURS_PER_DAY - 1), period.end)
    readings = valid_readings(
        store, lookback, stations["object_id"].to_list(), list(AIR_POLLUTANTS)
    )
    grid = station_grid(to_standard_units(readings, stations), stations, lookback)

    station_hourly = _hourly_report(_hourly_rows(grid, stations, period), editions)
    city_hourly = _hourly_report(_city_means(station_hourly, ["period_start"]), editions)
    station_daily = _daily_report(_daily_values(grid, stations, editions), editions)
    city_daily = _daily_report(_city_means(station_daily, ["date"]), editions)
    evaluation, city_periods = _evaluate(city_daily, period, editions)
    ranking = _ranking(evaluation, city_periods, ranking_preset)

    station_info = stations.select("object_id", "code", "name", "city", "city_code")
    return AirAssessment(
        station_hourly=_finish(station_info, station_hourly, hourly=True),
        station_daily=_finish(station_info, station_daily, hourly=False),
        city_hourly=_finish(None, city_hourly, hourly=True),
        city_daily=_finish(None, city_daily, hourly=False),
        evaluation=evaluation,
        city_periods=city_periods,
        ranking=ranking,
        start=period.start,
        end=period.end,
    )


# ---------------------------------------------------------------------------------------------
# stations, editions, readings
# ---------------------------------------------------------------------------------------------


def _stations(store: Store, city: str | None) -> pl.DataFrame:
    """Air stations with the GB 3095 grade of their zone class (``gb3095.grade_for_zone``)."""
    stations = objects_frame(store, "air_station", city, {"zone_class": pl.String})
    zone = pl.col("zone_class")
    bad = stations.filter(zone.is_not_null() & ~zone.is_in(list(gb3095.ZONE_GRADES)))
    if not bad.is_empty():
        raise ValueError(
            f"air station {bad['code'][0]}: zone_class {bad['zone_class'][0]!r}; expected 1 or 2 "
            "(GB 3095 ambient-air function zones)"
        )
    grades = gb3095.grade_for_zone(stations["zone_class"].to_list())
    # Output order: city, then station code; the grid keeps it, so no large sort later.
    return stations.with_columns(
        pl.Series("limit_grade", grades, dtype=pl.Int8)
    ).sort("city_code", "code")


def _editions(period: Period, edition: str | None, stage: str | None) -> pl.DataFrame:
    """Edition and stage of every natural day of the period (``date, edition, stage``)."""
    days = pl.date_range(period.first_day, period.last_day, "1d", eager=True)
    editions, stages = gb3095.editions_for_days(days.to_numpy(), edition=edition, stage=stage)
    return pl.DataFrame(
        {"date": days, "edition": editions, "stage": stages.tolist()},
        schema={"date": pl.Date, "edition": pl.String, "stage": pl.String},
    )


def to_standard_units(readings: pl.DataFrame, object_types: pl.DataFrame) -> pl.DataFrame:
    """Convert air readings from their wire unit to the GB 3095 unit (µg/m³, CO mg/m³).

    The wire unit depends on the code and the kind of device
    (:func:`ecohub.vocabulary.wire_unit`: air stations send µg/m³ and CO mg/m³,
    other loggers the HJ 212-2017 Table B.2 defaults, e.g. SO2 in mg/m³).

    Parameters
    ----------
    readings : polars.DataFrame
        ``object_id``, ``factor`` (HJ 212 code of :data:`AIR_POLLUTANTS`) and ``value``.
    object_types : polars.DataFrame
        ``object_id`` and ``object_type`` of every object in ``readings``.

    Returns
    -------
    polars.DataFrame
        ``readings`` with ``pollutant`` (SO2 … PM2.5), ``value`` in the standard unit and
        ``unit``; readings of other codes or objects are left out.
    """
    types = object_types.select(pl.col("object_id").cast(pl.Int64), "object_type")
    scale = pl.DataFrame(  # one row per object type and code, not per object
        [
            (kind, code, pollutant, gb3095.UNITS[pollutant],
             unit_factor(wire_unit(code, kind), gb3095.UNITS[pollutant]))
            for kind in types["object_type"].unique().to_list()
            for code, pollutant in AIR_POLLUTANTS.items()
        ],
        schema={"object_type": pl.String, "factor": pl.String, "pollutant": pl.String,
                "unit": pl.String, "scale": pl.Float64},
        orient="row",
    )
    scale = types.join(scale, on="object_type").drop("object_type")
    return (
        readings.join(scale, on=["object_id", "factor"])
        .with_columns(pl.col("value") * pl.col("scale"))
        .drop("scale")
    )


def station_grid(
    readings: pl.DataFrame, stations: pl.DataFrame, period: Period
) -> air_stats.HourlyGrid:
    """Place the valid hourly means on a (station, hour) grid per pollutant, NaN where none.

    Parameters
    ----------
    readings : polars.DataFrame
        Hourly readings in the standard unit (:func:`to_standard_units`): ``object_id``,
        ``pollutant``, ``period_start``, ``period_s``, ``value``.
    stations : polars.DataFrame
        ``object_id`` in the order of the grid's rows.
    period : Period
        Hour-aligned; the grid's columns are its hours.

    Returns
    -------
    ecohub.standards.air_stats.HourlyGrid
        ``values[pollutant][station, hour]``. A station with two loggers sending one pollutant
        takes their mean.
    """
    ids = stations["object_id"].to_list()
    n_hours = int((period.end - period.start).total_seconds()) // 3600
    hours = readings.filter(pl.col("period_s") == 3600).select(
        pl.col("object_id").replace_strict(ids, range(len(ids)), return_dtype=pl.Int64),
        pl.col("pollutant").replace_strict(POLLUTANTS, range(len(POLLUTANTS)),
                                           return_dtype=pl.Int64),
        ((pl.col("period_start").dt.epoch("s") - int(period.start.timestamp())) // 3600)
        .alias("hour"),
        "value",
    )
    cell = ((hours["pollutant"] * len(ids) + hours["object_id"]) * n_hours + hours["hour"])
    size = len(POLLUTANTS) * len(ids) * n_hours
    totals = np.bincount(cell.to_numpy(), weights=hours["value"].to_numpy(), minlength=size)
    counts = np.bincount(cell.to_numpy(), minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (totals / counts).reshape(len(POLLUTANTS), len(ids), n_hours)
    return air_stats.HourlyGrid(
        tuple(ids), period.start.astimezone(dt.UTC),
        {p: means[i] for i, p in enumerate(POLLUTANTS)},
    )


# ---------------------------------------------------------------------------------------------
# real-time (hourly) report
# ---------------------------------------------------------------------------------------------


def _hourly_rows(
    grid: air_stats.HourlyGrid, stations: pl.DataFrame, period: Period
) -> pl.DataFrame:
    """One row per station and hour of the period with a valid value.

    The six 1-hour means, the O3 8-hour and the SO2 / PM 24-hour moving means (from the hours
    before, too).
    """
    values = dict(grid.values)
    values["O3_8h"] = air_stats.moving_average_8h(grid.values["O3"])
    values |= {f"{p}_24h": air_stats.moving_average_24h(grid.values[p]) for p in _MOVING_24H}
    skip = int((period.start - grid.start).total_seconds()) // 3600
    n_stations, n_hours = grid.values["O3"].shape
    first = np.datetime64(period.start.astimezone(dt.UTC).replace(tzinfo=None), "us")
    hours = first + np.arange(n_hours - skip) * np.timedelta64(1, "h")
    rows = pl.DataFrame(
        {
            "object_id": np.repeat(np.asarray(grid.stations, dtype=np.int64), n_hours - skip),
            "period_start": np.tile(hours, n_stations),
        }
        | {name: v[:, skip:].ravel() for name, v in values.items()}
    ).with_columns(
        pl.col("period_start").dt.replace_time_zone("UTC"),
        *(pl.col(name).fill_nan(None) for name in values),
    )
    return rows.filter(pl.any_horizontal(pl.col(p).is_not_null() for p in POLLUTANTS)).join(
        stations.select("object_id", "city", "city_code"), on="object_id", how="left",
        maintain_order="left",
    )


def _hourly_report(frame: pl.DataFrame, editions: pl.DataFrame) -> pl.DataFrame:
    """Real-time AQI of every row (HJ 633 5.1).

    2026: of the six 1-hour means; 2012: with the O3 8-hour and the PM 24-hour moving means.
    """
    dated = frame.with_row_index("_row").with_columns(
        pl.col("period_start").dt.convert_time_zone(CHINA_TZ_NAME).dt.date().alias("_date")
    ).join(editions.select("date", "edition"), left_on="_date", right_on="date").drop("_date")
    parts = []
    for (edition,), part in dated.partition_by("edition", as_dict=True).items():
        source = {p: p for p in POLLUTANTS}
        if edition == "2012":
            source |= {"O3_8h": "O3_8h", "PM10": "PM10_24h", "PM2.5": "PM2.5_24h"}
        concentrations = {
            indicator: _floats(part[column]) for indicator, column in source.items()
            if indicator in aqi.REPORT_INDICATORS[(edition, "hour")]
        }
        so2_24h = _floats(part["SO2_24h"]) if edition == "2012" else None
        index = aqi.aqi_columns(concentrations, "hour", edition=edition, so2_24h=so2_24h)
        parts.append(pl.concat([part.drop("edition"), _normalised(index)], how="horizontal"))
    return _concat(parts, frame, "edition")


# ---------------------------------------------------------------------------------------------
# daily values and daily report
# ---------------------------------------------------------------------------------------------


def _segments(editions: pl.DataFrame) -> list[tuple[str, str | None, dt.date, dt.date]]:
    """Split the days into runs of one edition and stage: (edition, stage, first, last)."""
    runs = (
        editions.with_columns(
            pl.struct("edition", "stage").rle_id().alias("_run")
        )
        .group_by("_run", maintain_order=True)
        .agg(pl.first("edition"), pl.first("stage"), pl.min("date").alias("first"),
             pl.max("date").alias("last"))
    )
    return list(runs.select("edition", "stage", "first", "last").iter_rows())


def _daily_values(
    grid: air_stats.HourlyGrid, stations: pl.DataFrame, editions: pl.DataFrame
) -> pl.DataFrame:
    """Daily values of every station and natural day (``air_stats.daily_indicators``).

    Computed per run of one edition and per station grade (the O3 validity rule uses the limit).
    """
    grades = stations["limit_grade"].to_numpy()
    # The period's own hours only: the look-back hours serve the moving means.
    skip = _HOURS_PER_DAY - 1
    parts = []
    for edition, stage, first, last in _segments(editions):
        midnight = dt.datetime.combine(first, dt.time(0), CHINA_TZ)
        begin = max(int((midnight - grid.start).total_seconds()) // 3600, skip)
        end = int((midnight - grid.start).total_seconds()) // 3600 + (
            (last - first).days + 1) * _HOURS_PER_DAY
        for grade in np.unique(grades):
            rows = grades == grade
            sub = air_stats.HourlyGrid(
                tuple(np.asarray(grid.stations)[rows].tolist()),
                grid.start + dt.timedelta(hours=begin),
                {p: v[rows, begin:end] for p, v in grid.values.items()},
            )
            parts.append(
                air_stats.daily_indicators(sub, edition=edition, stage=stage, grade=int(grade))
                .rename({"station": "object_id"})
                .with_columns(pl.col("object_id").cast(pl.Int64))
                .filter(pl.col("date").is_between(first, last))
            )
    daily = pl.concat(parts, how="diagonal_relaxed")
    daily = daily.with_columns(
        pl.lit(None, pl.Float64).alias(c) for c in DAILY_INDICATORS if c not in daily.columns
    ).with_columns(pl.col(c).fill_nan(None) for c in DAILY_INDICATORS)
    # Days without any valid value are not reported.
    present = pl.any_horizontal(pl.col(f"{c}_n") > 0 for c in DAILY_INDICATORS
                                if f"{c}_n" in daily.columns)
    return daily.filter(present).join(
        stations.select("object_id", "city", "city_code"), on="object_id", how="left"
    ).sort(pl.col("object_id").replace_strict(grid.stations, range(len(grid.stations))), "date")


def _daily_report(frame: pl.DataFrame, editions: pl.DataFrame) -> pl.DataFrame:
    """Daily AQI of every row (HJ 633 5.1).

    2026: of five 24-hour means and the O3 daily maximum 8-hour mean; 2012: also of the O3 daily
    maximum 1-hour mean.
    """
    dated = frame.with_row_index("_row").join(editions, on="date")
    parts = []
    for (edition,), part in dated.partition_by("edition", as_dict=True).items():
        concentrations = {
            indicator: _floats(part[indicator])
            for indicator in aqi.REPORT_INDICATORS[(edition, "day")]
        }
        index = aqi.aqi_columns(concentrations, "day", edition=edition)
        parts.append(pl.concat([part.drop("edition"), _normalised(index)], how="horizontal"))
    return _concat(parts, frame, "edition", "stage")


# ---------------------------------------------------------------------------------------------
# cities
# ---------------------------------------------------------------------------------------------


def _city_means(frame: pl.DataFrame, time: Sequence[str]) -> pl.DataFrame:
    """City values of the indicators in ``frame`` (HJ 663, ``air_stats.city_means``)."""
    indicators = [c for c in dict.fromkeys((*HOURLY_INDICATORS, *DAILY_INDICATORS))
                  if c in frame.columns]
    return air_stats.city_means(frame, indicators, ["city_code", "city", *time])


# ---------------------------------------------------------------------------------------------
# period evaluation and ranking
# ---------------------------------------------------------------------------------------------


def _periods(period: Period) -> list[tuple[str, dt.date, dt.date]]:
    """Calendar months and years the period touches: (kind, first day, last day)."""
    out = []
    first, last = period.first_day, period.last_day
    month = first.replace(day=1)
    while month <= last:
        following = (month + dt.timedelta(days=32)).replace(day=1)
        out.append(("month", month, following - dt.timedelta(days=1)))
        month = following
    years = range(first.year, last.year + 1)
    out += [("year", dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in years]
    return out


def _evaluate(
    city_daily: pl.DataFrame, period: Period, editions: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """HJ 663 evaluation of every city, month and year, and the share of good days.

    One ``air_stats.evaluate_period`` call per city and period: there are few.
    """
    statistic_rows, period_rows = [], []
    for kind, first, last in _periods(period):
        requested_first, requested_last = max(first, period.first_day), min(last, period.last_day)
        in_force = editions.filter(pl.col("date") == requested_last).row(0, named=True)
        covered = (requested_last - requested_first).days + 1
        length = (last - first).days + 1
        days = city_daily.filter(pl.col("date").is_between(requested_first, requested_last))
        for (city, city_code), part in days.group_by("city", "city_code", maintain_order=True):
            result = air_stats.evaluate_period(
                part["date"].to_numpy(),
                {p: _floats(part[d]) for p, d in _EVALUATED_DAILY.items()},
                period=kind, grade=air_stats.CITY_GRADE, edition=in_force["edition"],
                stage=in_force["stage"],
            )
            good = air_stats.good_day_share(_floats(part["aqi"]))
            key = {"city": city, "city_code": city_code, "period": kind, "period_start": first,
                   "edition": result.edition, "stage": result.stage, "grade": result.grade}
            for pollutant, evaluated in result.pollutants.items():
                statistic_rows.extend(
                    key | {
                        "pollutant": pollutant, "statistic": s.statistic,
                        "averaging": s.limit.averaging, "value": s.value, "unit": s.limit.unit,
                        "limit": s.limit.value, "meets": s.meets,
                        "exceedance_multiple": s.exceedance_multiple,
                        "valid_days": evaluated.days, "days_over": evaluated.days_over,
                        "exceedance_rate": evaluated.exceedance_rate,
                        "period_valid": evaluated.valid, "clause": s.limit.clause,
                    }
                    for s in evaluated.statistics
                )
            invalid = [p for p in result.pollutants.values() if not p.valid]
            period_rows.append(
                key | {
                    "period_end": last, "days_requested": covered, "days_in_period": length,
                    "valid_aqi_days": good.valid, "good_days": good.good,
                    "good_share": good.share, "valid": not invalid, "meets": result.meets,
                    "note": air_stats.validity_note(result, days_requested=covered),
                }
            )
    evaluation = pl.DataFrame(statistic_rows, schema=_EVALUATION_SCHEMA, orient="row")
    periods = pl.DataFrame(period_rows, schema=_CITY_PERIOD_SCHEMA, orient="row")
    return evaluation.with_columns(pl.col("exceedance_rate").fill_nan(None)), periods.with_columns(
        pl.col("good_share").fill_nan(None)
    )


def _ranking(
    evaluation: pl.DataFrame, city_periods: pl.DataFrame, preset: str | None
) -> pl.DataFrame:
    """Rank the cities by the comprehensive index I_sum = Σ w_i C_i / S_i, lower is cleaner.

    Per month and year, with the preset printed (``air_stats.composite_index``).
    """
    wanted = [
        (pl.col("pollutant") == p) & (pl.col("statistic") == s)
        for p, s in air_stats.COMPOSITE_STATISTICS.items()
    ]
    if evaluation.is_empty():
        return pl.DataFrame(schema=_RANKING_SCHEMA)
    inputs = (
        evaluation.filter(pl.any_horizontal(wanted))
        .pivot(on="pollutant", index=["city_code", "period", "period_start"], values="value")
        .join(city_periods.select("city", "city_code", "period", "period_start", "edition",
                                  "stage", "valid"),
              on=["city_code", "period", "period_start"])
    )
    parts = []
    for part in inputs.partition_by("period", "period_start", maintain_order=True):
        edition, stage = part["edition"][0], part["stage"][0]
        name = preset or ("2026" if edition == "2026" else "2013")
        index = air_stats.composite_index(
            {p: _floats(part[p]) if p in part.columns else np.full(part.height, np.nan)
             for p in air_stats.COMPOSITE_STATISTICS},
            name, stage=stage or "transition",
        )
        described = air_stats.composite_preset(name, stage=stage or "transition").description
        parts.append(
            part.select("city", "city_code", "period", "period_start", "edition", "stage",
                        "valid")
            .with_columns(
                pl.Series("composite_index", np.atleast_1d(index.value)).fill_nan(None),
                *(pl.Series(f"sub_{p}", np.atleast_1d(v)).fill_nan(None)
                  for p, v in index.sub_indices.items()),
                pl.lit(index.preset).alias("preset"),
                pl.lit(described).alias("preset_description"),
            )
            .with_columns(pl.col("composite_index").rank("min").cast(pl.Int32).alias("rank"))
            .sort("rank", "city_code", nulls_last=True)
        )
    return pl.concat(parts, how="diagonal_relaxed").select(list(_RANKING_SCHEMA))


_EVALUATION_SCHEMA = {
    "city": pl.String, "city_code": pl.String, "period": pl.String, "period_start": pl.Date,
    "edition": pl.String, "stage": pl.String, "grade": pl.Int8, "pollutant": pl.String,
    "statistic": pl.String, "averaging": pl.String, "value": pl.Float64, "unit": pl.String,
    "limit": pl.Float64, "meets": pl.Boolean, "exceedance_multiple": pl.Float64,
    "valid_days": pl.Int32, "days_over": pl.Int32, "exceedance_rate": pl.Float64,
    "period_valid": pl.Boolean, "clause": pl.String,
}
_CITY_PERIOD_SCHEMA = {
    "city": pl.String, "city_code": pl.String, "period": pl.String, "period_start": pl.Date,
    "edition": pl.String, "stage": pl.String, "grade": pl.Int8, "period_end": pl.Date,
    "days_requested": pl.Int32, "days_in_period": pl.Int32, "valid_aqi_days": pl.Int32,
    "good_days": pl.Int32, "good_share": pl.Float64, "valid": pl.Boolean, "meets": pl.Boolean,
    "note": pl.String,
}
_RANKING_SCHEMA = {
    "period": pl.String, "period_start": pl.Date, "rank": pl.Int32, "city": pl.String,
    "city_code": pl.String, "composite_index": pl.Float64,
    **{f"sub_{p}": pl.Float64 for p in air_stats.COMPOSITE_STATISTICS},
    "valid": pl.Boolean, "edition": pl.String, "stage": pl.String, "preset": pl.String,
    "preset_description": pl.String,
}


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _floats(column: pl.Series) -> np.ndarray:
    """Convert a column to float64 with null → NaN (the standards functions' missing value)."""
    return column.cast(pl.Float64).fill_null(np.nan).to_numpy()


def _normalised(index: pl.DataFrame) -> pl.DataFrame:
    """AQI columns of either edition in one schema.

    Missing IAQIs as null (the standards' arrays use NaN) and the primary pollutants as a list of
    strings (their enum differs by report).
    """
    return index.with_columns(
        cs.float().fill_nan(None), pl.col("primary").cast(pl.List(pl.String))
    )


def _concat(parts: list[pl.DataFrame], like: pl.DataFrame, *keep: str) -> pl.DataFrame:
    """Put the per-edition parts back in the rows' original order (``_row``)."""
    if parts:
        return pl.concat(parts, how="diagonal_relaxed").sort("_row").drop("_row")
    return like.with_columns(pl.lit(None, pl.String).alias(k) for k in keep)


def _finish(
    info: pl.DataFrame | None, frame: pl.DataFrame, *, hourly: bool
) -> pl.DataFrame:
    """Publication layout: who, when (CST labels), edition, concentrations with units, AQI."""
    if info is not None:
        frame = frame.drop("city", "city_code", strict=False).join(
            info, on="object_id", how="left", maintain_order="left"
        )
        who = ["code", "name", "city", "city_code"]
    else:
        who = ["city", "city_code", "n_stations"]
    indicators = HOURLY_INDICATORS if hourly else DAILY_INDICATORS
    present = [c for c in indicators if c in frame.columns]
    renamed = {c: concentration_column(c, daily=not hourly) for c in present}
    if not hourly:
        renamed |= {
            f"{c}_n": "O3_valid_8h_windows" if c == "O3_8h" else f"{c}_valid_hours"
            for c in present if f"{c}_n" in frame.columns
        }
    when = hour_labels() if hourly else [pl.col("date")]
    limits = [] if hourly else ["stage"]
    index = [c for c in frame.columns if c.startswith("iaqi_")] + [
        c for c in ("aqi", "grade", "category", "colour_rgb", "primary", "complete",
                    "beyond_scale") if c in frame.columns
    ]
    counts = [c for c in renamed if c.endswith("_n")]
    # Rows are already in publication order (city, station, time).
    return frame.select(
        *who, *when, "edition", *limits, *(pl.col(c).alias(renamed[c]) for c in present),
        *(pl.col(c).alias(renamed[c]) for c in counts), *index,
    )


# ---------------------------------------------------------------------------------------------
# good days year to date, against the same period of the year before
# ---------------------------------------------------------------------------------------------

REGION: str = "全部城市"
"""The name of the row that stands for every city together (:func:`good_days_to_date`)."""


def same_day_last_year(day: dt.date) -> dt.date:
    """The same calendar day a year before; 29 February → 28 February."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def good_days_to_date(store: Store, day: dt.date, *, city: str | None = None,
                      edition: str | None = None, stage: str | None = None) -> pl.DataFrame:
    """Share of good days (优良天数比例) from 1 January to ``day`` and a year before.

    The share is days with AQI ≤ 100 over days with a valid daily AQI (HJ 663; a day published
    as "NA" is not valid: ``air_stats.good_day_share``). Both periods are assessed like for like,
    with one edition and stage: those in force on ``day`` unless given (as the bulletins compare
    a month with the same month a year before), so a change is not an artefact of HJ 633-2026's
    new breakpoints. The last row, :data:`REGION`, is the arithmetic mean of the cities' shares
    (the way a provincial bulletin states "各城市平均优良天数比例") ⚑, its days the sums over the
    cities.

    Parameters
    ----------
    store : Store
    day : date
        The last day counted (China Standard Time).
    city : str, optional
        One city (name or code); default every city with air stations.
    edition, stage : str, optional
        The edition (and GB 3095-2026 stage) both periods are assessed with; default those in
        force on ``day`` (:func:`ecohub.standards.gb3095.editions_for_days`).

    Returns
    -------
    polars.DataFrame
        ``city, city_code, from, to, good_days, valid_aqi_days, good_share, edition, stage`` of
        this year, the same with the suffix ``_last`` for the same period the year before, and
        ``change_pp``: the change of the share in percentage points (null when either is).
    """
    if edition is None:
        editions, stages = gb3095.editions_for_days([np.datetime64(day, "D")], stage=stage)
        edition, stage = str(editions[0]), stages[0]

    def to_date(first: dt.date, last: dt.date) -> pl.DataFrame:
        # Only days with readings count (a day without is not a valid AQI day), so the days
        # before the first reading and after the last are left out of the assessment: the
        # same counts, without a year-long grid of empty hours (the cockpit asks every view).
        # A day before the first reading stays in, as moving averages look back.
        found = store.measurements.hours_extent(
            dt.datetime.combine(first, dt.time(), CHINA_TZ) - dt.timedelta(days=1),
            dt.datetime.combine(last, dt.time(), CHINA_TZ) + dt.timedelta(days=1))
        lo, hi = (last, last) if found is None else (
            max(first, found[0].astimezone(CHINA_TZ).date() - dt.timedelta(days=1)),
            min(last, found[1].astimezone(CHINA_TZ).date()))
        periods = assess_air(store, lo, max(lo, hi), city=city, edition=edition,
                             stage=stage if edition == "2026" else None).city_periods
        return periods.filter(pl.col("period") == "year").select(
            "city", "city_code", pl.lit(first).alias("from"), pl.lit(last).alias("to"),
            "good_days", "valid_aqi_days", "good_share", "edition", "stage")

    now = to_date(dt.date(day.year, 1, 1), day)
    before = same_day_last_year(day)
    then = to_date(dt.date(before.year, 1, 1), before)
    columns = ["from", "to", "good_days", "valid_aqi_days", "good_share", "edition", "stage"]
    last = then.drop("city").rename({c: f"{c}_last" for c in columns})
    joined = now.join(last, on="city_code", how="full", coalesce=True, maintain_order="left")
    joined = joined.with_columns(
        pl.col("from").fill_null(dt.date(day.year, 1, 1)), pl.col("to").fill_null(day),
        pl.col("from_last").fill_null(dt.date(before.year, 1, 1)),
        pl.col("to_last").fill_null(before))
    region = joined.select(
        pl.lit(REGION).alias("city"), pl.lit(None, pl.String).alias("city_code"),
        pl.first("from"), pl.first("to"), pl.sum("good_days"), pl.sum("valid_aqi_days"),
        pl.mean("good_share"), pl.col("edition").drop_nulls().max(),
        pl.col("stage").drop_nulls().max(), pl.first("from_last"), pl.first("to_last"),
        pl.sum("good_days_last"), pl.sum("valid_aqi_days_last"), pl.mean("good_share_last"),
        pl.col("edition_last").drop_nulls().max(), pl.col("stage_last").drop_nulls().max(),
    ) if joined.height else joined.clear()
    out = pl.concat([joined.select(region.columns), region], how="vertical_relaxed")
    return out.with_columns(
        ((pl.col("good_share") - pl.col("good_share_last")) * 100).alias("change_pp"))
