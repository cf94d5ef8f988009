"""Data-quality scores per department, monitored object or factor, per day or month.

How well each supplier of data supplies it — the chief data officer's view; the workbook for
people is :func:`ecohub.reports.quality.write_excel`.

Four dimensions, each a share in [0, 1] computed from the stored readings of the period data
(minute, hour and day data, CN 2051/2061/2031; real-time data have no fixed rate and are
previews, so they are left out of every dimension):

=============  =====================================================================================
completeness   received / expected periods per (device, registered factor, kind): a device is
               expected to send hour data 24 times a day, day data once, minute data
               1440 / minute_interval times (its registry entry; HJ 212-2017 Table 4
               MinInterval). Per kind Σ min(received, expected) / Σ expected over the group; the
               dimension is the mean over the kinds (each kind weighs the same, so 144 minute
               values do not drown one day value). A silent device scores 0.
timeliness     share of readings with received_at − period end ≤ the QC configuration's
               ``timeliness.max_delay_s`` of the object type and kind (hour data: 1 h,
               HJ 633-2026 §5.2) and not received before the period ended by more than
               ``max_clock_skew_s`` (a wrong device clock) — the rule of the QC timeliness test.
validity       share of readings ``valid`` for statistics under the one validity rule
               (:func:`ecohub.quality.stored.read_for_statistics`: review > automatic QC >
               device flag).
consistency    share of checked readings passing the cross-factor consistency test (e.g.
               PM2.5 ≤ PM10), the duplicate test and the arrival-order test (``qc_tests``
               stored by :mod:`ecohub.quality.stored`); readings not checked yet are left out.
=============  =====================================================================================

The combined **score** is the weighted mean of the dimensions present (:data:`WEIGHTS`:
completeness 0.3, validity 0.3, timeliness 0.2, consistency 0.2; weights of a missing dimension
are shared out over the others). The weights are ecohub's choice — no standard sets them: data
that are missing or invalid cannot be used at all, whereas late or inconsistent data can still
be used with care, hence the heavier weight on the first two (ISO/IEC 25012 names all four as
inherent data-quality characteristics without ranking them).

Days and months are those of China Standard Time (UTC+8), by each reading's period start.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Final, Literal

import polars as pl

from ecohub.quality.config import QCConfig, TimelinessConfig, default_config
from ecohub.quality.flags import FAIL, SUSPECT
from ecohub.quality.stored import decode_tests, read_for_statistics
from ecohub.store import Store
from ecohub.vocabulary import CHINA_TZ, CHINA_TZ_NAME, FACTORS, KINDS, OBJECT_TYPES

__all__ = ["DIMENSIONS", "GROUPINGS", "SCORED_KINDS", "WEIGHTS", "Grouping", "Period",
           "explain_scores",
           "quality_scores"]

SCORED_KINDS: Final = ("minute", "hour", "day")
"""The data kinds scored: the period data (real-time data are previews)."""
WEIGHTS: Final[dict[str, float]] = {"completeness": 0.3, "validity": 0.3, "timeliness": 0.2,
                                    "consistency": 0.2}
"""Weight of each dimension in the combined score (ecohub's choice, see the module docstring)."""
DIMENSIONS: Final = tuple(WEIGHTS)
"""The four dimensions, in the column order of :func:`quality_scores`."""
GROUPINGS: Final = ("department", "object", "factor")
"""What :func:`quality_scores` can group by."""
Grouping = Literal["department", "object", "factor"]
Period = Literal["day", "month"] | None

_GROUP_KEYS: Final[dict[str, list[str]]] = {
    "department": ["department"],
    "object": ["object_id", "object_code", "object_name", "object_type", "department"],
    "factor": ["factor", "factor_name"],
}
_PART: Final = ["mn", "object_id", "factor", "kind", "bucket"]
_COUNTS: Final = ["received", "readings", "timely", "valid", "checked", "consistent"]


def _buckets(start: datetime, end: datetime, period: Period) -> pl.DataFrame:
    """Columns ``bucket`` (CST date label), ``lo``, ``hi`` (UTC bounds clipped to [start, end))."""
    if period is None:
        return pl.DataFrame({"bucket": [None], "lo": [start], "hi": [end]},
                            schema={"bucket": pl.Date, "lo": pl.Datetime("us", "UTC"),
                                    "hi": pl.Datetime("us", "UTC")})
    day = start.astimezone(CHINA_TZ).date()
    first = day.replace(day=1) if period == "month" else day
    rows = []
    while True:
        nxt = (date(first.year + first.month // 12, first.month % 12 + 1, 1)
               if period == "month" else first + timedelta(days=1))
        lo = max(datetime.combine(first, datetime.min.time(), CHINA_TZ), start)
        hi = min(datetime.combine(nxt, datetime.min.time(), CHINA_TZ), end)
        if lo >= end:
            break
        rows.append({"bucket": first, "lo": lo, "hi": hi})
        first = nxt
    return pl.DataFrame(rows, schema={"bucket": pl.Date, "lo": pl.Datetime("us", "UTC"),
                                      "hi": pl.Datetime("us", "UTC")})


def _bucket_of(period: Period) -> pl.Expr:
    local = pl.col("period_start").dt.convert_time_zone(CHINA_TZ_NAME).dt.date()
    if period is None:
        return pl.lit(None, dtype=pl.Date)
    return local.dt.truncate("1mo") if period == "month" else local


def _max_delays(config: QCConfig, object_types: Sequence[str]) -> pl.DataFrame:
    rows = []
    for ot in object_types:
        tl = (config.object_types[ot].timeliness  # type: ignore[index]
              if ot in config.object_types else TimelinessConfig())
        rows += [{"object_type": ot, "kind": k, "max_delay_s": tl.max_delay_s.get(k),
                  "max_skew_s": tl.max_clock_skew_s} for k in SCORED_KINDS]
    return pl.DataFrame(rows, schema={"object_type": pl.String, "kind": pl.String,
                                      "max_delay_s": pl.Float64, "max_skew_s": pl.Float64})


def _expected(store: Store, buckets: pl.DataFrame) -> pl.DataFrame:
    """Expected periods per (mn, object_id, registered factor, kind, bucket)."""
    devices = pl.DataFrame(
        [{"mn": d.mn, "object_id": d.object_id, "factor": list(d.factors),
          "minute_interval": d.minute_interval} for d in store.registry.devices().values()],
        schema={"mn": pl.String, "object_id": pl.Int64, "factor": pl.List(pl.String),
                "minute_interval": pl.Int64})
    kinds = pl.DataFrame({"kind": list(SCORED_KINDS)})
    step = (pl.when(pl.col("kind") == "minute").then(pl.col("minute_interval") * 60)
            .when(pl.col("kind") == "hour").then(3600).otherwise(86400))
    # periods start on a grid anchored at CST midnight (UTC 16:00): count grid points in [lo, hi)
    anchor = 16 * 3600

    def ceil_div(x: pl.Expr) -> pl.Expr:
        return -((-(x - anchor)) // pl.col("step"))

    lo, hi = pl.col("lo").dt.epoch("s"), pl.col("hi").dt.epoch("s")
    return (devices.explode("factor").join(kinds, how="cross").join(buckets, how="cross")
            .with_columns(step=step)
            .select(*_PART, expected=(ceil_div(hi) - ceil_div(lo)).clip(lower_bound=0)))


def _received(store: Store, start: datetime, end: datetime, period: Period, config: QCConfig,
              types: pl.DataFrame, chunk: timedelta) -> pl.DataFrame:
    """Counts per (mn, object_id, factor, kind, bucket), read one chunk of time at a time."""
    delays = _max_delays(config, types["object_type"].unique().to_list())
    tests = decode_tests()
    bad = [int(SUSPECT), int(FAIL)]
    parts = []
    lo = start
    while lo < end:
        hi = min(lo + chunk, end)
        for kind in SCORED_KINDS:
            frame = read_for_statistics(store, kind=kind, start=lo, end=hi)
            if frame.is_empty():
                continue
            delay = ((pl.col("received_at") - pl.col("period_start")).dt.total_microseconds()
                     / 1e6 - pl.col("period_s"))
            parts.append(
                frame.join(types.select("object_id", "object_type"), on="object_id", how="left")
                .join(delays, on=["object_type", "kind"], how="left")
                .with_columns(bucket=_bucket_of(period), _t=tests)
                .group_by(_PART)
                .agg(received=pl.col("period_start").n_unique(),
                     readings=pl.len(),
                     timely=(delay.is_between(-pl.col("max_skew_s"), pl.col("max_delay_s")))
                     .fill_null(False).sum(),
                     valid=pl.col("valid").sum(),
                     checked=pl.col("_t").is_not_null().sum(),
                     consistent=(pl.col("_t").is_not_null()
                                 & ~pl.col("_t").struct.field("consistency").is_in(bad)
                                 & ~pl.col("_t").struct.field("duplicate").is_in(bad)
                                 & ~pl.col("_t").struct.field("order").is_in(bad)).sum()))
        lo = hi
    schema = {"mn": pl.String, "object_id": pl.Int64, "factor": pl.String, "kind": pl.String,
              "bucket": pl.Date} | dict.fromkeys(_COUNTS, pl.Int64)
    if not parts:
        return pl.DataFrame(schema=schema)
    return (pl.concat([p.select(pl.col(c).cast(t) for c, t in schema.items()) for p in parts])
            .group_by(_PART).agg(pl.col(_COUNTS).sum()))


def quality_scores(store: Store, start: datetime, end: datetime, by: Grouping = "department",
                   period: Period = None, *, config: QCConfig | None = None,
                   chunk: timedelta = timedelta(days=7)) -> pl.DataFrame:
    """Data-quality scores of the period data with ``period_start`` in [start, end).

    See the module docstring for the four dimensions and the combined score.

    Parameters
    ----------
    store : Store
    start, end : datetime
        Timezone-aware; align them to CST midnights for whole-day expectations.
    by : {"department", "object", "factor"}
        Grouping: the owning department (registry), the monitored object, or the HJ 212 factor.
    period : {"day", "month"} or None
        One row per group and CST day / month, or one row per group for the whole span.
    config : QCConfig, optional
        Source of the timeliness limits; default :func:`default_config`.
    chunk : timedelta
        Readings are read this much time at a time (bounded memory).

    Returns
    -------
    polars.DataFrame
        The group columns, ``period`` (Date: the CST day or first of month; null without
        ``period``), ``expected``, ``received`` (periods), completeness per kind
        (``completeness_minute``, ``completeness_hour``, ``completeness_day``), ``readings``,
        ``timely``, ``valid``, ``checked``, ``consistent``, the four dimensions and ``score``
        (shares in [0, 1], null where the group has nothing to measure), sorted by group.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by={by!r}: expected one of {', '.join(GROUPINGS)}")
    if period not in ("day", "month", None):
        raise ValueError(f"period={period!r}: expected 'day', 'month' or None")
    for name, moment in (("start", start), ("end", end)):
        if moment.tzinfo is None:
            raise ValueError(f"{name} {moment.isoformat()}: a timezone-aware datetime is required")
    if not start < end:
        raise ValueError(f"start {start.isoformat()} must be before end {end.isoformat()}")
    config = config or default_config()
    objects = pl.DataFrame(
        [{"object_id": o.id, "object_code": o.code, "object_name": o.name,
          "object_type": o.object_type, "department": o.department or "未指定"}
         for o in store.registry.objects()],
        schema={"object_id": pl.Int64, "object_code": pl.String, "object_name": pl.String,
                "object_type": pl.String, "department": pl.String})
    buckets = _buckets(start, end, period)
    counts = (_expected(store, buckets)
              .join(_received(store, start, end, period, config, objects, chunk), on=_PART,
                    how="full", coalesce=True, nulls_equal=True)
              .with_columns(pl.col("expected", *_COUNTS).fill_null(0))
              .with_columns(received=pl.min_horizontal("received", "expected"))
              .join(objects, on="object_id", how="left")
              .with_columns(factor_name=pl.col("factor").replace_strict(
                  {code: f.name_zh for code, f in FACTORS.items()}, default=pl.col("factor"),
                  return_dtype=pl.String),
                  department=pl.col("department").fill_null("未指定")))
    keys = [*_GROUP_KEYS[by], "bucket"]

    def share(num: str, den: str) -> pl.Expr:
        return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))

    per_kind = [
        (pl.col("received").filter(pl.col("kind") == k).sum()
         / pl.col("expected").filter(pl.col("kind") == k).sum()).alias(f"completeness_{k}")
        for k in SCORED_KINDS
    ]
    out = (counts.group_by(keys)
           .agg(pl.col("expected", *_COUNTS).sum(), *per_kind)
           .with_columns(pl.col(f"completeness_{k}").fill_nan(None) for k in SCORED_KINDS)
           .with_columns(completeness=pl.mean_horizontal(
                             *(f"completeness_{k}" for k in SCORED_KINDS)),
                         timeliness=share("timely", "readings"),
                         validity=share("valid", "readings"),
                         consistency=share("consistent", "checked")))
    weight = pl.sum_horizontal(pl.when(pl.col(d).is_not_null()).then(w).otherwise(0.0)
                               for d, w in WEIGHTS.items())
    weighted = pl.sum_horizontal(pl.col(d).fill_null(0.0) * w for d, w in WEIGHTS.items())
    if by == "object":
        out = out.with_columns(pl.col("object_type").replace(dict(OBJECT_TYPES)))
    return (out.with_columns(score=pl.when(weight > 0).then(weighted / weight))
            .rename({"bucket": "period"})
            .select(*_GROUP_KEYS[by], "period", "expected", "received",
                    *(f"completeness_{k}" for k in SCORED_KINDS), "readings", "timely", "valid",
                    "checked", "consistent", *DIMENSIONS, "score")
            .sort(*_GROUP_KEYS[by], "period"))


def explain_scores(scores: pl.DataFrame, by: Grouping = "department",
                   low_timeliness: float = 0.5) -> list[str]:
    """Why scores are low, in sentences a report prints beside its table (Chinese).

    Two causes are named, as the data show them: a kind of data expected by the loggers'
    registration of which nothing at all arrived (completeness of that kind 0, e.g. minute data
    registered but never sent), and a timeliness below ``low_timeliness`` (most readings
    arrived later than the QC configuration's maximum delay: back-filled or replayed data).

    Parameters
    ----------
    scores : polars.DataFrame
        :func:`quality_scores` of grouping ``by``.
    by : {"department", "object", "factor"}
    low_timeliness : float
        The share below which timeliness is explained.

    Returns
    -------
    list of str
        One sentence per group and cause, in table order; empty when nothing stands out.
    """
    name = {"department": "department", "object": "object_name", "factor": "factor_name"}[by]
    missing: dict[str, list[str]] = {}
    late: list[str] = []
    for row in scores.iter_rows(named=True):
        group = str(row[name]) + ("" if row.get("period") is None else f"（{row['period']}）")
        kinds = "、".join(KINDS[k].name_zh for k in SCORED_KINDS
                         if row.get(f"completeness_{k}") == 0)
        if kinds:
            missing.setdefault(kinds, []).append(group)
        timeliness = row.get("timeliness")
        if timeliness is not None and timeliness < low_timeliness:
            late.append(group)
    notes = [f"{_some(groups)}：按设备登记应收的{kinds}一条也未收到，完整率因此偏低（设备未上报"
             "此类数据，或登记的上报频次与实际不符）。" for kinds, groups in missing.items()]
    if late:
        notes.append(f"{_some(late)}：及时率低于 {low_timeliness:.0%}，多数读数晚于质控配置的"
                     "最大延迟到达（补传、历史回填或集中重放的数据按迟到计）。")
    return notes


def _some(groups: list[str], shown: int = 6) -> str:
    """``A、B、C 等 12 个`` — a few names of a long list."""
    head = "、".join(groups[:shown])
    return head if len(groups) <= shown else f"{head} 等 {len(groups)} 个"
