"""What the assessments over stored data share.

The period asked for, the objects assessed, the valid readings, and the time labels of national
publications.

Time convention (docs/reference/standards.md §2.3; GB/T 34302-2017 quoting HJ 663-2013
Table A.1): readings are stored by their UTC period start; publications show China Standard
Time (UTC+8) and label an hour by its *end*, so the natural day D is the 24 hours labelled
01:00 … 24:00, i.e. starting 00:00 … 23:00 CST on D.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from ecohub.errors import NoData, cst
from ecohub.quality.stored import read_for_statistics
from ecohub.store import MonitoredObject, Store
from ecohub.vocabulary import CHINA_TZ, CHINA_TZ_NAME


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) of period starts, timezone-aware."""

    start: dt.datetime
    end: dt.datetime

    @property
    def first_day(self) -> dt.date:
        """CST natural day of the first hour."""
        return self.start.astimezone(CHINA_TZ).date()

    @property
    def last_day(self) -> dt.date:
        """CST natural day of the last hour (the one starting one hour before ``end``)."""
        return (self.end - dt.timedelta(hours=1)).astimezone(CHINA_TZ).date()


def resolve_period(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> Period:
    """The interval asked for, as dates (whole CST natural days) or aware datetimes.

    A ``date`` is a whole CST natural day (``end`` inclusive); a ``datetime`` must be
    timezone-aware and ``end`` is exclusive.

    ``resolve_period(date(2026, 3, 1), date(2026, 3, 31))`` is March 2026 in China: period
    starts from 2026-03-01 00:00 CST up to, not including, 2026-04-01 00:00 CST.
    """

    def moment(value: dt.date | dt.datetime, name: str, day_after: bool) -> dt.datetime:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError(
                    f"{name}={value.isoformat()}: expected a timezone-aware datetime or a date "
                    "(a date is a natural day in China Standard Time)"
                )
            return value
        if isinstance(value, dt.date):
            day = value + dt.timedelta(days=1) if day_after else value
            return dt.datetime.combine(day, dt.time(0), CHINA_TZ)
        raise ValueError(f"{name}={value}: expected a date or a timezone-aware datetime")

    period = Period(moment(start, "start", False), moment(end, "end", True))
    if period.end <= period.start:
        raise ValueError(
            f"end {cst(period.end)} is not after start {cst(period.start)}: expected a "
            "non-empty period"
        )
    return period


def objects_frame(
    store: Store, object_type: str, city: str | None, attributes: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """Registered objects of one type as a frame, with the requested ``attributes``.

    Columns ``object_id, code, name, object_type, city, city_code`` and the requested
    ``attributes`` (null where an object lacks one).

    ``city`` selects by city name or city code; an unknown city is an error that lists the
    cities that have such objects.
    """
    rows = store.registry.objects(object_type)
    schema: dict[str, pl.DataType] = {
        "object_id": pl.Int64, "code": pl.String, "name": pl.String, "object_type": pl.String,
        "city": pl.String, "city_code": pl.String, **attributes,
    }
    frame = pl.DataFrame(
        [
            {
                "object_id": o.id, "code": o.code, "name": o.name,
                "object_type": o.object_type, "city": o.city, "city_code": o.city_code,
                **{a: _attribute(o, a, dtype) for a, dtype in attributes.items()},
            }
            for o in rows
        ],
        schema=schema,
        orient="row",
    )
    if city is not None:
        selected = frame.filter((pl.col("city") == city) | (pl.col("city_code") == city))
        if selected.is_empty():
            known = sorted(c for c in frame["city"].unique().to_list() if c)
            raise ValueError(
                f"city={city!r}: no {object_type} registered there; expected a city name or "
                f"code of one of {', '.join(known) or '(none registered)'}"
            )
        frame = selected
    return frame


def _attribute(obj: MonitoredObject, name: str, dtype: pl.DataType) -> object:
    value = obj.attributes.get(name)
    if value is None:
        return None
    return str(value) if dtype == pl.String else value


def valid_readings(
    store: Store,
    period: Period,
    object_ids: Sequence[int],
    factors: Sequence[str],
    *,
    kind: str = "hour",
    statistic: str = "Avg",
) -> pl.DataFrame:
    """Readings that count for statistics, without missing values.

    ``quality.stored.read_for_statistics`` decides which count (HJ 663 and GB 3095 Table 4 count
    valid values only).

    Returns ``object_id, factor, period_start (UTC), period_s, value``.
    """
    frame = read_for_statistics(
        store, kind=kind, start=period.start, end=period.end, object_ids=list(object_ids),
        factors=list(factors), statistic=statistic,
    )
    value = pl.col("value")
    # Select first: filtering only the needed columns is several times faster on large reads.
    return frame.select(
        pl.col("object_id").cast(pl.Int64), "factor",
        pl.col("period_start").dt.convert_time_zone("UTC"), "period_s",
        value.cast(pl.Float64), "valid",
    ).filter(pl.col("valid") & value.is_not_null() & value.is_not_nan()).drop("valid")


def hour_labels(start: str = "period_start") -> list[pl.Expr]:
    """Columns of an hourly row as published: ``period_start`` in CST, ``date`` and ``hour``.

    ``date`` is the natural date and ``hour`` the hour-ending label ``"01:00"`` … ``"24:00"``.
    """
    local = pl.col(start).dt.convert_time_zone(CHINA_TZ_NAME)
    ending = local.dt.hour().cast(pl.Int32) + 1
    return [
        local.alias("period_start"),
        local.dt.date().alias("date"),
        (ending.cast(pl.String).str.zfill(2) + ":00").alias("hour"),
    ]


class Assessment(Protocol):
    """What every assessment result offers the CLI, the API and the reports."""

    def tables(self) -> dict[str, pl.DataFrame]:
        """The result's tables by name, the main table first (for ``export.write_tables``)."""
        ...

    def summary(self) -> pl.DataFrame:
        """A short table for printing."""
        ...


ASSESSED_TYPES: Mapping[str, str] = {"air": "air_station", "water": "water_station",
                                     "noise": "noise_station"}
"""The object type each assessment covers."""


def has_data(store: Store, domain: str, first: dt.date, last: dt.date,
             city: str | None = None) -> None:
    """Raise :class:`ecohub.errors.NoData` unless the assessment would have readings to assess.

    ``first`` … ``last`` are whole CST natural days. The assessments themselves return empty
    tables on no data (a program can tell); this says why, for people: nothing registered, or
    nothing stored for the period.
    """
    object_type = ASSESSED_TYPES[domain]
    period = resolve_period(first, last)
    where = f"{first} – {last} (CST)" if first != last else f"{first} (CST)"
    scope = f" in {city}" if city else ""
    try:
        objects = objects_frame(store, object_type, city, {})
    except ValueError as error:
        raise NoData(f"no {domain} data for {where}: {error}") from None
    if objects.is_empty():
        raise NoData(f"no {domain} data for {where}: no {object_type} is registered; "
                     "`ecohub registry import` registers monitored objects")
    found = store.measurements.readings(start=period.start, end=period.end,
                                        object_ids=objects["object_id"].to_list(),
                                        columns=["object_id"], limit=1)
    if found.is_empty():
        kind = object_type.replace("_", " ")
        raise NoData(f"no {domain} data for {where}{scope}: no reading of the "
                     f"{objects.height:,} registered {kind}s is stored for that period; "
                     "`ecohub store info` shows the periods stored")
