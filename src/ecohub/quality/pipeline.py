"""Quality control in the data path: each committed reading is checked, flags stored beside it.

Three entry points over one core:

* :class:`QualityControl` — the streaming check, an ``on_commit`` hook of the HJ 212 gateway
  (:class:`ecohub.ingest.hj212_server.Gateway`): for each committed readings table it fetches the
  context the QC tests need from the store (one query for all affected series), runs
  :func:`ecohub.quality.checks.run_qc` and upserts the flags of the new readings and of the stored
  readings whose verdict the new ones change (``qc_revised``: a late reading completes its
  neighbours' spike test, a late partner completes a consistency pair …).
* :func:`recheck` — the batch check of a period after a configuration change, chunk by chunk in
  time order (memory bounded by the chunk), with the same context rule; flags get the new
  configuration version; operators' reviews are kept (they live in their own table and win over
  any automatic verdict, :mod:`ecohub.quality.stored`).
* :func:`review` — an operator accepts or rejects one reading's flags, with who and why.

**Streaming equals batch.** Both paths hand run_qc the same *context* around the readings being
checked, so the flags stored after any sequence of commits equal those of one re-check of the
whole period (``tests/quality/test_pipeline.py``). Per (device MN, data kind) the context is

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

A neighbour further away than ``horizon`` is not looked up in either path; within a chunk
(``chunk <= horizon``) run_qc sees all data, so the two paths agree exactly.

In streaming, the history holds only *checked* readings (those with stored flags). run_qc
revises a history reading when the new readings change its verdict from that of the history
alone, so that verdict must be the one stored. A reading committed after the ones being checked
(queued for the worker's next pass) was absent when those flags were computed; taken as history
it would, for instance, become the successor of the previous pass's last real-time reading
(period 0, so no gap rule applies) and hide that its "not evaluated" spike verdict is to be
revised. It is checked, and its neighbours revised, in its own pass. A reading never checked (a
failed pass, data stored without the hook) is context for :func:`recheck` only, which repairs it.

**Units.** Readings are stored in wire units (:func:`ecohub.protocols.hj212_codes.wire_unit`);
the thresholds of :mod:`ecohub.quality.config` are in µg/m³ for ambient-air pollutants (CO in
mg/m³) and in the HJ 212-2017 App. B units otherwise. The only factor where the two differ in
ecohub's code tables is NOx (``a21002``) at an air station — mg/m³ on the wire (App. B default),
µg/m³ in GB 3095-2012 Table 2 and in the QC configuration — so values are converted explicitly by
:data:`QC_UNITS` before the tests run (stored values never change). PM2.5/PM10, SO2, NO2, O3 (µg/m³)
and CO (mg/m³) from air stations, water quality (mg/L, pH, µS/cm, °C) and pollution-source
values are already in the configuration's units.

**Stored form.** ``qc_tests`` is stored as compact JSON of the per-test QARTOD codes, in the order
of :data:`ecohub.quality.checks.TESTS`, e.g. ``{"gross_range":1,"spike":2,…}``
(:func:`decode_tests` reads it back as a struct column).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import polars as pl
import pyarrow as pa

from ecohub.protocols.hj212_codes import unit_factor, wire_unit
from ecohub.quality.checks import KEY, SERIES, TESTS, run_qc
from ecohub.quality.config import KINDS, QCConfig, load_config
from ecohub.store import QC_FLAG_SCHEMA, READING_SCHEMA, Store
from ecohub.store.measurements import REVIEWS

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_HORIZON",
    "QC_UNITS",
    "QualityControl",
    "RecheckResult",
    "decode_tests",
    "lookback",
    "qc_scale",
    "recheck",
    "review",
]

DEFAULT_HORIZON: Final = timedelta(days=31)
"""How far back (and, in a re-check, ahead) a neighbour across a gap is looked up."""

TESTS_DTYPE: Final = pl.Struct({t: pl.UInt8 for t in TESTS})

# Units the QC thresholds are written in where they differ from the unit on the wire: ambient-air
# pollutants at air stations in µg/m³, CO in mg/m³ (ecohub.quality.config module docstring; the
# units of GB 3095-2012 Tables 1-2, which include NOx). Every other (object type, factor) is
# checked in its wire unit.
QC_UNITS: Final[dict[tuple[str, str], str]] = {
    ("air_station", "a34004"): "µg/m³",  # PM2.5
    ("air_station", "a34002"): "µg/m³",  # PM10
    ("air_station", "a21026"): "µg/m³",  # SO2
    ("air_station", "a21004"): "µg/m³",  # NO2
    ("air_station", "a05024"): "µg/m³",  # O3
    ("air_station", "a21002"): "µg/m³",  # NOx: mg/m³ on the wire (HJ 212-2017 Table B.2)
    ("air_station", "a21005"): "mg/m³",  # CO
}


def qc_scale(object_type: str, factor: str) -> float:
    """Multiplier from the wire unit of ``factor`` at ``object_type`` to the QC threshold unit."""
    unit = QC_UNITS.get((object_type, factor))
    return 1.0 if unit is None else unit_factor(wire_unit(factor, object_type), unit)


_SCALES: Final = pl.DataFrame(
    [{"object_type": ot, "factor": f, "_scale": qc_scale(ot, f)} for ot, f in QC_UNITS],
    schema={"object_type": pl.String, "factor": pl.String, "_scale": pl.Float64},
).filter(pl.col("_scale") != 1.0)

# Longest spacing of consecutive periods per kind (minute data: up to 30 min, HJ 212-2017 Table 4
# MinInterval), and the margin ``near`` = two of them plus a minute.
_STEP_S: Final = {"realtime": 270, "minute": 1800, "hour": 3600, "day": 86400}
_NEAR: Final = {k: timedelta(seconds=2 * s + 60) for k, s in _STEP_S.items()}
_WINDOWS_PER_QUERY: Final = 1000  # VALUES rows per statement (6 parameters each)
_COLUMNS: Final = READING_SCHEMA.names
_FINITE: Final = "COALESCE(r.value BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308, " \
                 "FALSE)"
_BY_SERIES: Final = "PARTITION BY r.mn, r.factor, r.kind, r.statistic"


def decode_tests(column: str | pl.Expr = "qc_tests") -> pl.Expr:
    """The stored ``qc_tests`` JSON as a struct of per-test QARTOD codes (null where unchecked
    or not in ecohub's JSON form)."""
    col = pl.col(column) if isinstance(column, str) else column
    return (pl.when(col.str.starts_with("{")).then(col).otherwise(None)
            .str.json_decode(TESTS_DTYPE))


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


# ----------------------------------------------------------------------------- context
def _typed(frame: pl.DataFrame, extra: Mapping[str, pl.DataType] | None = None
           ) -> pl.DataFrame:
    """Rows from MeasurementStore.query as READING_SCHEMA plus ``extra`` columns (PostgreSQL
    gives untyped empties)."""
    empty = pl.from_arrow(READING_SCHEMA.empty_table())
    assert isinstance(empty, pl.DataFrame)
    schema = {**empty.schema, **(extra or {})}
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    return frame.select(pl.col(c).cast(t) for c, t in schema.items())


def _values(rows: int) -> str:
    ts = "CAST(? AS TIMESTAMPTZ)"
    return ", ".join([f"(?, ?, {ts}, {ts}, {ts}, {ts})"] * rows)


def _window_params(windows: pl.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    """Parameter lists of at most _WINDOWS_PER_QUERY windows each."""
    rows = windows.select(columns).rows()
    return [[v for row in rows[i:i + _WINDOWS_PER_QUERY] for v in row]
            for i in range(0, len(rows), _WINDOWS_PER_QUERY)]


def _select(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in _COLUMNS)


def _checked(checked_only: bool) -> str:
    """SQL truth of "reading r has stored flags" (any reading counts unless ``checked_only``)."""
    if not checked_only:
        return "TRUE"
    same = " AND ".join(f"f.{c} = r.{c}" for c in KEY)
    return f"EXISTS (SELECT 1 FROM qc_flags AS f WHERE {same})"


def _fetch_near(store: Store, windows: pl.DataFrame, checked_only: bool) -> pl.DataFrame:
    """Part (1) and (3) of the context (module docstring): one query per 1000 (mn, kind).

    Column ``checked`` says whether the reading has stored flags (always True unless
    ``checked_only``).
    """
    parts = []
    for params in _window_params(windows, ["mn", "kind", "floor", "until", "ahead", "seen"]):
        n = len(params) // 6
        parts.append(store.measurements.query(
            f"""WITH w(mn, kind, floor, until, ahead, seen) AS (VALUES {_values(n)})
            SELECT {_select('r')}, {_checked(checked_only)} AS checked
            FROM readings AS r JOIN w ON r.mn = w.mn AND r.kind = w.kind
            WHERE r.period_start >= w.floor
              AND (w.until IS NULL OR r.period_start < w.ahead OR r.received_at < w.seen)""",
            params))
    extra = {"checked": pl.Boolean()}
    return pl.concat([_typed(p, extra) for p in parts or [pl.DataFrame()]])


def _fetch_far(store: Store, windows: pl.DataFrame, checked_only: bool) -> pl.DataFrame:
    """Part (2) and the successor of (3): neighbours across gaps, within the horizon; with
    ``checked_only`` the neighbours before ``floor`` are looked up among checked readings."""
    parts = []
    for params in _window_params(windows, ["mn", "kind", "lo", "floor", "ahead", "hi"]):
        n = len(params) // 6
        parts.append(store.measurements.query(
            f"""WITH w(mn, kind, lo, floor, ahead, hi) AS (VALUES {_values(n)})
            SELECT {_select('b')} FROM (
                SELECT r.*, row_number() OVER ({_BY_SERIES} ORDER BY r.period_start DESC) AS k,
                       row_number() OVER ({_BY_SERIES}, {_FINITE}
                                          ORDER BY r.period_start DESC) AS kf,
                       {_FINITE} AS fin
                FROM readings AS r JOIN w ON r.mn = w.mn AND r.kind = w.kind
                WHERE r.period_start >= w.lo AND r.period_start < w.floor
                  AND {_checked(checked_only)}) AS b
            WHERE b.k <= 2 OR (b.kf = 1 AND b.fin)
            UNION ALL
            SELECT {_select('a')} FROM (
                SELECT r.*, row_number() OVER ({_BY_SERIES} ORDER BY r.period_start) AS k
                FROM readings AS r JOIN w ON r.mn = w.mn AND r.kind = w.kind
                WHERE w.ahead IS NOT NULL AND r.period_start >= w.ahead
                  AND r.period_start < w.hi) AS a
            WHERE a.k = 1""",
            params))
    return pl.concat([_typed(p) for p in parts]) if parts else _typed(pl.DataFrame())


def _context(store: Store, windows: pl.DataFrame, frame_of: Callable[[pl.DataFrame], pl.Series],
             horizon: timedelta, checked_only: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(readings to check, their history) for windows (mn, kind, since, until, seen).

    ``frame_of(context)`` marks the context rows being checked. With ``checked_only`` the
    history holds only readings with stored flags (streaming, module docstring).
    """
    windows = windows.with_columns(
        floor=pl.col("since") - pl.col("kind").replace_strict(_NEAR, return_dtype=pl.Duration),
        ahead=pl.col("until") + pl.col("kind").replace_strict(_NEAR, return_dtype=pl.Duration),
    )
    near = _fetch_near(store, windows, checked_only)
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
    context = near
    if lacking.height:
        far = (_fetch_far(store, windows.join(lacking.select("mn", "kind").unique(),
                                              on=["mn", "kind"])
                          .with_columns(lo=pl.col("since") - horizon,
                                        hi=pl.col("until") + horizon), checked_only)
               .join(lacking.select(SERIES), on=SERIES, how="semi"))
        context = pl.concat([near, far]).unique(KEY, keep="first", maintain_order=True)
    history = context.filter(~frame_of(context))
    return frame, history


# ----------------------------------------------------------------------------- checking
class _ObjectTypes:
    """object_id -> object type from the registry, reloaded when an unknown id shows up."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._types: dict[int, str] = {}

    def of(self, object_ids: Sequence[int]) -> dict[int, str]:
        if not set(object_ids) <= self._types.keys():
            self._types = {o.id: o.object_type for o in self._store.registry.objects()}
            unknown = sorted(set(object_ids) - self._types.keys())
            if unknown:
                raise ValueError(f"readings of object_id(s) {unknown[:10]} that the registry "
                                 "does not know: register the objects before checking")
        return self._types

    def column(self, frame: pl.DataFrame) -> pl.DataFrame:
        types = self.of(frame["object_id"].unique().to_list())
        return frame.with_columns(object_type=pl.col("object_id").replace_strict(
            types, return_dtype=pl.String, default=None))


def _in_qc_units(frame: pl.DataFrame) -> pl.DataFrame:
    """Values converted to the units of the QC thresholds (:data:`QC_UNITS`)."""
    return (frame.join(_SCALES, on=["object_type", "factor"], how="left", maintain_order="left")
            .with_columns(value=pl.col("value") * pl.col("_scale").fill_null(1.0))
            .drop("_scale"))


def _flags_table(checked: pl.DataFrame, now: datetime) -> pa.Table:
    table = checked.select(
        "mn", "factor", "kind", "period_start", "statistic",
        pl.col("qc_flag").cast(pl.Int16), pl.col("qc_tests").struct.json_encode(), "qc_valid",
        "qc_version", checked_at=pl.lit(now, dtype=pl.Datetime("us", "UTC")),
    ).to_arrow()
    return table.cast(QC_FLAG_SCHEMA)


def _check(store: Store, config: QCConfig, types: _ObjectTypes, windows: pl.DataFrame,
           frame_of: Callable[[pl.DataFrame], pl.Series], horizon: timedelta,
           climatology: Mapping[tuple[str, str], pl.DataFrame] | None,
           checked_only: bool) -> pl.DataFrame:
    frame, history = _context(store, windows, frame_of, horizon, checked_only)
    if frame.is_empty():
        return pl.DataFrame()
    frame = _in_qc_units(types.column(frame))
    history = _in_qc_units(types.column(history)) if history.height else None
    return run_qc(frame, config, history=history, climatology=climatology)


def _windows(summary: pl.DataFrame, config: QCConfig, types: _ObjectTypes) -> pl.DataFrame:
    """(mn, kind, since, until, seen) from (mn, kind, object_id, first, until, seen)."""
    type_of = types.of(summary["object_id"].unique().to_list())
    back = {(ot, k): lookback(config, ot, k) for ot in set(type_of.values()) for k in KINDS}
    span = [back[(type_of[o], k)] for o, k in zip(summary["object_id"], summary["kind"],
                                                    strict=True)]
    return summary.select("mn", "kind", "until", "seen",
                          since=pl.col("first") - pl.Series(span, dtype=pl.Duration("us")))


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
        self._types = _ObjectTypes(store)
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

        out = _check(self.store, self.config, self._types,
                     _windows(summary, self.config, self._types), frame_of, self.horizon,
                     self.climatology, checked_only=True)
        if out.height:
            self.store.measurements.write_flags(_flags_table(out, datetime.now(UTC)))
        revised = int(out["qc_revised"].sum()) if out.height else 0
        seconds = time.perf_counter() - started
        self.readings += out.height - revised
        self.seconds += seconds
        self.passes += 1
        return CheckResult(out.height - revised, revised, seconds)


# ----------------------------------------------------------------------------- batch
@dataclass(frozen=True)
class RecheckResult:
    """What a re-check did."""

    readings: int
    """Readings of the period whose flags were (re)written."""
    chunks: int
    version: str
    """``qc_version`` now stored for the period."""
    seconds: float


def _aware(moment: datetime, name: str) -> datetime:
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
    start, end = _aware(start, "start"), _aware(end, "end")
    if not start < end:
        raise ValueError(f"recheck: start {start.isoformat()} must be before end "
                         f"{end.isoformat()}")
    if not timedelta(0) < chunk <= horizon:
        raise ValueError(f"recheck: chunk {chunk} must be positive and at most the horizon "
                         f"{horizon} (neighbours further apart are not looked up)")
    started = time.perf_counter()
    types = _ObjectTypes(store)
    bounds = [start]
    while bounds[-1] < end:
        bounds.append(min(bounds[-1] + chunk, end))
    total = len(bounds) - 1
    objects = "" if object_ids is None else (
        f" AND object_id IN ({', '.join('?' * len(object_ids))})" if object_ids else " AND FALSE")
    written = 0
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        summary = _typed_summary(store.measurements.query(
            "SELECT mn, kind, min(object_id) AS object_id, min(period_start) AS first, "
            "max(received_at) AS seen FROM readings WHERE period_start >= ? AND period_start < ?"
            f"{objects} GROUP BY mn, kind", [lo, hi, *(object_ids or [])]))
        if summary.height:
            summary = summary.with_columns(until=pl.lit(hi, pl.Datetime("us", "UTC")))

            def frame_of(context: pl.DataFrame, lo: datetime = lo, hi: datetime = hi
                         ) -> pl.Series:
                return context["period_start"].is_between(lo, hi, closed="left")

            out = _check(store, config, types, _windows(summary, config, types), frame_of,
                         horizon, climatology, checked_only=False)
            out = out.filter(pl.col("period_start").is_between(start, end, closed="left")) \
                if out.height else out
            if out.height:
                store.measurements.write_flags(_flags_table(out, datetime.now(UTC)))
                written += int((~out["qc_revised"]).sum())
        if progress is not None:
            progress(i + 1, total)
    return RecheckResult(written, total, config.version, time.perf_counter() - started)


def _typed_summary(frame: pl.DataFrame) -> pl.DataFrame:
    schema = {"mn": pl.String, "kind": pl.String, "object_id": pl.Int64,
              "first": pl.Datetime("us", "UTC"), "seen": pl.Datetime("us", "UTC")}
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    return frame.select(pl.col(c).cast(t) for c, t in schema.items())


# ----------------------------------------------------------------------------- reviews
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
    moment = _aware(key["period_start"], "period_start")
    full = {**{k: key[k] for k in KEY}, "period_start": moment}
    store.measurements.add_review(full, decision, reviewer, reason,
                                  reviewed_at or datetime.now(UTC))
    return store.measurements.read(
        kind=full["kind"], start=moment, end=moment + timedelta(microseconds=1),
        factors=[full["factor"]], statistic=full["statistic"], with_qc=True,
    ).filter(pl.col("mn") == full["mn"])
