"""`ecohub.ingest.status`: per logger what the store holds since a moment, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from ecohub.ingest.status import logger_status
from ecohub.store import PACKET_SCHEMA, READING_SCHEMA, ObjectSpec, RejectedPacket

T0 = datetime(2026, 12, 2, 16, 5, tzinfo=UTC)  # 2026-12-03 00:05 China Standard Time


def test_logger_status(store):
    (oid,) = store.registry.add_objects([ObjectSpec("A1", "合肥站", "air_station")])
    store.registry.add_device("MN-A", oid, "123456", ["a34004"])
    store.registry.add_device("MN-B", oid, "123456", ["a34004"])
    readings = [{"mn": "MN-A", "object_id": oid, "factor": f, "kind": "minute",
                 "period_start": T0 - timedelta(minutes=5), "period_s": 300, "statistic": "Avg",
                 "value": 1.0, "device_flag": "N", "received_at": T0, "packet_id": "p1"}
                for f in ("a34004", "a34002")]
    store.measurements.write(
        pa.Table.from_pylist(readings, schema=READING_SCHEMA),
        pa.Table.from_pylist([{"packet_id": "p1", "mn": "MN-A", "cn": "2051", "received_at": T0,
                               "raw": "##…"}], schema=PACKET_SCHEMA))
    store.registry.record_rejected_many([
        RejectedPacket(b"b1", "crc: x", T0, None, "MN-B", reason_kind="crc"),
        RejectedPacket(b"b2", "crc: x", T0, None, "MN-B", reason_kind="crc"),
        RejectedPacket(b"b3", "password: x", T0 + timedelta(seconds=1), None, "MN-B",
                       reason_kind="password"),
        RejectedPacket(b"x1", "unknown_mn: x", T0, None, "MN-X", "quarantined", "unknown_mn"),
        RejectedPacket(b"??", "frame: x", T0, None, None, reason_kind="frame"),
        RejectedPacket(b"old", "crc: x", T0 - timedelta(days=1), None, "MN-A", reason_kind="crc"),
    ])
    report = logger_status(store, T0 - timedelta(minutes=5))
    a, b = report.loggers
    assert (a.mn, a.packets, a.readings, a.last_received, a.rejected) == (
        "MN-A", 1, 2, T0, {})  # yesterday's rejection is not counted
    assert (b.mn, b.packets, b.last_received, b.rejected) == (
        "MN-B", 0, None, {"crc": 2, "password": 1})
    assert (report.sending, report.unregistered_rejected, report.last_rejected) == (1, 2, None)
    one = logger_status(store, T0 - timedelta(minutes=5), "MN-B")
    assert [s.mn for s in one.loggers] == ["MN-B"] and one.last_rejected.raw == b"b3"
    with pytest.raises(ValueError, match="MN-X.*not registered.*ingest rejected --mn MN-X"):
        logger_status(store, T0, "MN-X")
    with pytest.raises(ValueError, match="registry devices"):
        logger_status(store, T0, "MN-NONE")
