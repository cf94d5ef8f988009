"""Acoustic environment quality (GB 3096-2008 《声环境质量标准》).

Pure functions, no I/O; of ecohub only :mod:`ecohub.vocabulary` is imported (the China time
zone). Levels are equivalent continuous A-weighted sound pressure levels L_Aeq in dB(A). Marks
as in ``docs/reference/standards.md``: ✔ read from the standard's text, ◐ secondary source,
⚑ a documented choice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from ecohub.vocabulary import CHINA_TZ_NAME

__all__ = [
    "DEFAULT_PERIODS",
    "DEFAULT_VALIDITY",
    "EXISTING_RAILWAY_4B",
    "SUDDEN_NOISE_ALLOWANCE",
    "ZONE_LIMITS",
    "DayNightLevels",
    "Periods",
    "Validity",
    "daily_day_night_levels",
    "day_night_levels",
    "exceedance",
    "is_daytime",
    "leq_energy_mean",
    "limit",
    "sudden_noise_exceedance",
    "sudden_noise_limit",
]

Period = Literal["day", "night"]

# GB 3096-2008 Table 1 (环境噪声限值), L_Aeq in dB(A), (day, night) by acoustic-environment
# function zone class ✔◐:
#   0  convalescent / especially quiet areas
#   1  residential, medical, cultural-educational, research, administrative
#   2  commercial, mixed residential-commercial-industrial
#   3  industrial, warehousing-logistics
#   4a both sides of highways, urban expressways and arterial roads, urban rail on the ground,
#      inland waterways
#   4b both sides of railway trunk lines
ZONE_LIMITS: Final[Mapping[str, tuple[float, float]]] = {
    "0": (50.0, 40.0),
    "1": (55.0, 45.0),
    "2": (60.0, 50.0),
    "3": (65.0, 55.0),
    "4a": (70.0, 55.0),
    "4b": (70.0, 60.0),
}

EXISTING_RAILWAY_4B: Final = (70.0, 55.0)
"""GB 3096-2008 §5.2–5.3 ◐: the 4b limits 70 / 60 apply beside railway trunk lines whose EIA
was approved from 2011-01-01; beside *existing* lines through towns (in operation, or approved,
before that date) and their rebuilding or extension, 70 / 55 applies (the standard words it as
the background level when no train passes)."""

SUDDEN_NOISE_ALLOWANCE: Final = 15.0
"""GB 3096-2008 §5.4 ✔: a night-time sudden noise's maximum level may exceed the zone's night
limit by at most 15 dB(A)."""

_PERIOD_INDEX: Final = {"day": 0, "night": 1}


@dataclass(frozen=True)
class Periods:
    """Day / night boundaries in local time (GB 3096-2008 clause 3).

    By the terms of clause 3 the day is 06:00–22:00 and the night 22:00–06:00. Local governments
    may move them (e.g. to 07:00 / 23:00); pass another instance. ``tz`` is the local time zone
    that timezone-aware timestamps are converted to (China Standard Time by default).
    """

    day_start: dt.time = dt.time(6)
    night_start: dt.time = dt.time(22)
    tz: str = CHINA_TZ_NAME

    def __post_init__(self) -> None:
        """Refuse a day or a night of zero length."""
        if self.day_start == self.night_start:
            raise ValueError(
                f"periods: day_start and night_start are both {self.day_start}; expected a day "
                "and a night of non-zero length"
            )


    def hours(self) -> tuple[float, float]:
        """Length of the day and of the night period in hours (16 and 8 by default)."""
        day = (_seconds(self.night_start) - _seconds(self.day_start)) % 86400 / 3600
        return day, 24.0 - day


DEFAULT_PERIODS: Final = Periods()


VALID_SHARE: Final = 0.75
"""⚑ ecohub's default share of a period's hours needed for a valid L_d or L_n (see
:class:`Validity`)."""


@dataclass(frozen=True)
class Validity:
    """Hours of valid data needed before L_d or L_n of a day is judged against the limits.

    GB 3096-2008 defines L_d and L_n over the whole day and night periods (clause 3) and its
    Annex C asks for continuous 24-hour monitoring, but gives no minimum data capture for an
    incomplete period; the repository's references (``docs/reference/standards.md`` §5,
    ``docs/reference/sources.md``) give none either. HJ 906-2017 (automatic monitoring of
    function-zone acoustic environment) has a clause "6 数据有效性" that was not read here ◐.
    ⚑ ecohub's choice until that text is at hand: a period is valid with at least 75 % of its
    hours, rounded up — 12 of the 16 day hours and 6 of the 8 night hours with the default
    periods — the share GB 3095-2026 Table 4 asks of an 8-hour O3 average (≥ 6 of 8 hourly
    values). A bureau may set other minima.

    Parameters
    ----------
    min_day_hours, min_night_hours
        Minimum hours with a valid level in the day / night period; None: ``VALID_SHARE`` of
        the period's length (:meth:`Periods.hours`), rounded up to a whole hour.
    """

    min_day_hours: float | None = None
    min_night_hours: float | None = None

    def __post_init__(self) -> None:
        """Refuse negative or non-finite minima."""
        for name in ("min_day_hours", "min_night_hours"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value >= 0):
                raise ValueError(
                    f"validity: {name} is {value!r}; expected a number of hours >= 0 or None"
                )

    def required(self, periods: Periods = DEFAULT_PERIODS) -> tuple[float, float]:
        """Minimum valid hours (day, night) for ``periods``.

        Examples
        --------
        >>> Validity().required()
        (12.0, 6.0)
        >>> Validity().required(Periods(dt.time(7), dt.time(23)))
        (12.0, 6.0)
        """
        day, night = periods.hours()
        return (
            float(np.ceil(VALID_SHARE * day - 1e-9)) if self.min_day_hours is None
            else float(self.min_day_hours),
            float(np.ceil(VALID_SHARE * night - 1e-9)) if self.min_night_hours is None
            else float(self.min_night_hours),
        )


DEFAULT_VALIDITY: Final = Validity()


# --------------------------------------------------------------------------- limits


def _zone_keys(zone: Any) -> npt.NDArray[np.str_]:
    """Zone classes (0–3 as int or str, "4a"/"4b" any case) → canonical keys, checked."""
    keys = np.char.lower(np.asarray(zone).astype(str))
    unknown = np.setdiff1d(keys, list(ZONE_LIMITS))
    if unknown.size:
        raise ValueError(
            f"zone: unknown acoustic-environment zone class {str(unknown[0])!r}; expected one of "
            f"{', '.join(ZONE_LIMITS)} (GB 3096-2008 Table 1)"
        )
    return keys


def _period_index(period: Any) -> npt.NDArray[np.intp]:
    keys = np.char.lower(np.asarray(period).astype(str))
    unknown = np.setdiff1d(keys, list(_PERIOD_INDEX))
    if unknown.size:
        raise ValueError(f"period: got {str(unknown[0])!r}; expected 'day' or 'night'")
    return (keys == "night").astype(np.intp)


def limit(zone: Any, period: Any = "day", *, existing_railway: bool = False) -> Any:
    """GB 3096-2008 Table 1 L_Aeq limit in dB(A).

    Parameters
    ----------
    zone
        Zone class ``0``, ``1``, ``2``, ``3``, ``"4a"`` or ``"4b"`` (int or str), or an array of
        them.
    period
        ``"day"`` or ``"night"``, or an array of them; broadcast against ``zone``.
    existing_railway
        Zone 4b beside an existing railway trunk line (before 2011-01-01, §5.3 ◐): 70 / 55
        instead of 70 / 60. Has no effect on other zones.

    Returns
    -------
    float or numpy.ndarray
        Scalar when both inputs are scalars.

    References
    ----------
    .. [GB3096] GB 3096-2008 声环境质量标准, Table 1 and §5.2-5.3 ✔◐.
       See ``docs/reference/standards.md`` §5.

    Examples
    --------
    >>> limit("4a", "night"), limit(1, ["day", "night"]).tolist()
    (55.0, [55.0, 45.0])
    """
    keys, periods = np.broadcast_arrays(_zone_keys(zone), _period_index(period))
    table = np.array([ZONE_LIMITS[k] for k in ZONE_LIMITS])
    if existing_railway:
        table[list(ZONE_LIMITS).index("4b")] = EXISTING_RAILWAY_4B
    rows = np.searchsorted(np.array(list(ZONE_LIMITS)), keys)  # keys are sorted: 0 1 2 3 4a 4b
    limits = table[rows, periods]
    return float(limits) if limits.ndim == 0 else limits


def _levels(levels: Any, argument: str = "levels") -> npt.NDArray[np.float64]:
    if isinstance(levels, pl.Series):
        levels = levels.cast(pl.Float64).to_numpy()
    try:
        array = np.asarray(levels, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{argument}: expected sound levels in dB(A), got {levels!r}") from None
    if np.isinf(array).any():
        raise ValueError(
            f"{argument}: got {float(array[np.isinf(array)][0])!r}; expected finite dB(A) "
            "values (NaN for missing)"
        )
    return array


def exceedance(
    level: Any, zone: Any, period: Any = "day", *, existing_railway: bool = False
) -> Any:
    """Exceedance L_Aeq − limit in dB (positive when over the limit), GB 3096-2008 Table 1.

    Vectorised: ``level``, ``zone`` and ``period`` broadcast together; NaN levels stay NaN.

    References
    ----------
    .. [GB3096] GB 3096-2008, Table 1. See ``docs/reference/standards.md`` §5.

    Examples
    --------
    >>> exceedance(58.5, 2, "night")
    8.5
    """
    levels = _levels(level, "level")
    over = levels - limit(zone, period, existing_railway=existing_railway)
    return float(over) if np.ndim(over) == 0 else over


def sudden_noise_limit(zone: Any, *, existing_railway: bool = False) -> Any:
    """Highest allowed maximum level L_max of a night-time sudden noise.

    The zone's night limit + 15 dB(A) (GB 3096-2008 §5.4 ✔).

    References
    ----------
    .. [GB3096] GB 3096-2008, §5.4 ✔. See ``docs/reference/standards.md`` §5.

    Examples
    --------
    >>> sudden_noise_limit(2)
    65.0
    """
    return limit(zone, "night", existing_railway=existing_railway) + SUDDEN_NOISE_ALLOWANCE


def sudden_noise_exceedance(lmax: Any, zone: Any, *, existing_railway: bool = False) -> Any:
    """L_max − (night limit + 15) in dB for night-time sudden noise (§5.4); positive = over.

    References
    ----------
    .. [GB3096] GB 3096-2008, §5.4 ✔. See ``docs/reference/standards.md`` §5.
    """
    levels = _levels(lmax, "lmax")
    over = levels - sudden_noise_limit(zone, existing_railway=existing_railway)
    return float(over) if np.ndim(over) == 0 else over


# --------------------------------------------------------------------------- energy averaging


def leq_energy_mean(levels: Any, axis: int | None = None, *, skipna: bool = True) -> Any:
    """Energy (logarithmic) mean of equal-duration L_Aeq values, dB(A).

    L = 10 · log10( (1/n) Σ 10^(L_i/10) ) — the equivalent continuous level of GB 3096-2008;
    day and night levels are energy means of the hourly levels, never arithmetic means.
    E.g. 60 and 70 dB → 67.4 dB.

    Parameters
    ----------
    levels
        Levels in dB(A), any array-like.
    axis
        Axis to average over; None for all values.
    skipna
        Leave missing (NaN) values out (default); with ``False`` any NaN makes the result NaN.
        All values missing gives NaN.

    References
    ----------
    .. [GB3096] GB 3096-2008, clause 3 (equivalent continuous A-weighted sound level).
       See ``docs/reference/standards.md`` §5.

    Examples
    --------
    >>> round(leq_energy_mean([60.0, 70.0]), 1)
    67.4
    """
    array = _levels(levels)
    power = 10.0 ** (array / 10.0)
    if skipna:
        present = ~np.isnan(array)
        total = np.where(present, power, 0.0).sum(axis=axis)
        count = present.sum(axis=axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    else:
        mean = power.mean(axis=axis)
    result = 10.0 * np.log10(mean)
    return float(result) if np.ndim(result) == 0 else result


# --------------------------------------------------------------------------- day and night


def _local_times(
    timestamps: Any, periods: Periods, label: Literal["start", "end"], interval: dt.timedelta
) -> pl.Series:
    """Timestamps → naive local start times of the intervals (polars Datetime)."""
    if isinstance(timestamps, np.ndarray) and np.issubdtype(timestamps.dtype, np.datetime64):
        timestamps = timestamps.astype("datetime64[us]")
    series = timestamps if isinstance(timestamps, pl.Series) else pl.Series(timestamps)
    if not isinstance(series.dtype, pl.Datetime):
        raise ValueError(f"timestamps: expected datetimes, got values of type {series.dtype}")
    if series.dtype.time_zone is not None:
        series = series.dt.convert_time_zone(periods.tz).dt.replace_time_zone(None)
    if label == "end":
        series = series - interval
    elif label != "start":
        raise ValueError(f"label: got {label!r}; expected 'start' or 'end'")
    return series


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _daytime_mask(local: pl.Series, periods: Periods) -> npt.NDArray[np.bool_]:
    seconds = (
        local.dt.hour().cast(pl.Int32) * 3600
        + local.dt.minute().cast(pl.Int32) * 60
        + local.dt.second().cast(pl.Int32)
    ).to_numpy()
    start, end = _seconds(periods.day_start), _seconds(periods.night_start)
    if start < end:
        return (seconds >= start) & (seconds < end)
    return (seconds >= start) | (seconds < end)  # a day that wraps midnight


def is_daytime(
    timestamps: Any,
    *,
    periods: Periods = DEFAULT_PERIODS,
    label: Literal["start", "end"] = "start",
    interval: dt.timedelta = dt.timedelta(hours=1),
) -> npt.NDArray[np.bool_]:
    """Whether each averaging interval lies in the day period (GB 3096-2008 clause 3).

    The day is 06:00–22:00 local time unless ``periods`` says otherwise.

    Parameters
    ----------
    timestamps
        Datetimes (polars Series, NumPy datetime64, or a sequence of ``datetime``). Naive values
        are local time; timezone-aware ones are converted to ``periods.tz``.
    periods
        Day / night boundaries (a local setting).
    label
        Whether a timestamp marks the start of its interval (ecohub storage convention) or its
        end (national publications: the hour labelled 07:00 is 06:00–07:00). With ``"end"`` the
        interval ``interval`` long is classified by its start.
    interval
        Length of the averaging interval (default one hour).

    References
    ----------
    .. [GB3096] GB 3096-2008, clause 3 (昼间 06:00-22:00, 夜间 22:00-06:00).
       See ``docs/reference/standards.md`` §5.
    """
    return _daytime_mask(_local_times(timestamps, periods, label, interval), periods)


@dataclass(frozen=True)
class DayNightLevels:
    """Day and night levels L_d, L_n (dB(A)) and how many intervals each was averaged from."""

    ld: float
    ln: float
    n_day: int
    n_night: int


def _paired(levels: Any, timestamps: Any) -> tuple[npt.NDArray[np.float64], Any]:
    array = _levels(levels)
    if array.ndim != 1 or len(array) != len(timestamps):
        raise ValueError(
            f"levels: expected a 1-D series as long as timestamps ({len(timestamps)}), "
            f"got shape {array.shape}"
        )
    return array, timestamps


def day_night_levels(
    levels: Any,
    timestamps: Any,
    *,
    periods: Periods = DEFAULT_PERIODS,
    label: Literal["start", "end"] = "start",
    interval: dt.timedelta = dt.timedelta(hours=1),
) -> DayNightLevels:
    """Day level L_d and night level L_n (GB 3096-2008 clauses 3 and 5).

    The energy means (:func:`leq_energy_mean`) of the hourly L_Aeq values in the day and the
    night period.

    Missing levels (NaN) are skipped and not counted; a period with no value gives NaN. The
    timestamps, ``periods``, ``label`` and ``interval`` are as in :func:`is_daytime`.

    References
    ----------
    .. [GB3096] GB 3096-2008, clauses 3 and 5. See ``docs/reference/standards.md`` §5.
    """
    array, timestamps = _paired(levels, timestamps)
    day = is_daytime(timestamps, periods=periods, label=label, interval=interval)
    present = ~np.isnan(array)
    return DayNightLevels(
        ld=leq_energy_mean(array[day]),
        ln=leq_energy_mean(array[~day]),
        n_day=int((day & present).sum()),
        n_night=int((~day & present).sum()),
    )


def daily_day_night_levels(
    levels: Any,
    timestamps: Any,
    *,
    periods: Periods = DEFAULT_PERIODS,
    validity: Validity = DEFAULT_VALIDITY,
    label: Literal["start", "end"] = "start",
    interval: dt.timedelta = dt.timedelta(hours=1),
) -> pl.DataFrame:
    """L_d and L_n for each day of a series of hourly L_Aeq values, with their validity.

    **Which date a night belongs to.** GB 3096-2008 clause 3 ✔ (standards.md §5) defines the
    night as 22:00–06:00, a period that crosses midnight; the standard does not say under which
    date it is reported, and HJ 640-2012 is known here by its metadata only ◐. ⚑ ecohub: the
    night belongs to the day it starts — 22:00 on D to 06:00 on D + 1 is D's night, so L_n of D
    is the energy mean of all 8 night hours, those after midnight included. Each interval is
    dated by its local start time minus ``periods.day_start``, so a moved boundary (e.g.
    07:00 / 23:00) moves the dating with it.

    **Validity** (:class:`Validity`, ⚑): a period with fewer valid hours than required is
    reported with its level and hour count but flagged not valid; callers judge compliance only
    on valid periods. Hours are counted as intervals with a value × ``interval``.

    Parameters
    ----------
    levels, timestamps, periods, label, interval
        As in :func:`day_night_levels`.
    validity
        Minimum valid hours for L_d and L_n (default 12 of 16 and 6 of 8).

    Returns
    -------
    polars.DataFrame
        ``date``, ``ld``, ``ln`` (dB(A), null when the period has no value), ``n_day``,
        ``n_night`` (intervals with a value), ``day_valid``, ``night_valid`` (enough hours),
        sorted by date.

    References
    ----------
    .. [GB3096] GB 3096-2008, clauses 3 and 5; the date of a night and the validity rule ⚑.
       See ``docs/reference/standards.md`` §5 and ``docs/reference/sources.md``.

    Examples
    --------
    >>> import datetime as dt
    >>> ts = [dt.datetime(2024, 5, 1, 22) + dt.timedelta(hours=h) for h in range(8)]
    >>> out = daily_day_night_levels([40.0] * 4 + [50.0] * 4, ts)
    >>> out.select("date", "n_night", "night_valid").row(0)
    (datetime.date(2024, 5, 1), 8, True)
    >>> round(out["ln"][0], 2)  # 10·lg((4·10^4 + 4·10^5) / 8)
    47.4
    """
    array, timestamps = _paired(levels, timestamps)
    local = _local_times(timestamps, periods, label, interval)
    day_start = dt.timedelta(seconds=_seconds(periods.day_start))
    frame = pl.DataFrame(
        {
            "date": (local - day_start).dt.date(),
            "day": _daytime_mask(local, periods),
            "power": 10.0 ** (array / 10.0),
        }
    ).with_columns(pl.col("power").fill_nan(None))

    def level(is_day: bool) -> pl.Expr:
        power = pl.col("power").filter(pl.col("day") == is_day)
        return 10.0 * power.mean().log10()

    need_day, need_night = validity.required(periods)
    hours_each = interval.total_seconds() / 3600
    return (
        frame.group_by("date")
        .agg(
            level(True).alias("ld"),
            level(False).alias("ln"),
            pl.col("power").filter(pl.col("day")).count().cast(pl.Int64).alias("n_day"),
            pl.col("power").filter(~pl.col("day")).count().cast(pl.Int64).alias("n_night"),
        )
        .with_columns(
            (pl.col("n_day") * hours_each >= need_day - 1e-9).alias("day_valid"),
            (pl.col("n_night") * hours_each >= need_night - 1e-9).alias("night_valid"),
        )
        .sort("date")
    )
