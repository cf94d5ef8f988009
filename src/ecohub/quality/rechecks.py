"""Re-check: the batch quality control of a stored period, after a configuration change.

:func:`recheck` checks a period chunk by chunk in time order (memory bounded by the chunk) with
the context rule of :mod:`ecohub.quality.context`, so its flags equal the streaming check's
(:class:`ecohub.quality.streaming.QualityControl`); flags get the new configuration version;
operators' reviews are kept (they live in their own table and win over any automatic verdict,
:mod:`ecohub.quality.stored`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from ecohub.quality.config import QCConfig, load_config
from ecohub.quality.context import (
    DEFAULT_HORIZON,
    ObjectTypes,
    check,
    flags_table,
    windows_of,
)
from ecohub.store import Store

__all__ = ["RecheckResult", "aware_utc", "recheck"]


@dataclass(frozen=True)
class RecheckResult:
    """What a re-check did."""

    readings: int
    """Readings of the period whose flags were (re)written."""
    chunks: int
    version: str
    """``qc_version`` now stored for the period."""
    seconds: float


def aware_utc(moment: datetime, name: str) -> datetime:
    """``moment`` in UTC; a naive datetime is an error naming the field ``name``."""
    if moment.tzinfo is None:
        raise ValueError(f"{name} {moment.isoformat()}: a timezone-aware datetime is required")
    return moment.astimezone(UTC)


def recheck(store: Store, config: QCConfig | Mapping[str, Any] | str | Path | None,
            start: datetime, end: datetime, object_ids: Sequence[int] | None = None, *,
            chunk: timedelta = timedelta(days=1), horizon: timedelta = DEFAULT_HORIZON,
            climatology: Mapping[tuple[str, str], pl.DataFrame] | None = None,
            progress: Callable[[int, int], Any] | None = None) -> RecheckResult:
    """Re-check the stored readings with ``period_start`` in [start, end) with ``config``.

    The configuration is validated completely before anything is read or written
    (:func:`ecohub.quality.config.load_config`; a bad one raises
    :class:`ecohub.quality.config.QCConfigError` naming the field and line). The period is then
    checked chunk by chunk in time order, each chunk with the context rule of the module
    docstring, so memory is bounded by one chunk and the result equals the streaming check's.
    Flags outside [start, end) are never touched; reviews are kept.

    Parameters
    ----------
    store : Store
    config : QCConfig, dict, path to a TOML file, or None (defaults)
    start, end : datetime
        Timezone-aware period bounds (period_start, end exclusive).
    object_ids : sequence of int, optional
        Only these monitored objects.
    chunk : timedelta
        Time span checked at once (at most ``horizon``).
    progress : callable(done, total), optional
        Called after each chunk with the number of chunks done and their total.
    """
    if not isinstance(config, QCConfig):
        config = load_config(config)
    start, end = aware_utc(start, "start"), aware_utc(end, "end")
    if not start < end:
        raise ValueError(f"recheck: start {start.isoformat()} must be before end "
                         f"{end.isoformat()}")
    if not timedelta(0) < chunk <= horizon:
        raise ValueError(f"recheck: chunk {chunk} must be positive and at most the horizon "
                         f"{horizon} (neighbours further apart are not looked up)")
    started = time.perf_counter()
    types = ObjectTypes(store)
    bounds = [start]
    while bounds[-1] < end:
        bounds.append(min(bounds[-1] + chunk, end))
    total = len(bounds) - 1
    written = 0
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        summary = store.measurements.chunk_summary(lo, hi, object_ids)
        if summary.height:
            summary = summary.with_columns(until=pl.lit(hi, pl.Datetime("us", "UTC")))

            def frame_of(context: pl.DataFrame, lo: datetime = lo, hi: datetime = hi
                         ) -> pl.Series:
                return context["period_start"].is_between(lo, hi, closed="left")

            out = check(store, config, types, windows_of(summary, config, types), frame_of,
                        horizon, climatology, checked_only=False)
            out = out.filter(pl.col("period_start").is_between(start, end, closed="left")) \
                if out.height else out
            if out.height:
                store.measurements.write_flags(flags_table(out, datetime.now(UTC)))
                written += int((~out["qc_revised"]).sum())
        if progress is not None:
            progress(i + 1, total)
    return RecheckResult(written, total, config.version, time.perf_counter() - started)
