"""The registry's records: what goes in (specs) and what comes out (frozen records)."""

from __future__ import annotations

import dataclasses

import pytest

from ecohub.store import DeviceSpec, MonitoredObject, ObjectSpec


def test_objects_come_back_as_records(store):
    source, outlet = store.registry.add_objects([
        ObjectSpec("S1", "热电厂", "pollution_source", 117.2, 31.8, "合肥市", "340100", "蜀山区",
                   "合肥市生态环境局", attributes={"industry": "热电厂"}),
        ObjectSpec("S1-DA001", "热电厂 废气排放口", "outlet", parent_code="S1",
                   attributes={"medium": "flue_gas"}),
    ])
    assert store.registry.objects() == [
        MonitoredObject(source, "S1", "热电厂", "pollution_source", None, 117.2, 31.8, "合肥市",
                        "340100", "蜀山区", "合肥市生态环境局", {"industry": "热电厂"}),
        MonitoredObject(outlet, "S1-DA001", "热电厂 废气排放口", "outlet", parent_id=source,
                        attributes={"medium": "flue_gas"}),
    ]
    (record,) = store.registry.objects("outlet")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.name = "changed"  # type: ignore[misc]


def test_devices_are_registered_from_specs(store):
    (station,) = store.registry.add_objects([ObjectSpec("A1", "站点一", "air_station")])
    store.registry.add_devices([
        DeviceSpec("MN-A", station, "123456", ("a34004",)),
        DeviceSpec("MN-B", station, "654321", (), protocol="2005", minute_interval=5),
    ])
    devices = store.registry.devices()
    assert (devices["MN-A"].factors, devices["MN-A"].protocol) == (("a34004",), "2017")
    assert (devices["MN-B"].protocol, devices["MN-B"].minute_interval) == ("2005", 5)
    assert devices["MN-B"].verify_password("654321")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("mn", "", "expected 1 to 64 characters"),
     ("mn", "M" * 65, "expected 1 to 64 characters"),
     ("protocol", "2019", "protocol '2019', expected '2005' or '2017'"),
     ("minute_interval", 7, "minute_interval 7 must divide 60 minutes"),
     ("minute_interval", 0, "minute_interval 0 must divide 60 minutes")],
)
def test_device_spec_rejects_bad_fields(field, value, message):
    spec = {"mn": "MN1", "object_id": 1, "password": "1", "factors": (), field: value}
    with pytest.raises(ValueError, match=message):
        DeviceSpec(**spec)


def test_a_bad_device_registers_none_of_its_batch(store):
    (station,) = store.registry.add_objects([ObjectSpec("A1", "站点一", "air_station")])
    with pytest.raises(ValueError, match="must divide 60"):
        store.registry.add_devices(
            DeviceSpec(mn, station, "1", (), minute_interval=interval)
            for mn, interval in (("MN-OK", 10), ("MN-BAD", 7)))
    assert store.registry.devices() == {}


def test_rejected_packets_by_logger_and_time(store):
    """``rejected(mn=, since=)``: one logger's packets, those received from a moment on."""
    from datetime import UTC, datetime, timedelta

    from ecohub.store import RejectedPacket
    from ecohub.vocabulary import CHINA_TZ

    t0 = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)  # 2026-12-03 00:00 China Standard Time
    store.registry.record_rejected_many([
        RejectedPacket(b"##0001A", "crc: bad", t0 - timedelta(minutes=1), "10.0.0.1:1", "MN-A"),
        RejectedPacket(b"##0001B", "crc: bad", t0 + timedelta(minutes=1), "10.0.0.1:2", "MN-A"),
        RejectedPacket(b"##0001C", "password: wrong", t0 + timedelta(minutes=2), None, "MN-B"),
        RejectedPacket(b"##0001D", "unknown_mn: new", t0 + timedelta(minutes=3), None, "MN-C",
                       disposition="quarantined"),
    ])
    assert [p.raw for p in store.registry.rejected(mn="MN-A")] == [b"##0001B", b"##0001A"]
    # aware times on both backends (SQLite keeps them without a zone)
    assert [p.received_at for p in store.registry.rejected(mn="MN-A")] == [
        t0 + timedelta(minutes=1), t0 - timedelta(minutes=1)]
    since = datetime(2026, 12, 3, tzinfo=CHINA_TZ)  # the same moment as t0, another zone
    assert [p.raw for p in store.registry.rejected(since=since)] == [
        b"##0001D", b"##0001C", b"##0001B"]
    assert [p.raw for p in store.registry.rejected(mn="MN-A", since=since)] == [b"##0001B"]
    assert [p.mn for p in store.registry.rejected(disposition="quarantined")] == ["MN-C"]
    assert store.registry.rejected(limit=1)[0].raw == b"##0001D"
    with pytest.raises(ValueError, match="timezone-aware"):
        store.registry.rejected(since=datetime(2026, 12, 3))


def test_rejected_by_logger(store):
    from datetime import UTC, datetime, timedelta

    from ecohub.store import RejectedByLogger, RejectedPacket

    t0 = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    store.registry.record_rejected_many([
        RejectedPacket(b"a", "crc: bad", t0 - timedelta(hours=1), None, "MN-A", reason_kind="crc"),
        RejectedPacket(b"b", "crc: bad", t0, None, "MN-A", reason_kind="crc"),
        RejectedPacket(b"c", "crc: bad", t0, None, "MN-A", reason_kind="crc"),
        RejectedPacket(b"d", "password: wrong", t0, None, "MN-A", reason_kind="password"),
        RejectedPacket(b"e", "frame: no ##", t0, None, None, reason_kind="frame"),
    ])
    counts = store.registry.rejected_by_logger(t0)
    assert sorted(counts, key=lambda c: (c.mn or "", c.reason_kind)) == [
        RejectedByLogger(None, "rejected", "frame", 1),
        RejectedByLogger("MN-A", "rejected", "crc", 2),
        RejectedByLogger("MN-A", "rejected", "password", 1),
    ]
    with pytest.raises(ValueError, match="timezone-aware"):
        store.registry.rejected_by_logger(datetime(2026, 12, 3))


def _statements(engine):
    """Count the SQL statements run on ``engine`` (a list that grows while listening)."""
    from sqlalchemy import event

    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(engine, "before_cursor_execute", count)


def test_limits_come_in_one_query_with_their_outlet_and_permit(store):
    from ecohub.store import DischargeLimit, LimitSpec, PermitSpec

    store.registry.add_objects([
        ObjectSpec("S1", "热电厂", "pollution_source"),
        *(ObjectSpec(f"S1-DA00{i}", f"{i}号排放口", "outlet", parent_code="S1")
          for i in (1, 2, 3))])
    store.registry.add_permits([PermitSpec("P-1", "S1")])
    store.registry.add_limits([
        LimitSpec("S1-DA001", "a21026", "Avg", 35.0, "mg/m³", "超低排放", "P-1"),
        LimitSpec("S1-DA002", "a21002", "ZsAvg", 50.0, "mg/m³"),  # no permit
        LimitSpec("S1-DA003", "a21026", "Avg", 100.0, "mg/m³", None, "P-1"),
    ])
    store.registry.retire("limit", "S1-DA003/a21026/Avg", actor="test")
    seen, stop = _statements(store.registry.engine)
    try:
        limits = store.registry.limits()
    finally:
        stop()
    assert len(seen) == 1  # not one query per limit's outlet and permit
    assert limits == [
        DischargeLimit("S1-DA001", "a21026", "Avg", 35.0, "mg/m³", "超低排放", "P-1"),
        DischargeLimit("S1-DA002", "a21002", "ZsAvg", 50.0, "mg/m³", None, None)]
    every = store.registry.limits(include_retired=True)
    assert [(lim.outlet_code, lim.permit_number, lim.retired_at is not None)
            for lim in every] == [("S1-DA001", "P-1", False), ("S1-DA002", None, False),
                                  ("S1-DA003", "P-1", True)]
    assert store.registry.limits("S1-DA002") == limits[1:]
    with pytest.raises(ValueError, match="NOPE"):
        store.registry.limits("NOPE")


def test_devices_of_one_object_and_the_whole_registry_follow_its_changes(store):
    one, two = store.registry.add_objects([ObjectSpec("A1", "站点一", "air_station"),
                                           ObjectSpec("A2", "站点二", "air_station")])
    store.registry.add_devices([DeviceSpec("MN-1", one, "123456", ("a34004",)),
                                DeviceSpec("MN-2", two, "123456", ("a34002",)),
                                DeviceSpec("MN-3", one, "123456", ("a21026",))])
    assert list(store.registry.devices(one)) == ["MN-1", "MN-3"]
    assert list(store.registry.devices(two)) == ["MN-2"]
    assert list(store.registry.devices()) == ["MN-1", "MN-2", "MN-3"]
    seen, stop = _statements(store.registry.engine)
    try:
        again = store.registry.devices()
    finally:
        stop()
    assert list(again) == ["MN-1", "MN-2", "MN-3"] and len(seen) == 1  # the version only
    again.clear()  # a caller's copy
    assert len(store.registry.devices()) == 3
    store.registry.update_device("MN-2", {"factors": ["a34002", "a34004"]}, actor="test")
    assert store.registry.devices()["MN-2"].factors == ("a34002", "a34004")
    store.registry.retire("device", "MN-3", actor="test")
    assert list(store.registry.devices()) == ["MN-1", "MN-2"]
    assert list(store.registry.devices(one)) == ["MN-1"]
    store.registry.add_devices([DeviceSpec("MN-4", two, "123456", ("a34004",))])
    assert list(store.registry.devices()) == ["MN-1", "MN-2", "MN-4"]


def test_a_version_read_lately_may_serve_but_never_hides_this_registrys_own_change(store):
    from ecohub.store import Store

    before = store.registry.version()
    assert store.registry.version(max_age=60) == before
    store.registry.add_objects([ObjectSpec("V-1", "版本一", "air_station")])
    mine = store.registry.version(max_age=60)  # this registry's change: seen at once
    assert mine > before
    other = Store(store.settings, registry_only=True)  # another process, as `ecohub` opens it
    try:
        other.registry.add_objects([ObjectSpec("V-2", "版本二", "air_station")])
    finally:
        other.close()
    assert store.registry.version(max_age=60) == mine  # within max_age: the one read lately
    assert store.registry.version() > mine  # asked afresh: the other process's change
    assert store.registry.version(max_age=60) > mine  # and that read serves from now on
