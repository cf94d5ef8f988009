"""The measurement store: every reading once, with its key, flag and provenance.

Two backends behind one interface:

* :class:`DuckDBMeasurements` (embedded default) — a columnar file. Analytics over months of
  station-hours are scans and group-bys over a few columns, which a column store does an order of
  magnitude faster than SQLite's row store, and DuckDB also reads and writes the open layout of
  the scale path (Parquet partitioned by date, see :meth:`MeasurementStore.export_parquet`).
* :class:`PostgresMeasurements` (server) — the same tables in PostgreSQL.

A reading's key is (mn, factor, kind, period_start, statistic): a packet sent again is recognised
and its readings are stored once; nothing stored is ever overwritten.

**Reads are named.** Everything the rest of ecohub reads is a typed method of
:class:`MeasurementStore` (:meth:`~MeasurementStore.readings`, :meth:`~MeasurementStore.latest`,
:meth:`~MeasurementStore.kind_summary`, the QC context windows, …) returning the same columns and
dtypes on both backends; the statements are in :mod:`ecohub.store.queries`, the only SQL in the
code base.

**One writer, readers on their own connections.** Writes go through one connection behind a
lock (the gateway's store thread, QC flags, reviews). Reads never take that lock: on DuckDB each
reading thread has its own cursor on the same database (MVCC: a read sees the data committed
when it started), on PostgreSQL readers borrow connections from a pool. So a heavy read does
not hold back the gateway's commits and its 9014 answers. Each read is limited to
``read_timeout_s`` seconds (:class:`ReadTimeout`): PostgreSQL's ``statement_timeout`` on the
reader connections, a timer that interrupts the reader's cursor on DuckDB. The limit is on the
database's work; turning the result into a DataFrame comes after it.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar, NamedTuple

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from ecohub.errors import cst
from ecohub.store import queries
from ecohub.store.queries import READING_KEY, READING_ORDER, Query
from ecohub.store.schema import check_measurements, connect_measurements
from ecohub.store.settings import DEFAULT_READ_TIMEOUT_S
from ecohub.vocabulary import CHINA_TZ_NAME, KINDS

__all__ = [
    "KINDS", "PACKET_SCHEMA", "QC_FLAG_SCHEMA", "READING_KEY", "READING_ORDER", "READING_SCHEMA",
    "REVIEWS", "DuckDBMeasurements", "MeasurementStore", "PostgresMeasurements", "ReadTimeout",
    "ReadingCursor", "conform",
]

UTC_MICROS = pa.timestamp("us", tz="UTC")

READING_SCHEMA = pa.schema(
    [
        ("mn", pa.string()),
        ("object_id", pa.int64()),
        ("factor", pa.string()),
        ("kind", pa.string()),
        ("period_start", UTC_MICROS),
        ("period_s", pa.int32()),
        ("statistic", pa.string()),
        ("value", pa.float64()),
        ("device_flag", pa.string()),
        ("received_at", UTC_MICROS),
        ("packet_id", pa.string()),
    ]
)

PACKET_SCHEMA = pa.schema(
    [
        ("packet_id", pa.string()),
        ("mn", pa.string()),
        ("cn", pa.string()),
        ("received_at", UTC_MICROS),
        ("raw", pa.string()),
        ("deviations", pa.string()),
    ]
)

QC_FLAG_SCHEMA = pa.schema(
    [
        ("mn", pa.string()),
        ("factor", pa.string()),
        ("kind", pa.string()),
        ("period_start", UTC_MICROS),
        ("statistic", pa.string()),
        ("qc_flag", pa.int16()),
        ("qc_tests", pa.string()),
        ("qc_valid", pa.bool_()),
        ("qc_version", pa.string()),
        ("checked_at", UTC_MICROS),
    ]
)
"""Automatic QC result beside each reading (aggregate QARTOD flag, per-test flags, validity for
statistics, configuration version). A re-check replaces it; the raw reading never changes."""

REVIEWS = ("accept", "reject")

_WINDOWS_PER_QUERY = 1000  # VALUES rows per QC context statement (6 parameters each)


OPTIONAL_COLUMNS = frozenset({"deviations"})
"""Columns a table may leave out (null then): tables written before they existed, such as the
packets of a journal written by an earlier ecohub, still apply."""


def conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    """Select and cast the columns of ``schema``; say exactly which column is missing or wrong."""
    for name in OPTIONAL_COLUMNS.intersection(schema.names).difference(table.column_names):
        table = table.append_column(name, pa.nulls(table.num_rows, schema.field(name).type))
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}; expected {schema.names}")
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ValueError(f"{what}: columns do not match {schema}: {error}") from error


class ReadTimeout(RuntimeError):
    """A read ran longer than the store's read time limit and was stopped."""

    def __init__(self, query: str, limit_s: float) -> None:
        self.query = query
        self.limit_s = limit_s
        super().__init__(
            f"read {query!r} stopped: it ran longer than the read time limit of {limit_s:g} s "
            "(StoreSettings.read_timeout_s, environment ECOHUB_READ_TIMEOUT)")


class ReadingCursor(NamedTuple):
    """Where a page of :meth:`MeasurementStore.readings` ended (keyset pagination).

    The key of its last row, in :data:`READING_ORDER`. Pass it as ``after`` to read the next page.
    """

    mn: str
    factor: str
    kind: str
    statistic: str
    period_start: datetime

    @classmethod
    def after_last(cls, page: pl.DataFrame) -> ReadingCursor | None:
        """The cursor after the last row of ``page`` (``None`` for an empty page)."""
        if page.is_empty():
            return None
        missing = [c for c in READING_ORDER if c not in page.columns]
        if missing:
            raise ValueError(f"reading cursor: the page lacks the key column(s) "
                             f"{', '.join(missing)}")
        return cls(*page.select(READING_ORDER).row(-1))


def _typed(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with exactly the columns and dtypes of ``schema`` (typed when empty)."""
    if frame.is_empty():
        return pl.DataFrame(schema=dict(schema))
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} {moment.isoformat()}: a timezone-aware datetime is required")
    return moment


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")


class MeasurementStore(ABC):
    """Append-only store of readings, the raw packets they came from and their QC results.

    Subclasses provide the writes and one reader primitive (:meth:`_query`, run on a reader
    connection within the read time limit); the named reads below are shared.
    """

    read_timeout_s: float
    """Time limit of one read in seconds (:class:`ReadTimeout`)."""
    dialect: ClassVar[str]
    """The backend's SQL (``duckdb`` or ``postgresql``): which variant of a read to run."""

    # ------------------------------------------------------------------------- writes
    @abstractmethod
    def write(self, readings: pa.Table, packets: pa.Table | None = None, *,
              journal: tuple[str, int] | None = None) -> int:
        """Store readings (and their source packets) in one transaction, durable on return.

        Readings whose key already exists are ignored. Returns the number newly inserted.
        ``journal`` (journal id, sequence number) records in the same transaction that the
        gateway's journal is applied up to that record (:mod:`ecohub.ingest.journal`).
        """

    @abstractmethod
    def journal_position(self, journal_id: str) -> int:
        """The last record of journal ``journal_id`` applied to this store (0: none)."""

    @abstractmethod
    def write_flags(self, flags: pa.Table) -> int:
        """Store QC results (:data:`QC_FLAG_SCHEMA`), replacing earlier results of the readings.

        Returns the number of rows written.
        """

    def add_review(
        self, key: dict, decision: str, reviewer: str, reason: str, reviewed_at: datetime
    ) -> None:
        """Record an operator's review of one reading's flags (kept as history; newest wins).

        ``key`` holds the reading key: mn, factor, kind, period_start, statistic.
        """
        if decision not in REVIEWS:
            raise ValueError(f"review decision {decision!r}: expected one of {REVIEWS}")
        if not reviewer.strip():
            raise ValueError("review: reviewer is required (who reviewed the flag)")
        if not reason.strip():
            raise ValueError("review: reason is required (why the flag is accepted or rejected)")
        missing = [k for k in READING_KEY if k not in key]
        if missing:
            raise ValueError(f"review: reading key lacks {', '.join(missing)}")
        if not self.reading_exists(key):
            raise ValueError(
                f"review: no stored reading {key['factor']}-{key['statistic']} ({key['kind']}) "
                f"of MN {key['mn']} at {cst(key['period_start'])} (its DataTime, the period "
                "start); `ecohub store info` shows the periods stored")
        self._insert_review([key[k] for k in READING_KEY], decision, reviewer, reason,
                            _aware(reviewed_at, "reviewed_at"))

    @abstractmethod
    def _insert_review(self, key: list, decision: str, reviewer: str, reason: str,
                       reviewed_at: datetime) -> None: ...

    @abstractmethod
    def close(self) -> None:
        """Close the writer and every reader connection; the store is unusable afterwards."""

    # ------------------------------------------------------------------------- changes
    def generation(self) -> int | None:
        """A number that grows with every write of this process to the store, or None.

        With :meth:`changed_since`, what a cache of answers in this process compares: an
        answer read after taking ``generation()`` holds until ``changed_since`` says otherwise.
        None where other processes may write too (PostgreSQL, a store read through the
        server): then this process cannot know, and nothing should be kept on that basis.
        """
        return None

    def changed_since(self, generation: int, object_ids: Collection[int] | None,
                      mns: Iterable[str] = ()) -> bool:
        """Whether readings or their flags changed since ``generation()`` gave ``generation``.

        Changed: readings of ``object_ids`` (None: of any object) were written, or QC flags or
        reviews of readings of the loggers ``mns``. True wherever :meth:`generation` is None.
        """
        return True

    # ------------------------------------------------------------------------- reads
    @abstractmethod
    def _query(self, query: Query, params: Sequence[object] = ()) -> pl.DataFrame:
        """Run a named read on this thread's reader connection, within the time limit.

        The result has the columns and dtypes of ``query.schema``.
        """

    def readings(
        self,
        kind: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        object_ids: Sequence[int] | None = None,
        factors: Sequence[str] | None = None,
        statistic: str | None = None,
        with_qc: bool = False,
        *,
        columns: Sequence[str] | None = None,
        after: ReadingCursor | None = None,
        limit: int | None = None,
    ) -> pl.DataFrame:
        """Stored readings matching the filters, ordered by series and time.

        Parameters
        ----------
        kind : str, optional
            Only this data kind (one of :data:`KINDS`).
        start, end : datetime, optional
            Only readings with ``period_start`` in [start, end) (aware datetimes).
        object_ids : sequence of int, optional
            Only readings of these registry objects.
        factors : sequence of str, optional
            Only these factor codes.
        statistic : str, optional
            Only this statistic (``Avg``, ``Min``, ``Max``, …).
        with_qc : bool
            Add the stored QC result (``qc_flag``, ``qc_tests``, ``qc_valid``, ``qc_version``;
            null where not checked yet) and the latest operator review (``review`` 'accept' /
            'reject', ``reviewer``, ``review_reason``).
        columns : sequence of str, optional
            Only these columns (of :data:`READING_SCHEMA`, and of the QC columns with
            ``with_qc``), in this order.
        after, limit : optional
            Keyset pagination: only readings after the cursor
            (:meth:`ReadingCursor.after_last` of the previous page), at most ``limit`` of them
            (:meth:`reading_pages` does the loop).

        Returns
        -------
        polars.DataFrame
            The columns of :data:`READING_SCHEMA` (then the QC columns with ``with_qc``), or
            ``columns``; one row per reading, in :data:`READING_ORDER` (mn, factor, kind,
            statistic, period_start).
        """
        _check_kind(kind)
        schema = {**queries.READING_COLUMNS, **(queries.QC_COLUMNS if with_qc else {})}
        columns = list(schema) if columns is None else list(columns)
        unknown = [c for c in columns if c not in schema]
        if unknown:
            raise ValueError(f"readings: unknown column(s) {', '.join(unknown)}; expected some "
                             f"of {', '.join(schema)}")
        if limit is not None and limit < 1:
            raise ValueError(f"readings: limit {limit} must be at least 1")
        if (object_ids is not None and not list(object_ids)) or \
                (factors is not None and not list(factors)):
            return pl.DataFrame(schema={c: schema[c] for c in columns})
        where, params = queries.reading_filters(
            kind, None if start is None else _aware(start, "start"),
            None if end is None else _aware(end, "end"), statistic,
            None if object_ids is None else list(object_ids),
            None if factors is None else list(factors))
        if after is not None:
            params.extend(after)
        if limit is not None:
            params.append(limit)
        query = queries.readings(columns, with_qc, where, after is not None, limit is not None)
        return self._query(query, params)


    def reading_pages(
        self,
        kind: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        object_ids: Sequence[int] | None = None,
        factors: Sequence[str] | None = None,
        statistic: str | None = None,
        with_qc: bool = False,
        *,
        page_rows: int = 100_000,
    ) -> Iterator[pl.DataFrame]:
        """:meth:`readings` in keyset pages of at most ``page_rows`` rows.

        Memory is bounded by a page; each page is one read within the time limit. The filters
        are those of :meth:`readings`; the pages together are its result, in its order.
        """
        after = None
        while True:
            page = self.readings(kind, start, end, object_ids, factors, statistic, with_qc,
                                 after=after, limit=page_rows)
            if page.height:
                yield page
            if page.height < page_rows:
                return
            after = ReadingCursor.after_last(page)

    def latest(
        self,
        kind: str | None = None,
        object_ids: Sequence[int] | None = None,
        factors: Sequence[str] | None = None,
        statistic: str | None = None,
        before: datetime | None = None,
    ) -> pl.DataFrame:
        """The latest reading (by period) per object, factor, kind and statistic.

        Parameters
        ----------
        kind, object_ids, factors, statistic : optional
            Filters as in :meth:`readings`.
        before : datetime, optional
            Only readings with ``period_start`` before this instant (aware).

        Returns
        -------
        polars.DataFrame
            Columns object_id, mn, factor, kind, statistic, period_start, period_s, value,
            device_flag, received_at; one row per (object, factor, kind, statistic), ordered so.
        """
        _check_kind(kind)
        query = queries.latest([])
        if (object_ids is not None and not list(object_ids)) or \
                (factors is not None and not list(factors)):
            return pl.DataFrame(schema=query.schema)
        if before is None:  # now: the table the writer keeps (queries.LATEST_TABLE)
            # It holds one row per series, so reading it whole (for the factors) and keeping
            # the objects after is cheaper than binding hundreds of object ids to the query.
            where, params = queries.reading_filters(
                kind, None, None, statistic, None, None if factors is None else list(factors))
            frame = self._query(queries.latest_kept(where), params)
            if object_ids is None:
                return frame
            return frame.filter(pl.col("object_id").is_in(list(object_ids)))
        where, params = queries.reading_filters(
            kind, None, _aware(before, "before"), statistic,
            None if object_ids is None else list(object_ids),
            None if factors is None else list(factors))
        return self._query(queries.latest(where), params)

    def count(self) -> int:
        """Number of stored readings."""
        return int(self._query(queries.COUNT)["n"][0])

    def reading_exists(self, key: Mapping[str, object]) -> bool:
        """Whether a reading with this key (mn, factor, kind, period_start, statistic) is stored."""
        return bool(self._query(queries.READING_EXISTS, [key[k] for k in READING_KEY])["n"][0])

    def kind_summary(self) -> pl.DataFrame:
        """Per data kind: readings stored, first and last period start.

        Returns
        -------
        polars.DataFrame
            Columns ``kind``, ``readings``, ``first``, ``last``; one row per stored kind, by kind.
        """
        return self._query(queries.KIND_SUMMARY)

    def hours_extent(self, lo: datetime, hi: datetime) -> tuple[datetime, datetime] | None:
        """The first and last period start of the hourly readings in ``[lo, hi)`` (UTC).

        None when there are none. Long assessments skip the empty stretches before and after.
        """
        frame = self._query(queries.HOURS_EXTENT, [_aware(lo, "lo"), _aware(hi, "hi")])
        first, last = frame.row(0) if frame.height else (None, None)
        return None if first is None else (first, last)

    def device_activity(self, since: datetime) -> pl.DataFrame:
        """Per data logger: packets stored and their readings received from ``since`` on.

        Parameters
        ----------
        since : datetime
            Timezone-aware; e.g. today's midnight in China Standard Time.

        Returns
        -------
        polars.DataFrame
            Columns ``mn``, ``packets``, ``readings``, ``last_received`` (UTC); one row per MN
            that sent a stored packet since then, by MN.
        """
        since = _aware(since, "since")
        return self._query(queries.DEVICE_ACTIVITY, [since, since])

    def deviations_by_logger(self, since: datetime) -> pl.DataFrame:
        """Per data logger: which deviations from HJ 212 its stored packets carried, how often.

        Each stored packet keeps the deviations the gateway accepted in it (column
        ``deviations``: one ``"<kind>: <explanation>"`` a line, kinds as in
        :data:`ecohub.protocols.hj212.profiles.DEVIATION_KINDS`); a packet counts once per kind.

        Parameters
        ----------
        since : datetime
            Timezone-aware; packets received from then on.

        Returns
        -------
        polars.DataFrame
            Columns ``mn``, ``kind``, ``packets``; by MN, then most packets first, then kind.
            Loggers whose packets carried no deviation have no row.
        """
        since = _aware(since, "since")
        return self._query(queries.DEVIATIONS_BY_LOGGER[self.dialect], [since])

    def clock_offsets(self, since: datetime) -> pl.DataFrame:
        """Per data logger: how far its clock is from the time its data arrives.

        One sample per packet (distinct MN, kind, period and arrival) of the readings received
        from ``since`` on. A realtime value's offset is its DataTime minus its arrival; a
        minute, hour or day value arrives after its period ends, so its offset is the period's
        end minus the arrival: a logger whose clock is right shows a small negative offset
        (the time it took to send), one whose clock runs ahead a positive one.

        Parameters
        ----------
        since : datetime
            Timezone-aware; readings received from then on.

        Returns
        -------
        polars.DataFrame
            Columns ``mn``, ``offset_s`` (median, seconds), ``offset_s_max_abs`` (the offset
            farthest from zero, with its sign), ``samples`` (packets); one row per MN, by MN.
        """
        since = _aware(since, "since")
        return self._query(queries.CLOCK_OFFSETS[self.dialect], [since])

    def counts_by_object_and_kind(self) -> pl.DataFrame:
        """Readings stored per object and data kind.

        Returns
        -------
        polars.DataFrame
            Columns ``object_id``, ``kind``, ``readings``; ordered by object_id, kind.
        """
        return self._query(queries.COUNTS_BY_OBJECT_AND_KIND)

    def qc_flag_counts(self) -> pl.DataFrame:
        """Checked readings per object and aggregate QC flag.

        Returns
        -------
        polars.DataFrame
            Columns ``object_id``, ``qc_flag``, ``readings``; ordered by object_id, qc_flag.
        """
        return self._query(queries.QC_FLAG_COUNTS)

    def qc_flags(self) -> pl.DataFrame:
        """Every stored QC result (:data:`QC_FLAG_SCHEMA`), in key order."""
        return self._query(queries.QC_FLAGS)

    def packets(self, packet_ids: Sequence[str] | None = None) -> pl.DataFrame:
        """Stored raw packets (only those of ``packet_ids``, if given).

        Returns
        -------
        polars.DataFrame
            The columns of :data:`PACKET_SCHEMA`; ordered by reception (received_at, packet_id,
            cn).
        """
        if packet_ids is not None and not list(packet_ids):
            return pl.DataFrame(schema=queries.PACKET_COLUMNS)
        ids = None if packet_ids is None else list(packet_ids)
        return self._query(queries.packets(None if ids is None else len(ids)), ids or [])

    def packet_count(self) -> int:
        """Number of stored raw packets."""
        return int(self._query(queries.PACKET_COUNT)["n"][0])

    def chunk_summary(self, lo: datetime, hi: datetime,
                      object_ids: Sequence[int] | None = None) -> pl.DataFrame:
        """What arrived per logger and data kind with period_start in [lo, hi).

        Parameters
        ----------
        lo, hi : datetime
            The period range (aware datetimes).
        object_ids : sequence of int, optional
            Only readings of these objects.

        Returns
        -------
        polars.DataFrame
            Columns ``mn``, ``kind``, ``object_id``, ``first`` (earliest period start), ``seen``
            (latest reception); one row per (mn, kind), ordered so.
        """
        ids = None if object_ids is None else list(object_ids)
        return self._query(queries.chunk_summary(None if ids is None else len(ids)),
                           [_aware(lo, "lo"), _aware(hi, "hi"), *(ids or [])])

    def qc_context_near(self, windows: pl.DataFrame, checked_only: bool) -> pl.DataFrame:
        """The readings around the readings being checked (:mod:`ecohub.quality.context`).

        ``windows`` has one row per (mn, kind): ``floor``, ``until``, ``ahead``, ``seen``
        (aware datetimes; ``until``/``ahead``/``seen`` null in streaming). Returns the readings
        of each (mn, kind) from ``floor`` on, and, where ``until`` is set, only those before
        ``ahead`` or received before ``seen``; column ``checked`` says whether the reading has
        stored flags (always true unless ``checked_only``).
        """
        return self._windowed(windows, ("mn", "kind", "floor", "until", "ahead", "seen"),
                              queries.qc_context_near, checked_only)

    def qc_context_far(self, windows: pl.DataFrame, checked_only: bool) -> pl.DataFrame:
        """Neighbours across gaps (:mod:`ecohub.quality.context`).

        ``windows`` has one row per (mn, kind): ``lo``, ``floor``, ``ahead``, ``hi``. Returns
        per series the last two readings and the last finite reading in [lo, floor) — among
        checked readings only with ``checked_only`` — and the first reading in [ahead, hi)
        where ``ahead`` is set.
        """
        return self._windowed(windows, ("mn", "kind", "lo", "floor", "ahead", "hi"),
                              queries.qc_context_far, checked_only)

    def _windowed(self, windows: pl.DataFrame, columns: Sequence[str],
                  statement: Callable[[int, bool], Query], checked_only: bool) -> pl.DataFrame:
        rows = windows.select(columns).rows()
        parts = []
        for i in range(0, len(rows), _WINDOWS_PER_QUERY):
            chunk = rows[i:i + _WINDOWS_PER_QUERY]
            parts.append(self._query(statement(len(chunk), checked_only),
                                     [v for row in chunk for v in row]))
        if not parts:
            return pl.DataFrame(schema=statement(1, checked_only).schema)
        return pl.concat(parts)

    # ------------------------------------------------------------------------- export
    def export_parquet(self, directory: str | Path, object_codes: Mapping[int, str],
                       kind: str | None = None, *, page_rows: int = 200_000) -> int:
        """Write readings as Parquet partitioned by kind and China date; return the rows written.

        The directories are ``kind=…/date=…/`` (the date of ``period_start`` in China Standard
        Time), the open layout that DuckDB, Spark or Trino read directly.

        Each reading is written once with its object's code (``object_codes``: object id →
        code, from the registry), its QC result (``qc_flag``, ``qc_valid``) and its latest
        review. This generic path streams keyset pages of ``page_rows`` (memory bounded by a
        page, one file per page and partition); the embedded backend uses DuckDB's partitioned
        COPY instead.
        """
        _check_kind(kind)
        codes = pl.DataFrame({"object_id": list(object_codes),
                              "object_code": list(object_codes.values())},
                             schema={"object_id": pl.Int64, "object_code": pl.String})
        partitioning = pads.partitioning(
            pa.schema([("kind", pa.string()), ("date", pa.string())]), flavor="hive")
        written = 0
        for number, page in enumerate(self.reading_pages(kind=kind, with_qc=True,
                                                         page_rows=page_rows)):
            frame = page.join(codes, on="object_id", how="left").with_columns(
                date=pl.col("period_start").dt.convert_time_zone(CHINA_TZ_NAME)
                .dt.strftime("%Y-%m-%d"))
            pads.write_dataset(
                frame.select(queries.EXPORT_COLUMNS).to_arrow(), str(directory),
                format="parquet", partitioning=partitioning,
                basename_template=f"page-{number}-{{i}}.parquet",
                existing_data_behavior="overwrite_or_ignore")
            written += frame.height
        return written


class _Deadline:
    """Calls ``interrupt`` once ``limit_s`` seconds have passed, unless the block ended first."""

    def __init__(self, interrupt: Callable[[], object], limit_s: float) -> None:
        self._interrupt = interrupt
        self._lock = threading.Lock()
        self._done = False
        self.fired = False
        self._timer = threading.Timer(limit_s, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        with self._lock:  # never interrupt the connection's next statement
            if not self._done:
                self.fired = True
                self._interrupt()

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()


class _Changes:
    """When each object's readings and each logger's flags last changed, in counter steps.

    What :meth:`MeasurementStore.changed_since` compares (the writes of this process).

    Moved after the commit: a read that began before it carries the older generation and is
    taken as changed; a read that begins after it sees the committed rows.
    """

    def __init__(self) -> None:
        self.generation = 0
        self.any_object = 0  # the last write of readings, of whichever object
        self.objects: dict[int, int] = {}
        self.mns: dict[str, int] = {}

    def moved(self, object_ids: Iterable[int], mns: Iterable[str]) -> None:
        # Under the writer's lock: one writer moves the counter at a time. Readers read the
        # dicts without a lock (single item reads and writes are atomic in CPython).
        generation = self.generation + 1
        for object_id in object_ids:
            self.objects[object_id] = generation
            self.any_object = generation
        for mn in mns:
            self.mns[mn] = generation
        self.generation = generation

    def since(self, generation: int, object_ids: Collection[int] | None,
              mns: Iterable[str]) -> bool:
        if object_ids is None:  # (not iterating the dict, which the writer may grow meanwhile)
            if self.any_object > generation:
                return True
        elif any(self.objects.get(i, 0) > generation for i in object_ids):
            return True
        return any(self.mns.get(mn, 0) > generation for mn in mns)


class DuckDBMeasurements(MeasurementStore):
    """Embedded columnar backend (one DuckDB file, one writing process).

    ``threads`` bounds DuckDB's worker threads (default: DuckDB's, every core).
    """

    dialect: ClassVar[str] = "duckdb"

    def __init__(self, path: Path, read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
                 threads: int | None = None, reader_nice: int = 0) -> None:
        """Open the store at ``path``, which :func:`ecohub.store.migrate` created."""
        self.path = path
        self.read_timeout_s = read_timeout_s
        self.reader_nice = reader_nice
        self._lock = threading.Lock()  # the writer connection
        self._con = connect_measurements(path)
        try:
            check_measurements(self._con, path)
            if threads is not None:  # for the whole database (no per-connection pool)
                self._con.execute(queries.DUCKDB_THREADS, [threads])
        except BaseException:
            self._con.close()
            raise
        self._local = threading.local()
        self._readers: list[duckdb.DuckDBPyConnection] = []
        self._closed = False
        # The file is this process's alone (DuckDB locks it): every write comes through here.
        self._changes = _Changes()

    def generation(self) -> int:
        """See :meth:`MeasurementStore.generation`: every write of the store is this process's."""
        return self._changes.generation

    def changed_since(self, generation: int, object_ids: Collection[int] | None,
                      mns: Iterable[str] = ()) -> bool:
        """See :meth:`MeasurementStore.changed_since`."""
        return self._changes.since(generation, object_ids, mns)

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """The reader cursor of this thread (its own connection to the database, MVCC)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._lock:
                if self._closed:
                    raise RuntimeError(f"measurement store {self.path} is closed")
                cursor = self._con.cursor()
                self._readers.append(cursor)
            cursor.execute(queries.DUCKDB_SETUP)
            yield_cpu_to_ingest(self.reader_nice)
            self._local.cursor = cursor
        return cursor

    def _query(self, query: Query, params: Sequence[object] = ()) -> pl.DataFrame:
        frame = pl.from_arrow(self.read_arrow(query, params))
        assert isinstance(frame, pl.DataFrame)
        return _typed(frame, query.schema)

    def read_arrow(self, query: Query, params: Sequence[object] = ()) -> pa.Table:
        """Run a named read of :mod:`ecohub.store.queries` and return its rows as Arrow.

        What :meth:`_query` runs; the server also runs it for a command of another process
        (:class:`ecohub.store.remote.RemoteMeasurements`), which holds no lock on the file.
        """
        cursor = self._reader()
        with _Deadline(cursor.interrupt, self.read_timeout_s) as deadline:
            try:
                table = cursor.sql(query.sql, params=list(params)).to_arrow_table()
            except duckdb.InterruptException as error:
                if deadline.fired:
                    raise ReadTimeout(query.name, self.read_timeout_s) from error
                raise
        if deadline.fired:  # the limit passed while DuckDB was still binding: no interrupt
            raise ReadTimeout(query.name, self.read_timeout_s)
        return table

    def write(self, readings: pa.Table, packets: pa.Table | None = None, *,
              journal: tuple[str, int] | None = None) -> int:
        """See :meth:`MeasurementStore.write`; the writer checks the keys (no key index)."""
        batch = conform(readings, READING_SCHEMA, "readings")
        if batch.num_rows == 0 and (packets is None or packets.num_rows == 0):
            return 0
        # Arrival order decides which of two copies in one batch is kept (the first).
        batch = batch.append_column("_arrival", pa.array(range(batch.num_rows), pa.int64()))
        starts = batch.column("period_start")
        low, high = pc.min(starts).as_py(), pc.max(starts).as_py()
        with self._lock:
            self._con.execute("BEGIN")
            try:
                inserted = self._con.execute(queries.DUCKDB_INSERT_NEW, [low, high]
                                             ).fetchall()[0][0]
                if inserted:
                    self._con.execute(queries.DUCKDB_UPSERT_LATEST)
                if packets is not None and packets.num_rows:
                    packet_batch = conform(packets, PACKET_SCHEMA, "packets")  # noqa: F841
                    self._con.execute(queries.DUCKDB_INSERT_PACKETS)
                if journal is not None:
                    self._con.execute(queries.DUCKDB_JOURNAL_APPLIED, list(journal))
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            if inserted:
                self._changes.moved(pc.unique(batch.column("object_id")).to_pylist(),
                                    pc.unique(batch.column("mn")).to_pylist())
        return int(inserted)

    def journal_position(self, journal_id: str) -> int:
        """See :meth:`MeasurementStore.journal_position`."""
        with self._lock:
            row = self._con.execute(queries.JOURNAL_POSITION, [journal_id]).fetchone()
        return 0 if row is None else int(row[0])

    def write_flags(self, flags: pa.Table) -> int:
        """See :meth:`MeasurementStore.write_flags`."""
        batch = conform(flags, QC_FLAG_SCHEMA, "QC flags")
        with self._lock:
            self._con.execute(queries.DUCKDB_UPSERT_FLAGS)
            self._changes.moved((), pc.unique(batch.column("mn")).to_pylist())
        return flags.num_rows

    def _insert_review(self, key, decision, reviewer, reason, reviewed_at) -> None:
        with self._lock:
            self._con.execute(queries.INSERT_REVIEW,
                              [*key, decision, reviewer, reason, reviewed_at])
            self._changes.moved((), [key[READING_KEY.index("mn")]])

    def export_parquet(self, directory: str | Path, object_codes: Mapping[int, str],
                       kind: str | None = None, *, page_rows: int = 200_000) -> int:
        """See :meth:`MeasurementStore.export_parquet`; here one partitioned ``COPY``.

        DuckDB streams the readings to the files (no time limit: an export is a bulk job).
        """
        _check_kind(kind)
        objects = pa.table({  # noqa: F841 - read by DuckDB as export_objects
            "object_id": pa.array(list(object_codes), pa.int64()),
            "object_code": pa.array(list(object_codes.values()), pa.string())})
        cursor = self._reader()
        cursor.register("export_objects", objects)
        try:
            row = cursor.execute(queries.duckdb_export(str(directory), kind)).fetchone()
        finally:
            cursor.unregister("export_objects")
        return 0 if row is None else int(row[0])

    def close(self) -> None:
        """See :meth:`MeasurementStore.close`."""
        with self._lock:
            if self._closed:  # closing twice is harmless
                return
            self._closed = True
            for cursor in self._readers:
                cursor.close()
            self._readers.clear()
            self._local = threading.local()
            self._con.close()
            # Drop the closed connection too: a closed store that stays referenced (a test's
            # frame kept by a traceback, say) must not keep DuckDB's objects alive at exit,
            # where DuckDB's bindings report each one as a leak.
            self._con = _CLOSED  # type: ignore[assignment]


class _Closed:
    """Stands for the connection of a closed store: any use says so."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):  # introspection (hasattr, doctest) is not use
            raise AttributeError(name)
        raise RuntimeError("the measurement store is closed")


_CLOSED = _Closed()


class PostgresMeasurements(MeasurementStore):
    """Server backend: the tables created by the Alembic migrations.

    The writer is one connection of the SQLAlchemy engine; readers borrow connections from a
    pool (:mod:`psycopg_pool`, at most ``readers`` open), each with ``statement_timeout`` set to
    the read time limit.
    """

    dialect: ClassVar[str] = "postgresql"

    def __init__(self, engine, read_timeout_s: float = DEFAULT_READ_TIMEOUT_S,
                 readers: int = 4, reader_nice: int = 0) -> None:  # engine: sqlalchemy.Engine
        import psycopg
        from psycopg_pool import ConnectionPool

        self.read_timeout_s = read_timeout_s
        self.reader_nice = reader_nice
        self._niced = threading.local()
        self._canceled = psycopg.errors.QueryCanceled
        self._raw = engine.raw_connection()
        self._con = self._raw.driver_connection  # psycopg.Connection
        self._lock = threading.Lock()
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._readers = ConnectionPool(
            conninfo, min_size=1, max_size=readers, open=True, name="ecohub-readers",
            kwargs={"autocommit": True}, configure=self._configure_reader)

    def _configure_reader(self, connection) -> None:
        limit_ms = max(1, round(self.read_timeout_s * 1000))
        connection.execute(queries.POSTGRES_READER_SETUP, [str(limit_ms)])

    def _query(self, query: Query, params: Sequence[object] = ()) -> pl.DataFrame:
        if not getattr(self._niced, "done", False):
            yield_cpu_to_ingest(self.reader_nice)
            self._niced.done = True
        try:
            with self._readers.connection() as connection:
                rows = connection.execute(query.sql.replace("?", "%s"), list(params)).fetchall()
        except self._canceled as error:
            raise ReadTimeout(query.name, self.read_timeout_s) from error
        return pl.DataFrame(rows, schema=query.schema, orient="row")

    def write(self, readings: pa.Table, packets: pa.Table | None = None, *,
              journal: tuple[str, int] | None = None) -> int:
        """See :meth:`MeasurementStore.write`; array inserts, the primary key drops repeats."""
        batch = conform(readings, READING_SCHEMA, "readings")
        columns = {name: batch.column(name) for name in READING_SCHEMA.names}
        arrays = [
            columns["mn"].to_pylist(), columns["object_id"].to_pylist(),
            columns["factor"].to_pylist(), columns["kind"].to_pylist(),
            _epoch_micros(columns["period_start"]), columns["period_s"].to_pylist(),
            columns["statistic"].to_pylist(), columns["value"].to_pylist(),
            columns["device_flag"].to_pylist(), _epoch_micros(columns["received_at"]),
            columns["packet_id"].to_pylist(),
        ]
        with self._lock, self._con.transaction(), self._con.cursor() as cursor:
            cursor.execute(queries.POSTGRES_INSERT_READINGS, arrays)
            inserted = cursor.rowcount
            if inserted:
                cursor.execute(queries.POSTGRES_UPSERT_LATEST, arrays)
            if packets is not None and packets.num_rows:
                p = conform(packets, PACKET_SCHEMA, "packets")
                cursor.execute(queries.POSTGRES_INSERT_PACKETS, [
                    p.column("packet_id").to_pylist(), p.column("mn").to_pylist(),
                    p.column("cn").to_pylist(), _epoch_micros(p.column("received_at")),
                    p.column("raw").to_pylist(), p.column("deviations").to_pylist(),
                ])
            if journal is not None:
                cursor.execute(queries.POSTGRES_JOURNAL_APPLIED, list(journal))
        return int(inserted)

    def journal_position(self, journal_id: str) -> int:
        """See :meth:`MeasurementStore.journal_position`."""
        with self._lock, self._con.transaction(), self._con.cursor() as cursor:
            cursor.execute(queries.JOURNAL_POSITION.replace("?", "%s"), [journal_id])
            row = cursor.fetchone()
        return 0 if row is None else int(row[0])

    def write_flags(self, flags: pa.Table) -> int:
        """See :meth:`MeasurementStore.write_flags`."""
        batch = conform(flags, QC_FLAG_SCHEMA, "QC flags")
        c = {name: batch.column(name) for name in QC_FLAG_SCHEMA.names}
        arrays = [
            c["mn"].to_pylist(), c["factor"].to_pylist(), c["kind"].to_pylist(),
            _epoch_micros(c["period_start"]), c["statistic"].to_pylist(),
            c["qc_flag"].to_pylist(), c["qc_tests"].to_pylist(), c["qc_valid"].to_pylist(),
            c["qc_version"].to_pylist(), _epoch_micros(c["checked_at"]),
        ]
        with self._lock, self._con.transaction(), self._con.cursor() as cursor:
            cursor.execute(queries.POSTGRES_UPSERT_FLAGS, arrays)
        return flags.num_rows

    def _insert_review(self, key, decision, reviewer, reason, reviewed_at) -> None:
        with self._lock, self._con.transaction():
            self._con.execute(queries.INSERT_REVIEW.replace("?", "%s"),
                              [*key, decision, reviewer, reason, reviewed_at])

    def close(self) -> None:
        """See :meth:`MeasurementStore.close`."""
        self._readers.close()
        with self._lock:
            self._raw.close()


def yield_cpu_to_ingest(nice: int) -> None:
    """Lower the CPU priority of the calling worker thread to ``nice`` (Unix), once per thread.

    A serving process reads on worker threads (request handlers, the QC worker) beside the
    gateway, whose answers to the loggers are the latency that matters. On two cores a reader
    that never pauses, at normal priority, raised the loggers' reply p99 by 60 %; at nice 10 by
    16 % (bench/RESULTS.md, ``bench/hj212_ingest.py --with-readers``). The main thread (a CLI
    command, a test) keeps its priority; so does any thread where ``nice`` is 0. A thread's
    priority is only ever lowered, never raised back.
    """
    if nice <= 0 or threading.current_thread() is threading.main_thread():
        return
    if not hasattr(os, "setpriority"):  # not a Unix
        return
    task = threading.get_native_id()  # on Linux a thread is a task with its own priority
    os.setpriority(os.PRIO_PROCESS, task, max(nice, os.getpriority(os.PRIO_PROCESS, task)))


def _epoch_micros(column: pa.ChunkedArray) -> list[int]:
    return column.cast(pa.int64()).to_pylist()
