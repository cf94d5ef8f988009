"""Why is my data not arriving: per data logger, what the store holds and who is connected.

The operator's view of ingest (issue "Real loggers…", `ecohub ingest status`): for each
registered logger its last stored packet, the packets and readings stored, the packets not
stored by kind of reason, the deviations from HJ 212 its stored packets carried, how far its
clock is from the arrival of its data, and whether it is connected to a running gateway right
now; and how many packets not stored came from MNs the registry does not know (or whose header
could not be read).

Whether a logger is connected is known only to the running gateway. Each gateway writes, every
few seconds, a small JSON file ``<data_dir>/gateways/<journal_id>.json`` (written by
:func:`write_gateway_status`, removed by :func:`remove_gateway_status` on a clean stop)::

    {"pid": 1234, "host": "0.0.0.0", "port": 2756,
     "started_at": "2026-12-06T07:00:00+00:00", "updated_at": "2026-12-06T07:10:02+00:00",
     "connections": [{"peer": "10.0.0.5:50312", "mn": "Y80110010000010",
                      "connected_at": "…", "last_seen": "…"}]}

and :func:`live_connections` reads them. This module is the one place that knows the format.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ecohub.store import RejectedPacket, Store

__all__ = [
    "GATEWAYS_DIR", "Connection", "GatewayStatus", "LoggerStatus", "StatusReport",
    "describe_offset", "gateway_directory", "live_connections", "live_gateways",
    "logger_status", "remove_gateway_status", "write_gateway_status",
]

log = logging.getLogger(__name__)

GATEWAYS_DIR = "gateways"
"""The directory, under the data directory, of the running gateways' status files."""

DEFAULT_STALE_AFTER_S = 10.0
"""A status file not updated for this long is a gateway that stopped without removing it."""

_JOURNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


# ----------------------------------------------------------------------------- live connections
@dataclass(frozen=True)
class Connection:
    """One TCP connection to a running gateway."""

    peer: str
    """The logger's address, ``host:port``."""
    mn: str | None
    """The MN of its first readable packet; None until it sent one."""
    connected_at: datetime
    last_seen: datetime
    """When its last bytes arrived (UTC)."""
    gateway: str = ""
    """The gateway it is connected to, ``host:port`` (pid)."""


@dataclass(frozen=True)
class GatewayStatus:
    """What a running gateway last said about itself."""

    journal_id: str
    pid: int
    host: str
    port: int
    started_at: datetime
    updated_at: datetime
    connections: list[Connection] = field(default_factory=list)


def gateway_directory(data_dir: Path) -> Path:
    """The directory of the gateways' status files: ``<data_dir>/gateways``."""
    return Path(data_dir) / GATEWAYS_DIR


def _status_path(directory: Path, journal_id: str) -> Path:
    if not _JOURNAL_ID.fullmatch(journal_id):
        raise ValueError(f"journal id {journal_id!r}: expected letters, digits, '.', '_' or '-' "
                         "(it names the gateway's status file)")
    return Path(directory) / f"{journal_id}.json"


def _instant(moment: datetime, name: str) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{name} {moment.isoformat()}: a timezone-aware datetime is required")
    return moment.astimezone(UTC).isoformat()


def write_gateway_status(
    directory: Path, journal_id: str, *, pid: int, host: str, port: int,
    started_at: datetime,
    connections: Iterable[tuple[str, str | None, datetime, datetime]],
    updated_at: datetime | None = None,
) -> Path:
    """Write a running gateway's status file, atomically (readers never see half a file).

    The gateway calls this every few seconds; :func:`live_connections` reads the files.

    Parameters
    ----------
    directory : Path
        The status files' directory, :func:`gateway_directory` of the data directory; created
        if missing.
    journal_id : str
        The gateway's journal id, which names the file (``<journal_id>.json``).
    pid, host, port : int, str, int
        The gateway's process id and the address it listens on.
    started_at : datetime
        When the gateway started (timezone-aware).
    connections : iterable of (peer, mn, connected_at, last_seen)
        Each open connection: the peer's ``host:port``, the MN of its packets (None until
        known), when it connected and when its last bytes arrived (timezone-aware).
    updated_at : datetime, optional
        The moment of this status (default: now).

    Returns
    -------
    Path
        The file written.
    """
    path = _status_path(directory, journal_id)
    document = {
        "pid": int(pid), "host": host, "port": int(port),
        "started_at": _instant(started_at, "started_at"),
        "updated_at": _instant(updated_at or datetime.now(UTC), "updated_at"),
        "connections": [
            {"peer": peer, "mn": mn, "connected_at": _instant(connected_at, "connected_at"),
             "last_seen": _instant(last_seen, "last_seen")}
            for peer, mn, connected_at, last_seen in connections],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{journal_id}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file, ensure_ascii=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def remove_gateway_status(directory: Path, journal_id: str) -> None:
    """Remove a gateway's status file (on a clean stop); nothing if it is not there."""
    _status_path(directory, journal_id).unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (one of another user's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _moment(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO date-time, got {value!r}")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment.astimezone(UTC)


def _read_status(path: Path) -> GatewayStatus:
    """One status file; ``ValueError`` (or ``OSError``) saying what is wrong with it."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    pid, port = document.get("pid"), document.get("port")
    if not isinstance(pid, int) or not isinstance(port, int):
        raise ValueError("pid and port must be integers")
    gateway = f"{document.get('host')}:{port} (pid {pid})"
    connections = []
    for item in document.get("connections") or []:
        if not isinstance(item, dict) or not isinstance(item.get("peer"), str):
            raise ValueError(f"connection {item!r}: expected an object with a peer")
        mn = item.get("mn")
        if mn is not None and not isinstance(mn, str):
            raise ValueError(f"connection mn {mn!r}: expected a string or null")
        connections.append(Connection(item["peer"], mn or None, _moment(item.get("connected_at")),
                                      _moment(item.get("last_seen")), gateway))
    return GatewayStatus(path.stem, pid, str(document.get("host")), port,
                         _moment(document.get("started_at")),
                         _moment(document.get("updated_at")), connections)


def live_gateways(data_dir: Path, stale_after_s: float = DEFAULT_STALE_AFTER_S,
                  now: datetime | None = None) -> list[GatewayStatus]:
    """The gateways running on this host over ``data_dir``, as their status files say.

    A file not updated for ``stale_after_s`` seconds, or whose process is not alive on this
    host, is left out (a gateway that stopped without removing it); a file that cannot be read
    is left out with a warning in the log. On a server deployment (PostgreSQL) with gateways
    on several hosts, each host sees only its own gateways: the files live in the local data
    directory.
    """
    directory = gateway_directory(data_dir)
    now = now or datetime.now(UTC)
    found = []
    try:
        paths = sorted(directory.glob("*.json"))
    except OSError as error:
        log.warning("gateway status directory %s cannot be read: %s", directory, error)
        return []
    for path in paths:
        try:
            status = _read_status(path)
        except FileNotFoundError:  # removed by a gateway stopping meanwhile
            continue
        except (OSError, ValueError, TypeError) as error:
            log.warning("gateway status file %s ignored: %s", path, error)
            continue
        if (now - status.updated_at).total_seconds() > stale_after_s:
            log.debug("gateway status file %s ignored: stale since %s", path, status.updated_at)
        elif not _pid_alive(status.pid):
            log.debug("gateway status file %s ignored: process %d is gone", path, status.pid)
        else:
            found.append(status)
    return found


def live_connections(data_dir: Path, stale_after_s: float = DEFAULT_STALE_AFTER_S,
                     now: datetime | None = None) -> dict[str, list[Connection]]:
    """Per MN, its connections to the gateways running on this host over ``data_dir``.

    Connections that have not yet sent a readable packet (no MN) are under the key ``""``.
    Which gateways count is as in :func:`live_gateways`: on a multi-host PostgreSQL deployment
    each host sees only its own gateways.
    """
    return _by_mn(live_gateways(data_dir, stale_after_s, now))


def _by_mn(gateways: Iterable[GatewayStatus]) -> dict[str, list[Connection]]:
    connections: dict[str, list[Connection]] = {}
    for gateway in gateways:
        for connection in gateway.connections:
            connections.setdefault(connection.mn or "", []).append(connection)
    return connections


# ----------------------------------------------------------------------------- the report
@dataclass(frozen=True)
class LoggerStatus:
    """One registered data logger since the report's moment."""

    mn: str
    object_code: str
    object_name: str
    last_received: datetime | None
    """When its last stored packet arrived (UTC); None if none since the moment."""
    packets: int
    readings: int
    rejected: dict[str, int]
    """Packets not stored (rejected or quarantined) by kind of reason, most frequent first."""
    deviations: dict[str, int] = field(default_factory=dict)
    """Stored packets carrying each kind of deviation from HJ 212, most frequent first."""
    clock_offset_s: float | None = None
    """Median of its DataTime (or period end) minus arrival, seconds; None without readings."""
    clock_offset_max_s: float | None = None
    """The offset farthest from zero, with its sign."""
    clock_samples: int = 0
    """Packets the clock offset is computed over."""
    connected: bool | None = None
    """Connected to a gateway running on this host now; None when that was not looked at."""
    connections: tuple[Connection, ...] = ()
    """Its open connections to the gateways running on this host."""

    @property
    def peers(self) -> tuple[str, ...]:
        """The addresses it is connected from now."""
        return tuple(connection.peer for connection in self.connections)

    @property
    def deviating_packets(self) -> int:
        """Deviations counted over its kinds (a packet with two kinds counts twice)."""
        return sum(self.deviations.values())


@dataclass(frozen=True)
class StatusReport:
    """Every logger asked for, and what came from unknown or unreadable MNs."""

    since: datetime
    loggers: list[LoggerStatus]
    unregistered_rejected: int
    """Packets not stored since the moment whose MN is not registered or could not be read."""
    last_rejected: RejectedPacket | None
    """The newest packet not stored of the one logger asked for (None otherwise)."""
    gateways: int | None = None
    """Gateways running on this host (None when not looked at)."""
    unidentified: tuple[Connection, ...] = ()
    """Connections now open from an MN that is not registered or not yet known."""

    @property
    def sending(self) -> int:
        """How many of the loggers had a packet stored since the moment."""
        return sum(status.last_received is not None for status in self.loggers)

    @property
    def connected(self) -> int:
        """How many of the loggers are connected now."""
        return sum(bool(status.connected) for status in self.loggers)

    def non_conforming(self) -> list[LoggerStatus]:
        """The loggers whose stored packets carried deviations, most deviations first."""
        return sorted((s for s in self.loggers if s.deviations),
                      key=lambda s: (-s.deviating_packets, s.mn))


def logger_status(store: Store, since: datetime, mn: str | None = None,
                  data_dir: Path | None = None, *,
                  stale_after_s: float = DEFAULT_STALE_AFTER_S) -> StatusReport:
    """What the store holds per registered logger (or for the logger ``mn``) since ``since``.

    With ``data_dir``, also whether each logger is connected now to a gateway running on this
    host over that data directory, and from where (:func:`live_connections`).

    Raises ``ValueError`` for an ``mn`` that is not registered, saying whether packets of it
    were kept as rejected or quarantined.
    """
    devices = store.registry.devices()
    if mn is not None and mn not in devices:
        kept = store.registry.rejected(1, mn=mn)
        raise ValueError(
            f"MN {mn!r} is not registered" + (
                f"; its packets were rejected or quarantined: ecohub ingest rejected --mn {mn}"
                if kept else "; ecohub registry devices lists the registered MNs"))
    measurements = store.measurements
    activity = {row["mn"]: row for row in
                measurements.device_activity(since).iter_rows(named=True)}
    deviations: dict[str, dict[str, int]] = {}
    for row in measurements.deviations_by_logger(since).iter_rows(named=True):
        deviations.setdefault(row["mn"], {})[row["kind"]] = row["packets"]  # most first
    offsets = {row["mn"]: row for row in measurements.clock_offsets(since).iter_rows(named=True)}
    rejected: dict[str | None, Counter[str]] = {}
    for count in store.registry.rejected_by_logger(since):
        rejected.setdefault(count.mn, Counter())[count.reason_kind] += count.packets
    gateways = None if data_dir is None else live_gateways(data_dir, stale_after_s)
    connections = _by_mn(gateways or [])
    loggers = []
    for key in [mn] if mn is not None else sorted(devices):
        device, row, offset = devices[key], activity.get(key), offsets.get(key)
        loggers.append(LoggerStatus(
            mn=key, object_code=device.object_code, object_name=device.object_name,
            last_received=None if row is None else row["last_received"],
            packets=0 if row is None else row["packets"],
            readings=0 if row is None else row["readings"],
            rejected=dict(rejected.get(key, Counter()).most_common()),
            deviations=deviations.get(key, {}),
            clock_offset_s=None if offset is None else offset["offset_s"],
            clock_offset_max_s=None if offset is None else offset["offset_s_max_abs"],
            clock_samples=0 if offset is None else offset["samples"],
            connected=None if gateways is None else key in connections,
            connections=tuple(connections.get(key, []))))
    unregistered = sum(sum(counts.values()) for key, counts in rejected.items()
                       if key not in devices)
    unidentified = tuple(c for key, group in sorted(connections.items())
                         if key not in devices for c in group) if mn is None else ()
    last = store.registry.rejected(1, mn=mn) if mn is not None else []
    return StatusReport(since, loggers, unregistered, last[0] if last else None,
                        None if gateways is None else len(gateways), unidentified)


# ----------------------------------------------------------------------------- words
_UNITS = (("天", 86_400), ("时", 3_600), ("分", 60), ("秒", 1))


def describe_offset(seconds: float) -> str:
    """A clock offset as people write it: its two largest units, with its sign.

    >>> describe_offset(200), describe_offset(-93_600), describe_offset(-30.4)
    ('+3 分 20 秒', '−1 天 2 时', '−30 秒')
    >>> describe_offset(0.3), describe_offset(3600)
    ('0 秒', '+1 时')
    """
    left = round(abs(seconds))
    if left == 0:
        return "0 秒"
    parts = []
    for name, size in _UNITS:
        if left >= size or parts:
            amount, left = divmod(left, size)
            parts.append((amount, name))
        if len(parts) == 2:
            break
    words = " ".join(f"{amount} {name}" for amount, name in parts if amount)
    return ("+" if seconds > 0 else "−") + words
