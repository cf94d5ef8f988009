"""Operational database schema (SQLAlchemy 2 ORM): the registry and the rejected-packet store.

The registry holds the monitored objects and their devices; measurements live in
:mod:`ecohub.store.measurements`.

Private to ``ecohub.store``: the rest of ecohub sees the frozen records of
:mod:`ecohub.store.registry` (which share some of these class names), never a session's rows.

Schema changes go through Alembic migrations in ``migrations/versions``; this module is their
single source of truth (``alembic revision --autogenerate`` compares against it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

DISPOSITIONS = ("rejected", "quarantined", "released")
"""``released``: a quarantined packet replayed into the store once its MN was registered."""

ENTITIES = ("object", "device", "permit", "limit")
"""What a :class:`RegistryChange` is about."""

ACTIONS = ("create", "update", "retire", "reinstate")


class Base(DeclarativeBase):
    """The metadata of the operational tables (what the Alembic migrations compare against)."""


class MonitoredObject(Base):
    """A monitored object (air, water or noise station, pollution source, outlet), with location."""

    __tablename__ = "monitored_objects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    object_type: Mapped[str] = mapped_column(String(32), index=True)
    """One of :data:`ecohub.vocabulary.OBJECT_TYPES`; an ``outlet`` (flue-gas or wastewater
    discharge point) belongs to a ``pollution_source`` through ``parent_id``."""
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("monitored_objects.id"))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    city: Mapped[str | None] = mapped_column(String(64), index=True)
    city_code: Mapped[str | None] = mapped_column(String(12))
    county: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(200), index=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when the object is retired: nothing is deleted (一源一档)."""

    devices: Mapped[list[Device]] = relationship(back_populates="object")


class Device(Base):
    """A data logger (数采仪) identified by its HJ 212 MN."""

    __tablename__ = "devices"

    mn: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("monitored_objects.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    protocol: Mapped[str] = mapped_column(String(8), default="2017")
    factors: Mapped[list] = mapped_column(JSON, default=list)
    minute_interval: Mapped[int] = mapped_column(Integer, default=10)
    active: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set (and ``active`` 0) when the logger is retired; its packets are then rejected."""
    profile: Mapped[str] = mapped_column(String(32), default="default")
    """The protocol profile its packets are read with (:data:`ecohub.protocols.hj212.PROFILES`)."""
    accept: Mapped[list] = mapped_column(JSON, default=list)
    """Deviation kinds accepted for this logger beyond its profile (``crc.modbus`` …)."""
    utc_offset_minutes: Mapped[int] = mapped_column(Integer, default=480)
    """The zone of its wire times: HJ 212 says UTC+8 (480); some loggers' clocks run UTC."""

    object: Mapped[MonitoredObject] = relationship(back_populates="devices")


class RejectedPacket(Base):
    """A packet the gateway did not store, kept whole with the reason.

    Or held in quarantine (``disposition``), because its MN is not registered yet.
    """

    __tablename__ = "rejected_packets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    disposition: Mapped[str] = mapped_column(String(16))
    reason_kind: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    peer: Mapped[str | None] = mapped_column(String(64))
    mn: Mapped[str | None] = mapped_column(String(64), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When a quarantined packet was replayed into the store (disposition ``released``)."""

    __table_args__ = (Index("ix_rejected_disposition_kind", "disposition", "reason_kind"),)


class JournalPosition(Base):
    """The last record of a gateway's write-ahead journal that a store has applied.

    Written in the same transaction as the data (:mod:`ecohub.ingest.journal`).
    """

    __tablename__ = "journal_applied"

    journal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(String(32), primary_key=True)
    """``registry`` (rejected packets) or ``measurements`` (readings and raw packets)."""
    seq: Mapped[int] = mapped_column(BigInteger)


class RegistryChange(Base):
    """One change of a registry record: who, when, why, old → new, and the record after it.

    Append-only. ``record`` is the whole record after the change, so "as of" reads take the
    last change at or before the date.
    """

    __tablename__ = "registry_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    entity: Mapped[str] = mapped_column(String(16))
    """One of :data:`ENTITIES`."""
    key: Mapped[str] = mapped_column(String(200))
    """The object code, the MN, the permit number, or ``<outlet code>/<factor>/<statistic>``."""
    action: Mapped[str] = mapped_column(String(16))
    """One of :data:`ACTIONS`."""
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    """Field → [old, new] (secrets as ``"***"``)."""
    record: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_registry_changes_entity_key", "entity", "key", "changed_at"),)


class Permit(Base):
    """A pollutant discharge permit (排污许可证) of a pollution source."""

    __tablename__ = "permits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("monitored_objects.id"), index=True)
    issued_by: Mapped[str | None] = mapped_column(String(200))
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DischargeLimit(Base):
    """An outlet's discharge limit for one factor and statistic (from its permit or standard)."""

    __tablename__ = "discharge_limits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("monitored_objects.id"), index=True)
    factor: Mapped[str] = mapped_column(String(16))
    statistic: Mapped[str] = mapped_column(String(16), default="Avg")
    """Which value the limit applies to: ``Avg`` (measured) or ``ZsAvg`` (折算, reference
    oxygen) of the hour data, as HJ 212-2017 §6.6.3 names them."""
    limit_value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    standard: Mapped[str | None] = mapped_column(String(200))
    """The emission standard or permit clause the limit comes from."""
    permit_id: Mapped[int | None] = mapped_column(ForeignKey("permits.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# -- identity: organisations, users, API tokens, browser sessions, the audit log --------------

ORGANISATION_KINDS = ("bureau", "department", "unit", "city_bureau", "county_bureau",
                      "government", "enterprise")
"""What an :class:`Organisation` is (:data:`ecohub.identity.organisations.KINDS` names them)."""


class Organisation(Base):
    """An organisation whose people use the platform.

    The bureau, its departments (处室) and units, lower bureaus, other government departments,
    and enterprises.
    """

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    """One of :data:`ORGANISATION_KINDS`."""
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("organisations.code"))
    enterprise_code: Mapped[str | None] = mapped_column(String(64))
    """For kind ``enterprise``: the registry code of its pollution source."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class User(Base):
    """A person who signs in: one role within one organisation."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(ForeignKey("organisations.code"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    """A key of :data:`ecohub.identity.roles.ROLES`."""
    password_hash: Mapped[str] = mapped_column(String(200))
    """argon2id with argon2-cffi's default (strong) parameters."""
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    must_change_password: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A program's credential, acting for a user, narrowed by scopes."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 (hex) of the whole token. A token is 256 bits of randomness, not a password a
    person chose, so a fast hash is right: nothing can be guessed, and the check is a lookup."""
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    """The first characters, shown in lists (``ecohub_<prefix>_…``)."""
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A browser session: the cookie and CSRF token are kept only as SHA-256 hashes."""

    __tablename__ = "sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"), index=True)
    csrf_token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """One access or change: who, how, what, with which outcome. Append-only."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str | None] = mapped_column(String(200))
    actor_kind: Mapped[str] = mapped_column(String(16))
    token_id: Mapped[int | None] = mapped_column(Integer)
    organisation: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(500))
    method: Mapped[str | None] = mapped_column(String(16))
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    object_ids: Mapped[list] = mapped_column(JSON, default=list)
    row_count: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_audit_events_actor_at", "actor", "at"),)


class MapRegion(Base):
    """A region outline of the map (administrative boundary), imported from GeoJSON.

    ``geometry`` is the GeoJSON Polygon or MultiPolygon in WGS 84 (converted at import when the
    file was GCJ-02); ``source_crs`` says what the file was in. An import replaces the set.
    """

    __tablename__ = "map_regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64))
    geometry: Mapped[dict] = mapped_column(JSON)
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    source_crs: Mapped[str] = mapped_column(String(16))
    source_file: Mapped[str | None] = mapped_column(String(500))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String(200))
