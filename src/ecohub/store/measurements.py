"""The measurement store: every reading once, with its key, flag and provenance.

Two backends behind one interface:

* :class:`DuckDBMeasurements` (embedded default) — a columnar file. Analytics over months of
  station-hours are scans and group-bys over a few columns, which a column store does an order of
  magnitude faster than SQLite's row store, and DuckDB also reads and writes the open layout of
  the scale path (Parquet partitioned by date, see :meth:`MeasurementStore.export_parquet`).
* :class:`PostgresMeasurements` (server) — the same table in PostgreSQL.

A reading's key is (mn, factor, kind, period_start, statistic): a packet sent again is recognised
and its readings are stored once; nothing stored is ever overwritten.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as pads

KINDS = {"realtime": "2011", "minute": "2051", "hour": "2061", "day": "2031"}
"""Data kind → HJ 212-2017 command code (CN) of the upload that carries it."""

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
    ]
)

READING_KEY = ("mn", "factor", "kind", "period_start", "statistic")
_COLUMNS = ", ".join(READING_SCHEMA.names)


def conform(table: pa.Table, schema: pa.Schema, what: str) -> pa.Table:
    """Select and cast the columns of ``schema``; say exactly which column is missing or wrong."""
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}; expected {schema.names}")
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ValueError(f"{what}: columns do not match {schema}: {error}") from error


class MeasurementStore(ABC):
    """Append-only store of readings and of the raw packets they came from."""

    @abstractmethod
    def write(self, readings: pa.Table, packets: pa.Table | None = None) -> int:
        """Store readings (and their source packets) in one transaction, durable on return.

        Readings whose key already exists are ignored. Returns the number newly inserted.
        """

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def query(self, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
        """Run a read-only SQL query over ``readings`` / ``packets`` (``?`` placeholders)."""

    @abstractmethod
    def close(self) -> None: ...

    def read(
        self,
        kind: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        object_ids: Sequence[int] | None = None,
        factors: Sequence[str] | None = None,
        statistic: str | None = None,
    ) -> pl.DataFrame:
        """Readings filtered by kind, period_start in [start, end), objects, factors, statistic."""
        where, params = [], []
        if kind is not None:
            if kind not in KINDS:
                raise ValueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
            where.append("kind = ?")
            params.append(kind)
        if start is not None:
            where.append("period_start >= ?")
            params.append(_aware(start, "start"))
        if end is not None:
            where.append("period_start < ?")
            params.append(_aware(end, "end"))
        if statistic is not None:
            where.append("statistic = ?")
            params.append(statistic)
        for column, values in (("object_id", object_ids), ("factor", factors)):
            if values is not None:
                values = list(values)
                if not values:
                    return pl.from_arrow(READING_SCHEMA.empty_table())
                where.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
        sql = f"SELECT {_COLUMNS} FROM readings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY mn, factor, kind, statistic, period_start"
        frame = self.query(sql, params)
        if frame.is_empty():
            return pl.from_arrow(READING_SCHEMA.empty_table())
        return frame

    def export_parquet(self, directory: str | Path, kind: str | None = None) -> int:
        """Write readings as Parquet partitioned by kind and UTC date (``kind=…/date=…/``), the
        open layout that DuckDB, Spark or Trino read directly. Returns the rows written."""
        frame = self.read(kind=kind).with_columns(
            pl.col("period_start").dt.date().cast(pl.String).alias("date")
        )
        pads.write_dataset(
            frame.to_arrow(), str(directory), format="parquet",
            partitioning=pads.partitioning(
                pa.schema([("kind", pa.string()), ("date", pa.string())]), flavor="hive"
            ),
            existing_data_behavior="overwrite_or_ignore",
        )
        return frame.height


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} {moment.isoformat()}: a timezone-aware datetime is required")
    return moment


class DuckDBMeasurements(MeasurementStore):
    """Embedded columnar backend (one DuckDB file, one writing process)."""

    SCHEMA_VERSION = 1

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._con = duckdb.connect(str(path))
        except duckdb.IOException as error:
            raise RuntimeError(
                f"measurement store {path} is in use by another ecohub process "
                f"(the embedded store has one writer; stop it or use PostgreSQL): {error}"
            ) from error
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute(
            f"""
            CREATE TABLE IF NOT EXISTS readings (
                mn VARCHAR NOT NULL, object_id BIGINT NOT NULL, factor VARCHAR NOT NULL,
                kind VARCHAR NOT NULL, period_start TIMESTAMPTZ NOT NULL, period_s INTEGER NOT NULL,
                statistic VARCHAR NOT NULL, value DOUBLE, device_flag VARCHAR,
                received_at TIMESTAMPTZ NOT NULL, packet_id VARCHAR,
                PRIMARY KEY ({', '.join(READING_KEY)})
            );
            CREATE TABLE IF NOT EXISTS packets (
                packet_id VARCHAR, mn VARCHAR, cn VARCHAR, received_at TIMESTAMPTZ, raw VARCHAR
            );
            CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
            INSERT OR IGNORE INTO store_meta VALUES ('schema_version', '{self.SCHEMA_VERSION}');
            """
        )

    def write(self, readings: pa.Table, packets: pa.Table | None = None) -> int:
        batch = conform(readings, READING_SCHEMA, "readings")  # noqa: F841 - read by DuckDB
        with self._lock:
            self._con.execute("BEGIN")
            try:
                inserted = self._con.execute(
                    f"INSERT OR IGNORE INTO readings SELECT {_COLUMNS} FROM batch"
                ).fetchone()[0]
                if packets is not None and packets.num_rows:
                    packet_batch = conform(packets, PACKET_SCHEMA, "packets")  # noqa: F841
                    self._con.execute("INSERT INTO packets SELECT * FROM packet_batch")
                self._con.execute("COMMIT")
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
        return int(inserted)

    def count(self) -> int:
        with self._lock:
            return int(self._con.execute("SELECT count(*) FROM readings").fetchone()[0])

    def query(self, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
        with self._lock:
            return pl.from_arrow(self._con.sql(sql, params=list(params)).to_arrow_table())

    def close(self) -> None:
        with self._lock:
            self._con.close()


class PostgresMeasurements(MeasurementStore):
    """Server backend: the ``readings`` and ``packets`` tables created by the Alembic migration."""

    def __init__(self, engine) -> None:  # sqlalchemy.Engine
        self._raw = engine.raw_connection()
        self._con = self._raw.driver_connection  # psycopg.Connection
        self._lock = threading.Lock()

    def write(self, readings: pa.Table, packets: pa.Table | None = None) -> int:
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
            cursor.execute(
                f"""
                INSERT INTO readings ({_COLUMNS})
                SELECT mn, object_id, factor, kind,
                       timestamptz 'epoch' + period_us * interval '1 microsecond', period_s,
                       statistic, value, device_flag,
                       timestamptz 'epoch' + received_us * interval '1 microsecond', packet_id
                FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[], %s::bigint[],
                            %s::int[], %s::text[], %s::float8[], %s::text[], %s::bigint[],
                            %s::text[])
                     AS b(mn, object_id, factor, kind, period_us, period_s, statistic, value,
                          device_flag, received_us, packet_id)
                ON CONFLICT DO NOTHING
                """,
                arrays,
            )
            inserted = cursor.rowcount
            if packets is not None and packets.num_rows:
                p = conform(packets, PACKET_SCHEMA, "packets")
                cursor.execute(
                    """
                    INSERT INTO packets (packet_id, mn, cn, received_at, raw)
                    SELECT packet_id, mn, cn,
                           timestamptz 'epoch' + received_us * interval '1 microsecond', raw
                    FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[])
                         AS b(packet_id, mn, cn, received_us, raw)
                    """,
                    [
                        p.column("packet_id").to_pylist(), p.column("mn").to_pylist(),
                        p.column("cn").to_pylist(), _epoch_micros(p.column("received_at")),
                        p.column("raw").to_pylist(),
                    ],
                )
        return int(inserted)

    def count(self) -> int:
        return int(self.query("SELECT count(*) AS n FROM readings")["n"][0])

    def query(self, sql: str, params: Sequence[object] = ()) -> pl.DataFrame:
        with self._lock, self._con.transaction(), self._con.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), list(params))
            names = [d.name for d in cursor.description]
            rows = cursor.fetchall()
        if not rows:
            return pl.DataFrame(schema=names)
        frame = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
        timestamps = [c for c in frame.columns if c in ("period_start", "received_at")]
        return frame.with_columns(pl.col(timestamps).dt.convert_time_zone("UTC"))

    def close(self) -> None:
        with self._lock:
            self._raw.close()


def _epoch_micros(column: pa.ChunkedArray) -> list[int]:
    return column.cast(pa.int64()).to_pylist()
