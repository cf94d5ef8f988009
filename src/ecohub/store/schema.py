"""The schemas of both stores: creating and upgrading them once, checking them on every open.

A deployment's schema changes only when someone runs :func:`migrate` (``ecohub store migrate``;
``ecohub serve`` and ``ecohub demo`` run it at start). Opening a store only checks that both
parts are current and otherwise says what to do, so that a read command never creates or
changes files, and a server process that starts beside others does not race them to migrate.

* The operational database (SQLite or PostgreSQL) follows the Alembic revisions in
  ``migrations/versions``. On PostgreSQL those revisions also create the measurement tables.
* The embedded measurement store (DuckDB) follows :data:`MEASUREMENT_MIGRATIONS` below and
  records its version in ``store_meta.schema_version``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import OperationalError

from ecohub.store import queries
from ecohub.store.identity import json_text
from ecohub.store.settings import StoreSettings

__all__ = [
    "MEASUREMENT_MIGRATIONS", "MEASUREMENT_SCHEMA_VERSION", "MIGRATION_LOCK_KEY", "Migration",
    "StoreNotFound", "StoreNotMigrated", "StoreUnavailable", "check_measurements",
    "check_operational", "connect_measurements", "migrate", "operational_engine",
]

MIGRATIONS = Path(__file__).with_name("migrations")

OPERATIONAL = "operational database"
MEASUREMENTS = "measurement store"
SERVER = "operational database and measurement store"

MIGRATE_HINT = "run `ecohub store migrate`"

MIGRATION_LOCK_KEY = 0x65636F687562
"""The PostgreSQL advisory lock held for a migration's transaction, so that of several server
processes starting at once one migrates and the others wait, then find the schema current
("ecohub" in ASCII)."""

# Each step brings the DuckDB measurement store from the previous version to its own. The steps
# say IF NOT EXISTS because stores made before migrations were explicit created every table on
# each open while keeping the version they were first created with.
MEASUREMENT_MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
        -- readings and the raw packets they came from
        CREATE TABLE IF NOT EXISTS readings (
            mn VARCHAR NOT NULL, object_id BIGINT NOT NULL, factor VARCHAR NOT NULL,
            kind VARCHAR NOT NULL, period_start TIMESTAMPTZ NOT NULL, period_s INTEGER NOT NULL,
            statistic VARCHAR NOT NULL, value DOUBLE, device_flag VARCHAR,
            received_at TIMESTAMPTZ NOT NULL, packet_id VARCHAR
        );
        CREATE TABLE IF NOT EXISTS packets (
            packet_id VARCHAR, mn VARCHAR, cn VARCHAR, received_at TIMESTAMPTZ, raw VARCHAR
        );
        CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
        """),
    (2, """
        -- QC results beside the readings and operator reviews. (Version 2 also stopped keying
        -- readings by an index: the single writer enforces the key, see measurements.py; a
        -- version 1 store keeps its index, which only slows its writes.)
        CREATE TABLE IF NOT EXISTS qc_flags (
            mn VARCHAR NOT NULL, factor VARCHAR NOT NULL, kind VARCHAR NOT NULL,
            period_start TIMESTAMPTZ NOT NULL, statistic VARCHAR NOT NULL, qc_flag SMALLINT,
            qc_tests VARCHAR, qc_valid BOOLEAN, qc_version VARCHAR, checked_at TIMESTAMPTZ,
            PRIMARY KEY (mn, factor, kind, period_start, statistic)
        );
        CREATE SEQUENCE IF NOT EXISTS qc_review_ids;
        CREATE TABLE IF NOT EXISTS qc_reviews (
            id BIGINT DEFAULT nextval('qc_review_ids'), mn VARCHAR NOT NULL,
            factor VARCHAR NOT NULL, kind VARCHAR NOT NULL, period_start TIMESTAMPTZ NOT NULL,
            statistic VARCHAR NOT NULL, decision VARCHAR NOT NULL, reviewer VARCHAR NOT NULL,
            reason VARCHAR NOT NULL, reviewed_at TIMESTAMPTZ NOT NULL
        );
        """),
    (3, """
        -- how far the store has applied each gateway's write-ahead journal
        CREATE TABLE IF NOT EXISTS journal_applied (
            journal_id VARCHAR, target VARCHAR, seq BIGINT NOT NULL,
            PRIMARY KEY (journal_id, target)
        );
        """),
    (4, """
        -- the deviations from the standard accepted with each stored packet (profiles)
        ALTER TABLE packets ADD COLUMN IF NOT EXISTS deviations VARCHAR;
        """),
    # the latest reading per object, factor, kind and statistic, kept by the writer
    (5, ";\n".join(queries.LATEST_TABLE) + ";"),
)
MEASUREMENT_SCHEMA_VERSION = MEASUREMENT_MIGRATIONS[-1][0]
"""The DuckDB measurement store's schema version this ecohub reads and writes."""


class StoreNotMigrated(RuntimeError):
    """The store is not at the schema this ecohub expects.

    The message says which part, where, and what to do.
    """


class StoreNotFound(StoreNotMigrated):
    """There is no embedded store where the settings point (``ecohub store migrate`` makes one)."""


class StoreUnavailable(RuntimeError):
    """The store exists but cannot be used: unreachable, read-only for this user, or in use.

    The message names the part, where it is, what went wrong and what to do.
    """


@dataclass(frozen=True)
class Migration:
    """What :func:`migrate` did to one part of a deployment's store."""

    store: str
    """Which part: the operational database, the measurement store, or both (PostgreSQL)."""
    location: str
    before: str | None
    """The schema found (``revision 0002``, ``schema version 1``); None: there was none."""
    after: str

    def __str__(self) -> str:
        if self.before is None:
            done = f"created at {self.after}"
        elif self.before == self.after:
            done = f"already current ({self.after})"
        else:
            done = f"upgraded from {self.before} to {self.after}"
        return f"{self.store} {self.location}: {done}"


def migrate(settings: StoreSettings) -> list[Migration]:
    """Create the store where ``settings`` point, or bring it to the current schema.

    Idempotent: on a current store it changes nothing. The operational database migrates in one
    transaction (on PostgreSQL under an advisory lock, so that concurrent calls migrate once);
    so does the DuckDB measurement store.
    """
    if not settings.is_embedded:
        return [_migrate_operational(settings, SERVER)]
    _sqlite_path(settings).parent.mkdir(parents=True, exist_ok=True)
    return [_migrate_operational(settings, OPERATIONAL), _migrate_measurements(settings)]


def operational_engine(settings: StoreSettings) -> Engine:
    """The SQLAlchemy engine of the operational database; an embedded store must exist."""
    if settings.is_embedded:
        missing = [p for p in (_sqlite_path(settings), settings.measurement_path)
                   if not p.exists()]
        if missing:
            raise StoreNotFound(
                f"no ecohub store in {settings.data_dir}: "
                f"{' and '.join(str(p) for p in missing)} not found; {MIGRATE_HINT} to create it")
    return _engine(settings)


def check_operational(engine: Engine) -> None:
    """Raise :class:`StoreNotMigrated` unless the database is at the newest Alembic revision."""
    try:
        with engine.connect() as connection:
            found = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as error:
        raise _unavailable(engine, error) from error
    head = _alembic_head()
    if found != head:
        store = OPERATIONAL if engine.dialect.name == "sqlite" else SERVER
        raise _not_current(store, _location(engine.url), _revision(found), _revision(head),
                           newer=found is not None and found not in _alembic_revisions())


def connect_measurements(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB measurement store (UTC session), which must exist."""
    if not path.exists():
        raise StoreNotFound(f"no measurement store: {path} not found; {MIGRATE_HINT} to create it")
    return _connect_duckdb(path)


def check_measurements(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Raise :class:`StoreNotMigrated` unless the DuckDB store is at the current version."""
    found = _duckdb_version(connection)
    if found != MEASUREMENT_SCHEMA_VERSION:
        raise _not_current(MEASUREMENTS, str(path), _version(found),
                           _version(MEASUREMENT_SCHEMA_VERSION),
                           newer=found is not None and found > MEASUREMENT_SCHEMA_VERSION)


def _migrate_operational(settings: StoreSettings, store: str) -> Migration:
    engine = _engine(settings)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK_KEY})
            found = MigrationContext.configure(connection).get_current_revision()
            if found is not None and found not in _alembic_revisions():
                raise _not_current(store, _location(engine.url), _revision(found),
                                   _revision(_alembic_head()), newer=True)
            command.upgrade(_alembic_config(connection), "head")
    except OperationalError as error:
        raise _unavailable(engine, error) from error
    finally:
        engine.dispose()
    return Migration(store, _location(engine.url), _revision(found), _revision(_alembic_head()))


def _migrate_measurements(settings: StoreSettings) -> Migration:
    path = settings.measurement_path
    connection = _connect_duckdb(path)
    try:
        connection.execute("BEGIN")
        found = _duckdb_version(connection)
        if found is not None and found > MEASUREMENT_SCHEMA_VERSION:
            raise _not_current(MEASUREMENTS, str(path), _version(found),
                               _version(MEASUREMENT_SCHEMA_VERSION), newer=True)
        if found != MEASUREMENT_SCHEMA_VERSION:
            for version, ddl in MEASUREMENT_MIGRATIONS:
                if version > (found or 0):
                    connection.execute(ddl)
            connection.execute("INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)",
                               [str(MEASUREMENT_SCHEMA_VERSION)])
        connection.execute("COMMIT")
    finally:
        connection.close()
    return Migration(MEASUREMENTS, str(path), _version(found), _version(MEASUREMENT_SCHEMA_VERSION))


def _engine(settings: StoreSettings) -> Engine:
    engine = create_engine(settings.database_url, json_serializer=json_text)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class MeasurementsInUse(StoreUnavailable):
    """The embedded measurement store is open in another process (one writer per file)."""


def _connect_duckdb(path: Path) -> duckdb.DuckDBPyConnection:
    try:
        connection = duckdb.connect(str(path))
    except duckdb.IOException as error:
        if "Permission denied" in str(error) or "Read-only" in str(error):
            raise StoreUnavailable(
                f"measurement store {path}: permission denied; this user may not write it "
                "(run as its owner, or copy the data directory)") from error
        raise MeasurementsInUse(
            f"measurement store {path} is in use by another ecohub process "
            f"(the embedded store has one writer; stop it or use PostgreSQL): {error}"
        ) from error
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _duckdb_version(connection: duckdb.DuckDBPyConnection) -> int | None:
    """The recorded schema version; None for a file without ecohub's tables."""
    # fetchall: DuckDB keeps a connection busy until a result is read to its end
    if not connection.execute(
            "SELECT 1 FROM duckdb_tables() WHERE table_name = 'store_meta'").fetchall():
        return None
    rows = connection.execute(
        "SELECT value FROM store_meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else None


def _not_current(store: str, location: str, found: str | None, current: str, *,
                 newer: bool) -> StoreNotMigrated:
    if newer:
        return StoreNotMigrated(
            f"{store} {location} is at {found}, newer than this ecohub knows ({current}): "
            "it was migrated by a newer ecohub; upgrade ecohub to use it")
    state = "has no ecohub schema" if found is None else f"is at {found}"
    return StoreNotMigrated(f"{store} {location} {state}, this ecohub needs {current}: "
                            f"{MIGRATE_HINT}")


def _unavailable(engine: Engine, error: OperationalError) -> StoreUnavailable:
    detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    where = _location(engine.url)
    if engine.dialect.name == "sqlite":
        if "readonly" in detail or "unable to open" in detail:
            return StoreUnavailable(
                f"{OPERATIONAL} {where} cannot be opened for writing ({detail}): this user may "
                "not write the data directory (run as its owner, or copy the data directory)")
        return StoreUnavailable(f"{OPERATIONAL} {where}: {detail}")
    return StoreUnavailable(
        f"cannot reach the database {where}: {detail}; check --database-url "
        "(ECOHUB_DATABASE_URL), that the server runs and accepts this user")


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def _alembic_script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def _alembic_head() -> str:
    return _alembic_script().get_current_head()


def _alembic_revisions() -> set[str]:
    return {script.revision for script in _alembic_script().walk_revisions()}


def _revision(revision: str | None) -> str | None:
    return None if revision is None else f"revision {revision}"


def _version(version: int | None) -> str | None:
    return None if version is None else f"schema version {version}"


def _sqlite_path(settings: StoreSettings) -> Path:
    return Path(make_url(settings.database_url).database)


def _location(url) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers (reports, the API) work while the gateway writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
