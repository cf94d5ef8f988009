"""Quality control over the stored readings: which readings count for statistics.

Every assessment reads its data through :func:`read_for_statistics`, so one rule decides
validity everywhere (HJ 663 and GB 3095 Table 4 count only *valid* values):

1. an operator's latest review wins (``accept`` → valid, ``reject`` → not valid);
2. otherwise the stored automatic QC verdict (``qc_valid``) decides;
3. a reading not checked yet is judged by its HJ 212 device flag alone.

**Stored form.** ``qc_tests`` is stored as compact JSON of the per-test QARTOD codes, in the order
of :data:`ecohub.quality.checks.TESTS`, e.g. ``{"gross_range":1,"spike":2,…}``
(:func:`decode_tests` reads it back as a struct column).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import numpy as np
import polars as pl

from ecohub.quality.checks import TESTS
from ecohub.quality.flags import NOT_EVALUATED, valid_for_statistics
from ecohub.store import Store

TESTS_DTYPE: Final = pl.Struct({t: pl.UInt8 for t in TESTS})


def decode_tests(column: str | pl.Expr = "qc_tests") -> pl.Expr:
    """The stored ``qc_tests`` JSON as a struct of per-test QARTOD codes.

    Null where unchecked or not in ecohub's JSON form.
    """
    col = pl.col(column) if isinstance(column, str) else column
    return (pl.when(col.str.starts_with("{")).then(col).otherwise(None)
            .str.json_decode(TESTS_DTYPE))


def with_validity(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the boolean ``valid`` column to readings read with ``with_qc=True``."""
    device_only = valid_for_statistics(
        np.full(frame.height, NOT_EVALUATED, dtype=np.uint8),
        frame["device_flag"].fill_null("").to_numpy(),
    )
    return frame.with_columns(
        pl.when(pl.col("review") == "accept").then(True)
        .when(pl.col("review") == "reject").then(False)
        .when(pl.col("qc_valid").is_not_null()).then(pl.col("qc_valid"))
        .otherwise(pl.Series(device_only, dtype=pl.Boolean))
        .alias("valid")
    )


def read_for_statistics(
    store: Store,
    kind: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    object_ids: Sequence[int] | None = None,
    factors: Sequence[str] | None = None,
    statistic: str | None = None,
) -> pl.DataFrame:
    """Stored readings with their QC columns and ``valid`` (see the module docstring)."""
    frame = store.measurements.readings(
        kind=kind, start=start, end=end, object_ids=object_ids, factors=factors,
        statistic=statistic, with_qc=True,
    )
    return with_validity(frame)
