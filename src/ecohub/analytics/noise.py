"""Acoustic-environment assessment of the noise stations over stored data (GB 3096-2008).

Each noise station sends its hourly equivalent level L_Aeq (HJ 212 factor ``Leq``, statistic
``Avg``). Per station and day this module derives the day level L_d and the night level L_n
(energy means of the valid hourly levels, :func:`ecohub.standards.noise.daily_day_night_levels`),
compares them with the limits of the station's acoustic-environment zone class (GB 3096-2008
Table 1, :func:`ecohub.standards.noise.limit`) and summarises compliance per city.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecohub.analytics._common import Period, objects_frame, resolve_period, valid_readings
from ecohub.standards import noise
from ecohub.store import Store

NOISE_FACTOR = "Leq"
"""HJ 212-2017 Table B.3 code of the equivalent continuous A-weighted level."""

_DAILY_SCHEMA = {
    "object_id": pl.Int64, "date": pl.Date, "Ld_dB": pl.Float64, "Ln_dB": pl.Float64,
    "n_day_hours": pl.Int64, "n_night_hours": pl.Int64, "day_valid": pl.Boolean,
    "night_valid": pl.Boolean,
}


@dataclass(frozen=True)
class NoiseAssessment:
    """Result of :func:`assess_noise`.

    ``daily``: one row per station and day — ``code, name, city, city_code, zone_class, date,
    Ld_dB, Ln_dB`` (energy means, dB(A); null when the period had no valid hour),
    ``n_day_hours, n_night_hours`` (valid hours averaged), ``day_valid, night_valid`` (enough
    hours for a verdict, :class:`ecohub.standards.noise.Validity`), ``complete`` (every hour
    of both periods present), ``day_limit_dB, night_limit_dB`` (GB 3096-2008 Table 1),
    ``day_exceedance_dB, night_exceedance_dB`` (level − limit; positive = over) and
    ``day_complies, night_complies``. Exceedance and verdict are null when the level or the
    zone class is missing **or the period is not valid**: a night with 2 of 8 hours shows its
    level and ``n_night_hours = 2``, ``night_valid = false``, and is judged neither compliant
    nor exceeding.

    ``cities``: per city — stations, station-days with a verdict and the share of them within
    the limit, for day and night, and the station-days with a level that were not judged
    because the period was incomplete (``day_not_judged``, ``night_not_judged``).
    """

    daily: pl.DataFrame
    cities: pl.DataFrame
    periods: noise.Periods
    validity: noise.Validity = noise.DEFAULT_VALIDITY

    def tables(self) -> dict[str, pl.DataFrame]:
        """``{"noise_daily": …, "noise_cities": …}`` (main table first)."""
        return {"noise_daily": self.daily, "noise_cities": self.cities}

    def summary(self) -> pl.DataFrame:
        """City table with the shares in percent, one decimal, for printing."""
        return self.cities.with_columns(
            (pl.col(c) * 100).round(1).alias(c) for c in ("day_compliance", "night_compliance")
        ).rename({"day_compliance": "day_compliance_%", "night_compliance": "night_compliance_%"})


def assess_noise(
    store: Store,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    *,
    city: str | None = None,
    periods: noise.Periods = noise.DEFAULT_PERIODS,
    validity: noise.Validity = noise.DEFAULT_VALIDITY,
) -> NoiseAssessment:
    """Day and night levels of every noise station and day, against its zone's limits.

    GB 3096-2008: L_d and L_n are the energy means 10·lg(mean 10^(0.1·L)) of the hourly L_Aeq in
    the day (06:00–22:00 local time by default) and the night (22:00–06:00, GB 3096-2008
    clause 3 ✔); the night that starts on the evening of day D — all 8 hours, those after
    midnight on D + 1 included — is reported under D (⚑, as
    :func:`~ecohub.standards.noise.daily_day_night_levels`). Only valid readings count
    (``quality.stored.read_for_statistics``). A period with fewer valid hours than
    ``validity`` requires (default 12 of 16 day hours, 6 of 8 night hours, ⚑) is reported
    but not judged.

    Parameters
    ----------
    store : Store
    start, end : date or timezone-aware datetime
        Days reported: a ``date`` is a CST natural day (``end`` inclusive); datetimes give the
        half-open interval of day starts. Hours up to the end of the last day's night are read.
    city : str, optional
        City name or code; default every city.
    periods : ecohub.standards.noise.Periods
        Day/night boundaries, a local setting (default 06:00 / 22:00 China Standard Time).
    validity : ecohub.standards.noise.Validity
        Minimum valid hours for L_d and L_n to be judged (a local setting).

    Returns
    -------
    NoiseAssessment
        Levels in dB(A). Stations take the limits of their ``zone_class`` attribute
        (``0, 1, 2, 3, 4a, 4b``); an ``existing_railway`` attribute true selects the 70 / 55 limits
        of zone 4b beside railway lines existing before 2011 (GB 3096-2008 5.3).
    """
    period = resolve_period(start, end)
    stations = objects_frame(
        store, "noise_station", city, {"zone_class": pl.String, "existing_railway": pl.Boolean}
    )
    # Day D runs from day_start on D to day_start on D + 1 (its night included).
    shift = dt.timedelta(hours=periods.day_start.hour, minutes=periods.day_start.minute,
                         seconds=periods.day_start.second)
    shifted = Period(period.start + shift, period.end + shift)
    readings = valid_readings(store, shifted, stations["object_id"].to_list(), [NOISE_FACTOR])
    levels = [
        noise.daily_day_night_levels(
            part["value"], part["period_start"], periods=periods, validity=validity,
            label="start",
            interval=dt.timedelta(seconds=int(part["period_s"][0])),
        ).with_columns(pl.lit(object_id, pl.Int64).alias("object_id"))
        for (object_id,), part in readings.partition_by("object_id", as_dict=True).items()
    ]
    daily = (
        pl.concat(levels, how="diagonal_relaxed") if levels else pl.DataFrame(schema=_DAILY_SCHEMA)
    ).rename({"ld": "Ld_dB", "ln": "Ln_dB", "n_day": "n_day_hours", "n_night": "n_night_hours"},
             strict=False)
    # the hourly series may mix interval lengths only across stations: each station's hours
    # are counted by daily_day_night_levels with that station's interval
    daily = daily.filter(pl.col("date").is_between(period.first_day, period.last_day))
    day_hours, night_hours = (round(h) for h in periods.hours())
    daily = (
        stations.join(daily, on="object_id", how="inner")
        .with_columns(
            ((pl.col("n_day_hours") == day_hours) & (pl.col("n_night_hours") == night_hours))
            .alias("complete")
        )
        .pipe(_with_limits)
        .sort("city_code", "code", "date")
        .select(
            "code", "name", "city", "city_code", "zone_class", "date", "Ld_dB", "Ln_dB",
            "n_day_hours", "n_night_hours", "day_valid", "night_valid", "complete",
            "day_limit_dB", "night_limit_dB",
            "day_exceedance_dB", "night_exceedance_dB", "day_complies", "night_complies",
        )
    )
    return NoiseAssessment(daily, _city_summary(stations, daily), periods, validity)


def _with_limits(daily: pl.DataFrame) -> pl.DataFrame:
    """Add the GB 3096-2008 Table 1 limits, the exceedances and the verdicts.

    Exceedance and verdict are null without a zone class, without a level, or when the
    period is not valid (too few hours, :class:`ecohub.standards.noise.Validity`).
    """
    zoned = daily.filter(pl.col("zone_class").is_not_null())
    unzoned = daily.filter(pl.col("zone_class").is_null())
    zone = zoned["zone_class"].to_numpy()
    railway = zoned["existing_railway"].fill_null(False).to_numpy()
    columns: dict[str, np.ndarray] = {}
    try:
        for part, level in (("day", "Ld_dB"), ("night", "Ln_dB")):
            columns[f"{part}_limit_dB"] = np.where(
                railway, noise.limit(zone, part, existing_railway=True), noise.limit(zone, part)
            )
            columns[f"{part}_exceedance_dB"] = np.where(
                railway,
                noise.exceedance(zoned[level], zone, part, existing_railway=True),
                noise.exceedance(zoned[level], zone, part),
            )
    except ValueError as error:
        bad = zoned.filter(~pl.col("zone_class").str.to_lowercase().is_in(list(noise.ZONE_LIMITS)))
        raise ValueError(f"noise stations {sorted(set(bad['code']))}: {error}") from error
    zoned = zoned.with_columns(
        pl.Series(name, values, dtype=pl.Float64).fill_nan(None) for name, values in columns.items()
    )
    judged = pl.concat([zoned, unzoned], how="diagonal_relaxed").with_columns(
        pl.when(pl.col(f"{part}_valid")).then(pl.col(f"{part}_exceedance_dB"))
        .alias(f"{part}_exceedance_dB")
        for part in ("day", "night")
    )
    return judged.with_columns(
        (pl.col("day_exceedance_dB") <= 0).alias("day_complies"),
        (pl.col("night_exceedance_dB") <= 0).alias("night_complies"),
    )


def _city_summary(stations: pl.DataFrame, daily: pl.DataFrame) -> pl.DataFrame:
    """Per city: verdicts and the share within the limit, day and night.

    Also the station-days with a level left unjudged because the period was incomplete.
    """
    def share(part: str) -> list[pl.Expr]:
        verdict = pl.col(f"{part}_complies")
        level = pl.col("Ld_dB" if part == "day" else "Ln_dB")
        return [
            verdict.is_not_null().sum().alias(f"{part}_station_days"),
            verdict.sum().alias(f"{part}_compliant"),
            verdict.mean().alias(f"{part}_compliance"),
            (level.is_not_null() & ~pl.col(f"{part}_valid")).sum().alias(f"{part}_not_judged"),
        ]

    counts = stations.group_by("city", "city_code").agg(pl.len().alias("stations"))
    return (
        counts.join(
            daily.group_by("city_code").agg(*share("day"), *share("night")),
            on="city_code", how="left",
        )
        .sort("city_code")
        .select(
            "city", "city_code", "stations", "day_station_days", "day_compliant",
            "day_compliance", "night_station_days", "night_compliant", "night_compliance",
            "day_not_judged", "night_not_judged",
        )
    )
