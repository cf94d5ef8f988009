"""Every SQL statement of the measurement store, and the typed shape of each read's result.

This module is the only place in ecohub where SQL over ``readings``, ``packets``, ``qc_flags``
and ``qc_reviews`` is written; :mod:`ecohub.store.measurements` executes these statements on the
embedded (DuckDB) and the server (PostgreSQL) backend. A read is a :class:`Query`: a name (used
in errors such as :class:`ecohub.store.measurements.ReadTimeout`), the statement with ``?``
placeholders (the PostgreSQL backend binds them as ``%s``) and the polars schema of its result,
so both backends return the same columns with the same dtypes, empty results included.

The read statements are written in the SQL that DuckDB and PostgreSQL share, but for the few
reads that need what the two spell differently (splitting text into rows, a timestamp's seconds,
the median): those are a dict of one :class:`Query` per backend, keyed by
``MeasurementStore.dialect`` (``DEVIATIONS_BY_LOGGER``, ``CLOCK_OFFSETS``). The statements of
one backend only (DuckDB's schema and key-checking insert, PostgreSQL's array inserts, DuckDB's
partitioned ``COPY``) are grouped below by backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import polars as pl

from ecohub.vocabulary import CHINA_TZ_NAME

UTC_US: Final = pl.Datetime("us", "UTC")

READING_COLUMNS: Final[dict[str, pl.DataType]] = {
    "mn": pl.String(), "object_id": pl.Int64(), "factor": pl.String(), "kind": pl.String(),
    "period_start": UTC_US, "period_s": pl.Int32(), "statistic": pl.String(),
    "value": pl.Float64(), "device_flag": pl.String(), "received_at": UTC_US,
    "packet_id": pl.String(),
}
"""Columns of a stored reading (the polars form of ``READING_SCHEMA``)."""

QC_COLUMNS: Final[dict[str, pl.DataType]] = {
    "qc_flag": pl.Int16(), "qc_tests": pl.String(), "qc_valid": pl.Boolean(),
    "qc_version": pl.String(), "review": pl.String(), "reviewer": pl.String(),
    "review_reason": pl.String(),
}
"""What ``readings(with_qc=True)`` adds: the stored QC result and the latest review."""

QC_FLAG_COLUMNS: Final[dict[str, pl.DataType]] = {
    "mn": pl.String(), "factor": pl.String(), "kind": pl.String(), "period_start": UTC_US,
    "statistic": pl.String(), "qc_flag": pl.Int16(), "qc_tests": pl.String(),
    "qc_valid": pl.Boolean(), "qc_version": pl.String(), "checked_at": UTC_US,
}
PACKET_COLUMNS: Final[dict[str, pl.DataType]] = {
    "packet_id": pl.String(), "mn": pl.String(), "cn": pl.String(), "received_at": UTC_US,
    "raw": pl.String(), "deviations": pl.String(),
}

READING_KEY: Final = ("mn", "factor", "kind", "period_start", "statistic")
"""The key of a reading: one value per logger, factor, data kind, period and statistic."""
READING_ORDER: Final = ("mn", "factor", "kind", "statistic", "period_start")
"""The order of :meth:`readings` (series, then time) and of its keyset pages."""

_KEY = ", ".join(READING_KEY)
_COLUMNS = ", ".join(READING_COLUMNS)


@dataclass(frozen=True)
class Query:
    """One named read: its statement and the schema of its result."""

    name: str
    sql: str
    schema: dict[str, pl.DataType]


def _in(column: str, count: int) -> str:
    return f"{column} IN ({', '.join('?' * count)})"


# ----------------------------------------------------------------------------- reading reads
# The newest review of each reading wins; older ones stay in qc_reviews as history.
_LATEST_REVIEW = f"""
    SELECT {_KEY}, decision AS review, reviewer, review_reason FROM (
        SELECT {_KEY}, decision, reviewer, reason AS review_reason,
               row_number() OVER (PARTITION BY {_KEY} ORDER BY reviewed_at DESC, id DESC) AS rn
        FROM qc_reviews) AS r
    WHERE rn = 1"""
_WITH_QC = f"""
    LEFT JOIN qc_flags AS f USING ({_KEY})
    LEFT JOIN ({_LATEST_REVIEW}) AS v USING ({_KEY})"""
_QC_SOURCE = {"qc_flag": "f", "qc_tests": "f", "qc_valid": "f", "qc_version": "f",
              "review": "v", "reviewer": "v", "review_reason": "v"}


def readings(columns: Sequence[str], with_qc: bool, where: Sequence[str], after: bool,
             limit: bool) -> Query:
    """Readings (``columns``) matching every ``where`` clause (over ``r.``), in READING_ORDER.

    ``after``: only rows after a key (five parameters); ``limit``: at most a number of rows
    (one parameter, last).
    """
    schema = {**READING_COLUMNS, **(QC_COLUMNS if with_qc else {})}
    select = ", ".join(f"{_QC_SOURCE.get(c, 'r')}.{c}" for c in columns)
    clauses = list(where)
    if after:
        order = ", ".join(f"r.{c}" for c in READING_ORDER)
        clauses.append(f"({order}) > (?, ?, ?, ?, CAST(? AS TIMESTAMPTZ))")
    sql = f"SELECT {select} FROM readings AS r{_WITH_QC if with_qc else ''}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY " + ", ".join(f"r.{c}" for c in READING_ORDER)
    if limit:
        sql += " LIMIT ?"
    return Query("readings", sql, {c: schema[c] for c in columns})


def reading_filters(kind: str | None, start: object, end: object, statistic: str | None,
                    object_ids: Sequence[int] | None, factors: Sequence[str] | None
                    ) -> tuple[list[str], list[object]]:
    """WHERE clauses over ``r.`` (and their parameters) of the usual reading filters."""
    where: list[str] = []
    params: list[object] = []
    for clause, value in (("r.kind = ?", kind), ("r.period_start >= ?", start),
                          ("r.period_start < ?", end), ("r.statistic = ?", statistic)):
        if value is not None:
            where.append(clause)
            params.append(value)
    for column, values in (("r.object_id", object_ids), ("r.factor", factors)):
        if values is not None:
            where.append(_in(column, len(values)))
            params.extend(values)
    return where, params


LATEST_COLUMNS: Final = ("object_id", "mn", "factor", "kind", "statistic", "period_start",
                         "period_s", "value", "device_flag", "received_at")
_LATEST_GROUP = "object_id, factor, kind, statistic"
_LATEST_ORDER = "period_start DESC, received_at DESC, mn"
_LATEST_SET = ", ".join(f"{c} = excluded.{c}" for c in LATEST_COLUMNS[1:] if c not in
                        ("factor", "kind", "statistic"))
# The latest reading per (object, factor, kind, statistic), kept by the writer in the
# transaction that stores the readings: the map asks for it every few seconds, and finding it
# in the readings means sorting every reading of the selection (1.5 s for a year of 300
# stations, bench/RESULTS.md). A newer period replaces a group's row; an equal one does not, as
# the first copy of a reading is the one kept. LATEST_TABLE: the table, and its first filling.
LATEST_TABLE: Final = ("""
    CREATE TABLE IF NOT EXISTS latest_readings (
        object_id BIGINT NOT NULL, mn VARCHAR NOT NULL, factor VARCHAR NOT NULL,
        kind VARCHAR NOT NULL, statistic VARCHAR NOT NULL,
        period_start TIMESTAMPTZ NOT NULL, period_s INTEGER NOT NULL, value DOUBLE PRECISION,
        device_flag VARCHAR, received_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (object_id, factor, kind, statistic))""", f"""
    INSERT INTO latest_readings
    SELECT {', '.join(LATEST_COLUMNS)} FROM (
        SELECT r.*, row_number() OVER (PARTITION BY {_LATEST_GROUP} ORDER BY {_LATEST_ORDER})
            AS rn FROM readings AS r) AS l
    WHERE rn = 1
    ON CONFLICT DO NOTHING""")
_LATEST_UPSERT = f"""
    ON CONFLICT ({_LATEST_GROUP}) DO UPDATE SET {_LATEST_SET}
    WHERE excluded.period_start > latest_readings.period_start"""
DUCKDB_UPSERT_LATEST: Final = f"""
    INSERT INTO latest_readings
    SELECT {', '.join(LATEST_COLUMNS)} FROM (
        SELECT *, row_number() OVER (PARTITION BY {_LATEST_GROUP} ORDER BY {_LATEST_ORDER})
            AS rn
        FROM batch QUALIFY row_number() OVER (PARTITION BY {_KEY} ORDER BY _arrival) = 1)
    WHERE rn = 1{_LATEST_UPSERT}"""
def latest_kept(where: Sequence[str]) -> Query:
    """The latest reading per (object, factor, kind, statistic) from ``latest_readings``.

    ``where`` are clauses of :func:`reading_filters` on alias ``r`` without a period bound.
    """
    clauses = " AND ".join(where) or "TRUE"
    return Query("latest", f"""
        SELECT {', '.join(LATEST_COLUMNS)} FROM latest_readings AS r WHERE {clauses}
        ORDER BY object_id, factor, kind, statistic""",
        {c: READING_COLUMNS[c] for c in LATEST_COLUMNS})


def latest(where: Sequence[str]) -> Query:
    """The latest reading per (object, factor, kind, statistic) among those matching."""
    clauses = " AND ".join(where) or "TRUE"
    columns = ("object_id", "mn", "factor", "kind", "statistic", "period_start", "period_s",
               "value", "device_flag", "received_at")
    return Query("latest", f"""
        SELECT {', '.join(columns)} FROM (
            SELECT r.*, row_number() OVER (
                PARTITION BY r.object_id, r.factor, r.kind, r.statistic
                ORDER BY r.period_start DESC, r.received_at DESC, r.mn) AS rn
            FROM readings AS r WHERE {clauses}) AS l
        WHERE rn = 1
        ORDER BY object_id, factor, kind, statistic""",
        {c: READING_COLUMNS[c] for c in columns})


READING_EXISTS: Final = Query(
    "reading_exists",
    "SELECT count(*) AS n FROM readings WHERE " + " AND ".join(f"{k} = ?" for k in READING_KEY),
    {"n": pl.Int64()})
COUNT: Final = Query("count", "SELECT count(*) AS n FROM readings", {"n": pl.Int64()})
KIND_SUMMARY: Final = Query(
    "kind_summary",
    "SELECT kind, count(*) AS readings, min(period_start) AS first, max(period_start) AS last "
    "FROM readings GROUP BY kind ORDER BY kind",
    {"kind": pl.String(), "readings": pl.Int64(), "first": UTC_US, "last": UTC_US})
HOURS_EXTENT: Final = Query(
    "hours_extent",
    "SELECT min(period_start) AS first, max(period_start) AS last FROM readings "
    "WHERE kind = 'hour' AND period_start >= ? AND period_start < ?",
    {"first": UTC_US, "last": UTC_US})
DEVICE_ACTIVITY: Final = Query(
    "device_activity",
    """SELECT p.mn, p.packets, COALESCE(r.readings, 0) AS readings, p.last_received
    FROM (SELECT mn, count(*) AS packets, max(received_at) AS last_received FROM packets
          WHERE received_at >= ? GROUP BY mn) AS p
    LEFT JOIN (SELECT mn, count(*) AS readings FROM readings WHERE received_at >= ?
               GROUP BY mn) AS r ON r.mn = p.mn
    ORDER BY p.mn""",
    {"mn": pl.String(), "packets": pl.Int64(), "readings": pl.Int64(), "last_received": UTC_US})
# Deviations and clock offsets per logger: the same result on both backends, written in each
# one's SQL (splitting a string into rows, seconds of a timestamp and the median differ).
DEVIATION_COLUMNS: Final[dict[str, pl.DataType]] = {
    "mn": pl.String(), "kind": pl.String(), "packets": pl.Int64()}
_DEVIATIONS = """
    SELECT mn, kind, count(*) AS packets FROM (
        SELECT DISTINCT packet_id, cn, received_at, mn, trim(split_part(d, ':', 1)) AS kind
        FROM (SELECT packet_id, cn, received_at, mn, unnest({split}) AS d FROM packets
              WHERE received_at >= ? AND deviations IS NOT NULL) AS s
        WHERE trim(d) <> '') AS k
    GROUP BY mn, kind
    ORDER BY mn, packets DESC, kind"""
DEVIATIONS_BY_LOGGER: Final[dict[str, Query]] = {
    "duckdb": Query("deviations_by_logger",
                    _DEVIATIONS.format(split="string_split(deviations, chr(10))"),
                    DEVIATION_COLUMNS),
    "postgresql": Query("deviations_by_logger",
                        _DEVIATIONS.format(split="string_to_array(deviations, chr(10))"),
                        DEVIATION_COLUMNS),
}
"""Per MN and deviation kind, the stored packets received from ``?`` on that carry it."""

CLOCK_OFFSET_COLUMNS: Final[dict[str, pl.DataType]] = {
    "mn": pl.String(), "offset_s": pl.Float64(), "offset_s_max_abs": pl.Float64(),
    "samples": pl.Int64()}
# A realtime value is stamped with its DataTime; a minute, hour or day value arrives after its
# period ends, so the logger's clock is compared with the end of the period. One sample per
# packet (its readings share mn, kind, period and arrival).
_CLOCK_OFFSETS = """
    SELECT mn, {median} AS offset_s,
           CASE WHEN max(o) >= -min(o) THEN max(o) ELSE min(o) END AS offset_s_max_abs,
           count(*) AS samples
    FROM (SELECT mn, {seconds_start}
                 + CASE WHEN kind = 'realtime' THEN 0 ELSE period_s END
                 - {seconds_received} AS o
          FROM (SELECT DISTINCT mn, kind, period_start, period_s, received_at FROM readings
                WHERE received_at >= ?) AS p) AS s
    GROUP BY mn
    ORDER BY mn"""
CLOCK_OFFSETS: Final[dict[str, Query]] = {
    "duckdb": Query("clock_offsets", _CLOCK_OFFSETS.format(
        median="median(o)", seconds_start="epoch_us(period_start) / 1e6",
        seconds_received="epoch_us(received_at) / 1e6"), CLOCK_OFFSET_COLUMNS),
    "postgresql": Query("clock_offsets", _CLOCK_OFFSETS.format(
        median="percentile_cont(0.5) WITHIN GROUP (ORDER BY o)",
        seconds_start="CAST(extract(epoch FROM period_start) AS double precision)",
        seconds_received="CAST(extract(epoch FROM received_at) AS double precision)"),
        CLOCK_OFFSET_COLUMNS),
}
"""Per MN, the logger's clock against arrival over the readings received from ``?`` on.

``offset_s``: the median offset in seconds (DataTime, or period end, minus arrival; negative
when the data arrives after the time it is stamped with); ``offset_s_max_abs``: the offset
farthest from zero, with its sign; ``samples``: packets counted.
"""
COUNTS_BY_OBJECT_AND_KIND: Final = Query(
    "counts_by_object_and_kind",
    "SELECT object_id, kind, count(*) AS readings FROM readings GROUP BY object_id, kind "
    "ORDER BY object_id, kind",
    {"object_id": pl.Int64(), "kind": pl.String(), "readings": pl.Int64()})
QC_FLAG_COUNTS: Final = Query(
    "qc_flag_counts",
    f"SELECT r.object_id, f.qc_flag, count(*) AS readings FROM readings AS r "
    f"JOIN qc_flags AS f USING ({_KEY}) GROUP BY r.object_id, f.qc_flag "
    "ORDER BY r.object_id, f.qc_flag",
    {"object_id": pl.Int64(), "qc_flag": pl.Int16(), "readings": pl.Int64()})
QC_FLAGS: Final = Query(
    "qc_flags",
    f"SELECT {', '.join(QC_FLAG_COLUMNS)} FROM qc_flags ORDER BY {_KEY}", QC_FLAG_COLUMNS)


def packets(count: int | None) -> Query:
    """Stored raw packets (those with ``count`` ids given, or all), by reception and id."""
    where = "" if count is None else f" WHERE {_in('packet_id', count)}"
    return Query("packets", f"SELECT {', '.join(PACKET_COLUMNS)} FROM packets{where} "
                 "ORDER BY received_at, packet_id, cn", PACKET_COLUMNS)


PACKET_COUNT: Final = Query("packet_count", "SELECT count(*) AS n FROM packets",
                            {"n": pl.Int64()})


def chunk_summary(objects: int | None) -> Query:
    """Per (mn, kind) of readings with period_start in [?, ?): object, first period, last received.

    With ``objects``, only readings whose object_id is among that many ids (parameters after
    the two instants).
    """
    where = "" if objects is None else f" AND {_in('object_id', objects)}" if objects else \
        " AND FALSE"
    return Query(
        "chunk_summary",
        "SELECT mn, kind, min(object_id) AS object_id, min(period_start) AS first, "
        "max(received_at) AS seen FROM readings WHERE period_start >= ? AND period_start < ?"
        f"{where} GROUP BY mn, kind ORDER BY mn, kind",
        {"mn": pl.String(), "kind": pl.String(), "object_id": pl.Int64(), "first": UTC_US,
         "seen": UTC_US})


# ----------------------------------------------------------------------------- QC context
# (ecohub.quality.context explains the windows and which readings each part fetches)
_TS = "CAST(? AS TIMESTAMPTZ)"
_FINITE = ("COALESCE(r.value BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308, "
           "FALSE)")
_BY_SERIES = "PARTITION BY r.mn, r.factor, r.kind, r.statistic"
WINDOW_PARAMETERS: Final = 6
"""Parameters per window row of the QC context statements (mn, kind and four instants)."""


def _windows(names: str, rows: int) -> str:
    return f"WITH w({names}) AS (VALUES " + ", ".join(
        [f"(?, ?, {_TS}, {_TS}, {_TS}, {_TS})"] * rows) + ")"


def _checked(checked_only: bool) -> str:
    """SQL truth of "reading r has stored flags" (any reading counts unless ``checked_only``)."""
    if not checked_only:
        return "TRUE"
    same = " AND ".join(f"f.{c} = r.{c}" for c in READING_KEY)
    return f"EXISTS (SELECT 1 FROM qc_flags AS f WHERE {same})"


def _select(alias: str) -> str:
    return ", ".join(f"{alias}.{c}" for c in READING_COLUMNS)


def qc_context_near(rows: int, checked_only: bool) -> Query:
    """Readings from ``floor`` on of ``rows`` windows (mn, kind, floor, until, ahead, seen).

    Where ``until`` is set, only readings before ``ahead`` or received before ``seen``. Column
    ``checked`` says whether the reading has stored flags.
    """
    return Query("qc_context_near", f"""{_windows('mn, kind, floor, until, ahead, seen', rows)}
        SELECT {_select('r')}, {_checked(checked_only)} AS checked
        FROM readings AS r JOIN w ON r.mn = w.mn AND r.kind = w.kind
        WHERE r.period_start >= w.floor
          AND (w.until IS NULL OR r.period_start < w.ahead OR r.received_at < w.seen)""",
        {**READING_COLUMNS, "checked": pl.Boolean()})


def qc_context_far(rows: int, checked_only: bool) -> Query:
    """Neighbours across gaps, per series of ``rows`` windows (mn, kind, lo, floor, ahead, hi).

    The last two readings and the last finite one in [lo, floor) (checked ones only with
    ``checked_only``), and the first reading in [ahead, hi).
    """
    return Query("qc_context_far", f"""{_windows('mn, kind, lo, floor, ahead, hi', rows)}
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
        WHERE a.k = 1""", READING_COLUMNS)


# ----------------------------------------------------------------------------- DuckDB only
DUCKDB_SETUP: Final = "SET TimeZone = 'UTC'"
DUCKDB_THREADS: Final = "SET threads = ?"

# The reading key is enforced by the (single) writer rather than by a primary-key index: an ART
# index over five columns costs more than the rest of the commit (measured 140 k rows/s with the
# key index against 290 k rows/s this way, flat as the table grows), while readings arrive
# nearly in time order, so the period range of a batch prunes the existing rows to compare with
# to a few row groups (zone maps on period_start).
DUCKDB_INSERT_NEW: Final = f"""
    INSERT INTO readings
    SELECT {_COLUMNS} FROM batch AS b
    WHERE NOT EXISTS (
        SELECT 1 FROM readings AS r
        WHERE r.period_start BETWEEN ? AND ?
          AND r.mn = b.mn AND r.factor = b.factor AND r.kind = b.kind
          AND r.period_start = b.period_start AND r.statistic = b.statistic)
    QUALIFY row_number() OVER (PARTITION BY {_KEY} ORDER BY _arrival) = 1"""
DUCKDB_INSERT_PACKETS: Final = (
    "INSERT INTO packets (packet_id, mn, cn, received_at, raw, deviations) "
    "SELECT packet_id, mn, cn, received_at, raw, deviations FROM packet_batch")
DUCKDB_JOURNAL_APPLIED: Final = \
    "INSERT OR REPLACE INTO journal_applied VALUES (?, 'measurements', ?)"
DUCKDB_UPSERT_FLAGS: Final = \
    f"INSERT OR REPLACE INTO qc_flags SELECT {', '.join(QC_FLAG_COLUMNS)} FROM batch"
JOURNAL_POSITION: Final = \
    "SELECT seq FROM journal_applied WHERE journal_id = ? AND target = 'measurements'"
INSERT_REVIEW: Final = (f"INSERT INTO qc_reviews ({_KEY}, decision, reviewer, reason, "
                        "reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")

EXPORT_COLUMNS: Final = (
    "mn", "object_id", "object_code", "factor", "kind", "period_start", "period_s", "statistic",
    "value", "device_flag", "received_at", "packet_id", "qc_flag", "qc_valid", "review", "date")
"""Columns of the Parquet export (``kind`` and ``date`` become the partition directories)."""


def duckdb_export(directory: str, kind: str | None) -> str:
    """Partitioned COPY of the readings to ``directory``, by kind and China date.

    Each reading goes with its object code, QC flags and latest review; ``export_objects``
    (object_id, object_code) is an Arrow table registered on the connection. ``kind`` must be
    a known data kind.
    """
    where = "" if kind is None else f" WHERE r.kind = '{kind}'"
    target = directory.replace("'", "''")
    return f"""
        COPY (
            SELECT r.mn, r.object_id, o.object_code, r.factor, r.kind, r.period_start,
                   r.period_s, r.statistic, r.value, r.device_flag, r.received_at, r.packet_id,
                   f.qc_flag, f.qc_valid, v.review,
                   strftime(timezone('{CHINA_TZ_NAME}', r.period_start), '%Y-%m-%d') AS date
            FROM readings AS r
            LEFT JOIN export_objects AS o USING (object_id){_WITH_QC}{where}
        ) TO '{target}' (FORMAT parquet, PARTITION_BY (kind, date), OVERWRITE_OR_IGNORE true)"""


# ----------------------------------------------------------------------------- PostgreSQL only
POSTGRES_READER_SETUP: Final = \
    "SELECT set_config('TimeZone', 'UTC', false), set_config('statement_timeout', %s, false)"
_FROM_EPOCH = "timestamptz 'epoch' + {} * interval '1 microsecond'"
POSTGRES_INSERT_READINGS: Final = f"""
    INSERT INTO readings ({_COLUMNS})
    SELECT mn, object_id, factor, kind, {_FROM_EPOCH.format('period_us')}, period_s,
           statistic, value, device_flag, {_FROM_EPOCH.format('received_us')}, packet_id
    FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[], %s::bigint[],
                %s::int[], %s::text[], %s::float8[], %s::text[], %s::bigint[],
                %s::text[])
         AS b(mn, object_id, factor, kind, period_us, period_s, statistic, value,
              device_flag, received_us, packet_id)
    ON CONFLICT DO NOTHING"""
POSTGRES_UPSERT_LATEST: Final = f"""
    INSERT INTO latest_readings ({', '.join(LATEST_COLUMNS)})
    SELECT DISTINCT ON ({_LATEST_GROUP}) object_id, mn, factor, kind, statistic,
           {_FROM_EPOCH.format('period_us')}, period_s, value, device_flag,
           {_FROM_EPOCH.format('received_us')}
    FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[], %s::bigint[],
                %s::int[], %s::text[], %s::float8[], %s::text[], %s::bigint[],
                %s::text[])
         AS b(mn, object_id, factor, kind, period_us, period_s, statistic, value,
              device_flag, received_us, packet_id)
    ORDER BY {_LATEST_GROUP}, period_us DESC, received_us DESC, mn{_LATEST_UPSERT}"""
POSTGRES_INSERT_PACKETS: Final = f"""
    INSERT INTO packets (packet_id, mn, cn, received_at, raw, deviations)
    SELECT packet_id, mn, cn, {_FROM_EPOCH.format('received_us')}, raw, deviations
    FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[])
         AS b(packet_id, mn, cn, received_us, raw, deviations)"""
POSTGRES_JOURNAL_APPLIED: Final = """
    INSERT INTO journal_applied (journal_id, target, seq)
    VALUES (%s, 'measurements', %s)
    ON CONFLICT (journal_id, target) DO UPDATE SET seq = excluded.seq"""
POSTGRES_UPSERT_FLAGS: Final = f"""
    INSERT INTO qc_flags ({', '.join(QC_FLAG_COLUMNS)})
    SELECT mn, factor, kind, {_FROM_EPOCH.format('period_us')},
           statistic, qc_flag, qc_tests, qc_valid, qc_version, {_FROM_EPOCH.format('checked_us')}
    FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[],
                %s::smallint[], %s::text[], %s::bool[], %s::text[], %s::bigint[])
         AS b(mn, factor, kind, period_us, statistic, qc_flag, qc_tests, qc_valid,
              qc_version, checked_us)
    ON CONFLICT ({_KEY}) DO UPDATE SET qc_flag = excluded.qc_flag,
        qc_tests = excluded.qc_tests, qc_valid = excluded.qc_valid,
        qc_version = excluded.qc_version, checked_at = excluded.checked_at"""
