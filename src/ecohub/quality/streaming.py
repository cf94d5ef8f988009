"""Streaming quality control: each reading the gateway commits is checked, flags stored beside it.

:class:`QualityControl` is an ``on_commit`` hook of the HJ 212 gateway
(:class:`ecohub.ingest.hj212_server.Gateway`): for each committed readings table it fetches the
context the QC tests need from the store (:mod:`ecohub.quality.context`, one query for all
affected series), runs :func:`ecohub.quality.checks.run_qc` and upserts the flags of the new
readings and of the stored readings whose verdict the new ones change (``qc_revised``: a late
reading completes its neighbours' spike test, a late partner completes a consistency pair …).
The flags equal those of a re-check of the same period (:func:`ecohub.quality.rechecks.recheck`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
import pyarrow as pa

from ecohub.quality.checks import KEY
from ecohub.quality.config import QCConfig, load_config
from ecohub.quality.context import (
    DEFAULT_HORIZON,
    ObjectTypes,
    check,
    flags_table,
    windows_of,
)
from ecohub.store import Store

log = logging.getLogger(__name__)

__all__ = ["CheckResult", "QualityControl"]


@dataclass(frozen=True)
class CheckResult:
    """What one streaming check did."""

    readings: int
    """Readings checked (committed ones found in the store)."""
    revised: int
    """Earlier readings whose flags the new ones changed."""
    seconds: float


class QualityControl:
    """Streaming QC: an ``on_commit`` hook that checks each committed readings table.

    >>> qc = QualityControl(store, load_config("qc.toml"), background=True)  # doctest: +SKIP
    >>> gateway.on_commit.append(qc)                                         # doctest: +SKIP
    >>> ...; qc.close(); store.close()                                        # doctest: +SKIP

    Per check: one query fetches the context of all affected (MN, kind) pairs (a second one only
    when a series has a gap before its new readings), one :func:`run_qc`, one upsert of flags.

    The cost of a check is dominated by the context (a flat-line window of history per series,
    evaluated by run_qc with and without the new rows), not by the new readings, so checking
    many commits at once is much cheaper per reading. With ``background=True`` a call only
    queues the table (microseconds: the gateway's store thread is never held up) and a worker
    thread checks everything queued since its last pass in one go — the busier the gateway, the
    larger each pass. Without it, a call checks synchronously and returns a :class:`CheckResult`.
    ``readings`` and ``seconds`` accumulate over checks (throughput: readings / seconds).

    Parameters
    ----------
    store : Store
        The store the gateway commits to.
    config : QCConfig, optional
        Default :func:`ecohub.quality.config.default_config`.
    background : bool
        Check on a worker thread (call :meth:`flush` to wait, :meth:`close` before closing the
        store).
    horizon : timedelta
        How far back a neighbour across a gap is looked up (module docstring).
    climatology : mapping (object_type, factor) -> envelope, optional
        Seasonal envelopes (:func:`ecohub.quality.checks.climatology_envelope`) for the
        climatology test.
    """

    def __init__(self, store: Store, config: QCConfig | None = None, *, background: bool = False,
                 horizon: timedelta = DEFAULT_HORIZON,
                 climatology: Mapping[tuple[str, str], pl.DataFrame] | None = None) -> None:
        self.store = store
        self.config = config if config is not None else load_config(None)
        self.horizon = horizon
        self.climatology = climatology
        self.readings = 0
        self.seconds = 0.0
        self.passes = 0
        self.failures = 0
        self._types = ObjectTypes(store)
        self._queue: queue.Queue[pa.Table | None] | None = None
        self._worker: threading.Thread | None = None
        if background:
            self._queue = queue.Queue()
            self._worker = threading.Thread(target=self._work, name="ecohub-qc", daemon=True)
            self._worker.start()

    def __call__(self, committed: pa.Table) -> CheckResult | None:
        """The hook: check ``committed`` now, or queue it when running in the background."""
        if self._queue is None:
            return self.check(committed)
        if self._worker is None:
            raise RuntimeError("QualityControl is closed")
        self._queue.put(committed)
        return None

    def flush(self) -> None:
        """Wait until every queued table has been checked (background mode)."""
        if self._queue is not None:
            self._queue.join()

    def close(self) -> None:
        """Check what is queued, then stop the worker (call before closing the store)."""
        if self._queue is not None and self._worker is not None:
            self._queue.put(None)
            self._worker.join()
            self._worker = None

    def __enter__(self) -> QualityControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _work(self) -> None:
        assert self._queue is not None
        stop = False
        while not stop:
            tables = [self._queue.get()]
            while True:  # everything queued meanwhile goes into the same pass
                try:
                    tables.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = None in tables
            todo = [t for t in tables if t is not None]
            try:
                if todo:
                    self.check(pa.concat_tables(todo))
            except Exception:  # the readings stay unchecked (device flag rules); recheck repairs
                self.failures += 1
                log.exception("quality control of %d committed readings failed",
                              sum(t.num_rows for t in todo))
            finally:
                for _ in tables:
                    self._queue.task_done()

    def check(self, committed: pa.Table) -> CheckResult:
        """Check the readings of committed table(s) (READING_SCHEMA) and store their flags."""
        started = time.perf_counter()
        keys = pl.from_arrow(committed.select(KEY))
        assert isinstance(keys, pl.DataFrame)
        keys = keys.unique()
        ids = pl.from_arrow(committed.select(["mn", "object_id"]))
        assert isinstance(ids, pl.DataFrame)
        summary = (keys.join(ids.unique("mn"), on="mn")
                   .group_by("mn", "kind").agg(pl.col("object_id").first(),
                                               first=pl.col("period_start").min())
                   .with_columns(until=pl.lit(None, pl.Datetime("us", "UTC")),
                                 seen=pl.lit(None, pl.Datetime("us", "UTC"))))
        if summary.is_empty():
            return CheckResult(0, 0, 0.0)
        marker = keys.with_columns(_new=pl.lit(True))

        def frame_of(context: pl.DataFrame) -> pl.Series:
            return (context.select(KEY).join(marker, on=KEY, how="left", maintain_order="left")
                    ["_new"].fill_null(False))

        out = check(self.store, self.config, self._types,
                    windows_of(summary, self.config, self._types), frame_of, self.horizon,
                    self.climatology, checked_only=True)
        if out.height:
            self.store.measurements.write_flags(flags_table(out, datetime.now(UTC)))
        revised = int(out["qc_revised"].sum()) if out.height else 0
        seconds = time.perf_counter() - started
        self.readings += out.height - revised
        self.seconds += seconds
        self.passes += 1
        return CheckResult(out.height - revised, revised, seconds)
