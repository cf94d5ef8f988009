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

DISPOSITIONS = ("rejected", "quarantined")


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
