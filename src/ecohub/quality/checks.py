"""Reading-level QC over long tables of readings: run_qc and the non-QARTOD checks.

:func:`run_qc` applies every configured test to a Polars table with the columns of
``ecohub.store.READING_SCHEMA`` (one row per mn, factor, kind, statistic, period_start) and
returns, per reading, the per-test flags, the aggregate QARTOD flag, ``valid`` for statistics
and the configuration version. It does no I/O.

Tests (names of the ``qc_tests`` struct fields, all QARTOD codes, :mod:`ecohub.quality.flags`):

==============  =================================================================================
gross_range     :func:`ecohub.quality.qartod.gross_range`
spike           :func:`ecohub.quality.qartod.spike`; a gap in a regular series (period_s > 0)
                also counts as a missing neighbour, so an absent row and a NaN row agree
rate_of_change  :func:`ecohub.quality.qartod.rate_of_change`
flat_line       :func:`ecohub.quality.qartod.flat_line`; the nominal step is ``period_s``
                (real-time rows: none, the window is by time only)
climatology     value outside the seasonal envelope of the series' own history → SUSPECT
                (QARTOD climatology test); NOT_EVALUATED without enough history
consistency     configured pairs, e.g. PM2.5 ≤ PM10, NH3-N ≤ TN (QARTOD multi-variate idea)
device          the HJ 212 ``-Flag`` (:data:`ecohub.quality.flags.DEVICE_FLAGS`)
timeliness      received_at − period end: > max delay SUSPECT, < −clock skew FAIL; only FAIL
                enters the aggregate flag (lateness is a delivery property, scored separately)
duplicate       same key received again: the first arrival is kept (like the store);
                later copies FAIL, the kept one is SUSPECT if a copy disagrees on the value
order           arrived after a reading of a later period of the same series → SUSPECT
==============  =================================================================================

Streaming and batch agree: pass the last readings of each series as ``history``; they give
context and are dropped from the output, except those whose
flags change because of the new rows (the last reading's spike test needs its successor; a
late partner completes a consistency pair; a late duplicate disagrees) — those come back with
``qc_revised = True`` so the caller can update them. Applying outputs in order, last write wins,
gives exactly the flags of one run over everything (``tests/quality/test_run_qc.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import polars as pl

from ecohub.quality.config import (
    ClimatologyConfig,
    FactorConfig,
    ObjectTypeConfig,
    QCConfig,
)
from ecohub.quality.flags import (
    FAIL,
    MISSING,
    NOT_EVALUATED,
    PASS,
    SUSPECT,
    aggregate,
    device_flag_test,
    valid_for_statistics,
)
from ecohub.quality.qartod import (
    as_values,
    check_increasing,
    flat_line_core,
    gross_range,
    rate_of_change_core,
    spike_core,
)

TESTS: tuple[str, ...] = ("gross_range", "spike", "rate_of_change", "flat_line", "climatology",
                          "consistency", "device", "timeliness", "duplicate", "order")
SERIES: list[str] = ["mn", "factor", "kind", "statistic"]
KEY: list[str] = [*SERIES, "period_start"]
REQUIRED: dict[str, type[pl.DataType]] = {
    "mn": pl.String, "object_id": pl.Int64, "factor": pl.String, "kind": pl.String,
    "period_start": pl.Datetime, "period_s": pl.Int32, "statistic": pl.String,
    "value": pl.Float64, "device_flag": pl.String, "received_at": pl.Datetime,
    "packet_id": pl.String,
}
QC_COLUMNS: list[str] = ["qc_flag", "qc_tests", "qc_valid", "qc_version", "qc_revised"]


def _check_frame(frame: pl.DataFrame, name: str) -> None:
    for col, dtype in REQUIRED.items():
        if col not in frame.columns:
            raise ValueError(f"{name} lacks column {col!r} (READING_SCHEMA)")
        got = frame.schema[col]
        # integer/float widths and time units/zones may differ; the kind of type may not
        if not (got == dtype or got == pl.Null
                or (dtype is pl.Int32 or dtype is pl.Int64) and got.is_integer()
                or dtype is pl.Float64 and got.is_numeric()):
            raise ValueError(f"{name}.{col} has type {got}, expected {dtype}")
    nulls = frame.select(pl.col(c).null_count() for c in
                         ("mn", "factor", "kind", "statistic", "period_start", "period_s"))
    for col, n in nulls.row(0, named=True).items():
        if n:
            raise ValueError(f"{name}.{col} has {n} null value(s); it is part of the key")


# ----------------------------------------------------------------------------- duplicates/order
def _duplicate_and_order(df: pl.DataFrame) -> pl.DataFrame:
    """Add _kept, duplicate and order flags. df is sorted by KEY, received_at, packet_id."""
    df = df.with_columns(
        _kept=pl.int_range(pl.len()).over(KEY) == 0,
        _copies=pl.len().over(KEY),
        _disagree=(pl.col("value").n_unique().over(KEY) > 1)
        | (pl.col("value").is_null().any() & pl.col("value").is_not_null().any()).over(KEY),
    )
    dup = (pl.when(~pl.col("_kept")).then(FAIL)
           .when(pl.col("_disagree")).then(SUSPECT).otherwise(PASS))
    # order: among kept rows of a series (time order), was a later period received earlier?
    later_min = (pl.col("received_at").reverse().cum_min().reverse().shift(-1)
                 .over(pl.col("_sid")))
    kept = df.filter(pl.col("_kept")).with_columns(
        _sid=pl.struct(SERIES).rank("dense"))
    kept = kept.with_columns(
        order=pl.when(pl.col("received_at").is_null()).then(NOT_EVALUATED)
        .when(pl.col("received_at") > later_min).then(SUSPECT).otherwise(PASS)
        .cast(pl.UInt8)).select("_row", "order")
    return (df.with_columns(duplicate=dup.cast(pl.UInt8))
            .join(kept, on="_row", how="left")
            .with_columns(pl.col("order").fill_null(NOT_EVALUATED)))


# ----------------------------------------------------------------------------- series tests
def _series_tests(df: pl.DataFrame, cfg: FactorConfig) -> dict[str, np.ndarray]:
    """QARTOD series tests for kept rows sharing one factor config, sorted by series, time."""
    x, missing = as_values(df["value"].to_numpy().astype(np.float64))
    n = x.size
    sid = df["_sid"].to_numpy()
    new_series = np.r_[True, sid[1:] != sid[:-1]]
    t_us = df["period_start"].dt.epoch("us").to_numpy()
    check_increasing(t_us, new_series)
    out: dict[str, np.ndarray] = {}
    if cfg.gross_range is not None:
        out["gross_range"] = gross_range(x, cfg.gross_range.fail_span,
                                         cfg.gross_range.suspect_span)
    if cfg.spike is not None:
        step = df["period_s"].to_numpy().astype(np.int64) * 1_000_000
        gap = np.r_[False, (np.diff(t_us) != step[1:]) & (step[1:] > 0)]
        out["spike"] = spike_core(x, missing, cfg.spike.suspect_threshold,
                                  cfg.spike.fail_threshold, new_series | gap)
    if cfg.rate_of_change is not None:
        out["rate_of_change"] = rate_of_change_core(
            x, missing, t_us, cfg.rate_of_change.threshold, cfg.rate_of_change.fail_threshold,
            new_series)
    if cfg.flat_line is not None:
        # the nominal step of regular data is its period; real-time data (period 0) have
        # none, so their windows need only reach back in time (streaming equals batch)
        out["flat_line"] = flat_line_core(
            x, missing, t_us, cfg.flat_line.tolerance, cfg.flat_line.suspect_threshold,
            cfg.flat_line.fail_threshold, new_series,
            step_us=df["period_s"].to_numpy().astype(np.float64) * 1e6)
    return {k: v.astype(np.uint8) for k, v in out.items() if n}


# ----------------------------------------------------------------------------- climatology
def _bins(period_start: pl.Expr, period: str) -> pl.Expr:
    return period_start.dt.month() if period == "month" else period_start.dt.ordinal_day()


def climatology_envelope(readings: pl.DataFrame, settings: ClimatologyConfig) -> pl.DataFrame:
    """Seasonal envelope per series from its history (input of the climatology test).

    For each series (mn, factor, kind, statistic) and bin (calendar month, or day of year with
    ± ``window_days`` around it, circular over 366 days), the ``low_quantile`` and
    ``high_quantile`` of the valid values (finite, and ``qc_valid`` when that column exists).
    A bin with fewer than ``min_count`` values or ``min_years`` distinct years gets no
    envelope, so the test is NOT_EVALUATED there (QARTOD climatology test; the minimum-history
    rule is ecohub's). Quantiles use linear interpolation (HJ 663 percentile method).

    Returns
    -------
    polars.DataFrame
        Columns mn, factor, kind, statistic, bin, low, high, n, years.
    """
    df = readings.filter(pl.col("value").is_finite())
    if "qc_valid" in df.columns:
        df = df.filter(pl.col("qc_valid"))
    df = df.select(*SERIES, "value", year=pl.col("period_start").dt.year(),
                   bin=_bins(pl.col("period_start"), settings.period).cast(pl.Int32))
    if settings.period == "dayofyear" and settings.window_days:
        w = settings.window_days
        df = (df.with_columns(_off=pl.lit(list(range(-w, w + 1))))
              .explode("_off")
              .with_columns(bin=((pl.col("bin") - 1 + pl.col("_off")) % 366 + 1)
                            .cast(pl.Int32)).drop("_off"))
    return (df.group_by(*SERIES, "bin")
            .agg(low=pl.col("value").quantile(settings.low_quantile, "linear"),
                 high=pl.col("value").quantile(settings.high_quantile, "linear"),
                 n=pl.len(), years=pl.col("year").n_unique())
            .filter((pl.col("n") >= settings.min_count)
                    & (pl.col("years") >= settings.min_years)))


# ----------------------------------------------------------------------------- completeness
def completeness(readings: pl.DataFrame, start: datetime, end: datetime,
                 every: str = "1d") -> pl.DataFrame:
    """Expected vs received readings per series and period bucket.

    A series with period length ``period_s`` > 0 (minute, hour, day data) is expected once
    per ``period_s`` from ``start`` (inclusive) to ``end`` (exclusive); real-time data have no
    fixed rate and are left out. "received" counts distinct periods with a row, "valid" those
    with a finite value (and ``qc_valid`` when present). Buckets follow ``every`` (a Polars
    duration such as "1d", "1mo"), anchored at UTC midnight.

    Returns
    -------
    polars.DataFrame
        mn, factor, kind, statistic, bucket, expected, received, valid, ratio (valid/expected).
    """
    df = readings.filter((pl.col("period_s") > 0) & (pl.col("period_start") >= start)
                         & (pl.col("period_start") < end))
    ok = pl.col("value").is_finite().fill_null(False)
    if "qc_valid" in df.columns:
        ok = ok & pl.col("qc_valid")
    got = (df.with_columns(_ok=ok).group_by(*SERIES, "period_start")
           .agg(pl.col("period_s").first(), pl.col("_ok").any())
           .with_columns(bucket=pl.col("period_start").dt.truncate(every))
           .group_by(*SERIES, "bucket")
           .agg(received=pl.len(), valid=pl.col("_ok").sum(),
                period_s=pl.col("period_s").first()))
    tz = df.schema["period_start"].time_zone if df.height else "UTC"  # type: ignore[union-attr]
    buckets = pl.datetime_range(start, end, every, closed="left", time_unit="us",
                                time_zone=tz, eager=True).alias("bucket")
    grid = (got.select(*SERIES, "period_s").unique()
            .join(pl.DataFrame(buckets), how="cross"))
    bucket_end = pl.col("bucket").dt.offset_by(every).clip(upper_bound=pl.lit(end).dt
                                                           .replace_time_zone(tz))
    span_s = (bucket_end - pl.col("bucket").clip(lower_bound=pl.lit(start).dt
                                                 .replace_time_zone(tz))).dt.total_seconds()
    return (grid.join(got.drop("period_s"), on=[*SERIES, "bucket"], how="left")
            .with_columns(expected=(span_s // pl.col("period_s")).cast(pl.Int64),
                          received=pl.col("received").fill_null(0).cast(pl.Int64),
                          valid=pl.col("valid").fill_null(0).cast(pl.Int64))
            .with_columns(ratio=pl.col("valid") / pl.col("expected"))
            .drop("period_s").sort(*SERIES, "bucket"))


def gaps(readings: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """The runs of missing periods per series between ``start`` and ``end`` (exclusive).

    A period is missing when no row with a finite value exists for it. Each gap is
    (first missing period_start, end of last missing period, number of missing periods).
    """
    df = (readings.filter((pl.col("period_s") > 0) & pl.col("value").is_finite()
                          & (pl.col("period_start") >= start) & (pl.col("period_start") < end))
          .group_by(*SERIES, "period_start").agg(pl.col("period_s").first()))
    tz = df.schema["period_start"].time_zone if df.height else "UTC"  # type: ignore[union-attr]
    lo = pl.lit(start).dt.replace_time_zone(tz)
    hi = pl.lit(end).dt.replace_time_zone(tz)
    step = pl.duration(seconds=pl.col("period_s"))
    # sentinels one period before start and at end bound every series' gaps
    bounds = df.group_by(SERIES).agg(pl.col("period_s").first())
    sentinels = pl.concat([
        bounds.with_columns(period_start=lo - step),
        bounds.with_columns(period_start=hi),
    ]).select(df.columns)
    s = pl.concat([df, sentinels]).sort(*SERIES, "period_start")
    prev = pl.col("period_start").shift(1).over(SERIES)
    return (s.with_columns(gap_start=prev + step)
            .filter(pl.col("gap_start") < pl.col("period_start"))
            .select(*SERIES, "gap_start", gap_end=pl.col("period_start"),
                    missing=((pl.col("period_start") - pl.col("gap_start")).dt.total_seconds()
                             // pl.col("period_s")).cast(pl.Int64))
            .sort(*SERIES, "gap_start"))


# ----------------------------------------------------------------------------- run_qc
def _object_type_column(df: pl.DataFrame, object_types: Mapping[int, str] | None) -> pl.DataFrame:
    if "object_type" in df.columns:
        return df
    if object_types is None:
        raise ValueError("run_qc needs the object type of each reading: an 'object_type' column "
                         "or object_types={object_id: 'air_station', ...}")
    ids = df["object_id"].unique().drop_nulls().to_list()
    unknown = sorted(set(ids) - set(object_types))
    if unknown:
        raise ValueError(f"object_types has no entry for object_id(s) {unknown[:10]}")
    return df.with_columns(object_type=pl.col("object_id").replace_strict(
        dict(object_types), return_dtype=pl.String, default=None))


def run_qc(frame: pl.DataFrame, config: QCConfig, *, history: pl.DataFrame | None = None,
           object_types: Mapping[int, str] | None = None,
           climatology: Mapping[tuple[str, str], pl.DataFrame] | None = None) -> pl.DataFrame:
    """Apply all configured QC tests to a long table of readings (no I/O).

    Parameters
    ----------
    frame : polars.DataFrame
        New readings, columns of ``READING_SCHEMA`` (optionally ``object_type``).
    config : QCConfig
        From :func:`ecohub.quality.config.load_config`.
    history : polars.DataFrame, optional
        Stored readings of the same series for context, same columns as ``frame``: per series
        at least the longest flat-line window before the earliest new reading, plus everything
        after it (late arrivals change their successors' verdicts). History rows are not
        returned unless the new rows change their verdict (then ``qc_revised`` is True), judged
        against their verdict from the history alone — so the history must be readings already
        checked together (their stored flags are that verdict), never readings still waiting
        for their own check.
    object_types : mapping object_id -> object type, optional
        Needed when ``frame`` has no ``object_type`` column.
    climatology : mapping (object_type, factor) -> envelope, optional
        Envelopes from :func:`climatology_envelope`; without one the climatology test is
        NOT_EVALUATED.

    Returns
    -------
    polars.DataFrame
        The rows of ``frame`` (same order) then the revised history rows, with
        ``qc_flag`` (UInt8, aggregate), ``qc_tests`` (struct of UInt8 per test),
        ``qc_valid`` (bool, :func:`ecohub.quality.flags.valid_for_statistics`),
        ``qc_version`` and ``qc_revised``.
    """
    _check_frame(frame, "frame")
    base = [c for c in frame.columns if c not in QC_COLUMNS]
    parts = [frame.select(base).with_columns(_new=pl.lit(True))]
    if history is not None and history.height:
        _check_frame(history, "history")
        missing_cols = sorted(set(base) - set(history.columns))
        if missing_cols:
            raise ValueError(f"history lacks column(s) {missing_cols} that frame has")
        parts.insert(0, history.select(base).with_columns(_new=pl.lit(False)))
    df = _object_type_column(pl.concat(parts, how="vertical_relaxed"), object_types)
    df = df.with_columns(_row=pl.int_range(pl.len(), dtype=pl.Int64),
                         value=pl.col("value").cast(pl.Float64),
                         period_s=pl.col("period_s").cast(pl.Int64))
    flags, agg, valid = _evaluate(df, config, climatology)
    keep = df["_new"].to_numpy().copy()
    h = df.height - frame.height
    if h:
        # a history row comes back (qc_revised) when the new rows change its verdict: compare
        # with the verdicts from the history alone, so a truncated look-back at the start of
        # the history (the same in both runs) is never reported as a change
        alone = _evaluate(df.head(h), config, climatology)[0]
        keep[:h] = np.any([flags[t][:h] != alone[t] for t in TESTS], axis=0)
    tests = pl.DataFrame({t: pl.Series(t, f, dtype=pl.UInt8) for t, f in flags.items()})
    out = df.with_columns(
        qc_flag=pl.Series(agg, dtype=pl.UInt8),
        qc_tests=tests.to_struct("qc_tests"),
        qc_valid=pl.Series(valid),
        qc_version=pl.lit(config.version),
        qc_revised=~pl.col("_new"),
    )
    return (out.filter(pl.Series(keep)).sort("qc_revised", "_row")
            .select(*base, *QC_COLUMNS))


def _evaluate(df: pl.DataFrame, config: QCConfig,
              climatology: Mapping[tuple[str, str], pl.DataFrame] | None
              ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Per-test flags, aggregate and validity for df (indexed by its _row = 0..n-1)."""
    n = df.height
    values = df["value"].fill_null(np.nan).to_numpy()
    device = df["device_flag"].to_numpy()
    df = df.sort(*KEY, "received_at", "packet_id", "_row", nulls_last=True)
    df = _duplicate_and_order(df)
    flags = {t: np.full(n, NOT_EVALUATED, dtype=np.uint8) for t in TESTS}
    rows = df["_row"].to_numpy()
    flags["duplicate"][rows] = df["duplicate"].to_numpy()
    flags["order"][rows] = df["order"].to_numpy()
    kept_mask = np.zeros(n, dtype=bool)
    kept_mask[rows] = df["_kept"].to_numpy()

    kept = (df.filter(pl.col("_kept"))
            .with_columns(_sid=pl.struct(SERIES).rank("dense"))
            .sort("_sid", "period_start"))
    # series tests, one vectorised call per distinct factor configuration
    for (otype, factor, kind), sub in kept.group_by("object_type", "factor", "kind"):
        ot_cfg = config.object_types.get(otype)  # type: ignore[call-overload]
        fcfg = ot_cfg.factor(factor, kind) if ot_cfg is not None else None  # type: ignore[arg-type]
        if fcfg is None:
            continue
        sub = sub.filter(pl.col("statistic").is_in(fcfg.statistics)).sort("_sid", "period_start")
        if not sub.height:
            continue
        r = sub["_row"].to_numpy()
        for test, f in _series_tests(sub, fcfg).items():
            flags[test][r] = f
        if fcfg.climatology is not None and climatology is not None:
            env = climatology.get((otype, factor))  # type: ignore[arg-type]
            if env is not None:
                flags["climatology"][r] = _climatology_flags(sub, env, fcfg.climatology)

    _consistency(kept, config, flags)
    _device_and_timeliness(df, config, flags)
    # worst wins (ioos_qc precedence), but a value that does not exist is MISSING whatever the
    # metadata tests (device, timeliness, ...) say about its row. Lateness describes the
    # delivery, not the value: a late reading keeps its value's verdict (it counts against the
    # timeliness score instead); a reading stamped in the future (clock error) fails.
    clock_error = np.where(flags["timeliness"] == FAIL, FAIL, NOT_EVALUATED).astype(np.uint8)
    agg = aggregate(*(f for test, f in flags.items() if test != "timeliness"), clock_error)
    agg[~np.isfinite(values)] = MISSING
    # a superseded duplicate is never valid (the store keeps the first arrival only)
    valid = valid_for_statistics(agg, device) & kept_mask
    return flags, agg, valid


def _climatology_flags(sub: pl.DataFrame, env: pl.DataFrame,
                       settings: ClimatologyConfig) -> np.ndarray:
    joined = (sub.select(*SERIES, "value", "_row",
                         bin=_bins(pl.col("period_start"), settings.period).cast(pl.Int32))
              .join(env.select(*SERIES, "bin", "low", "high"), on=[*SERIES, "bin"],
                    how="left", maintain_order="left"))
    low, high = joined["low"].to_numpy(), joined["high"].to_numpy()
    x = joined["value"].fill_null(np.nan).to_numpy()
    have = ~np.isnan(low.astype(np.float64))
    with np.errstate(invalid="ignore"):
        outside = (x < low) | (x > high)
    verdict = np.where(~have, NOT_EVALUATED, np.where(outside, SUSPECT, PASS))
    return np.where(np.isfinite(x), verdict, MISSING).astype(np.uint8)


def _consistency(kept: pl.DataFrame, config: QCConfig, flags: dict[str, np.ndarray]) -> None:
    """Pairs like PM2.5 <= PM10 at the same mn, kind, statistic and period (both flagged)."""
    on = ["mn", "kind", "statistic", "period_start"]
    for otype, ot_cfg in config.object_types.items():
        for pair in ot_cfg.consistency:
            base = kept.filter(pl.col("object_type") == otype)
            a = base.filter(pl.col("factor") == pair.lesser).select(*on, "value", "_row")
            b = base.filter(pl.col("factor") == pair.greater).select(*on, "value", "_row")
            j = a.join(b, on=on, how="inner", suffix="_g")
            bad = (pl.col("value") > pl.col("value_g") * (1 + pair.rel_tolerance)
                   + pair.abs_tolerance)
            j = j.filter(pl.col("value").is_finite() & pl.col("value_g").is_finite()
                         ).with_columns(_bad=bad)
            v = np.where(j["_bad"].to_numpy(), SUSPECT, PASS).astype(np.uint8)
            for rows in (j["_row"].to_numpy(), j["_row_g"].to_numpy()):
                current = flags["consistency"][rows]
                # a reading in several pairs keeps its worst verdict
                flags["consistency"][rows] = np.where(current == NOT_EVALUATED, v,
                                                      np.maximum(current, v))


def _device_and_timeliness(df: pl.DataFrame, config: QCConfig,
                           flags: dict[str, np.ndarray]) -> None:
    d = df.select("_row", "object_type", "kind", "device_flag",
                  delay=(pl.col("received_at") - pl.col("period_start")).dt.total_microseconds()
                  / 1e6 - pl.col("period_s"))
    rows = d["_row"].to_numpy()
    dev = device_flag_test(d["device_flag"].to_numpy())
    for otype in d["object_type"].unique().to_list():
        ot_cfg: ObjectTypeConfig | None = config.object_types.get(otype)  # type: ignore[call-overload]
        if ot_cfg is None:
            continue
        m = (d["object_type"] == otype).to_numpy()
        if ot_cfg.device_flags:
            flags["device"][rows[m]] = dev[m]
        tl = ot_cfg.timeliness
        max_delay = d.filter(pl.Series(m))["kind"].replace_strict(
            tl.max_delay_s, default=None, return_dtype=pl.Float64).to_numpy()
        delay = d.filter(pl.Series(m))["delay"].fill_null(np.nan).to_numpy()
        with np.errstate(invalid="ignore"):
            verdict = np.where(delay < -tl.max_clock_skew_s, FAIL,
                               np.where(delay > max_delay, SUSPECT, PASS))
        verdict = np.where(np.isnan(delay) | np.isnan(max_delay.astype(np.float64)),
                           NOT_EVALUATED, verdict)
        flags["timeliness"][rows[m]] = verdict.astype(np.uint8)
        if not ot_cfg.duplicates:
            flags["duplicate"][rows[m]] = NOT_EVALUATED
        if not ot_cfg.order:
            flags["order"][rows[m]] = NOT_EVALUATED
