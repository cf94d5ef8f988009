"""The registry: monitored objects, their data loggers, permits, limits, and rejected packets.

What goes in and comes out are frozen records: specs to register (:class:`ObjectSpec`,
:class:`DeviceSpec`, :class:`PermitSpec`, :class:`LimitSpec`), what is registered
(:class:`MonitoredObject`, :class:`Device`, :class:`Permit`, :class:`DischargeLimit`), the
history of every change (:class:`RegistryChange`), one enterprise's archive
(:class:`EnterpriseArchive`), and the packets kept whole (:class:`RejectedPacket`, counted by
:class:`RejectedCount`). The ORM rows of :mod:`ecohub.store.models` stay inside this module.

Nothing is deleted (一源一档): a record is created, updated and retired, and each write appends
its change — who, when, why, old → new, and the whole record after it — in the same
transaction, so :meth:`Registry.as_of` can say what a record said on a given date.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from time import monotonic

from sqlalchemy import Engine, and_, event, func, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from ecohub.passwords import check_device_password, hash_device_password
from ecohub.protocols.hj212.profiles import PROFILES, check_kinds
from ecohub.store import models
from ecohub.vocabulary import CHINA_TZ, FACTORS, OBJECT_TYPES

ENTITIES = models.ENTITIES
"""What a change is about: ``object``, ``device``, ``permit``, ``limit``."""

STATISTICS = ("Avg", "ZsAvg")
"""The hour-data values a discharge limit applies to (HJ 212-2017 §6.6.3): measured, 折算."""

SECRET = "***"
"""What the history shows for a password."""


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
    retired_at: datetime | None = None
    """When it was retired (aware UTC); None while in service."""


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
        unknown = [f for f in self.factors if f not in FACTORS]
        if unknown:
            raise ValueError(f"device {self.mn}: factor {unknown[0]!r} is not an HJ 212-2017 "
                             "App. B code (e.g. a34004 for PM2.5)")
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
    retired_at: datetime | None = None
    """When it was retired (aware UTC): its packets are then rejected as ``retired``."""

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


class RegistryError(ValueError):
    """A registry write that cannot be done: unknown record, retired, a rule broken."""


@dataclass(frozen=True)
class PermitSpec:
    """A pollutant discharge permit (排污许可证) to register for a pollution source."""

    number: str
    source_code: str
    issued_by: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def __post_init__(self) -> None:
        if not self.number or len(self.number) > 64:
            raise ValueError(f"permit number {self.number!r}: expected 1 to 64 characters")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"permit {self.number}: valid_to {self.valid_to} is before "
                             f"valid_from {self.valid_from}")


@dataclass(frozen=True)
class Permit:
    """A registered discharge permit; its dates are days in China Standard Time."""

    number: str
    source_code: str
    issued_by: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    retired_at: datetime | None = None


@dataclass(frozen=True)
class LimitSpec:
    """An outlet's discharge limit for one HJ 212 factor and statistic."""

    outlet_code: str
    factor: str
    """An HJ 212-2017 Appendix B code (:data:`ecohub.vocabulary.FACTORS`)."""
    statistic: str
    """``Avg`` or ``ZsAvg`` (:data:`STATISTICS`)."""
    value: float
    unit: str
    standard: str | None = None
    """The emission standard or permit clause the limit comes from."""
    permit_number: str | None = None

    def __post_init__(self) -> None:
        where = f"limit {self.key}"
        if self.factor not in FACTORS:
            raise ValueError(f"{where}: factor {self.factor!r} is not an HJ 212-2017 code")
        if self.statistic not in STATISTICS:
            raise ValueError(f"{where}: statistic {self.statistic!r}, expected one of "
                             f"{', '.join(STATISTICS)}")
        if not math.isfinite(self.value) or self.value <= 0:
            raise ValueError(f"{where}: value {self.value} must be a number above 0")
        if not self.unit:
            raise ValueError(f"{where}: unit is required")

    @property
    def key(self) -> str:
        """How the history names the limit: ``<outlet code>/<factor>/<statistic>``."""
        return limit_key(self.outlet_code, self.factor, self.statistic)


@dataclass(frozen=True)
class DischargeLimit:
    """A registered discharge limit of an outlet."""

    outlet_code: str
    factor: str
    statistic: str
    value: float
    unit: str
    standard: str | None = None
    permit_number: str | None = None
    retired_at: datetime | None = None

    @property
    def key(self) -> str:
        """How the history names the limit: ``<outlet code>/<factor>/<statistic>``."""
        return limit_key(self.outlet_code, self.factor, self.statistic)


def limit_key(outlet_code: str, factor: str, statistic: str) -> str:
    """The key of a discharge limit in the history: ``<outlet code>/<factor>/<statistic>``."""
    return f"{outlet_code}/{factor}/{statistic}"


@dataclass(frozen=True)
class RegistryChange:
    """One change of a registry record: who, when, why, old → new, and the record after it."""

    id: int
    changed_at: datetime
    """Aware UTC."""
    actor: str
    reason: str
    entity: str
    """One of :data:`ENTITIES`."""
    key: str
    """The object code, the MN, the permit number, or the limit's :func:`limit_key`."""
    action: str
    """``create``, ``update``, ``retire`` or ``reinstate``."""
    changes: Mapping[str, tuple[object, object]]
    """Field → (old, new); a password shows as :data:`SECRET`."""
    record: Mapping[str, object]
    """The whole record after the change (JSON values, times in ISO 8601)."""


@dataclass(frozen=True)
class EnterpriseArchive:
    """One pollution source's archive (一源一档): what it is, has and had, and its history."""

    source: MonitoredObject
    outlets: tuple[MonitoredObject, ...]
    devices: tuple[Device, ...]
    """The loggers of the source and of its outlets, retired ones included."""
    permits: tuple[Permit, ...]
    limits: tuple[DischargeLimit, ...]
    history: tuple[RegistryChange, ...]
    """The changes of all of the above, newest first."""


_VERSION = select(func.max(models.RegistryChange.id))


class Registry:
    """Monitored objects, devices, permits, limits, their history, and the rejected packets.

    Every write appends its :class:`RegistryChange` rows in the same transaction, so
    :meth:`version` moves with each one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine)
        event.listen(self._session, "after_commit", self._forget_version)
        self._version_read: tuple[int, float] | None = None
        """The last version read, and when (monotonic): see :meth:`version`."""
        self._commits = 0
        """Transactions of this registry committed: a version read across one is not kept."""
        self._objects: dict[tuple[str | None, bool], tuple[int, list[MonitoredObject]]] = {}
        """objects() answers by (type, retired too), with the registry version they were read at
        (every request of the HTTP service asks; the version query is far cheaper)."""
        self._devices: tuple[int, dict[str, Device]] | None = None
        """devices() of the whole registry, with the version it was read at (the map reads it
        on every state it draws)."""

    # -- objects -------------------------------------------------------------------------

    def add_objects(self, objects: Sequence[ObjectSpec], *, actor: str = "system",
                    reason: str = "") -> list[int]:
        """Register objects (parents before children, or in the same call) and return their ids.

        Parameters
        ----------
        objects : sequence of ObjectSpec
        actor : str
            Who registers them (the history's ``actor``).
        reason : str
            Why (the history's ``reason``).

        Raises
        ------
        RegistryError
            A code given twice or registered already (retired ones included), or an unknown
            parent.
        """
        _require_actor(actor)
        now = datetime.now(UTC)
        with self._session() as session, session.begin():
            by_code: dict[str, models.MonitoredObject] = {}
            rows = []
            for spec in objects:
                if spec.code in by_code or _object_row_or_none(session, spec.code) is not None:
                    raise RegistryError(f"object {spec.code}: code is registered already")
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
                parent = by_code.get(spec.parent_code) or _object_row_or_none(
                    session, spec.parent_code)
                if parent is None:
                    raise RegistryError(
                        f"object {spec.code!r}: parent_code {spec.parent_code!r} is not registered"
                    )
                row.parent_id = parent.id
            session.flush()
            for _, row in rows:
                _log(session, "object", row.code, "create", None, _object_record(session, row),
                     actor, reason, now)
            return [row.id for _, row in rows]

    def update_object(self, code: str, changes: Mapping[str, object], *, actor: str,
                      reason: str = "") -> RegistryChange | None:
        """Change fields of a registered object, keeping the history.

        Parameters
        ----------
        code : str
            The object's code (the code itself does not change).
        changes : mapping
            Field → new value, fields of :class:`ObjectSpec` but ``code``; ``parent_code``
            names the outlet's pollution source.
        actor, reason : str
            Who changes it (required) and why.

        Returns
        -------
        RegistryChange or None
            The change written; None if the values are those registered (nothing written).

        Raises
        ------
        RegistryError
            Unknown code or field, a retired object, or a value that breaks a rule.
        """
        _require_actor(actor)
        unknown = sorted(set(changes) - _OBJECT_FIELDS)
        if unknown:
            raise RegistryError(f"object {code}: unknown field(s) {', '.join(unknown)}; "
                                f"expected {', '.join(sorted(_OBJECT_FIELDS))}")
        now = datetime.now(UTC)
        with self._session() as session:
            row = _object_row(session, code)
            _require_in_service("object", code, row.retired_at)
            before = _object_record(session, row)
            current = ObjectSpec(
                code=row.code, name=row.name, object_type=row.object_type,
                longitude=row.longitude, latitude=row.latitude, city=row.city,
                city_code=row.city_code, county=row.county, department=row.department,
                parent_code=before["parent_code"], attributes=dict(row.attributes or {}),
            )
            try:
                spec = dataclasses.replace(current, **changes)
            except (TypeError, ValueError) as error:
                raise RegistryError(str(error)) from None
            parent = _checked_parent(session, spec)
            for name in ("name", "object_type", "longitude", "latitude", "city", "city_code",
                         "county", "department"):
                setattr(row, name, getattr(spec, name))
            row.attributes = dict(spec.attributes)
            row.parent_id = None if parent is None else parent.id
            session.flush()
            change = _log(session, "object", code, "update", before,
                          _object_record(session, row), actor, reason, now)
            if change is not None:
                session.commit()
            return change

    def objects(self, object_type: str | None = None, *,
                include_retired: bool = False) -> list[MonitoredObject]:
        """Registered objects (of one type), in the order they were registered.

        Retired objects are left out unless ``include_retired``. Read again only when the
        registry changed (:meth:`version`, which every write moves).
        """
        version = self.version()  # first: a change made while reading shows up next time
        kept = self._objects.get((object_type, include_retired))
        if kept is not None and kept[0] == version:
            return list(kept[1])
        statement = select(models.MonitoredObject).order_by(models.MonitoredObject.id)
        if object_type is not None:
            statement = statement.where(models.MonitoredObject.object_type == object_type)
        if not include_retired:
            statement = statement.where(models.MonitoredObject.retired_at.is_(None))
        with self._session() as session:
            objects = [_object(o) for o in session.scalars(statement)]
        self._objects[(object_type, include_retired)] = (version, objects)
        return list(objects)

    def object_by_code(self, code: str) -> MonitoredObject | None:
        """The object registered under ``code`` (retired or not), or None."""
        with self._session() as session:
            row = _object_row_or_none(session, code)
            return None if row is None else _object(row)

    # -- devices -------------------------------------------------------------------------

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

    def add_devices(self, devices: Iterable[DeviceSpec], *, actor: str = "system",
                    reason: str = "") -> None:
        """Register data loggers (one transaction), each with its ``create`` change.

        Raises
        ------
        RegistryError
            An MN registered already (retired ones included) or an unknown object.
        """
        _require_actor(actor)
        now = datetime.now(UTC)
        with self._session() as session, session.begin():
            for spec in devices:
                if session.get(models.Device, spec.mn) is not None:
                    raise RegistryError(f"device {spec.mn}: MN is registered already")
                if session.get(models.MonitoredObject, spec.object_id) is None:
                    raise RegistryError(f"device {spec.mn}: object id {spec.object_id} is not "
                                        "registered")
                row = models.Device(
                    mn=spec.mn, object_id=spec.object_id,
                    password_hash=hash_device_password(spec.password),
                    protocol=spec.protocol, factors=list(spec.factors),
                    minute_interval=spec.minute_interval, active=1, created_at=now,
                    profile=spec.profile, accept=list(spec.accept),
                    utc_offset_minutes=spec.utc_offset_minutes,
                )
                session.add(row)
                session.flush()
                _log(session, "device", spec.mn, "create", None, _device_record(row), actor,
                     reason, now, password_changed=True)

    def update_device(self, mn: str, changes: Mapping[str, object], *, actor: str,
                      reason: str = "") -> RegistryChange | None:
        """Change fields of a registered data logger, keeping the history.

        Parameters
        ----------
        mn : str
        changes : mapping
            Field → new value: ``object_code`` (the object it moves to), ``password`` (clear
            text: the registry keeps its hash; the history shows :data:`SECRET`), ``factors``,
            ``protocol``, ``minute_interval``, ``profile``, ``accept``, ``utc_offset_minutes``;
            checked as :class:`DeviceSpec` checks them, factors against
            :data:`ecohub.vocabulary.FACTORS`.
        actor, reason : str
            Who changes it (required) and why.

        Returns
        -------
        RegistryChange or None
            The change written; None if the values are those registered (nothing written).

        Raises
        ------
        RegistryError
            Unknown MN, object or field, a retired logger, or a value that breaks a rule.
        """
        _require_actor(actor)
        unknown = sorted(set(changes) - _DEVICE_FIELDS)
        if unknown:
            raise RegistryError(f"device {mn}: unknown field(s) {', '.join(unknown)}; "
                                f"expected {', '.join(sorted(_DEVICE_FIELDS))}")
        now = datetime.now(UTC)
        with self._session() as session:
            row = _device_row(session, mn)
            _require_in_service("device", mn, row.retired_at)
            before = _device_record(row)
            target = row.object
            if "object_code" in changes:
                target = _object_row(session, str(changes["object_code"]))
                _require_in_service("object", target.code, target.retired_at)
            factors = tuple(changes.get("factors", row.factors))
            unknown_factors = [f for f in factors if f not in FACTORS]
            if unknown_factors:
                raise RegistryError(f"device {mn}: factor(s) {', '.join(unknown_factors)} are "
                                    "not HJ 212-2017 Appendix B codes")
            try:
                spec = DeviceSpec(
                    mn, target.id, "", factors,
                    protocol=str(changes.get("protocol", row.protocol)),
                    minute_interval=int(changes.get("minute_interval", row.minute_interval)),
                    profile=str(changes.get("profile", row.profile)),
                    accept=tuple(changes.get("accept", row.accept or ())),
                    utc_offset_minutes=int(changes.get("utc_offset_minutes",
                                                       row.utc_offset_minutes)),
                )
            except (TypeError, ValueError) as error:
                raise RegistryError(str(error)) from None
            password_changed = False
            if "password" in changes:
                password = str(changes["password"] or "")
                if not password:
                    raise RegistryError(f"device {mn}: password is empty")
                if not check_device_password(row.password_hash, password):
                    row.password_hash = hash_device_password(password)
                    password_changed = True
            row.object_id, row.object = target.id, target
            row.factors, row.protocol = list(spec.factors), spec.protocol
            row.minute_interval, row.profile = spec.minute_interval, spec.profile
            row.accept, row.utc_offset_minutes = list(spec.accept), spec.utc_offset_minutes
            session.flush()
            change = _log(session, "device", mn, "update", before, _device_record(row), actor,
                          reason, now, password_changed=password_changed)
            if change is not None:
                session.commit()
            return change

    def devices(self, object_id: int | None = None) -> dict[str, Device]:
        """All active devices (of one object) keyed by MN, in MN order.

        The whole registry's is read again only when the registry changed (:meth:`version`,
        which every write moves); one object's is one filtered query.
        """
        version = self.version() if object_id is None else None  # first, as in objects()
        if version is not None and self._devices is not None and self._devices[0] == version:
            return dict(self._devices[1])
        statement = (
            select(models.Device, models.MonitoredObject)
            .join(models.MonitoredObject)
            .where(models.Device.active == 1)
            .order_by(models.Device.mn)
        )
        if object_id is not None:
            statement = statement.where(models.Device.object_id == object_id)
        with self._session() as session:
            devices = {device.mn: _device(device, obj)
                       for device, obj in session.execute(statement)}
        if version is not None:
            self._devices = (version, devices)
        return dict(devices)

    def device(self, mn: str) -> Device | None:
        """The data logger registered under ``mn`` (retired or not), or None."""
        with self._session() as session:
            row = session.get(models.Device, mn)
            return None if row is None else _device(row, row.object)

    def retired_devices(self) -> dict[str, datetime]:
        """Retired data loggers: MN → when retired (aware UTC).

        The gateway rejects their packets with reason ``retired``.
        """
        statement = select(models.Device.mn, models.Device.retired_at).where(
            models.Device.active == 0, models.Device.retired_at.is_not(None))
        with self._session() as session:
            return {mn: _utc(moment) for mn, moment in session.execute(statement)}

    # -- permits and limits --------------------------------------------------------------

    def add_permit(self, permit: PermitSpec, *, actor: str = "system",
                   reason: str = "") -> None:
        """Register one discharge permit (see :meth:`add_permits`)."""
        self.add_permits([permit], actor=actor, reason=reason)

    def add_permits(self, permits: Iterable[PermitSpec], *, actor: str = "system",
                    reason: str = "") -> None:
        """Register discharge permits of pollution sources (one transaction).

        Raises
        ------
        RegistryError
            A number registered already, or a source that is unknown, retired or not a
            pollution source.
        """
        _require_actor(actor)
        now = datetime.now(UTC)
        with self._session() as session, session.begin():
            for spec in permits:
                if _permit_row_or_none(session, spec.number) is not None:
                    raise RegistryError(f"permit {spec.number}: registered already")
                row = models.Permit(number=spec.number, created_at=now, attributes={})
                _set_permit(session, row, spec)
                session.add(row)
                session.flush()
                _log(session, "permit", spec.number, "create", None,
                     _permit_record(session, row), actor, reason, now)

    def update_permit(self, number: str, changes: Mapping[str, object], *, actor: str,
                      reason: str = "") -> RegistryChange | None:
        """Change a permit's ``source_code``, ``issued_by``, ``valid_from`` or ``valid_to``.

        Returns the change written, or None if nothing differs (nothing written).
        """
        _require_actor(actor)
        unknown = sorted(set(changes) - _PERMIT_FIELDS)
        if unknown:
            raise RegistryError(f"permit {number}: unknown field(s) {', '.join(unknown)}; "
                                f"expected {', '.join(sorted(_PERMIT_FIELDS))}")
        now = datetime.now(UTC)
        with self._session() as session:
            row = _permit_row(session, number)
            _require_in_service("permit", number, row.retired_at)
            before = _permit_record(session, row)
            try:
                spec = dataclasses.replace(_permit(session, row), **changes)
            except (TypeError, ValueError) as error:
                raise RegistryError(str(error)) from None
            _set_permit(session, row, PermitSpec(spec.number, spec.source_code, spec.issued_by,
                                                 spec.valid_from, spec.valid_to))
            session.flush()
            change = _log(session, "permit", number, "update", before,
                          _permit_record(session, row), actor, reason, now)
            if change is not None:
                session.commit()
            return change

    def permits(self, source_code: str | None = None, *,
                include_retired: bool = False) -> list[Permit]:
        """Registered permits (of one source), in the order they were registered."""
        statement = select(models.Permit).order_by(models.Permit.id)
        if not include_retired:
            statement = statement.where(models.Permit.retired_at.is_(None))
        with self._session() as session:
            if source_code is not None:
                statement = statement.where(
                    models.Permit.source_id == _object_row(session, source_code).id)
            return [_permit(session, row) for row in session.scalars(statement)]

    def add_limit(self, limit: LimitSpec, *, actor: str = "system", reason: str = "") -> None:
        """Register one discharge limit (see :meth:`add_limits`)."""
        self.add_limits([limit], actor=actor, reason=reason)

    def add_limits(self, limits: Iterable[LimitSpec], *, actor: str = "system",
                   reason: str = "") -> None:
        """Register outlets' discharge limits (one transaction).

        Raises
        ------
        RegistryError
            A limit of the same outlet, factor and statistic registered already (retired ones
            included: reinstate it), an outlet or permit that is unknown or retired.
        """
        _require_actor(actor)
        now = datetime.now(UTC)
        with self._session() as session, session.begin():
            for spec in limits:
                if _limit_row_or_none(session, spec.key) is not None:
                    raise RegistryError(f"limit {spec.key}: registered already")
                row = models.DischargeLimit(created_at=now)
                _set_limit(session, row, spec)
                session.add(row)
                session.flush()
                _log(session, "limit", spec.key, "create", None, _limit_record(session, row),
                     actor, reason, now)

    def update_limit(self, key: str, changes: Mapping[str, object], *, actor: str,
                     reason: str = "") -> RegistryChange | None:
        """Change a limit's ``value``, ``unit``, ``standard`` or ``permit_number``.

        ``key`` is the limit's :func:`limit_key`. Returns the change written, or None if
        nothing differs (nothing written).
        """
        _require_actor(actor)
        unknown = sorted(set(changes) - _LIMIT_FIELDS)
        if unknown:
            raise RegistryError(f"limit {key}: unknown field(s) {', '.join(unknown)}; "
                                f"expected {', '.join(sorted(_LIMIT_FIELDS))}")
        now = datetime.now(UTC)
        with self._session() as session:
            row = _limit_row(session, key)
            _require_in_service("limit", key, row.retired_at)
            before = _limit_record(session, row)
            current = _limit(session, row)
            try:
                spec = LimitSpec(current.outlet_code, current.factor, current.statistic,
                                 **{name: changes.get(name, getattr(current, name))
                                    for name in ("value", "unit", "standard",
                                                 "permit_number")})
            except (TypeError, ValueError) as error:
                raise RegistryError(str(error)) from None
            _set_limit(session, row, spec)
            session.flush()
            change = _log(session, "limit", key, "update", before, _limit_record(session, row),
                          actor, reason, now)
            if change is not None:
                session.commit()
            return change

    def limits(self, outlet_code: str | None = None, *,
               include_retired: bool = False) -> list[DischargeLimit]:
        """Registered discharge limits (of one outlet), in the order they were registered."""
        outlet = aliased(models.MonitoredObject)
        statement = (
            select(models.DischargeLimit, outlet.code, models.Permit.number)
            .join(outlet, models.DischargeLimit.outlet_id == outlet.id)
            .outerjoin(models.Permit, models.DischargeLimit.permit_id == models.Permit.id)
            .order_by(models.DischargeLimit.id)
        )  # one query with the outlet's code and the permit's number (not one per limit)
        if not include_retired:
            statement = statement.where(models.DischargeLimit.retired_at.is_(None))
        with self._session() as session:
            if outlet_code is not None:
                statement = statement.where(
                    models.DischargeLimit.outlet_id == _object_row(session, outlet_code).id)
            return [_limit_of(row, code, number)
                    for row, code, number in session.execute(statement)]

    # -- retire and reinstate ------------------------------------------------------------

    def retire(self, entity: str, key: str, *, actor: str, reason: str = "",
               cascade: bool = False) -> list[RegistryChange]:
        """Retire a record: nothing is deleted, it is marked retired from now on.

        Parameters
        ----------
        entity : str
            One of :data:`ENTITIES`.
        key : str
            The object code, MN, permit number or :func:`limit_key`.
        actor, reason : str
            Who retires it (required) and why.
        cascade : bool
            An object that still has devices (or a source with outlets) in service is retired
            with them; without ``cascade`` that is an error naming them.

        Returns
        -------
        list of RegistryChange
            The changes written: the record's, and those of the records retired with it.
        """
        _require_actor(actor)
        now = datetime.now(UTC)
        with self._session() as session, session.begin():
            row = _row(session, entity, key)
            if row.retired_at is not None:
                raise RegistryError(f"{entity} {key}: retired already, on "
                                    f"{_utc(row.retired_at).astimezone(CHINA_TZ):%Y-%m-%d}")
            retiring: list[tuple[str, str, object]] = []
            if entity == "object":
                retiring = _in_service_below(session, row)
                if retiring and not cascade:
                    names = ", ".join(f"{e} {k}" for e, k, _ in retiring)
                    raise RegistryError(f"object {key}: still in service: {names}; retire "
                                        "them first, or retire with cascade")
            changes = []
            for child_entity, child_key, child in [*retiring, (entity, key, row)]:
                before = _record(session, child_entity, child)
                child.retired_at = now
                if child_entity == "device":
                    child.active = 0
                session.flush()
                changes.append(_log(session, child_entity, child_key, "retire", before,
                                    _record(session, child_entity, child), actor, reason, now))
            return [c for c in changes if c is not None]

    def reinstate(self, entity: str, key: str, *, actor: str,
                  reason: str = "") -> RegistryChange:
        """Put a retired record back in service (the object it belongs to must be in service).

        Raises
        ------
        RegistryError
            Unknown or not retired, or what it belongs to is retired.
        """
        _require_actor(actor)
        now = datetime.now(UTC)
        with self._session() as session, session.begin():
            row = _row(session, entity, key)
            if row.retired_at is None:
                raise RegistryError(f"{entity} {key}: not retired")
            owner = _owner(session, entity, row)
            if owner is not None and owner.retired_at is not None:
                raise RegistryError(f"{entity} {key}: {owner.code} it belongs to is retired; "
                                    "reinstate it first")
            before = _record(session, entity, row)
            row.retired_at = None
            if entity == "device":
                row.active = 1
            session.flush()
            change = _log(session, entity, key, "reinstate", before,
                          _record(session, entity, row), actor, reason, now)
            assert change is not None  # retired_at changed
            return change

    # -- history -------------------------------------------------------------------------

    def version(self, max_age: float = 0.0) -> int:
        """A number that grows with every change of the registry: the last change's id.

        Every write records its change in the same transaction; the running gateway polls this
        and re-reads the devices when it moved. ``max_age`` (seconds) lets the number read
        that long ago do: the HTTP service asks before every answer it keeps
        (:mod:`ecohub.api.answers`), thousands of times a second. A change through this
        registry (this process) is seen at once whatever ``max_age``; another process's within
        ``max_age``.
        """
        read, commits, now = self._version_read, self._commits, monotonic()
        if read is not None and now - read[1] < max_age:
            return read[0]
        # A plain connection, not an ORM session: several times cheaper.
        with self.engine.connect() as connection:
            version = connection.scalar(_VERSION) or 0
        if self._commits == commits:  # else a commit ended meanwhile: it may be newer
            self._version_read = (version, now)
        return version

    def _forget_version(self, _session: Session) -> None:
        self._commits += 1
        self._version_read = None

    def record(self, entity: str, key: str) -> dict | None:
        """The record as it stands now, in the form of the history's records; None if unknown."""
        with self._session() as session:
            try:
                row = _row(session, entity, key)
            except RegistryError:
                if entity not in ENTITIES:
                    raise
                return None
            return _record(session, entity, row)

    def history(self, entity: str | None = None, key: str | None = None,
                since: datetime | None = None) -> list[RegistryChange]:
        """Changes of the registry (of one entity kind, of one key), newest first.

        ``since`` (timezone-aware) keeps the changes made from then on.
        """
        table = models.RegistryChange
        statement = select(table).order_by(table.id.desc())
        if entity is not None:
            _require_entity(entity)
            statement = statement.where(table.entity == entity)
        if key is not None:
            statement = statement.where(table.key == key)
        if since is not None:
            statement = statement.where(table.changed_at >= _aware(since, "since"))
        with self._session() as session:
            return [_change(row) for row in session.scalars(statement)]

    def as_of(self, entity: str, key: str, moment: datetime) -> dict | None:
        """The record as it stood at ``moment`` (aware): after its last change at or before it.

        None if it was not registered then. A record retired by then has its ``retired_at``.
        """
        _require_entity(entity)
        table = models.RegistryChange
        statement = (
            select(table.record)
            .where(table.entity == entity, table.key == key,
                   table.changed_at <= _aware(moment, "moment"))
            .order_by(table.changed_at.desc(), table.id.desc())
            .limit(1)
        )
        with self._session() as session:
            record = session.scalar(statement)
            return None if record is None else dict(record)

    def archive(self, source_code: str) -> EnterpriseArchive:
        """The archive of one pollution source (一源一档), retired records included.

        Raises
        ------
        RegistryError
            The code is unknown or not a pollution source.
        """
        with self._session() as session:
            source = _object_row(session, source_code)
            if source.object_type != "pollution_source":
                raise RegistryError(f"object {source_code}: a {source.object_type}, not a "
                                    "pollution source")
            outlets = list(session.scalars(
                select(models.MonitoredObject)
                .where(models.MonitoredObject.parent_id == source.id)
                .order_by(models.MonitoredObject.id)))
            object_ids = [source.id, *(o.id for o in outlets)]
            devices = list(session.scalars(
                select(models.Device).where(models.Device.object_id.in_(object_ids))
                .order_by(models.Device.object_id, models.Device.mn)))
            permits = [_permit(session, p) for p in session.scalars(
                select(models.Permit).where(models.Permit.source_id == source.id)
                .order_by(models.Permit.id))]
            limits = [_limit(session, row) for row in session.scalars(
                select(models.DischargeLimit)
                .where(models.DischargeLimit.outlet_id.in_(object_ids))
                .order_by(models.DischargeLimit.id))]
            table = models.RegistryChange
            keys = [("object", [source.code, *(o.code for o in outlets)]),
                    ("device", [d.mn for d in devices]),
                    ("permit", [p.number for p in permits]),
                    ("limit", [lim.key for lim in limits])]
            history = session.scalars(
                select(table)
                .where(or_(*(and_(table.entity == entity, table.key.in_(values))
                             for entity, values in keys if values)))
                .order_by(table.id.desc()))
            return EnterpriseArchive(
                source=_object(source), outlets=tuple(_object(o) for o in outlets),
                devices=tuple(_device(d, d.object) for d in devices),
                permits=tuple(permits), limits=tuple(limits),
                history=tuple(_change(row) for row in history),
            )

    # -- rejected packets ----------------------------------------------------------------

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
        with self._session() as session, session.begin():
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
        with self._session() as session:
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
        with self._session() as session:
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
        with self._session() as session:
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
        with self._session() as session:
            return [
                RejectedPacket(r.raw, r.reason, _utc(r.received_at), r.peer, r.mn,
                               r.disposition, r.reason_kind)
                for r in session.scalars(statement)
            ]

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
        with self._session() as session:
            return [(r.id, RejectedPacket(r.raw, r.reason, _utc(r.received_at), r.peer, r.mn,
                                          r.disposition, r.reason_kind))
                    for r in session.scalars(statement)]


def _utc(moment: datetime) -> datetime:
    # SQLite keeps the UTC wall time without its zone; PostgreSQL gives it back aware
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_OBJECT_FIELDS = frozenset(f.name for f in dataclasses.fields(ObjectSpec)) - {"code"}
_DEVICE_FIELDS = frozenset({"object_code", "password", "factors", "protocol", "minute_interval",
                            "profile", "accept", "utc_offset_minutes"})
_PERMIT_FIELDS = frozenset({"source_code", "issued_by", "valid_from", "valid_to"})
_LIMIT_FIELDS = frozenset({"value", "unit", "standard", "permit_number"})


def _require_actor(actor: str) -> None:
    if not actor or not actor.strip():
        raise RegistryError("actor: who makes the change is required")


def _require_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise RegistryError(f"entity {entity!r}: expected one of {', '.join(ENTITIES)}")


def _require_in_service(entity: str, key: str, retired_at: datetime | None) -> None:
    if retired_at is not None:
        raise RegistryError(f"{entity} {key}: retired on "
                            f"{_utc(retired_at).astimezone(CHINA_TZ):%Y-%m-%d}; reinstate it "
                            "first")


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise RegistryError(f"{name} {moment.isoformat()}: a timezone-aware datetime is required")
    return moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _utc(moment).isoformat()


def _day_start(day: date | None) -> datetime | None:
    """A permit's day as the moment it begins in China Standard Time."""
    return None if day is None else datetime.combine(day, time(), CHINA_TZ)


def _day(moment: datetime | None) -> date | None:
    return None if moment is None else _utc(moment).astimezone(CHINA_TZ).date()


# -- rows by key ---------------------------------------------------------------------------

def _object_row_or_none(session: Session, code: str) -> models.MonitoredObject | None:
    return session.scalar(select(models.MonitoredObject)
                          .where(models.MonitoredObject.code == code))


def _object_row(session: Session, code: str) -> models.MonitoredObject:
    row = _object_row_or_none(session, code)
    if row is None:
        raise RegistryError(f"object {code}: not registered")
    return row


def _device_row(session: Session, mn: str) -> models.Device:
    row = session.get(models.Device, mn)
    if row is None:
        raise RegistryError(f"device {mn}: not registered")
    return row


def _permit_row_or_none(session: Session, number: str) -> models.Permit | None:
    return session.scalar(select(models.Permit).where(models.Permit.number == number))


def _permit_row(session: Session, number: str) -> models.Permit:
    row = _permit_row_or_none(session, number)
    if row is None:
        raise RegistryError(f"permit {number}: not registered")
    return row


def _limit_row_or_none(session: Session, key: str) -> models.DischargeLimit | None:
    parts = key.rsplit("/", 2)
    if len(parts) != 3:
        raise RegistryError(f"limit {key!r}: expected <outlet code>/<factor>/<statistic>")
    outlet = _object_row_or_none(session, parts[0])
    if outlet is None:
        return None
    table = models.DischargeLimit
    return session.scalar(select(table).where(
        table.outlet_id == outlet.id, table.factor == parts[1], table.statistic == parts[2]))


def _limit_row(session: Session, key: str) -> models.DischargeLimit:
    row = _limit_row_or_none(session, key)
    if row is None:
        raise RegistryError(f"limit {key}: not registered")
    return row


def _row(session: Session, entity: str, key: str):
    _require_entity(entity)
    finders = {"object": _object_row, "device": _device_row, "permit": _permit_row,
               "limit": _limit_row}
    return finders[entity](session, key)


def _owner(session: Session, entity: str, row) -> models.MonitoredObject | None:
    """The object a record belongs to: an outlet's source, a device's, permit's, limit's."""
    owner_id = {"object": lambda: row.parent_id, "device": lambda: row.object_id,
                "permit": lambda: row.source_id, "limit": lambda: row.outlet_id}[entity]()
    return None if owner_id is None else session.get(models.MonitoredObject, owner_id)


def _in_service_below(session: Session, row: models.MonitoredObject) -> list[tuple[str, str,
                                                                                     object]]:
    """The devices and outlets in service under an object (an outlet's devices first)."""
    below: list[tuple[str, str, object]] = []
    outlets = session.scalars(select(models.MonitoredObject).where(
        models.MonitoredObject.parent_id == row.id, models.MonitoredObject.retired_at.is_(None)
    ).order_by(models.MonitoredObject.id))
    for outlet in outlets:
        below.extend(("device", d.mn, d) for d in outlet.devices if d.retired_at is None)
        below.append(("object", outlet.code, outlet))
    below.extend(("device", d.mn, d) for d in row.devices if d.retired_at is None)
    return below


def _checked_parent(session: Session, spec: ObjectSpec) -> models.MonitoredObject | None:
    """An outlet's pollution source, in service; other objects have none."""
    if spec.object_type != "outlet":
        if spec.parent_code is not None:
            raise RegistryError(f"object {spec.code}: only an outlet has a parent_code")
        return None
    if spec.parent_code is None:
        raise RegistryError(f"object {spec.code}: an outlet needs the parent_code of its "
                            "pollution source")
    parent = _object_row(session, spec.parent_code)
    if parent.object_type != "pollution_source":
        raise RegistryError(f"object {spec.code}: parent {spec.parent_code} is a "
                            f"{parent.object_type}, not a pollution_source")
    _require_in_service("object", parent.code, parent.retired_at)
    return parent


def _set_permit(session: Session, row: models.Permit, spec: PermitSpec) -> None:
    source = _object_row(session, spec.source_code)
    if source.object_type != "pollution_source":
        raise RegistryError(f"permit {spec.number}: {spec.source_code} is a "
                            f"{source.object_type}, not a pollution_source")
    _require_in_service("object", source.code, source.retired_at)
    row.source_id, row.issued_by = source.id, spec.issued_by
    row.valid_from, row.valid_to = _day_start(spec.valid_from), _day_start(spec.valid_to)


def _set_limit(session: Session, row: models.DischargeLimit, spec: LimitSpec) -> None:
    outlet = _object_row(session, spec.outlet_code)
    if outlet.object_type != "outlet":
        raise RegistryError(f"limit {spec.key}: {spec.outlet_code} is a {outlet.object_type}, "
                            "not an outlet")
    _require_in_service("object", outlet.code, outlet.retired_at)
    permit_id = None
    if spec.permit_number is not None:
        permit = _permit_row(session, spec.permit_number)
        if permit.source_id != outlet.parent_id:
            raise RegistryError(f"limit {spec.key}: permit {spec.permit_number} is not of the "
                                "outlet's pollution source")
        permit_id = permit.id
    row.outlet_id, row.factor, row.statistic = outlet.id, spec.factor, spec.statistic
    row.limit_value, row.unit, row.standard = float(spec.value), spec.unit, spec.standard
    row.permit_id = permit_id


# -- rows as records -----------------------------------------------------------------------

def _object(row: models.MonitoredObject) -> MonitoredObject:
    return MonitoredObject(
        id=row.id, code=row.code, name=row.name, object_type=row.object_type,
        parent_id=row.parent_id, longitude=row.longitude, latitude=row.latitude, city=row.city,
        city_code=row.city_code, county=row.county, department=row.department,
        attributes=row.attributes or {},
        retired_at=None if row.retired_at is None else _utc(row.retired_at),
    )


def _device(row: models.Device, obj: models.MonitoredObject) -> Device:
    return Device(
        mn=row.mn, object_id=obj.id, object_type=obj.object_type,
        password_hash=row.password_hash, factors=tuple(row.factors), protocol=row.protocol,
        minute_interval=row.minute_interval, profile=row.profile or "default",
        accept=tuple(row.accept or ()), utc_offset_minutes=row.utc_offset_minutes,
        object_code=obj.code, object_name=obj.name, longitude=obj.longitude,
        latitude=obj.latitude, city=obj.city,
        retired_at=None if row.retired_at is None else _utc(row.retired_at),
    )


def _permit(session: Session, row: models.Permit) -> Permit:
    source = session.get(models.MonitoredObject, row.source_id)
    return Permit(row.number, source.code, row.issued_by, _day(row.valid_from),
                  _day(row.valid_to), None if row.retired_at is None else _utc(row.retired_at))


def _limit(session: Session, row: models.DischargeLimit) -> DischargeLimit:
    outlet = session.get(models.MonitoredObject, row.outlet_id)
    permit = None if row.permit_id is None else session.get(models.Permit, row.permit_id)
    return DischargeLimit(outlet.code, row.factor, row.statistic, row.limit_value, row.unit,
                          row.standard, None if permit is None else permit.number,
                          None if row.retired_at is None else _utc(row.retired_at))


def _limit_of(row: models.DischargeLimit, outlet_code: str,
              permit_number: str | None) -> DischargeLimit:
    return DischargeLimit(outlet_code, row.factor, row.statistic, row.limit_value, row.unit,
                          row.standard, permit_number,
                          None if row.retired_at is None else _utc(row.retired_at))


def _change(row: models.RegistryChange) -> RegistryChange:
    return RegistryChange(
        id=row.id, changed_at=_utc(row.changed_at), actor=row.actor, reason=row.reason or "",
        entity=row.entity, key=row.key, action=row.action,
        changes={name: (pair[0], pair[1]) for name, pair in (row.changes or {}).items()},
        record=dict(row.record or {}),
    )


def _object_record(session: Session, row: models.MonitoredObject) -> dict:
    parent = None if row.parent_id is None else session.get(models.MonitoredObject,
                                                            row.parent_id)
    return {"code": row.code, "name": row.name, "object_type": row.object_type,
            "parent_code": None if parent is None else parent.code,
            "longitude": row.longitude, "latitude": row.latitude, "city": row.city,
            "city_code": row.city_code, "county": row.county, "department": row.department,
            "attributes": dict(row.attributes or {}), "retired_at": _iso(row.retired_at)}


def _device_record(row: models.Device) -> dict:
    """A logger's record for the history: everything but its password."""
    return {"mn": row.mn, "object_code": row.object.code, "factors": list(row.factors),
            "protocol": row.protocol, "minute_interval": row.minute_interval,
            "profile": row.profile, "accept": list(row.accept or ()),
            "utc_offset_minutes": row.utc_offset_minutes, "retired_at": _iso(row.retired_at)}


def _permit_record(session: Session, row: models.Permit) -> dict:
    permit = _permit(session, row)
    return {"number": permit.number, "source_code": permit.source_code,
            "issued_by": permit.issued_by,
            "valid_from": None if permit.valid_from is None else permit.valid_from.isoformat(),
            "valid_to": None if permit.valid_to is None else permit.valid_to.isoformat(),
            "retired_at": _iso(row.retired_at)}


def _limit_record(session: Session, row: models.DischargeLimit) -> dict:
    limit = _limit(session, row)
    return {"outlet_code": limit.outlet_code, "factor": limit.factor,
            "statistic": limit.statistic, "value": limit.value, "unit": limit.unit,
            "standard": limit.standard, "permit_number": limit.permit_number,
            "retired_at": _iso(row.retired_at)}


def _record(session: Session, entity: str, row) -> dict:
    if entity == "device":
        return _device_record(row)
    return {"object": _object_record, "permit": _permit_record,
            "limit": _limit_record}[entity](session, row)


def _log(session: Session, entity: str, key: str, action: str, before: dict | None,
         after: dict, actor: str, reason: str, now: datetime, *,
         password_changed: bool = False) -> RegistryChange | None:
    """Append the change from ``before`` (None: created) to ``after``; None if nothing changed.

    A password is never in a record; that it changed shows as :data:`SECRET` → :data:`SECRET`
    (``None`` → :data:`SECRET` when created).
    """
    if before is None:
        changes = {name: [None, value] for name, value in after.items()
                   if value not in (None, [], {})}
    else:
        changes = {name: [before.get(name), value] for name, value in after.items()
                   if before.get(name) != value}
    if password_changed:
        changes["password"] = [None if before is None else SECRET, SECRET]
    if not changes:
        return None
    row = models.RegistryChange(changed_at=now, actor=actor.strip(), reason=reason, entity=entity,
                                key=key, action=action, changes=changes, record=after)
    session.add(row)
    session.flush()
    return _change(row)
