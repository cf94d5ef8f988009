"""`ecohub.ingest.status`: per logger what the store holds since a moment, on both backends."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from ecohub.ingest.status import (
    Connection,
    describe_offset,
    gateway_directory,
    live_connections,
    live_gateways,
    logger_status,
    remove_gateway_status,
    write_gateway_status,
)
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


def gateway(data_dir, journal_id="j1", *, pid=None, updated_at=None, connections=None):
    """Write a status file as a running gateway does."""
    now = datetime.now(UTC)
    return write_gateway_status(
        gateway_directory(data_dir), journal_id, pid=os.getpid() if pid is None else pid,
        host="0.0.0.0", port=2756, started_at=now - timedelta(minutes=5),
        updated_at=updated_at or now,
        connections=connections if connections is not None else [
            ("10.0.0.5:50312", "MN-A", now - timedelta(minutes=4), now - timedelta(seconds=1)),
            ("10.0.0.9:40001", None, now - timedelta(seconds=3), now)])


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_gateway_status_round_trip(tmp_path):
    path = gateway(tmp_path)
    assert path == tmp_path / "gateways" / "j1.json"
    document = json.loads(path.read_text())
    assert (document["pid"], document["host"], document["port"]) == (os.getpid(), "0.0.0.0", 2756)
    assert document["connections"][1]["mn"] is None
    assert document["updated_at"].endswith("+00:00")
    assert [p.name for p in path.parent.iterdir()] == ["j1.json"]  # no temporary left
    (status,) = live_gateways(tmp_path)
    assert (status.journal_id, status.pid, status.port) == ("j1", os.getpid(), 2756)
    live = live_connections(tmp_path)
    assert set(live) == {"MN-A", ""}
    (a,) = live["MN-A"]
    assert isinstance(a, Connection) and a.peer == "10.0.0.5:50312"
    assert a.connected_at.tzinfo is not None and "2756" in a.gateway
    gateway(tmp_path, connections=[])  # rewritten in place
    assert live_connections(tmp_path) == {}
    remove_gateway_status(gateway_directory(tmp_path), "j1")
    remove_gateway_status(gateway_directory(tmp_path), "j1")  # already gone: nothing
    assert live_gateways(tmp_path) == [] and not path.exists()
    assert live_connections(tmp_path / "no-such-dir") == {}
    with pytest.raises(ValueError, match="journal id"):
        gateway(tmp_path, "../escape")
    with pytest.raises(ValueError, match="timezone-aware"):
        write_gateway_status(gateway_directory(tmp_path), "j2", pid=1, host="h", port=1,
                             started_at=datetime(2026, 1, 1), connections=[])


def test_stale_and_dead_gateways_are_ignored(tmp_path):
    gateway(tmp_path, "stale", updated_at=datetime.now(UTC) - timedelta(seconds=30))
    gateway(tmp_path, "dead", pid=dead_pid())
    assert live_connections(tmp_path) == {}
    assert len(live_gateways(tmp_path, stale_after_s=60)) == 1  # stale is a matter of limit
    gateway(tmp_path, "live")
    assert [g.journal_id for g in live_gateways(tmp_path)] == ["live"]


def test_malformed_gateway_file_is_ignored_with_a_warning(tmp_path, caplog):
    gateway(tmp_path, "good")
    directory = gateway_directory(tmp_path)
    (directory / "truncated.json").write_text('{"pid": 1, "ho')
    (directory / "list.json").write_text("[1, 2]")
    (directory / "types.json").write_text(json.dumps(
        {"pid": "x", "host": "h", "port": 1, "started_at": "", "updated_at": ""}))
    (directory / "times.json").write_text(json.dumps(
        {"pid": os.getpid(), "host": "h", "port": 1, "started_at": "yesterday",
         "updated_at": "2026-12-06T07:00:00", "connections": []}))
    (directory / "peer.json").write_text(json.dumps(
        {"pid": os.getpid(), "host": "h", "port": 1, "started_at": "2026-12-06T07:00:00+00:00",
         "updated_at": "2026-12-06T07:00:00+00:00", "connections": [{"mn": "MN-A"}]}))
    (directory / "binary.json").write_bytes(b"\xff\xfe\x00")
    with caplog.at_level(logging.WARNING, logger="ecohub.ingest.status"):
        live = live_connections(tmp_path)
    assert set(live) == {"MN-A", ""}
    warned = {record.getMessage().split()[3] for record in caplog.records}
    assert {str(directory / f"{name}.json") for name in
            ("truncated", "list", "types", "times", "peer", "binary")} == warned


def test_logger_status_deviations_clock_and_connections(store, tmp_path):
    (oid,) = store.registry.add_objects([ObjectSpec("A1", "合肥站", "air_station")])
    for mn in ("MN-A", "MN-B", "MN-C"):
        store.registry.add_device(mn, oid, "123456", ["a34004"])
    readings, packets = [], []
    for n, (mn, deviations) in enumerate([
            ("MN-A", "crc.lowercase: x\nheader.order: y"), ("MN-A", "crc.lowercase: z"),
            ("MN-B", "time.zone: UTC+0"), ("MN-C", None)]):
        received = T0 + timedelta(minutes=n)
        readings.append({"mn": mn, "object_id": oid, "factor": "a34004", "kind": "minute",
                         "period_start": received - timedelta(minutes=5, seconds=-200),
                         "period_s": 300, "statistic": "Avg", "value": 1.0,
                         "device_flag": "N", "received_at": received, "packet_id": f"p{n}"})
        packets.append({"packet_id": f"p{n}", "mn": mn, "cn": "2051", "received_at": received,
                        "raw": "##…", "deviations": deviations})
    store.measurements.write(pa.Table.from_pylist(readings, schema=READING_SCHEMA),
                             pa.Table.from_pylist(packets, schema=PACKET_SCHEMA))
    now = datetime.now(UTC)
    gateway(tmp_path, connections=[("10.0.0.5:50312", "MN-A", now, now),
                                   ("10.0.0.6:50000", "MN-X", now, now),
                                   ("10.0.0.7:50000", None, now, now)])
    report = logger_status(store, T0 - timedelta(hours=1), data_dir=tmp_path)
    a, b, c = report.loggers
    assert (a.connected, a.peers, b.connected, b.peers) == (True, ("10.0.0.5:50312",), False, ())
    assert a.deviations == {"crc.lowercase": 2, "header.order": 1} and a.deviating_packets == 3
    assert (b.deviations, c.deviations) == ({"time.zone": 1}, {})
    assert (a.clock_offset_s, a.clock_offset_max_s) == (200.0, 200.0)  # 3 min 20 s ahead
    assert (report.gateways, report.connected) == (1, 1)
    assert sorted(u.peer for u in report.unidentified) == ["10.0.0.6:50000", "10.0.0.7:50000"]
    assert [s.mn for s in report.non_conforming()] == ["MN-A", "MN-B"]
    unlooked = logger_status(store, T0 - timedelta(hours=1))
    assert unlooked.gateways is None and unlooked.loggers[0].connected is None
    one = logger_status(store, T0 - timedelta(hours=1), "MN-A", tmp_path)
    assert [s.peers for s in one.loggers] == [("10.0.0.5:50312",)] and one.unidentified == ()


@pytest.mark.parametrize(("seconds", "words"), [
    (200, "+3 分 20 秒"), (-93_600, "−1 天 2 时"), (-30.4, "−30 秒"), (0.2, "0 秒"),
    (3600, "+1 时"), (59.6, "+1 分"), (-86_400 * 400, "−400 天")])
def test_describe_offset(seconds, words):
    assert describe_offset(seconds) == words
