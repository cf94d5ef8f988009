"""The context rule: which stored readings a QC check sees around the readings it checks.

**Streaming equals batch.** The streaming check (:class:`ecohub.quality.streaming.QualityControl`)
and the re-check (:func:`ecohub.quality.rechecks.recheck`) hand
:func:`ecohub.quality.checks.run_qc` the same *context* around the readings being checked, so
the flags stored after any sequence of commits equal those of one re-check of the whole period
(``tests/quality/test_pipeline.py``). Per (device MN, data kind) the context is

1. every stored reading from ``since`` on, where ``since`` is the earliest reading being checked
   minus the longest flat-line window configured for that object type and kind (a flat-line
   window reaches back that far), plus two more periods (``near``: the neighbours of the first
   reading's predecessor, for its spike test);
2. per series (mn, factor, kind, statistic), the last two readings and the last finite reading
   before ``since`` when (1) holds none: the spike neighbour and rate-of-change predecessor across
   a gap — looked up at most ``horizon`` (default 31 days) back;
3. for a re-check chunk ending at ``until`` (streaming has no upper end): the readings up to
   ``until + near`` and the first reading after that (the successor for the spike test), and every
   later-period reading received before the chunk's latest reception (evidence for the order
   test).

Parts (1) and (3) are the measurement store's named read ``qc_context_near``, part (2) and the
successor of (3) its ``qc_context_far`` (:class:`ecohub.store.measurements.MeasurementStore`). A
neighbour further away than ``horizon`` is not looked up in either path; within a chunk
(``chunk <= horizon``) run_qc sees all data, so the two paths agree exactly.

In streaming, the history holds only *checked* readings (those with stored flags). run_qc
revises a history reading when the new readings change its verdict from that of the history
alone, so that verdict must be the one stored. A reading committed after the ones being checked
(queued for the worker's next pass) was absent when those flags were computed; taken as history
it would, for instance, become the successor of the previous pass's last real-time reading
(period 0, so no gap rule applies) and hide that its "not evaluated" spike verdict is to be
revised. It is checked, and its neighbours revised, in its own pass. A reading never checked (a
failed pass, data stored without the hook) is context for the re-check only, which repairs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

import polars as pl
import pyarrow as pa

from ecohub.quality.checks import KEY, SERIES, run_qc
from ecohub.quality.config import QCConfig
from ecohub.quality.units import in_qc_units
from ecohub.store import QC_FLAG_SCHEMA, Store
from ecohub.vocabulary import KINDS

__all__ = ["DEFAULT_HORIZON", "ObjectTypes", "check", "context", "flags_table", "lookback",
           "windows_of"]

DEFAULT_HORIZON: Final = timedelta(days=31)
"""How far back (and, in a re-check, ahead) a neighbour across a gap is looked up."""

# Longest spacing of consecutive periods per kind (minute data: up to 30 min, HJ 212-2017 Table 4
# MinInterval), and the margin ``near`` = two of them plus a minute.
_STEP_S: Final = {"realtime": 270, "minute": 1800, "hour": 3600, "day": 86400}
_NEAR: Final = {k: timedelta(seconds=2 * s + 60) for k, s in _STEP_S.items()}

FrameOf = Callable[[pl.DataFrame], pl.Series]
"""Marks the context rows that are being checked (the rest is history)."""


def lookback(config: QCConfig, object_type: str, kind: str) -> timedelta:
    """Longest flat-line window (fail threshold, s) configured for an object type and kind.

    The flat-line test of a reading looks back this far (QARTOD flat line; ``ioos_qc``
    ``fail_threshold`` in seconds), so this is how much history a check needs before the
    earliest reading it checks; zero when no flat-line test applies.
    """
    ot = config.object_types.get(object_type)  # type: ignore[call-overload]
    if ot is None:
        return timedelta(0)
    codes = {key.split("@", 1)[0] for key in ot.factors}
    windows = [f.flat_line.fail_threshold for code in codes
               if (f := ot.factor(code, kind)) is not None and f.flat_line is not None]
    return timedelta(seconds=max(windows, default=0.0))


class ObjectTypes:
    """object_id -> object type from the registry, reloaded when an unknown id shows up."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._types: dict[int, str] = {}

    def of(self, object_ids: Sequence[int]) -> dict[int, str]:
        """The known object types (object_id -> type), covering every id of ``object_ids``.

        Raises ``ValueError`` for ids the registry does not know either.
        """
        if not set(object_ids) <= self._types.keys():
            self._types = {o.id: o.object_type
                           for o in self._store.registry.objects(include_retired=True)}
            unknown = sorted(set(object_ids) - self._types.keys())
            if unknown:
                raise ValueError(f"readings of object_id(s) {unknown[:10]} that the registry "
                                 "does not know: register the objects before checking")
        return self._types

    def column(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with the ``object_type`` column of its ``object_id``."""
        types = self.of(frame["object_id"].unique().to_list())
        return frame.with_columns(object_type=pl.col("object_id").replace_strict(
            types, return_dtype=pl.String, default=None))


def windows_of(summary: pl.DataFrame, config: QCConfig, types: ObjectTypes) -> pl.DataFrame:
    """(mn, kind, since, until, seen) from (mn, kind, object_id, first, until, seen)."""
    type_of = types.of(summary["object_id"].unique().to_list())
    back = {(ot, k): lookback(config, ot, k) for ot in set(type_of.values()) for k in KINDS}
    span = [back[(type_of[o], k)] for o, k in zip(summary["object_id"], summary["kind"],
                                                    strict=True)]
    return summary.select("mn", "kind", "until", "seen",
                          since=pl.col("first") - pl.Series(span, dtype=pl.Duration("us")))


def context(store: Store, windows: pl.DataFrame, frame_of: FrameOf, horizon: timedelta,
            checked_only: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(readings to check, their history) for windows (mn, kind, since, until, seen).

    ``frame_of(context)`` marks the context rows being checked. With ``checked_only`` the
    history holds only readings with stored flags (streaming, module docstring).
    """
    windows = windows.with_columns(
        floor=pl.col("since") - pl.col("kind").replace_strict(_NEAR, return_dtype=pl.Duration),
        ahead=pl.col("until") + pl.col("kind").replace_strict(_NEAR, return_dtype=pl.Duration),
    )
    near = store.measurements.qc_context_near(windows, checked_only)
    is_frame = frame_of(near)
    frame = near.filter(is_frame).drop("checked")
    near = near.filter(is_frame | pl.col("checked")).drop("checked")
    # which checked series lack a neighbour in (1): fewer than two readings or no finite one
    # before `since`, or (re-check) no successor in [until, ahead)
    w = windows.select("mn", "kind", "since", "until", "ahead")
    seen = (near.join(w, on=["mn", "kind"])
            .group_by(SERIES)
            .agg(before=(pl.col("period_start") < pl.col("since")).sum(),
                 finite=((pl.col("period_start") < pl.col("since"))
                         & pl.col("value").is_finite()).any(),
                 after=pl.col("period_start").is_between(pl.col("until"), pl.col("ahead"),
                                                         closed="left").any()))
    lacking = (frame.select(SERIES).unique().join(seen, on=SERIES, how="left")
               .join(w, on=["mn", "kind"])
               .filter((pl.col("before").fill_null(0) < 2) | ~pl.col("finite").fill_null(False)
                       | (pl.col("until").is_not_null() & ~pl.col("after").fill_null(False))))
    found = near
    if lacking.height:
        far = (store.measurements.qc_context_far(
                   windows.join(lacking.select("mn", "kind").unique(), on=["mn", "kind"])
                   .with_columns(lo=pl.col("since") - horizon, hi=pl.col("until") + horizon),
                   checked_only)
               .join(lacking.select(SERIES), on=SERIES, how="semi"))
        found = pl.concat([near, far]).unique(KEY, keep="first", maintain_order=True)
    history = found.filter(~frame_of(found))
    return frame, history


def check(store: Store, config: QCConfig, types: ObjectTypes, windows: pl.DataFrame,
          frame_of: FrameOf, horizon: timedelta,
          climatology: Mapping[tuple[str, str], pl.DataFrame] | None,
          checked_only: bool) -> pl.DataFrame:
    """run_qc over the readings ``frame_of`` marks in their context (empty: nothing to check)."""
    frame, history = context(store, windows, frame_of, horizon, checked_only)
    if frame.is_empty():
        return pl.DataFrame()
    frame = in_qc_units(types.column(frame))
    history = in_qc_units(types.column(history)) if history.height else None
    return run_qc(frame, config, history=history, climatology=climatology)


def flags_table(checked: pl.DataFrame, now: datetime) -> pa.Table:
    """The QC results of run_qc's output, as stored (:data:`ecohub.store.QC_FLAG_SCHEMA`).

    ``checked_at`` is ``now``.
    """
    table = checked.select(
        "mn", "factor", "kind", "period_start", "statistic",
        pl.col("qc_flag").cast(pl.Int16), pl.col("qc_tests").struct.json_encode(), "qc_valid",
        "qc_version", checked_at=pl.lit(now, dtype=pl.Datetime("us", "UTC")),
    ).to_arrow()
    return table.cast(QC_FLAG_SCHEMA)
