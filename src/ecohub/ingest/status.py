"""Why is my data not arriving: per data logger, what the store holds since a moment.

The operator's view of ingest (issue "Real loggers…", `ecohub ingest status`): for each
registered logger its last stored packet, the packets and readings stored, and the packets not
stored by kind of reason; and how many packets not stored came from MNs the registry does not
know (or whose header could not be read). Whether a logger is connected right now is known only
to the running gateway, not to the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from ecohub.store import RejectedPacket, Store

__all__ = ["LoggerStatus", "StatusReport", "logger_status"]


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


@dataclass(frozen=True)
class StatusReport:
    """Every logger asked for, and what came from unknown or unreadable MNs."""

    since: datetime
    loggers: list[LoggerStatus]
    unregistered_rejected: int
    """Packets not stored since the moment whose MN is not registered or could not be read."""
    last_rejected: RejectedPacket | None
    """The newest packet not stored of the one logger asked for (None otherwise)."""

    @property
    def sending(self) -> int:
        """How many of the loggers had a packet stored since the moment."""
        return sum(status.last_received is not None for status in self.loggers)


def logger_status(store: Store, since: datetime, mn: str | None = None) -> StatusReport:
    """What the store holds per registered logger (or for the logger ``mn``) since ``since``.

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
    activity = {row["mn"]: row for row in
                store.measurements.device_activity(since).iter_rows(named=True)}
    rejected: dict[str | None, Counter[str]] = {}
    for count in store.registry.rejected_by_logger(since):
        rejected.setdefault(count.mn, Counter())[count.reason_kind] += count.packets
    loggers = []
    for key in [mn] if mn is not None else sorted(devices):
        device, row = devices[key], activity.get(key)
        loggers.append(LoggerStatus(
            mn=key, object_code=device.object_code, object_name=device.object_name,
            last_received=None if row is None else row["last_received"],
            packets=0 if row is None else row["packets"],
            readings=0 if row is None else row["readings"],
            rejected=dict(rejected.get(key, Counter()).most_common())))
    unregistered = sum(sum(counts.values()) for key, counts in rejected.items()
                       if key not in devices)
    last = store.registry.rejected(1, mn=mn) if mn is not None else []
    return StatusReport(since, loggers, unregistered, last[0] if last else None)
