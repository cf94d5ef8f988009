"""The registry: monitored objects, their data loggers, and packets that were not stored.

What goes in and comes out are frozen records: specs to register (:class:`ObjectSpec`,
:class:`DeviceSpec`), what is registered (:class:`MonitoredObject`, :class:`Device`), and the
packets kept whole (:class:`RejectedPacket`, counted by :class:`RejectedCount`). The ORM rows of
:mod:`ecohub.store.models` stay inside this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from ecohub.passwords import check_device_password, hash_device_password
from ecohub.protocols.hj212.profiles import PROFILES, check_kinds
from ecohub.store import models
from ecohub.vocabulary import OBJECT_TYPES


@dataclass(frozen=True)
class ObjectSpec:
    """A monitored object to register (station, source, outlet)."""

    code: str
    name: str
    object_type: str
    longitude: float | None = None
    latitude: float | None = None
    city: str | None = None
    city_code: str | None = None
    county: str | None = None
    department: str | None = None
    parent_code: str | None = None
    attributes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.object_type not in OBJECT_TYPES:
            raise ValueError(
                f"object {self.code!r}: object_type {self.object_type!r} is not one of "
                f"{', '.join(OBJECT_TYPES)}"
            )
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise ValueError(f"object {self.code!r}: longitude {self.longitude} not in -180..180")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise ValueError(f"object {self.code!r}: latitude {self.latitude} not in -90..90")


@dataclass(frozen=True)
class MonitoredObject:
    """A registered monitored object, as reports, assessments and the map see it."""

    id: int
    code: str
    name: str
    object_type: str
    """One of :data:`ecohub.vocabulary.OBJECT_TYPES`."""
    parent_id: int | None = None
    """The pollution source an outlet belongs to."""
    longitude: float | None = None
    latitude: float | None = None
    city: str | None = None
    city_code: str | None = None
    county: str | None = None
    department: str | None = None
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceSpec:
    """A data logger to register at a monitored object: its HJ 212 MN and clear password.

    The registry keeps only the password's hash.
    """

    mn: str
    object_id: int
    password: str
    factors: tuple[str, ...]
    protocol: str = "2017"
    """The HJ 212 edition it speaks: ``2017`` or ``2005``."""
    minute_interval: int = 10
    """Minutes between its minute-data uploads (``MinInterval``); divides 60."""
    profile: str = "default"
    """How its packets are read: a profile of :data:`ecohub.protocols.hj212.PROFILES`."""
    accept: tuple[str, ...] = ()
    """Deviation kinds accepted for this logger beyond its profile (``crc.modbus`` …)."""
    utc_offset_minutes: int = 480
    """The zone of its wire times; HJ 212 says China Standard Time, UTC+8 (480)."""

    def __post_init__(self) -> None:
        if not self.mn or len(self.mn) > 64:
            raise ValueError(f"device MN {self.mn!r}: expected 1 to 64 characters")
        if self.protocol not in ("2005", "2017"):
            raise ValueError(
                f"device {self.mn}: protocol {self.protocol!r}, expected '2005' or '2017'"
            )
        if self.minute_interval <= 0 or 60 % self.minute_interval:
            raise ValueError(
                f"device {self.mn}: minute_interval {self.minute_interval} must divide 60 minutes"
            )
        if self.profile not in PROFILES:
            raise ValueError(f"device {self.mn}: profile {self.profile!r}, expected one of "
                             f"{', '.join(PROFILES)}")
        try:
            check_kinds(self.accept)
        except ValueError as error:
            raise ValueError(f"device {self.mn}: accept: {error}") from None
        if not -720 <= self.utc_offset_minutes <= 840:
            raise ValueError(f"device {self.mn}: utc_offset_minutes {self.utc_offset_minutes}, "
                             "expected -720..840 (UTC-12 to UTC+14)")


@dataclass(frozen=True)
class Device:
    """A registered data logger as the gateway sees it."""

    mn: str
    object_id: int
    object_type: str
    password_hash: str
    factors: tuple[str, ...]
    protocol: str = "2017"
    minute_interval: int = 10
    profile: str = "default"
    accept: tuple[str, ...] = ()
    utc_offset_minutes: int = 480
    object_code: str = ""
    object_name: str = ""
    longitude: float | None = None
    latitude: float | None = None
    city: str | None = None

    def verify_password(self, password: str) -> bool:
        """Check an HJ 212 PW against the stored argon2 hash.

        The verdict is cached after the first check; safe to call from another thread.
        """
        verdict = self.password_verdict(password)
        if verdict is None:
            verdict = check_device_password(self.password_hash, password)
            self.remember_password_verdict(password, verdict)
        return verdict

    def password_verdict(self, password: str) -> bool | None:
        """The cached result of :meth:`verify_password`, or None if not checked yet.

        The check costs about half a millisecond: the gateway runs it off its event loop.
        """
        return _VERIFIED.get((self.password_hash, password))

    def remember_password_verdict(self, password: str, verdict: bool) -> None:
        """Cache the result of checking ``password`` against this device's hash elsewhere.

        The check runs in :class:`ecohub.passwords.PasswordWorkers`.
        """
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[(self.password_hash, password)] = verdict


_VERIFIED: dict[tuple[str, str], bool] = {}
_VERIFIED_MAX = 65536


@dataclass(frozen=True)
class RejectedPacket:
    """A packet kept whole because it was not stored, and why."""

    raw: bytes
    reason: str
    received_at: datetime
    peer: str | None = None
    mn: str | None = None
    disposition: str = "rejected"
    reason_kind: str | None = None

    @property
    def kind(self) -> str:
        """A short groupable reason: the explicit kind, else the text before the first colon."""
        return self.reason_kind or self.reason.split(":", 1)[0].strip()[:64]


@dataclass(frozen=True)
class RejectedCount:
    """How many packets were kept with one disposition and kind of reason."""

    disposition: str
    """``rejected`` or ``quarantined``."""
    reason_kind: str
    """The groupable reason (:attr:`RejectedPacket.kind`)."""
    packets: int


@dataclass(frozen=True)
class RejectedByLogger:
    """How many packets of one logger were not stored for one kind of reason."""

    mn: str | None
    disposition: str
    reason_kind: str
    packets: int


class Registry:
    """Monitored objects, devices and the rejected-packet store in the operational database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_objects(self, objects: Sequence[ObjectSpec]) -> list[int]:
        """Register objects (parents before children, or in the same call) and return their ids."""
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            by_code: dict[str, models.MonitoredObject] = {}
            rows = []
            for spec in objects:
                row = models.MonitoredObject(
                    code=spec.code, name=spec.name, object_type=spec.object_type,
                    longitude=spec.longitude, latitude=spec.latitude, city=spec.city,
                    city_code=spec.city_code, county=spec.county, department=spec.department,
                    attributes=dict(spec.attributes), created_at=now,
                )
                by_code[spec.code] = row
                rows.append((spec, row))
            session.add_all(row for _, row in rows)
            session.flush()
            for spec, row in rows:
                if spec.parent_code is None:
                    continue
                parent = by_code.get(spec.parent_code) or session.scalar(
                    select(models.MonitoredObject).where(
                        models.MonitoredObject.code == spec.parent_code
                    )
                )
                if parent is None:
                    raise ValueError(
                        f"object {spec.code!r}: parent_code {spec.parent_code!r} is not registered"
                    )
                row.parent_id = parent.id
            return [row.id for _, row in rows]

    def add_device(
        self,
        mn: str,
        object_id: int,
        password: str,
        factors: Iterable[str],
        protocol: str = "2017",
        minute_interval: int = 10,
    ) -> None:
        """Register one data logger (see :class:`DeviceSpec`)."""
        self.add_devices([DeviceSpec(mn, object_id, password, tuple(factors), protocol,
                                     minute_interval)])

    def add_devices(self, devices: Iterable[DeviceSpec]) -> None:
        """Register data loggers (one transaction)."""
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            session.add_all(
                models.Device(
                    mn=d.mn, object_id=d.object_id, password_hash=hash_device_password(d.password),
                    protocol=d.protocol, factors=list(d.factors),
                    minute_interval=d.minute_interval, active=1, created_at=now,
                    profile=d.profile, accept=list(d.accept),
                    utc_offset_minutes=d.utc_offset_minutes,
                )
                for d in devices
            )

    def devices(self) -> dict[str, Device]:
        """All active devices keyed by MN (the gateway caches this and reloads on demand)."""
        statement = (
            select(models.Device, models.MonitoredObject)
            .join(models.MonitoredObject)
            .where(models.Device.active == 1)
        )
        with Session(self.engine) as session:
            return {
                device.mn: Device(
                    mn=device.mn, object_id=obj.id, object_type=obj.object_type,
                    password_hash=device.password_hash, factors=tuple(device.factors),
                    protocol=device.protocol, minute_interval=device.minute_interval,
                    profile=device.profile or "default", accept=tuple(device.accept or ()),
                    utc_offset_minutes=device.utc_offset_minutes,
                    object_code=obj.code, object_name=obj.name, longitude=obj.longitude,
                    latitude=obj.latitude, city=obj.city,
                )
                for device, obj in session.execute(statement)
            }

    def version(self) -> int:
        """A number that grows with every change of the registry.

        The running gateway polls it and re-reads the devices when it moved.
        """
        with Session(self.engine) as session:
            # both only grow (nothing is deleted): their sum moves when either does (a device
            # added without a history row, as a bulk load may do, included)
            return ((session.scalar(select(func.max(models.RegistryChange.id))) or 0)
                    + (session.scalar(select(func.count()).select_from(models.Device)) or 0))

    def objects(self, object_type: str | None = None) -> list[MonitoredObject]:
        """Registered objects (of one type), in the order they were registered."""
        statement = select(models.MonitoredObject).order_by(models.MonitoredObject.id)
        if object_type is not None:
            statement = statement.where(models.MonitoredObject.object_type == object_type)
        with Session(self.engine) as session:
            return [
                MonitoredObject(
                    id=o.id, code=o.code, name=o.name, object_type=o.object_type,
                    parent_id=o.parent_id, longitude=o.longitude, latitude=o.latitude,
                    city=o.city, city_code=o.city_code, county=o.county,
                    department=o.department, attributes=o.attributes or {},
                )
                for o in session.scalars(statement)
            ]

    def record_rejected(
        self,
        raw: bytes,
        reason: str,
        *,
        received_at: datetime,
        peer: str | None = None,
        mn: str | None = None,
        disposition: str = "rejected",
        reason_kind: str | None = None,
    ) -> None:
        """Keep one packet that was not stored (see :meth:`record_rejected_many`)."""
        self.record_rejected_many(
            [RejectedPacket(raw, reason, received_at, peer, mn, disposition, reason_kind)]
        )

    def record_rejected_many(self, packets: Sequence[RejectedPacket], *,
                             journal: tuple[str, int] | None = None,
                             released: Sequence[int] = ()) -> None:
        """Keep packets that were not stored, whole, with their reasons (one transaction).

        ``journal`` (journal id, sequence number) records in the same transaction that the
        gateway's journal is applied up to that record (:mod:`ecohub.ingest.journal`).
        ``released`` are ids of quarantined packets (:meth:`quarantined`) replayed into the
        store by that record: they become ``released`` in the same transaction, so a journal
        replayed after a crash releases each exactly once.
        """
        for packet in packets:
            if packet.disposition not in models.DISPOSITIONS:
                raise ValueError(
                    f"disposition {packet.disposition!r}: expected one of {models.DISPOSITIONS}"
                )
        if not packets and not released:
            return
        with Session(self.engine) as session, session.begin():
            if journal is not None:
                session.merge(models.JournalPosition(
                    journal_id=journal[0], target="registry", seq=journal[1]))
            if released:
                table = models.RejectedPacket
                session.execute(
                    update(table)
                    .where(table.id.in_(list(released)), table.disposition == "quarantined")
                    .values(disposition="released", released_at=datetime.now(UTC)))
            session.add_all(
                models.RejectedPacket(
                    received_at=p.received_at, disposition=p.disposition, reason_kind=p.kind,
                    reason=p.reason, peer=p.peer, mn=p.mn, raw=bytes(p.raw),
                )
                for p in packets
            )

    def journal_position(self, journal_id: str) -> int:
        """The last record of journal ``journal_id`` whose rejected packets are kept (0: none)."""
        with Session(self.engine) as session:
            row = session.get(models.JournalPosition, (journal_id, "registry"))
            return 0 if row is None else row.seq

    def rejected_counts(self) -> list[RejectedCount]:
        """Packets kept by disposition and kind of reason, most frequent first."""
        table = models.RejectedPacket
        statement = (
            select(table.disposition, table.reason_kind, func.count())
            .group_by(table.disposition, table.reason_kind)
            .order_by(func.count().desc())
        )
        with Session(self.engine) as session:
            return [RejectedCount(disposition, kind, packets)
                    for disposition, kind, packets in session.execute(statement)]

    def rejected_by_logger(self, since: datetime) -> list[RejectedByLogger]:
        """Packets not stored since ``since`` (aware) per logger MN and kind of reason.

        Packets whose header named no MN are counted under ``mn`` None. Ordered by MN, then
        most frequent reason first.
        """
        if since.tzinfo is None:
            raise ValueError(f"since {since.isoformat()}: a timezone-aware datetime is required")
        table = models.RejectedPacket
        statement = (
            select(table.mn, table.disposition, table.reason_kind, func.count())
            .where(table.received_at >= since.astimezone(UTC))
            .group_by(table.mn, table.disposition, table.reason_kind)
            .order_by(table.mn, func.count().desc(), table.reason_kind)
        )
        with Session(self.engine) as session:
            return [RejectedByLogger(mn, disposition, kind, packets)
                    for mn, disposition, kind, packets in session.execute(statement)]

    def rejected(self, limit: int = 100, disposition: str | None = None, *,
                 mn: str | None = None, since: datetime | None = None) -> list[RejectedPacket]:
        """The most recent rejected (or quarantined) packets, raw bytes included, newest first.

        ``mn`` selects one data logger's packets (those whose header could be read),
        ``since`` (timezone-aware) those received from then on.
        """
        table = models.RejectedPacket
        statement = select(table).order_by(table.id.desc()).limit(limit)
        if disposition is not None:
            statement = statement.where(table.disposition == disposition)
        if mn is not None:
            statement = statement.where(table.mn == mn)
        if since is not None:
            if since.tzinfo is None:
                raise ValueError(f"since {since.isoformat()}: a timezone-aware datetime is "
                                 "required")
            statement = statement.where(table.received_at >= since.astimezone(UTC))
        with Session(self.engine) as session:
            return [
                RejectedPacket(r.raw, r.reason, _utc(r.received_at), r.peer, r.mn,
                               r.disposition, r.reason_kind)
                for r in session.scalars(statement)
            ]


    def retired_devices(self) -> dict[str, datetime]:
        """Retired data loggers: MN → when retired (UTC). Their packets are rejected."""
        table = models.Device
        statement = select(table.mn, table.retired_at).where(table.retired_at.is_not(None))
        with Session(self.engine) as session:
            return {mn: _utc(at) for mn, at in session.execute(statement)}

    def quarantined(self, mns: Iterable[str] | None = None, limit: int = 100_000
                    ) -> list[tuple[int, RejectedPacket]]:
        """Quarantined packets (of the MNs given), oldest first, with their ids.

        They wait for their logger's registration; the gateway replays them then
        (:meth:`ecohub.ingest.hj212_server.Gateway.release_quarantined`).
        """
        table = models.RejectedPacket
        statement = (select(table).where(table.disposition == "quarantined")
                     .order_by(table.id).limit(limit))
        if mns is not None:
            statement = statement.where(table.mn.in_(list(mns)))
        with Session(self.engine) as session:
            return [(r.id, RejectedPacket(r.raw, r.reason, _utc(r.received_at), r.peer, r.mn,
                                          r.disposition, r.reason_kind))
                    for r in session.scalars(statement)]


def _utc(moment: datetime) -> datetime:
    # SQLite keeps the UTC wall time without its zone; PostgreSQL gives it back aware
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
