"""Operators' reviews: one reading's automatic QC verdict accepted or rejected, with who and why.

A review lives in its own table beside the reading and its flags; the newest wins, older ones stay
as history, and no re-check removes them (:mod:`ecohub.quality.stored`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from ecohub.quality.checks import KEY
from ecohub.quality.rechecks import aware_utc
from ecohub.store import Store
from ecohub.store.measurements import REVIEWS
from ecohub.vocabulary import KINDS

__all__ = ["review"]


def review(store: Store, key: Mapping[str, Any], decision: str, reviewer: str, reason: str,
           reviewed_at: datetime | None = None) -> pl.DataFrame:
    """Record an operator's review of one reading's automatic flags and return the reading.

    ``accept`` makes the reading valid for statistics whatever the automatic QC said,
    ``reject`` makes it invalid; the newest review wins, older ones stay as history, and no
    re-check removes them (:func:`ecohub.quality.stored.read_for_statistics`).

    Parameters
    ----------
    key : mapping
        The reading key: mn, factor, kind, period_start (aware datetime, the HJ 212 DataTime),
        statistic.
    decision : {"accept", "reject"}
    reviewer, reason : str
        Who reviewed, and why (both required).
    reviewed_at : datetime, optional
        Default now.

    Returns
    -------
    polars.DataFrame
        The reading with its stored QC columns and the latest review.
    """
    if decision not in REVIEWS:
        raise ValueError(f"review decision {decision!r}: expected one of {', '.join(REVIEWS)}")
    missing = [k for k in KEY if k not in key]
    if missing:
        raise ValueError(f"review: reading key lacks {', '.join(missing)}")
    if key["kind"] not in KINDS:
        raise ValueError(f"review: kind {key['kind']!r}, expected one of {', '.join(KINDS)}")
    moment = aware_utc(key["period_start"], "period_start")
    full = {**{k: key[k] for k in KEY}, "period_start": moment}
    if full["mn"] not in store.registry.devices():
        raise ValueError(f"MN {full['mn']} is not registered; `ecohub registry devices` lists "
                         "the MNs")
    store.measurements.add_review(full, decision, reviewer, reason,
                                  reviewed_at or datetime.now(UTC))
    return store.measurements.readings(
        kind=full["kind"], start=moment, end=moment + timedelta(microseconds=1),
        factors=[full["factor"]], statistic=full["statistic"], with_qc=True,
    ).filter(pl.col("mn") == full["mn"])
