"""Ambient air quality assessment statistics: HJ 663-2013 and HJ 663-2026 (◐), GB 3095 Table 4.

Time convention. Hourly values are keyed by their **period start** (timezone-aware, or
``numpy.datetime64`` taken as UTC). National publications label an hour by its *end*: the value
labelled 01:00 is the hour that starts at 00:00 (GB/T 34302-2017 quoting HJ 663-2013 Table A.1),
so a natural day is the 24 hours *starting* 00:00 … 23:00 local time. The natural day is taken in
``tz``, China Standard Time (UTC+8, no daylight saving) by default; ``tz`` must have a fixed offset
over the data so that every day has 24 hours.

Array functions work on a regular hourly grid: the hour axis is the last axis of ``hourly`` and
``start`` is the period start of its first element; NaN marks a missing or invalid hour.
Averages are returned unrounded; published values are rounded per GB/T 8170 where they are
compared with limits (see :func:`publication_round`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from ecohub.standards import gb3095
from ecohub.standards._rounding import round_gbt8170
from ecohub.vocabulary import CHINA_TZ

if TYPE_CHECKING:
    import polars as pl

HOURS_PER_DAY = 24
WINDOW_HOURS = 8
# HJ 663-2013 6.1.2 (kept in HJ 663-2026 ◐): the O3 daily maximum 8-hour mean is taken over the
# 8-hour means labelled 08:00 … 24:00 (17 windows, each inside the natural day) and is valid with
# at least 14 valid 8-hour means, or with fewer when it already exceeds the limit.
O3_WINDOWS_PER_DAY = HOURS_PER_DAY - WINDOW_HOURS + 1
MIN_O3_WINDOWS = 14
# Station-days are processed in blocks of this many days, so that the hours-first copy of a block
# and every step on it stay in cache and the scratch buffers are reused instead of faulting in fresh
# pages. Daily means do few steps per block and gain from the smaller L2-sized block (192 KiB of
# hours); the O3 8-hour path does some thirty calls per block, so larger blocks amortise them.
_BLOCK_ROWS = 1024
_O3_BLOCK_ROWS = 4096

# Publication precision (HJ 633-2026 4.2.2 / GB/T 8170): CO 0.1 mg/m³, the others 1 µg/m³.
_DECIMALS: Mapping[str, int] = MappingProxyType({"CO": 1})


def publication_round(pollutant: str, values: ArrayLike) -> NDArray[np.float64] | float:
    """Round concentrations to their publication precision per GB/T 8170 (CO 0.1, others 1).

    References
    ----------
    .. [HJ633] HJ 633-2026 4.2.2: CO to 0.1 mg/m³, the others to 1 µg/m³, rounded per
       GB/T 8170. See ``docs/reference/standards.md`` §1.

    Examples
    --------
    >>> publication_round("CO", 1.25), publication_round("PM2.5", 34.5)
    (1.2, 34.0)
    """
    return round_gbt8170(values, _DECIMALS.get(pollutant, 0))


# ---------------------------------------------------------------------------------------------
# percentile
# ---------------------------------------------------------------------------------------------


def percentile(values: ArrayLike, p: float, *, axis: int = -1) -> NDArray[np.float64] | float:
    """Percentile of HJ 663-2013 formula (5) (kept in HJ 663-2026 ◐).

    With the n valid values sorted ascending X(1) ≤ … ≤ X(n):
    k = 1 + (n − 1) · p / 100, s = integer part of k, m_p = X(s) + (X(s+1) − X(s)) · (k − s).
    Equal to numpy's "linear" method; NaN values are ignored, no valid value gives NaN.

    Parameters
    ----------
    values : array_like
        Daily values; NaN for missing.
    p : float
        Percentile in percent, 0 … 100.
    axis : int, default -1
        Axis along which the percentile is taken.

    References
    ----------
    .. [HJ663] HJ 663-2013 formula (5), kept in HJ 663-2026 ◐.
       See ``docs/reference/standards.md`` §3.

    Examples
    --------
    >>> percentile([3, 4, 8, 2, 5, 4], 90)  # HJ 663 worked example
    6.5
    """
    if not 0 <= p <= 100:
        raise ValueError(f"p={p!r}: expected a percentile in percent, 0 … 100")
    x = np.sort(np.asarray(values, dtype=np.float64), axis=axis)  # NaN sorts last
    x = np.moveaxis(x, axis, -1)
    n = (~np.isnan(x)).sum(axis=-1)
    k = 1 + (n - 1) * (p / 100.0)
    s = np.floor(k).astype(np.int64)
    lo = np.take_along_axis(x, np.clip(s - 1, 0, None)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(x, np.clip(np.minimum(s, n - 1), 0, None)[..., None], axis=-1)[..., 0]
    result = np.where(n > 0, lo + (hi - lo) * (k - s), np.nan)
    return float(result) if result.ndim == 0 else result


# ---------------------------------------------------------------------------------------------
# hourly grid → daily values
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyValues:
    """Daily statistic on the grid: ``value[..., i]`` is the natural day ``dates[i]``.

    ``value`` is NaN where the day is not valid; ``count`` is what validity counted (valid hours
    for daily means, valid 8-hour means for the O3 daily maximum 8-hour mean).
    """

    dates: NDArray[np.datetime64]
    value: NDArray[np.float64]
    count: NDArray[np.int64]
    valid: NDArray[np.bool_]


def _as_utc(start: dt.datetime | np.datetime64) -> dt.datetime:
    if isinstance(start, np.datetime64):
        seconds = start.astype("datetime64[s]").astype(np.int64)
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=int(seconds))
    if not isinstance(start, dt.datetime) or start.tzinfo is None:
        raise ValueError(
            f"start={start}: expected a timezone-aware datetime or numpy.datetime64 (UTC)"
        )
    return start


def _day_grid(
    hourly: ArrayLike, start: dt.datetime | np.datetime64, tz: dt.tzinfo
) -> tuple[NDArray[np.float64], NDArray[np.datetime64]]:
    """Pad the hour axis to whole natural days in ``tz`` and reshape it to (..., days, 24)."""
    x = np.asarray(hourly, dtype=np.float64)
    if x.ndim == 0:
        raise ValueError("hourly: expected an array with the hours on the last axis")
    first = _as_utc(start).astimezone(tz)
    if (first.minute, first.second, first.microsecond) != (0, 0, 0):
        raise ValueError(f"start={start}: expected the start of an hour")
    last = first + dt.timedelta(hours=x.shape[-1])
    if first.utcoffset() != last.astimezone(tz).utcoffset():
        raise ValueError(f"tz={tz!r}: expected a fixed UTC offset (China Standard Time)")
    lead = first.hour
    days = -(-(lead + x.shape[-1]) // HOURS_PER_DAY)
    pad = [(0, 0)] * (x.ndim - 1) + [(lead, days * HOURS_PER_DAY - lead - x.shape[-1])]
    if lead or pad[-1][1]:
        x = np.pad(x, pad, constant_values=np.nan)
    day0 = np.datetime64(first.date(), "D")
    return x.reshape(*x.shape[:-1], days, HOURS_PER_DAY), day0 + np.arange(days)


def daily_mean(
    hourly: ArrayLike, start: dt.datetime | np.datetime64, *, tz: dt.tzinfo = CHINA_TZ
) -> DailyValues:
    """24-hour (daily) means of hourly means (GB 3095-2026 3.9 and Table 4).

    The mean of the natural day's valid hourly means, valid with at least 20 of them.

    Parameters
    ----------
    hourly : array_like, (..., hours)
        Hourly means (µg/m³, CO mg/m³) keyed by period start; NaN for missing.
    start : datetime (tz-aware) or numpy.datetime64 (UTC)
        Period start of ``hourly[..., 0]``; need not be midnight (partial days are padded).
    tz : tzinfo, default China Standard Time (UTC+8)
        Time zone of the natural day.

    References
    ----------
    .. [GB3095] GB 3095-2026 3.9 (24-hour mean) and Table 4 (>= 20 hourly means).
       See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> day = daily_mean(np.full(24, 40.0), dt.datetime(2026, 3, 1, tzinfo=CHINA_TZ))
    >>> day.dates.tolist(), day.value.tolist(), day.count.tolist()
    ([datetime.date(2026, 3, 1)], [40.0], [24])
    """
    grid, dates = _day_grid(hourly, start, tz)
    rows = grid.reshape(-1, HOURS_PER_DAY)
    missing = np.empty(rows.shape[0], dtype=np.int8)
    total = np.empty(rows.shape[0])
    hours, gaps = _block_buffers(rows.shape[0])
    for block in _row_blocks(rows.shape[0]):
        # hours on the first axis: the reductions become whole-row vector additions, summed in
        # hour order; the buffers are reused so every step stays in cache
        h, gap = _transposed(rows[block], hours, gaps)
        np.add.reduce(gap.view(np.int8), axis=0, out=missing[block])
        np.copyto(h, 0.0, where=gap)
        np.add.reduce(h, axis=0, out=total[block])
    count = np.subtract(HOURS_PER_DAY, missing, dtype=np.int64).reshape(grid.shape[:-1])
    valid = gb3095.valid_day(count)
    # the mean in place of the sum, invalid days NaN: no further day-sized arrays to fault in
    value = total.reshape(count.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(value, count, out=value)
    np.copyto(value, np.nan, where=~valid)
    return DailyValues(dates, value, count, valid)


def daily_max_1h(
    hourly: ArrayLike, start: dt.datetime | np.datetime64, *, tz: dt.tzinfo = CHINA_TZ
) -> DailyValues:
    """Daily maximum 1-hour mean (the O3 1-hour daily indicator of HJ 633-2012 5.1).

    Valid with at least 20 hourly means in the day (⚑: the 24-hour rule of GB 3095 Table 4; the
    standard states no separate rule for this statistic).

    References
    ----------
    .. [HJ633] HJ 633-2012 5.1: the O3 daily maximum 1-hour mean of the daily report.
    .. [GB3095] GB 3095 Table 4, the 24-hour rule applied here ⚑.
       See ``docs/reference/standards.md`` §2.3.
    """
    grid, dates = _day_grid(hourly, start, tz)
    rows = grid.reshape(-1, HOURS_PER_DAY)
    missing = np.empty(rows.shape[0], dtype=np.int8)
    peak = np.empty(rows.shape[0])
    hours, gaps = _block_buffers(rows.shape[0])
    for block in _row_blocks(rows.shape[0]):
        h, gap = _transposed(rows[block], hours, gaps)
        np.add.reduce(gap.view(np.int8), axis=0, out=missing[block])
        np.copyto(h, -np.inf, where=gap)
        np.maximum.reduce(h, axis=0, out=peak[block])
    count = np.subtract(HOURS_PER_DAY, missing, dtype=np.int64).reshape(grid.shape[:-1])
    valid = gb3095.valid_day(count)
    value = peak.reshape(count.shape)
    np.copyto(value, np.nan, where=~valid)
    return DailyValues(dates, value, count, valid)


def _row_blocks(rows: int, size: int = _BLOCK_ROWS) -> list[slice]:
    return [slice(i, i + size) for i in range(0, rows, size)]


def _block_buffers(
    rows: int, size: int = _BLOCK_ROWS
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Scratch (24, block) buffers for the hours of one block of station-days and their gaps."""
    width = min(rows, size)
    return np.empty((HOURS_PER_DAY, width)), np.empty((HOURS_PER_DAY, width), dtype=bool)


def _transposed(
    rows: NDArray[np.float64], hours: NDArray[np.float64], gaps: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Copy (days, 24) ``rows`` hours-first into the scratch buffers; NaN hours marked in gaps."""
    h, gap = hours[:, : rows.shape[0]], gaps[:, : rows.shape[0]]
    np.copyto(h, rows.T)
    np.isnan(h, out=gap)
    return h, gap


def _window_sums(
    values: NDArray[np.float64],
    gaps: NDArray[np.int8],
    width: int,
    total: NDArray[np.float64],
    missing: NDArray[np.int8],
) -> None:
    """Sum ``values`` and count ``gaps`` over every ``width`` consecutive rows (axis 0).

    ``values`` has its gaps already set to 0; the results go to ``total`` and ``missing`` (one row
    per window). Windows run along the first axis so that each step adds whole contiguous blocks.
    Direct sums of the shifted slices in hour order rather than a running cumsum: no drift, exact
    for integer-valued data, and only ``width`` vector additions.
    """
    n = values.shape[0] - width + 1
    np.copyto(total, values[0:n])
    np.copyto(missing, gaps[0:n])
    for k in range(1, width):
        np.add(total, values[k : k + n], out=total)
        np.add(missing, gaps[k : k + n], out=missing)


def moving_average_8h(hourly: ArrayLike) -> NDArray[np.float64]:
    """8-hour moving means (GB 3095-2026 3.7), labelled by their last hour.

    ``result[..., i]`` is the mean of the valid hourly means ``hourly[..., i-7 : i+1]`` (hours
    before the start of the data count as missing); NaN unless at least 6 are valid (Table 4).

    References
    ----------
    .. [GB3095] GB 3095-2026 3.7 (8-hour mean) and Table 4 (>= 6 hourly means).
       See ``docs/reference/standards.md`` §2.3.

    Examples
    --------
    >>> moving_average_8h(np.arange(10.0))[[4, 5, 9]].tolist()  # 5, 6 and 8 hours
    [nan, 2.5, 5.5]
    """
    x = np.moveaxis(np.asarray(hourly, dtype=np.float64), -1, 0)
    padded = np.pad(x, [(WINDOW_HOURS - 1, 0)] + [(0, 0)] * (x.ndim - 1), constant_values=np.nan)
    gaps = np.isnan(padded)
    total = np.empty(x.shape)
    missing = np.empty(x.shape, dtype=np.int8)
    _window_sums(np.where(gaps, 0.0, padded), gaps.view(np.int8), WINDOW_HOURS, total, missing)
    count = WINDOW_HOURS - missing
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.moveaxis(np.where(gb3095.valid_8h(count), total / count, np.nan), 0, -1)


def moving_average_24h(hourly: ArrayLike) -> NDArray[np.float64]:
    """24-hour moving means, labelled by their last hour, valid with >= 20 hourly means.

    ``result[..., i]`` is the mean of the valid hourly means ``hourly[..., i-23 : i+1]`` (hours
    before the start of the data count as missing); NaN unless at least 20 are valid, the daily
    rule of GB 3095 Table 4 (:func:`ecohub.standards.gb3095.valid_day`), which HJ 663 applies to
    the 24-hour moving mean of the HJ 633-2012 real-time report ◐.

    Parameters
    ----------
    hourly : array_like, (..., hours)
        Hourly means on a regular grid, the hours on the last axis; NaN for missing.

    Returns
    -------
    numpy.ndarray
        Same shape as ``hourly``.

    References
    ----------
    .. [HJ633] HJ 633-2012 5.1.3: the real-time report uses the 24-hour moving means of PM10 and
       PM2.5 (and of SO2 above 800 µg/m³, Table 1 note 3). See ``docs/reference/standards.md``.
    .. [HJ663] HJ 663-2013 / HJ 663-2026, statistics of the evaluation ◐.
    .. [GB3095] GB 3095-2026 Table 4 (>= 20 hourly means for a 24-hour mean).

    Examples
    --------
    >>> x = np.full(48, 30.0)
    >>> x[24:28] = np.nan
    >>> moving_average_24h(x)[[18, 19, 47]].tolist()  # 19, 20 and 20 valid hours
    [nan, 30.0, 30.0]
    """
    x = np.asarray(hourly, dtype=np.float64)
    pad = [(0, 0)] * (x.ndim - 1) + [(HOURS_PER_DAY - 1, 0)]
    padded = np.pad(x, pad, constant_values=np.nan)
    present = ~np.isnan(padded)
    totals = sliding_window_view(np.where(present, padded, 0.0), HOURS_PER_DAY, axis=-1).sum(-1)
    counts = sliding_window_view(present, HOURS_PER_DAY, axis=-1).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(gb3095.valid_day(counts), totals / counts, np.nan)


def o3_daily_max_8h(
    hourly: ArrayLike,
    start: dt.datetime | np.datetime64,
    *,
    tz: dt.tzinfo = CHINA_TZ,
    grade: int = 2,
    edition: str = "2026",
    stage: str | None = "transition",
) -> DailyValues:
    """O3 daily maximum 8-hour mean (GB 3095-2026 3.8; HJ 663-2013 6.1.2, kept in 2026 ◐).

    The largest of the day's valid 8-hour moving means labelled 08:00 … 24:00 (hour-ending
    labels), i.e. the windows of hours starting 00:00–07:00 … 16:00–23:00 local time; each window
    is valid with >= 6 hourly means. The daily value is valid with >= 14 valid windows, or with
    fewer when its value (rounded per GB/T 8170) already exceeds the O3 8-hour limit of ``grade``.

    Parameters
    ----------
    hourly : array_like, (..., hours)
        O3 1-hour means, µg/m³, keyed by period start; NaN for missing.
    start, tz
        See :func:`daily_mean`.
    grade, edition, stage
        Select the limit of the "fewer windows" rule (GB 3095 Table 1).

    Returns
    -------
    DailyValues
        ``count`` is the number of valid 8-hour means of the day (0 … 17).

    References
    ----------
    .. [GB3095] GB 3095-2026 3.8 and Table 4.
    .. [HJ663] HJ 663-2013 6.1.2, kept in HJ 663-2026 ◐: windows labelled 08:00 … 24:00, >= 14
       valid windows or already above the limit. See ``docs/reference/standards.md`` §3.
    """
    o3_limit = gb3095.limit("O3", "max_8h", grade, edition=edition, stage=stage).value
    grid, dates = _day_grid(hourly, start, tz)
    rows = grid.reshape(-1, HOURS_PER_DAY)
    best = np.empty(rows.shape[0])
    invalid_windows = np.empty(rows.shape[0], dtype=np.int8)
    hours, gaps = _block_buffers(rows.shape[0], _O3_BLOCK_ROWS)
    totals = np.empty((O3_WINDOWS_PER_DAY, hours.shape[1]))
    counts = np.empty((O3_WINDOWS_PER_DAY, hours.shape[1]), dtype=np.int8)
    invalid = np.empty((O3_WINDOWS_PER_DAY, hours.shape[1]), dtype=bool)
    for block in _row_blocks(rows.shape[0], _O3_BLOCK_ROWS):
        # hours on the first axis: each window step is one contiguous block addition
        h, gap = _transposed(rows[block], hours, gaps)
        np.copyto(h, 0.0, where=gap)
        m = h.shape[1]
        total, hours_in, bad = totals[:, :m], counts[:, :m], invalid[:, :m]
        _window_sums(h, gap.view(np.int8), WINDOW_HOURS, total, hours_in)
        np.subtract(WINDOW_HOURS, hours_in, out=hours_in)
        np.less(hours_in, gb3095.MIN_HOURS_PER_8H, out=bad)  # GB 3095 Table 4, as valid_8h
        np.add.reduce(bad.view(np.int8), axis=0, out=invalid_windows[block])
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(total, hours_in, out=total)
        np.copyto(total, -np.inf, where=bad)
        np.maximum.reduce(total, axis=0, out=best[block])
    count = O3_WINDOWS_PER_DAY - invalid_windows.astype(np.int64)
    best, count = best.reshape(grid.shape[:-1]), count.reshape(grid.shape[:-1])
    over = (count > 0) & (round_gbt8170(np.where(count > 0, best, 0.0)) > o3_limit)
    valid = (count >= MIN_O3_WINDOWS) | over
    np.copyto(best, np.nan, where=~valid)
    return DailyValues(dates, best, count, valid)


@dataclass(frozen=True)
class HourlyGrid:
    """Hourly values of many stations on one regular grid: ``values[name][station, hour]``."""

    stations: tuple[object, ...]
    start: dt.datetime  # period start (UTC) of hour index 0
    values: Mapping[str, NDArray[np.float64]]


def hourly_grid(
    frame: pl.DataFrame,
    value_columns: Sequence[str],
    *,
    time: str = "period_start",
    station: str = "station",
) -> HourlyGrid:
    """Place long-format hourly rows on a (station, hour) grid; absent hours become NaN.

    Parameters
    ----------
    frame : polars.DataFrame
        One row per station and hour: ``station``, ``time`` (timezone-aware Datetime, the hour's
        period start) and the value columns (null / NaN for missing).
    value_columns : sequence of str
        Columns to place, e.g. ``["SO2", "NO2", "CO", "O3", "PM10", "PM2.5"]``.

    Raises
    ------
    ValueError
        Naive or off-the-hour timestamps, or two rows for one station and hour.

    References
    ----------
    .. [HJ663] HJ 663-2013 Table A.1 (hours labelled by their end; quoted by GB/T 34302-2017).
       See ``docs/reference/standards.md`` §3.
    """
    import polars as pl

    dtype = frame.schema[time]
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        raise ValueError(f"column {time!r} has type {dtype}: expected a timezone-aware Datetime")
    seconds = frame[time].dt.epoch("s").to_numpy()
    off = np.flatnonzero(seconds % 3600)
    if off.size:
        raise ValueError(f"{time}={frame[time][int(off[0])]}: expected the start of an hour")
    hour = seconds // 3600
    first = int(hour.min())
    hour_index = hour - first
    n_hours = int(hour_index.max()) + 1
    codes = frame[station].rank("dense").to_numpy().astype(np.int64) - 1
    stations = tuple(frame[station].unique().sort().to_list())
    cell = codes * n_hours + hour_index
    repeated = np.flatnonzero(np.bincount(cell, minlength=len(stations) * n_hours) > 1)
    if repeated.size:
        where = divmod(int(repeated[0]), n_hours)
        raise ValueError(
            f"{station}={stations[where[0]]!r} has several rows for hour index {where[1]}: "
            "expected one row per station and hour"
        )
    values = {}
    for name in value_columns:
        grid = np.full(len(stations) * n_hours, np.nan)
        grid[cell] = frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        values[name] = grid.reshape(len(stations), n_hours)
    start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=first)
    return HourlyGrid(stations, start, MappingProxyType(values))


def daily_indicators(
    grid: HourlyGrid,
    *,
    tz: dt.tzinfo = CHINA_TZ,
    edition: str = "2026",
    stage: str | None = "transition",
    grade: int = 2,
) -> pl.DataFrame:
    """Daily AQI indicators of every station and natural day (HJ 633 5.1, HJ 663 6.1).

    The grid needs the columns ``SO2, NO2, CO, O3, PM10, PM2.5`` (hourly means). Returns one row per
    station and day: ``station``, ``date``, the 24-hour means of SO2, NO2, CO, PM10, PM2.5, the O3
    daily maximum 8-hour mean ``O3_8h`` and, for edition 2012, the O3 daily maximum 1-hour mean
    ``O3``; NaN where the day is not valid. ``<name>_n`` holds what validity counted.

    References
    ----------
    .. [HJ633] HJ 633-2026 / -2012 5.1 (indicators of the daily report).
    .. [HJ663] HJ 663-2013 6.1 (daily statistics), kept in HJ 663-2026 ◐.
       See ``docs/reference/standards.md`` §1.2, §3.
    """
    import polars as pl

    columns: dict[str, DailyValues] = {}
    for name in ("SO2", "NO2", "CO", "PM10", "PM2.5"):
        columns[name] = daily_mean(grid.values[name], grid.start, tz=tz)
    columns["O3_8h"] = o3_daily_max_8h(
        grid.values["O3"], grid.start, tz=tz, grade=grade, edition=edition, stage=stage
    )
    if str(edition) == "2012":
        columns["O3"] = daily_max_1h(grid.values["O3"], grid.start, tz=tz)
    dates = columns["SO2"].dates
    n_stations = len(grid.stations)
    data: dict[str, object] = {
        "station": np.repeat(np.asarray(grid.stations, dtype=object), len(dates)).tolist(),
        "date": np.tile(dates, n_stations),
    }
    for name, daily in columns.items():
        data[name] = daily.value.ravel()
        data[f"{name}_n"] = daily.count.ravel().astype(np.int16)
    return pl.DataFrame(data)


# ---------------------------------------------------------------------------------------------
# city values
# ---------------------------------------------------------------------------------------------

CITY_GRADE = 2
"""Cities are evaluated against the grade-2 limits (GB 3095 4.2, the limits of class-2 zones;
HJ 663 city evaluation ◐)."""


def city_means(
    stations: pl.DataFrame, indicators: Sequence[str], by: Sequence[str]
) -> pl.DataFrame:
    """City values: each indicator the arithmetic mean of the city's stations' values.

    Each indicator of each city and time is the mean over the stations that have a valid value
    of it then (HJ 663 ◐; a station missing one indicator still counts for the others ⚑). The
    AQI of a city is then computed from these means, not averaged.

    Parameters
    ----------
    stations : polars.DataFrame
        One row per station and time: the ``by`` columns and the ``indicators`` (null where
        not valid).
    indicators : sequence of str
        Concentration columns to average (hourly means, moving means, daily values).
    by : sequence of str
        Columns that name a city and a time, e.g. ``["city_code", "city", "date"]``.

    Returns
    -------
    polars.DataFrame
        One row per city and time, sorted by ``by``: the ``by`` columns, the mean of every
        indicator (null where no station has a value) and ``n_stations`` (Int32), the stations
        with at least one valid indicator.

    References
    ----------
    .. [HJ663] HJ 663-2013 / HJ 663-2026, the city value as the arithmetic mean of the city's
       assessment stations ◐. See ``docs/reference/standards.md`` §3.

    Examples
    --------
    >>> import polars as pl
    >>> frame = pl.DataFrame({"city": ["A", "A", "B"], "day": [1, 1, 1],
    ...                       "PM10": [40.0, None, 70.0], "SO2": [8.0, 12.0, None]})
    >>> city_means(frame, ["PM10", "SO2"], ["city", "day"]).rows()
    [('A', 1, 40.0, 10.0, 2), ('B', 1, 70.0, None, 1)]
    """
    import polars as pl

    any_value = pl.any_horizontal(pl.col(c).is_not_null() for c in indicators)
    return (
        stations.group_by(*by)
        .agg(
            *(pl.col(c).mean() for c in indicators),
            any_value.sum().cast(pl.Int32).alias("n_stations"),
        )
        .sort(*by)
    )


# ---------------------------------------------------------------------------------------------
# period (monthly / annual) evaluation
# ---------------------------------------------------------------------------------------------

# HJ 663-2013 Table 5 (same items in HJ 663-2026 ◐): per pollutant the statistics evaluated and the
# GB 3095 limit each is compared with. "mean" is the period mean of the daily values, "pNN" the
# NN-th percentile of the daily values (for O3: of the daily maximum 8-hour means).
EVALUATED_STATISTICS: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "SO2": (("mean", "year"), ("p98", "day")),
        "NO2": (("mean", "year"), ("p98", "day")),
        "PM10": (("mean", "year"), ("p95", "day")),
        "PM2.5": (("mean", "year"), ("p95", "day")),
        "CO": (("p95", "day"),),
        "O3": (("p90", "max_8h"),),
    }
)
_DAILY_LIMIT: Mapping[str, str] = MappingProxyType({"O3": "max_8h"})


@dataclass(frozen=True)
class StatisticResult:
    """One evaluated statistic: value (publication precision), its limit and the verdict."""

    statistic: str
    value: float
    limit: gb3095.Limit
    meets: bool | None  # None when the period is not valid
    exceedance_multiple: float | None  # (value − limit) / limit when above the limit


@dataclass(frozen=True)
class PollutantEvaluation:
    """Evaluation of one pollutant over a month or a year (HJ 663)."""

    pollutant: str
    days: int  # valid daily values
    valid: bool  # GB 3095 Table 4 completeness of the period
    days_over: int  # daily values above the 24-hour (O3: 8-hour) limit
    exceedance_rate: float  # days_over / days (NaN without valid days)
    statistics: tuple[StatisticResult, ...]

    @property
    def meets(self) -> bool | None:
        """Every statistic within its limit; None when the period is not valid."""
        if not self.valid:
            return None
        return all(s.meets for s in self.statistics)


@dataclass(frozen=True)
class PeriodEvaluation:
    """Monthly or annual evaluation of a station or city (HJ 663), naming the limits used."""

    period: str  # "month" or "year"
    start: dt.date
    edition: str
    stage: str | None
    grade: int
    pollutants: Mapping[str, PollutantEvaluation]

    @property
    def meets(self) -> bool | None:
        """Meets the standard: every pollutant meets; None when any pollutant is not valid."""
        verdicts = [p.meets for p in self.pollutants.values()]
        return None if None in verdicts else all(verdicts)


def evaluate_period(
    dates: ArrayLike,
    daily: Mapping[str, ArrayLike],
    *,
    period: str = "year",
    grade: int = 2,
    edition: str = "2026",
    stage: str | None = "transition",
) -> PeriodEvaluation:
    """Monthly or annual evaluation per HJ 663 (statistics of ``EVALUATED_STATISTICS``).

    Values are rounded per GB/T 8170 to the publication precision before they are compared with a
    limit; "above the limit" is strictly greater (⚑). Validity (GB 3095 Table 4, applied to all six
    pollutants ⚑): a month needs >= 27 daily values (February >= 25); a year needs >= 324 and every
    month valid.

    Parameters
    ----------
    dates : array_like of datetime64[D] or dates
        Natural days of the daily values, all in one calendar month (``period="month"``) or year.
    daily : mapping pollutant → array_like
        Daily values aligned with ``dates``: 24-hour means of SO2, NO2, CO, PM10, PM2.5 and the O3
        daily maximum 8-hour mean under ``"O3"``; NaN for invalid days. Any subset of the six.
    period : {"year", "month"}
    grade, edition, stage
        The GB 3095 limits used (see :func:`ecohub.standards.gb3095.limit`).

    References
    ----------
    .. [HJ663] HJ 663-2013 Table 5 (statistics evaluated), kept in HJ 663-2026 ◐.
       See ``docs/reference/standards.md`` §3.
    .. [GB3095] GB 3095-2026 Table 1 (limits) and Table 4 (validity of a month and a year).
    """
    if period not in ("year", "month"):
        raise ValueError(f"period={period!r}: expected 'year' or 'month'")
    days = np.asarray(dates, dtype="datetime64[D]")
    if days.size == 0:
        raise ValueError("dates: expected at least one day")
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    span = years if period == "year" else months
    if (span != span[0]).any():
        raise ValueError(f"dates span more than one {period}: expected one calendar {period}")
    month_number = (months - years).astype(np.int64) + 1
    stage_used = None if str(edition) == "2012" else stage
    results: dict[str, PollutantEvaluation] = {}
    for pollutant, values in daily.items():
        if pollutant not in EVALUATED_STATISTICS:
            expected = tuple(EVALUATED_STATISTICS)
            raise ValueError(f"daily key {pollutant!r}: expected one of {expected}")
        x = np.asarray(values, dtype=np.float64)
        if x.shape != days.shape:
            raise ValueError(f"daily[{pollutant!r}] has shape {x.shape}: expected {days.shape}")
        present = ~np.isnan(x)
        per_month = np.bincount(month_number[present], minlength=13)[1:]
        if period == "year":
            valid = gb3095.valid_year(per_month)
        else:
            valid = bool(gb3095.valid_month(per_month[month_number[0] - 1], month_number[0]))
        day_limit = gb3095.limit(
            pollutant, _DAILY_LIMIT.get(pollutant, "day"), grade, edition=edition, stage=stage
        ).value
        days_over = int((publication_round(pollutant, x[present]) > day_limit).sum())
        stats = []
        for statistic, averaging in EVALUATED_STATISTICS[pollutant]:
            if statistic == "mean":
                raw = float(x[present].mean()) if present.any() else np.nan
            else:
                raw = percentile(x, float(statistic[1:]))
            value = float(publication_round(pollutant, raw))
            lim = gb3095.limit(pollutant, averaging, grade, edition=edition, stage=stage)
            above = value > lim.value
            stats.append(
                StatisticResult(
                    statistic=statistic,
                    value=value,
                    limit=lim,
                    meets=(not above) if valid else None,
                    exceedance_multiple=(value - lim.value) / lim.value if above else None,
                )
            )
        n = int(present.sum())
        results[pollutant] = PollutantEvaluation(
            pollutant=pollutant,
            days=n,
            valid=valid,
            days_over=days_over,
            exceedance_rate=days_over / n if n else np.nan,
            statistics=tuple(stats),
        )
    start = (years if period == "year" else months)[0].astype(dt.date)
    return PeriodEvaluation(
        period, start, str(edition), stage_used, grade, MappingProxyType(results)
    )


def validity_note(evaluation: PeriodEvaluation, *, days_requested: int | None = None) -> str | None:
    """Why a period's statistics do not meet GB 3095 Table 4, in words; None when they do.

    Parameters
    ----------
    evaluation : PeriodEvaluation
        A month or a year evaluated by :func:`evaluate_period`.
    days_requested : int, optional
        Days of the period that the data were asked for, when fewer than the period has (a
        partial month or year); the note then says so.

    Returns
    -------
    str or None
        E.g. ``"not valid per GB 3095-2026 Table 4 (a month needs >= 27 valid days (February
        25)): valid days 20 for SO2, NO2"``.

    References
    ----------
    .. [GB3095] GB 3095-2026 / -2012 Table 4: a month needs >= 27 daily means (February 25), a
       year >= 324 and every month valid. See ``docs/reference/standards.md`` §2.

    Examples
    --------
    >>> days = np.arange("2026-04-01", "2026-04-21", dtype="datetime64[D]")
    >>> month = evaluate_period(days, {"SO2": np.full(20, 9.0)}, period="month")
    >>> validity_note(month, days_requested=20)  # doctest: +NORMALIZE_WHITESPACE
    'not valid per GB 3095-2026 Table 4 (a month needs >= 27 valid days (February 25)):
    valid days 20 for SO2; the request covers 20 of its 30 days'
    """
    invalid = [p for p in evaluation.pollutants.values() if not p.valid]
    if not invalid:
        return None
    start = evaluation.start
    if evaluation.period == "year":
        end = dt.date(start.year + 1, 1, 1)
        needs = (
            f"a year needs >= {gb3095.MIN_DAYS_PER_YEAR} valid days and every month valid"
        )
    else:
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        needs = (
            f"a month needs >= {gb3095.MIN_DAYS_PER_MONTH} valid days "
            f"(February {gb3095.MIN_DAYS_FEBRUARY})"
        )
    length = (end - start).days
    counts = {p.days for p in invalid}
    days = (
        f"{counts.pop()} for {', '.join(p.pollutant for p in invalid)}" if len(counts) == 1
        else ", ".join(f"{p.pollutant} {p.days}" for p in invalid)
    )
    partial = (
        f"; the request covers {days_requested} of its {length} days"
        if days_requested is not None and days_requested < length else ""
    )
    return (
        f"not valid per GB 3095-{evaluation.edition} Table 4 ({needs}): valid days {days}{partial}"
    )


# ---------------------------------------------------------------------------------------------
# good days and the comprehensive index
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoodDays:
    """Share of good days (优良天数比例)."""

    good: int  # days with AQI <= 100
    valid: int  # days with a published AQI
    share: float  # good / valid, NaN without valid days


def good_day_share(daily_aqi: ArrayLike, *, exclude: ArrayLike | None = None) -> GoodDays:
    """Share of good days: days with AQI <= 100 over days with a valid AQI (HJ 663).

    A day whose AQI is "NA" (NaN / None here, HJ 633-2026 5.3) is not a valid day (⚑).

    Parameters
    ----------
    daily_aqi : array_like
        Published daily AQI; NaN or None for "NA".
    exclude : array_like of bool, optional
        Days to leave out, e.g. sand-and-dust days (扣沙) as decided by the caller's ranking rule;
        that rule is not implemented here.

    References
    ----------
    .. [HJ663] HJ 663-2013 / -2026, share of days with AQI <= 100 (优良天数比例) ◐.
    .. [HJ633] HJ 633-2026 5.3 (an AQI of "NA"). See ``docs/reference/standards.md`` §3.

    Examples
    --------
    >>> good_day_share([45, 80, 120, None]).share  # 2 good of 3 valid days
    0.6666666666666666
    """
    a = np.asarray(
        [np.nan if v is None else v for v in daily_aqi] if not isinstance(daily_aqi, np.ndarray)
        else daily_aqi,
        dtype=np.float64,
    )
    keep = ~np.isnan(a)
    if exclude is not None:
        keep &= ~np.asarray(exclude, dtype=bool)
    valid = int(keep.sum())
    good = int((a[keep] <= 100).sum())
    return GoodDays(good, valid, good / valid if valid else np.nan)


@dataclass(frozen=True)
class CompositePreset:
    """Weights and standards S of the comprehensive air-quality index."""

    name: str
    weights: Mapping[str, float]
    standards: Mapping[str, float]
    description: str


_COMPOSITE_POLLUTANTS = ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3")
COMPOSITE_STATISTICS: Mapping[str, str] = MappingProxyType(
    {"SO2": "mean", "NO2": "mean", "PM10": "mean", "PM2.5": "mean", "CO": "p95", "O3": "p90"}
)
"""The statistic of :data:`EVALUATED_STATISTICS` each pollutant's C_i of the comprehensive index
is: period means, the CO 95th and the O3 90th percentile (``docs/reference/standards.md`` §3)."""
# S_i: the grade-2 annual limits of SO2, NO2, PM10, PM2.5, the CO 24-hour limit and the O3 8-hour
# limit of the edition (and stage) of the preset.
_S_AVERAGING = {"CO": "day", "O3": "max_8h"}


def composite_preset(name: str, *, stage: str = "transition") -> CompositePreset:
    """Named preset of the comprehensive air-quality index.

    ``"2013"``: all weights 1, S from GB 3095-2012 grade 2 (60, 40, 70, 35, 4, 160) — the 2018
    ranking rule ✔. ``"2026"``: weights PM2.5 × 3, NO2 × 2, O3 × 2, others × 1 (◐ current national
    ranking practice), S from GB 3095-2026 grade 2 of ``stage``.

    References
    ----------
    .. [RANK] 城市环境空气质量排名技术规定 (2018), the comprehensive index ✔; the 2026 weights ◐.
       See ``docs/reference/standards.md`` §3.

    Examples
    --------
    >>> composite_preset("2013").standards["PM2.5"]
    35
    """
    if name == "2013":
        edition, used_stage = "2012", None
        weights = dict.fromkeys(_COMPOSITE_POLLUTANTS, 1.0)
    elif name == "2026":
        edition, used_stage = "2026", stage
        weights = dict.fromkeys(_COMPOSITE_POLLUTANTS, 1.0) | {"PM2.5": 3.0, "NO2": 2.0, "O3": 2.0}
    else:
        raise ValueError(f"preset={name!r}: expected '2013' or '2026'")
    standards = {
        p: gb3095.limit(p, _S_AVERAGING.get(p, "year"), 2, edition=edition, stage=used_stage).value
        for p in _COMPOSITE_POLLUTANTS
    }
    source = f"GB 3095-{edition}" + (f" {used_stage}" if used_stage else "")
    label = ", ".join(f"{p}×{w:g}" for p, w in weights.items())
    return CompositePreset(
        name, MappingProxyType(weights), MappingProxyType(standards), f"{name}: {label}; S {source}"
    )


@dataclass(frozen=True)
class CompositeIndex:
    """Comprehensive air-quality index and its parts; lower is cleaner."""

    value: float | NDArray[np.float64]
    sub_indices: Mapping[str, float | NDArray[np.float64]]  # C_i / S_i
    preset: str
    weights: Mapping[str, float]
    standards: Mapping[str, float]


def composite_index(
    concentrations: Mapping[str, ArrayLike],
    preset: str = "2026",
    *,
    stage: str = "transition",
    weights: Mapping[str, float] | None = None,
    standards: Mapping[str, float] | None = None,
) -> CompositeIndex:
    """Comprehensive air-quality index for city ranking: I_sum = Σ w_i · C_i / S_i.

    Parameters
    ----------
    concentrations : mapping pollutant → value or array (one per city)
        The six pollutants ``SO2, NO2, PM10, PM2.5`` (period means, µg/m³), ``CO`` (95th
        percentile of daily means, mg/m³) and ``O3`` (90th percentile of daily maximum 8-hour
        means, µg/m³). A missing value gives NaN (never counted as 0).
    preset : {"2026", "2013"}, default "2026"
        See :func:`composite_preset`; its name is in the result.
    stage : {"transition", "final"}
        GB 3095-2026 stage for the "2026" preset's S.
    weights, standards : mapping, optional
        Override entries of the preset; the result's preset name then ends in "+custom".

    References
    ----------
    .. [RANK] 城市环境空气质量排名技术规定 (2018): I_sum = Σ w_i C_i / S_i ✔.
       See ``docs/reference/standards.md`` §3.
    """
    base = composite_preset(preset, stage=stage)
    w = dict(base.weights) | dict(weights or {})
    s = dict(base.standards) | dict(standards or {})
    for key in set(w) | set(s) | set(concentrations):
        if key not in _COMPOSITE_POLLUTANTS:
            raise ValueError(f"pollutant {key!r}: expected one of {_COMPOSITE_POLLUTANTS}")
    missing = [p for p in _COMPOSITE_POLLUTANTS if p not in concentrations]
    if missing:
        raise ValueError(f"concentrations lacks {missing}: expected all of {_COMPOSITE_POLLUTANTS}")
    sub = {}
    for p in _COMPOSITE_POLLUTANTS:
        c = np.asarray(concentrations[p], dtype=np.float64)
        if (c < 0).any():
            raise ValueError(f"concentrations[{p!r}]={concentrations[p]!r}: expected values >= 0")
        sub[p] = c / s[p]
    total = sum(w[p] * sub[p] for p in _COMPOSITE_POLLUTANTS)
    name = base.name + ("+custom" if weights or standards else "")

    def out(v: NDArray[np.float64]) -> float | NDArray[np.float64]:
        return float(v) if np.ndim(v) == 0 else v

    return CompositeIndex(
        out(total), MappingProxyType({p: out(v) for p, v in sub.items()}), name,
        MappingProxyType(w), MappingProxyType(s),
    )
