"""Ambient air quality standards: GB 3095-2026 (in force 2026-03-01) and GB 3095-2012.

Concentration limits (Tables 1 and 2) and data-validity rules (Table 4) as data, with the
functions that look them up. GB 3095-2026 has two stages for the basic items: ``"transition"``
(2026-03-01 … 2030-12-31) and ``"final"`` (from 2031-01-01). Gaseous pollutants are at the
reference state 298.15 K / 1013.25 hPa, particulate matter at actual conditions (GB 3095-2026 4.2).

Pollutant codes: ``SO2, NO2, CO, O3, PM10, PM2.5`` (basic items) and ``TSP, NOx, Pb, BaP`` (other
items). Averaging codes: ``year, quarter, day, max_8h`` (O3 daily maximum 8-hour mean), ``hour``.
Units µg/m³, CO mg/m³.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

EDITIONS: tuple[str, ...] = ("2026", "2012")
STAGES: tuple[str, ...] = ("transition", "final")
GRADES: tuple[int, ...] = (1, 2)
AVERAGINGS: tuple[str, ...] = ("year", "quarter", "day", "max_8h", "hour")

# Dates of the editions (GB 3095-2026 foreword and clause 6: transition stage until 2030-12-31).
EDITION_2026_START = dt.date(2026, 3, 1)
FINAL_STAGE_START = dt.date(2031, 1, 1)

# Limits as (grade 1, grade 2) per (pollutant, averaging) and per edition/stage.
# GB 3095-2026 Table 1 (basic items, both stages) and Table 2 (other items; NOx has transition
# values); GB 3095-2012 Table 1 and Table 2 (as amended 2018).
_Key = tuple[str, str]
_Pair = tuple[float, float]
_LIMITS_2026_FINAL: dict[_Key, _Pair] = {
    ("SO2", "year"): (20, 20),
    ("SO2", "day"): (50, 50),
    ("SO2", "hour"): (150, 150),
    ("NO2", "year"): (30, 30),
    ("NO2", "day"): (50, 50),
    ("NO2", "hour"): (200, 200),
    ("CO", "day"): (4, 4),
    ("CO", "hour"): (10, 10),
    ("O3", "max_8h"): (100, 160),
    ("O3", "hour"): (160, 200),
    ("PM10", "year"): (20, 50),
    ("PM10", "day"): (50, 100),
    ("PM2.5", "year"): (10, 25),
    ("PM2.5", "day"): (25, 50),
    # Table 2, other items
    ("TSP", "year"): (80, 200),
    ("TSP", "day"): (120, 300),
    ("NOx", "year"): (40, 40),
    ("NOx", "day"): (70, 70),
    ("NOx", "hour"): (250, 250),
    ("Pb", "year"): (0.5, 0.5),
    ("Pb", "quarter"): (1.0, 1.0),
    ("BaP", "year"): (0.001, 0.001),
    ("BaP", "day"): (0.0025, 0.0025),
}
_LIMITS_2026_TRANSITION: dict[_Key, _Pair] = {
    **_LIMITS_2026_FINAL,
    ("SO2", "year"): (20, 60),
    ("SO2", "day"): (50, 150),
    ("SO2", "hour"): (150, 500),
    ("NO2", "year"): (40, 40),
    ("NO2", "day"): (80, 80),
    ("PM10", "year"): (40, 60),
    ("PM10", "day"): (50, 120),
    ("PM2.5", "year"): (15, 30),
    ("PM2.5", "day"): (35, 60),
    ("NOx", "year"): (50, 50),
    ("NOx", "day"): (100, 100),
}
# GB 3095-2012 Table 1; Table 2 other items ◐ (from the 2012 text as commonly reproduced: the same
# values as the 2026 transition stage).
_LIMITS_2012: dict[_Key, _Pair] = {
    **_LIMITS_2026_TRANSITION,
    ("PM10", "year"): (40, 70),
    ("PM10", "day"): (50, 150),
    ("PM2.5", "year"): (15, 35),
    ("PM2.5", "day"): (35, 75),
}
LIMITS: Mapping[tuple[str, str | None], Mapping[_Key, _Pair]] = MappingProxyType(
    {
        ("2026", "transition"): MappingProxyType(_LIMITS_2026_TRANSITION),
        ("2026", "final"): MappingProxyType(_LIMITS_2026_FINAL),
        ("2012", None): MappingProxyType(_LIMITS_2012),
    }
)
POLLUTANTS: tuple[str, ...] = tuple(dict.fromkeys(p for p, _ in _LIMITS_2026_FINAL))
UNITS: Mapping[str, str] = MappingProxyType(
    {p: "mg/m³" if p == "CO" else "µg/m³" for p in POLLUTANTS}
)


ZONE_GRADES: Mapping[str, int] = MappingProxyType({"1": 1, "2": 2})
"""Ambient-air function zone class → grade of the limits that applies there (GB 3095-2026 4.1
and 4.2: class-1 zones the grade-1 limits, class-2 zones the grade-2 limits)."""


@dataclass(frozen=True)
class EditionStage:
    """An edition of GB 3095 and, for 2026, its stage (None for 2012)."""

    edition: str
    stage: str | None


@dataclass(frozen=True)
class Limit:
    """A concentration limit and where it comes from."""

    pollutant: str
    averaging: str
    grade: int
    value: float
    unit: str
    edition: str
    stage: str | None
    clause: str


def edition_for_date(day: dt.date | dt.datetime) -> EditionStage:
    """GB 3095 edition (and stage) in force on a date.

    Before 2026-03-01 → GB 3095-2012; 2026-03-01 … 2030-12-31 → GB 3095-2026 transition stage;
    from 2031-01-01 → GB 3095-2026 final stage. A datetime is taken by its calendar date, so pass
    the natural day in China Standard Time.

    References
    ----------
    .. [GB3095] GB 3095-2026 foreword and clause 6 (in force from 2026-03-01, transition
       stage until 2030-12-31). See ``docs/reference/standards.md`` §2.

    Examples
    --------
    >>> edition_for_date(dt.date(2030, 12, 31))
    EditionStage(edition='2026', stage='transition')
    """
    if isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        raise ValueError(f"day={day!r}: expected a datetime.date")
    if day < EDITION_2026_START:
        return EditionStage("2012", None)
    return EditionStage("2026", "transition" if day < FINAL_STAGE_START else "final")


def editions_for_days(
    days: ArrayLike, *, edition: str | None = None, stage: str | None = None
) -> tuple[NDArray[np.str_], NDArray[np.object_]]:
    """Edition and stage each day is assessed with: the one in force, or the one asked for.

    Parameters
    ----------
    days : array_like of datetime64[D] or dates
        Natural days (China Standard Time).
    edition : {"2026", "2012"}, optional
        One edition for every day (a like-for-like trend); default the edition in force on each
        day (:func:`edition_for_date`).
    stage : {"transition", "final"}, optional
        With ``edition="2026"``: the stage for every day; default the stage in force on each
        day, and the transition stage for days before 2026-03-01 ⚑.

    Returns
    -------
    editions : numpy.ndarray of str
        ``"2026"`` or ``"2012"`` per day.
    stages : numpy.ndarray of object
        ``"transition"``, ``"final"`` or None (GB 3095-2012 has no stages) per day.

    References
    ----------
    .. [GB3095] GB 3095-2026 foreword and clause 6: in force from 2026-03-01, the transition
       stage until 2030-12-31, the final stage from 2031-01-01; before that GB 3095-2012. See
       ``docs/reference/standards.md`` §2.

    Examples
    --------
    >>> days = np.array(["2026-02-28", "2026-03-01", "2031-01-01"], dtype="datetime64[D]")
    >>> editions, stages = editions_for_days(days)
    >>> editions.tolist(), stages.tolist()
    (['2012', '2026', '2026'], [None, 'transition', 'final'])
    >>> editions_for_days(days, edition="2026")[1].tolist()
    ['transition', 'transition', 'final']
    """
    d = np.asarray(days, dtype="datetime64[D]")
    in_2026 = d >= np.datetime64(EDITION_2026_START, "D")
    stage_in_force = np.where(d >= np.datetime64(FINAL_STAGE_START, "D"), "final", "transition")
    if edition is None:
        editions = np.where(in_2026, "2026", "2012")
        stages = np.where(in_2026, stage_in_force.astype(object), None)
    elif str(edition) == "2012":
        editions = np.full(d.shape, "2012")
        stages = np.full(d.shape, None, dtype=object)
    else:
        _check_edition_stage(edition, stage or "transition")
        editions = np.full(d.shape, "2026")
        stages = np.full(d.shape, stage, dtype=object) if stage else stage_in_force.astype(object)
    return editions, stages


def grade_for_zone(zone_class: ArrayLike) -> NDArray[np.int8]:
    """Grade of the limits that applies in each ambient-air function zone.

    Parameters
    ----------
    zone_class : array_like of {"1", "2", 1, 2, None}
        Zone class of each place; None where it is not known, which takes the grade-2 limits ⚑
        (most of a city is class 2: residential, commercial, industrial and rural areas).

    Returns
    -------
    numpy.ndarray of int8
        1 or 2 per zone.

    Raises
    ------
    ValueError
        A zone class other than 1, 2 or None.

    References
    ----------
    .. [GB3095] GB 3095-2026 4.1 (two classes of function zone) and 4.2 (class 1 → grade-1
       limits, class 2 → grade-2 limits). See ``docs/reference/standards.md`` §2.

    Examples
    --------
    >>> grade_for_zone(["1", "2", None, 1]).tolist()
    [1, 2, 2, 1]
    """
    zones = np.asarray(zone_class, dtype=object)
    text = np.where(np.equal(zones, None), "2", zones.astype(str))
    unknown = ~np.isin(text, list(ZONE_GRADES))
    if unknown.any():
        raise ValueError(
            f"zone_class={zones[unknown].flat[0]!r}: expected 1 or 2 (GB 3095 ambient-air "
            "function zones)"
        )
    return np.where(text == "1", 1, 2).astype(np.int8)


def _check_edition_stage(edition: str | int, stage: str | None) -> tuple[str, str | None]:
    text = str(edition)
    if text not in EDITIONS:
        raise ValueError(f"edition={edition!r}: expected one of {EDITIONS}")
    if text == "2012":
        return text, None
    if stage not in STAGES:
        raise ValueError(f"stage={stage!r}: expected one of {STAGES} for edition '2026'")
    return text, stage


def limit(
    pollutant: str,
    averaging: str,
    grade: int = 2,
    *,
    edition: str = "2026",
    stage: str | None = "transition",
) -> Limit:
    """Concentration limit of GB 3095 (Table 1 basic items, Table 2 other items).

    Parameters
    ----------
    pollutant : str
        ``SO2, NO2, CO, O3, PM10, PM2.5, TSP, NOx, Pb, BaP``.
    averaging : str
        ``year, quarter, day, max_8h, hour`` (not every pollutant has every averaging).
    grade : {1, 2}, default 2
        Grade 1 for class-1 zones (national parks, nature reserves, …), grade 2 for class-2 zones.
    edition : {"2026", "2012"}, default "2026"
    stage : {"transition", "final"}, default "transition"
        Stage of GB 3095-2026; ignored for 2012.

    Returns
    -------
    Limit
        Value in µg/m³ (CO mg/m³), with the edition and stage it was taken from.

    References
    ----------
    .. [GB3095] GB 3095-2026 Tables 1 and 2; GB 3095-2012 Tables 1 and 2 (as amended 2018).
       See ``docs/reference/standards.md`` §2.

    Examples
    --------
    >>> limit("PM2.5", "day", edition="2026", stage="final").value
    50
    """
    edition, stage = _check_edition_stage(edition, stage)
    if pollutant not in POLLUTANTS:
        raise ValueError(f"pollutant={pollutant!r}: expected one of {POLLUTANTS}")
    if averaging not in AVERAGINGS:
        raise ValueError(f"averaging={averaging!r}: expected one of {AVERAGINGS}")
    if grade not in GRADES:
        raise ValueError(f"grade={grade!r}: expected one of {GRADES}")
    table = LIMITS[(edition, stage)]
    if (pollutant, averaging) not in table:
        have = tuple(a for p, a in table if p == pollutant)
        raise ValueError(
            f"averaging={averaging!r}: GB 3095-{edition} has no such limit for {pollutant}; "
            f"expected one of {have}"
        )
    basic = pollutant in ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")
    return Limit(
        pollutant=pollutant,
        averaging=averaging,
        grade=grade,
        value=table[(pollutant, averaging)][grade - 1],
        unit=UNITS[pollutant],
        edition=edition,
        stage=stage,
        clause=f"GB 3095-{edition} Table {1 if basic else 2}",
    )


def limit_in_force(pollutant: str, averaging: str, grade: int, day: dt.date) -> Limit:
    """Limit in force on ``day`` (edition and stage chosen by :func:`edition_for_date`).

    References
    ----------
    .. [GB3095] GB 3095-2026 Tables 1-2 and clause 6; GB 3095-2012 Tables 1-2.
       See ``docs/reference/standards.md`` §2.
    """
    es = edition_for_date(day)
    return limit(pollutant, averaging, grade, edition=es.edition, stage=es.stage)


# ---------------------------------------------------------------------------------------------
# Data validity, GB 3095-2026 Table 4 (same rules in GB 3095-2012 Table 4)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidityRule:
    """One row of GB 3095-2026 Table 4."""

    pollutants: tuple[str, ...]
    statistic: str
    minimum: int
    unit: str  # what is counted
    per_month: int | None = None  # minimum per calendar month, where the row has one
    february: int | None = None  # minimum in February, where the row has one


VALIDITY_RULES: tuple[ValidityRule, ...] = (
    ValidityRule(("SO2", "NO2", "PM10", "PM2.5", "NOx"), "year", 324, "daily means", 27, 25),
    ValidityRule(("SO2", "NO2", "CO", "PM10", "PM2.5", "NOx"), "day", 20, "hourly means"),
    ValidityRule(("O3",), "8h", 6, "hourly means"),
    ValidityRule(("SO2", "NO2", "CO", "O3", "NOx"), "hour", 45, "minutes of sampling"),
    ValidityRule(("TSP", "BaP", "Pb"), "year", 60, "evenly spread daily means", 5),
    ValidityRule(("Pb",), "quarter", 15, "evenly spread daily means", 5),
    ValidityRule(("TSP", "BaP", "Pb"), "day", 24, "hours of sampling"),
)

MIN_DAYS_PER_YEAR = VALIDITY_RULES[0].minimum
MIN_DAYS_PER_MONTH = VALIDITY_RULES[0].per_month
MIN_DAYS_FEBRUARY = VALIDITY_RULES[0].february
MIN_HOURS_PER_DAY = VALIDITY_RULES[1].minimum
MIN_HOURS_PER_8H = VALIDITY_RULES[2].minimum
MIN_MINUTES_PER_HOUR = VALIDITY_RULES[3].minimum


def validity_rule(pollutant: str, statistic: str) -> ValidityRule:
    """Table 4 row for a pollutant and statistic (``year, quarter, day, 8h, hour``).

    References
    ----------
    .. [GB3095] GB 3095-2026 Table 4 (same rules in GB 3095-2012 Table 4).
       See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> validity_rule("O3", "8h").minimum
    6
    """
    for rule in VALIDITY_RULES:
        if pollutant in rule.pollutants and rule.statistic == statistic:
            return rule
    raise ValueError(
        f"pollutant={pollutant!r}, statistic={statistic!r}: GB 3095-2026 Table 4 has no such row"
    )


def _counts(name: str, counts: ArrayLike) -> NDArray[np.integer]:
    c = np.asarray(counts)
    if c.dtype.kind not in "iub" or (c.size and c.min() < 0):
        raise ValueError(f"{name}={counts!r}: expected non-negative integer counts")
    return c


def valid_hour(sampling_minutes: ArrayLike) -> NDArray[np.bool_]:
    """1-hour mean valid: >= 45 minutes of sampling in the hour (Table 4).

    References
    ----------
    .. [GB3095] GB 3095-2026 Table 4. See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> valid_hour([44, 45]).tolist()
    [False, True]
    """
    return _counts("sampling_minutes", sampling_minutes) >= MIN_MINUTES_PER_HOUR


def valid_day(hours: ArrayLike) -> NDArray[np.bool_]:
    """24-hour mean valid: >= 20 hourly means in the natural day (Table 4).

    References
    ----------
    .. [GB3095] GB 3095-2026 Table 4. See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> valid_day([19, 20]).tolist()
    [False, True]
    """
    return _counts("hours", hours) >= MIN_HOURS_PER_DAY


def valid_8h(hours: ArrayLike) -> NDArray[np.bool_]:
    """O3 8-hour mean valid: >= 6 hourly means in the 8 hours (Table 4).

    References
    ----------
    .. [GB3095] GB 3095-2026 Table 4. See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> valid_8h([5, 6]).tolist()
    [False, True]
    """
    return _counts("hours", hours) >= MIN_HOURS_PER_8H


def min_days_in_month(month: ArrayLike) -> NDArray[np.int64]:
    """Minimum daily means for a valid month: 27, in February 25 (Table 4).

    References
    ----------
    .. [GB3095] GB 3095-2026 Table 4. See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> min_days_in_month([1, 2]).tolist()
    [27, 25]
    """
    m = np.asarray(month)
    if m.dtype.kind not in "iu" or ((m < 1) | (m > 12)).any():
        raise ValueError(f"month={month!r}: expected calendar months 1 … 12")
    return np.where(m == 2, MIN_DAYS_FEBRUARY, MIN_DAYS_PER_MONTH)


def valid_month(days: ArrayLike, month: ArrayLike) -> NDArray[np.bool_]:
    """Monthly mean valid: >= 27 daily means (>= 25 in February) (Table 4).

    References
    ----------
    .. [GB3095] GB 3095-2026 Table 4. See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> valid_month([26, 25], [3, 2]).tolist()
    [False, True]
    """
    return _counts("days", days) >= min_days_in_month(month)


def valid_year(days_per_month: ArrayLike) -> bool:
    """Annual statistics valid: >= 324 daily means and every month valid (Table 4).

    Table 4 states both conditions in the annual row; both are required here (⚑ strict reading).

    Parameters
    ----------
    days_per_month : array_like of 12 ints
        Valid daily means in January … December.

    References
    ----------
    .. [GB3095] GB 3095-2026 Table 4 (annual row, both conditions ⚑).
       See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> valid_year([28] * 12), valid_year([31] * 11 + [26])
    (True, False)
    """
    counts = _counts("days_per_month", days_per_month)
    if counts.shape != (12,):
        raise ValueError(f"days_per_month has shape {counts.shape}: expected 12 monthly counts")
    return bool(counts.sum() >= MIN_DAYS_PER_YEAR and valid_month(counts, np.arange(1, 13)).all())

