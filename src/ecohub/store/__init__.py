"""Persistence: the operational database and the measurement store behind one entry point.

A store is created and upgraded by :func:`migrate` (``ecohub store migrate``) and then opened
as often as needed; opening checks the schema and never changes it.

>>> from ecohub.store import open_store
>>> with open_store(data_dir="ecohub-data") as store:   # doctest: +SKIP
...     store.registry.devices()
"""

from __future__ import annotations

import os

from ecohub.store import schema
from ecohub.store.identity import (
    ApiToken,
    AuditEvent,
    Identity,
    IdentityError,
    ObjectIds,
    Organisation,
    SessionRecord,
    User,
)
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
from ecohub.store.regions import Region, Regions
from ecohub.store.registry import (
    ENTITIES,
    SECRET,
    STATISTICS,
    Device,
    DeviceSpec,
    DischargeLimit,
    EnterpriseArchive,
    LimitSpec,
    MonitoredObject,
    ObjectSpec,
    Permit,
    PermitSpec,
    Registry,
    RegistryChange,
    RegistryError,
    RejectedByLogger,
    RejectedCount,
    RejectedPacket,
    limit_key,
)
from ecohub.store.remote import RemoteMeasurements, read_server_file
from ecohub.store.schema import (
    Migration,
    StoreNotFound,
    StoreNotMigrated,
    StoreUnavailable,
    migrate,
)
from ecohub.store.settings import StoreSettings, resolve

__all__ = [
    "ApiToken", "AuditEvent", "Identity", "IdentityError", "ObjectIds", "Organisation",
    "SessionRecord",
    "User",
    "ENTITIES", "KINDS", "PACKET_SCHEMA", "QC_FLAG_SCHEMA", "READING_SCHEMA", "SECRET",
    "STATISTICS", "Device", "DeviceSpec", "DischargeLimit", "EnterpriseArchive", "LimitSpec",
    "MeasurementStore", "Migration", "MonitoredObject", "ObjectSpec", "Permit", "PermitSpec",
    "ReadTimeout", "Region", "Regions", "Registry", "RegistryChange", "RegistryError",
    "RejectedByLogger",
    "RejectedCount", "RejectedPacket", "Store", "StoreNotFound", "StoreNotMigrated",
    "StoreSettings", "StoreUnavailable", "limit_key", "migrate", "open_store",
]


class Store:
    """The registry (operational database) and the measurement store of one deployment.

    ``registry`` and ``identity`` (users, tokens, sessions, the audit log) are the
    operational database's records; ``measurements`` the measurement store.

    Raises :class:`StoreNotFound` if there is no embedded store where ``settings`` point, and
    :class:`StoreNotMigrated` if either part is not at the current schema.
    """

    def __init__(self, settings: StoreSettings, *, registry_only: bool = False) -> None:
        self.settings = settings
        self.engine = schema.operational_engine(settings)
        self._measurements: MeasurementStore | None = None
        try:
            schema.check_operational(self.engine)
            self.registry = Registry(self.engine)
            self.identity = Identity(self.engine)
            self.regions = Regions(self.engine)
            if not registry_only:
                self._measurements = self._open_measurements()
        except BaseException:
            self.engine.dispose()
            raise

    def _open_measurements(self) -> MeasurementStore:
        settings = self.settings
        if settings.is_embedded:
            try:
                return DuckDBMeasurements(settings.measurement_path, settings.read_timeout_s,
                                          settings.duckdb_threads, settings.reader_nice)
            except schema.MeasurementsInUse:
                server = read_server_file(settings.data_dir)
                if server is None:
                    raise
                return RemoteMeasurements(server, settings.read_timeout_s)
        return PostgresMeasurements(self.engine, settings.read_timeout_s,
                                    reader_nice=settings.reader_nice)

    @property
    def measurements(self) -> MeasurementStore:
        """The measurement store; a ``registry_only`` store opens it on first use.

        The embedded measurement store (DuckDB) is one process's at a time, while the registry
        (SQLite) is shared: registry commands open the store ``registry_only`` and so work
        beside a running gateway.
        """
        if self._measurements is None:
            self._measurements = self._open_measurements()
        return self._measurements

    def close(self) -> None:
        """Close the measurement store and the operational database's connections."""
        try:
            self.identity.close()  # the queued audit events first
        finally:
            if self._measurements is not None:
                self._measurements.close()
            self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(
    url: str | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    migrate: bool = False,
    registry_only: bool = False,
) -> Store:
    """Open the store selected by ``url`` / ``data_dir`` (see :mod:`ecohub.store.settings`).

    ``migrate=True`` first creates the store or brings it to the current schema (what a test
    or the demo does with a fresh directory); otherwise a missing or outdated store raises
    :class:`StoreNotFound` / :class:`StoreNotMigrated` and nothing is created.
    """
    settings = resolve(url, data_dir)
    if migrate:
        schema.migrate(settings)
    return Store(settings, registry_only=registry_only)
