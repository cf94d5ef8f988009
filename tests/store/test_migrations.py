"""Migrations run once, by `migrate`; opening a store only checks that it is current."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import psycopg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from ecohub.store import ObjectSpec, StoreNotFound, StoreNotMigrated, migrate, open_store
from ecohub.store.schema import MEASUREMENT_SCHEMA_VERSION, MIGRATION_LOCK_KEY, MIGRATIONS
from ecohub.store.settings import StoreSettings, resolve

HEAD = "0007"


@pytest.fixture(params=["embedded", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request, tmp_path) -> StoreSettings:
    """Where a store would be, on each backend, before anything is created there."""
    if request.param == "embedded":
        return resolve(data_dir=tmp_path / "data")
    return resolve(request.getfixturevalue("pg_url"), tmp_path / "data")


def alembic_downgrade(settings: StoreSettings, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    engine.dispose()


def set_measurement_version(settings: StoreSettings, version: int) -> None:
    with duckdb.connect(str(settings.measurement_path)) as connection:
        connection.execute("UPDATE store_meta SET value = ? WHERE key = 'schema_version'",
                           [str(version)])


def test_a_missing_embedded_store_is_named_and_not_created(tmp_path):
    where = tmp_path / "nowhere"
    with pytest.raises(StoreNotFound, match="run `ecohub store migrate`") as raised:
        open_store(data_dir=where)
    assert str(where / "ecohub.db") in str(raised.value)
    assert isinstance(raised.value, StoreNotMigrated) and isinstance(raised.value, RuntimeError)
    assert not where.exists()


@pytest.mark.postgres
def test_an_empty_postgresql_schema_is_not_migrated(pg_url):
    with pytest.raises(StoreNotMigrated, match=(
            r"operational database and measurement store postgresql\+psycopg://.* has no ecohub "
            rf"schema, this ecohub needs revision {HEAD}: run `ecohub store migrate`")):
        open_store(pg_url)


def test_migrate_creates_then_does_nothing(settings):
    first = migrate(settings)
    assert [done.before for done in first] == [None] * len(first)
    assert all("created at" in str(done) for done in first)
    with open_store(settings.database_url, settings.data_dir) as store:
        store.registry.add_objects([ObjectSpec("A1", "站点一", "air_station")])
    again = migrate(settings)
    assert again == [replace(done, before=done.after) for done in first]
    assert all("already current" in str(done) for done in again)
    with open_store(settings.database_url, settings.data_dir) as store:
        assert [o.code for o in store.registry.objects()] == ["A1"]


def test_an_operational_database_behind_says_so_until_migrated(settings):
    migrate(settings)
    alembic_downgrade(settings, "0002")
    with pytest.raises(StoreNotMigrated, match=(
            r"database.* is at revision 0002, this ecohub needs revision 0007: "
            r"run `ecohub store migrate`")):
        open_store(settings.database_url, settings.data_dir)
    (upgraded, *_) = migrate(settings)
    assert str(upgraded).endswith("upgraded from revision 0002 to revision 0007")
    with open_store(settings.database_url, settings.data_dir) as store:
        assert store.registry.journal_position("gw") == 0  # the table 0003 adds is back


def test_a_measurement_store_behind_says_so_until_migrated(tmp_path):
    settings = resolve(data_dir=tmp_path)
    migrate(settings)
    set_measurement_version(settings, 1)  # as a store first made by ecohub 0.1 records it
    with pytest.raises(StoreNotMigrated, match=(
            rf"measurement store {settings.measurement_path} is at schema version 1, this ecohub "
            rf"needs schema version {MEASUREMENT_SCHEMA_VERSION}: run `ecohub store migrate`")):
        open_store(data_dir=tmp_path)
    operational, measurements = migrate(settings)
    assert "already current" in str(operational)
    assert str(measurements).endswith(f"upgraded from schema version 1 to schema version "
                                      f"{MEASUREMENT_SCHEMA_VERSION}")
    open_store(data_dir=tmp_path).close()


def test_a_first_version_measurement_store_gains_the_later_tables(tmp_path):
    # As ecohub's first release left it: readings keyed by an index, no QC tables, no journal.
    settings = resolve(data_dir=tmp_path)
    migrate(settings)
    settings.measurement_path.unlink()
    with duckdb.connect(str(settings.measurement_path)) as connection:
        connection.execute("""
            CREATE TABLE readings (
                mn VARCHAR NOT NULL, object_id BIGINT NOT NULL, factor VARCHAR NOT NULL,
                kind VARCHAR NOT NULL, period_start TIMESTAMPTZ NOT NULL,
                period_s INTEGER NOT NULL, statistic VARCHAR NOT NULL, value DOUBLE,
                device_flag VARCHAR, received_at TIMESTAMPTZ NOT NULL, packet_id VARCHAR,
                PRIMARY KEY (mn, factor, kind, period_start, statistic));
            CREATE TABLE packets (
                packet_id VARCHAR, mn VARCHAR, cn VARCHAR, received_at TIMESTAMPTZ, raw VARCHAR);
            CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
            INSERT INTO store_meta VALUES ('schema_version', '1');
        """)
    (_, measurements) = migrate(settings)
    assert "upgraded from schema version 1" in str(measurements)
    open_store(data_dir=tmp_path).close()
    with duckdb.connect(str(settings.measurement_path)) as connection:
        tables = {name for (name,) in connection.execute(
            "SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables >= {"readings", "packets", "qc_flags", "qc_reviews", "journal_applied"}


def test_a_store_from_a_newer_ecohub_is_left_alone(tmp_path):
    settings = resolve(data_dir=tmp_path)
    migrate(settings)
    set_measurement_version(settings, MEASUREMENT_SCHEMA_VERSION + 1)
    for attempt in (lambda: open_store(data_dir=tmp_path), lambda: migrate(settings)):
        with pytest.raises(StoreNotMigrated, match="newer than this ecohub knows.*upgrade ecohub"):
            attempt()


def test_a_missing_measurement_file_is_named(tmp_path):
    settings = resolve(data_dir=tmp_path)
    migrate(settings)
    Path(settings.measurement_path).unlink()
    with pytest.raises(StoreNotFound, match=f"{settings.measurement_path} not found"):
        open_store(data_dir=tmp_path)
    assert not settings.measurement_path.exists()


@pytest.mark.postgres
def test_server_processes_starting_together_migrate_once(pg_url):
    # Hold the migration lock until three `ecohub store migrate` processes all wait for it,
    # then let them go: one creates the schema, the others find it current.
    ecohub = Path(sys.executable).with_name("ecohub")
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        processes = [subprocess.Popen([str(ecohub), "store", "migrate", "--database-url", pg_url],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                     for _ in range(3)]
        try:
            deadline = time.monotonic() + 60
            while waiting_for(holder, MIGRATION_LOCK_KEY) < 3:
                assert time.monotonic() < deadline, "the processes did not wait for the lock"
                time.sleep(0.05)
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
        outputs = [process.communicate(timeout=60)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outputs
    assert sorted("created at" in output for output in outputs) == [False, False, True]
    assert sum("already current" in output for output in outputs) == 2
    open_store(pg_url).close()


def waiting_for(connection: psycopg.Connection, key: int) -> int:
    """How many sessions wait for the advisory lock ``key`` (a bigint key is split in two)."""
    return connection.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %s AND objid = %s", [key >> 32, key & 0xFFFFFFFF]).fetchone()[0]
