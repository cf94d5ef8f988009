"""Persistence: the operational database and the measurement store behind one entry point.

>>> from ecohub.store import open_store
>>> with open_store(data_dir="ecohub-data") as store:   # doctest: +SKIP
...     store.registry.devices()
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event

from ecohub.store.measurements import (
    KINDS,
    PACKET_SCHEMA,
    QC_FLAG_SCHEMA,
    READING_SCHEMA,
    DuckDBMeasurements,
    MeasurementStore,
    PostgresMeasurements,
    ReadTimeout,
)
from ecohub.store.registry import Device, ObjectSpec, Registry, RejectedPacket
from ecohub.store.settings import StoreSettings, resolve

__all__ = [
    "KINDS", "PACKET_SCHEMA", "QC_FLAG_SCHEMA", "READING_SCHEMA", "Device", "MeasurementStore",
    "ObjectSpec", "ReadTimeout", "Registry", "RejectedPacket", "Store", "StoreSettings",
    "open_store", "migrate",
]

MIGRATIONS = Path(__file__).with_name("migrations")


class Store:
    """The registry (operational database) and the measurement store of one deployment."""

    def __init__(self, settings: StoreSettings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database_url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        migrate(self.engine)
        self.registry = Registry(self.engine)
        self.measurements: MeasurementStore = (
            DuckDBMeasurements(settings.measurement_path, settings.read_timeout_s,
                               settings.duckdb_threads)
            if settings.is_embedded
            else PostgresMeasurements(self.engine, settings.read_timeout_s)
        )

    def close(self) -> None:
        self.measurements.close()
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(url: str | None = None, data_dir: str | os.PathLike[str] | None = None) -> Store:
    """Open (and migrate to the latest schema) the store selected by ``url`` (see settings)."""
    return Store(resolve(url, data_dir))


def migrate(engine) -> None:
    """Bring the operational database to the latest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers (reports, the API) work while the gateway writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
