"""The registry's history (一源一档): every write keeps who, when, why, old → new; as-of reads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from ecohub.store import (
    SECRET,
    DeviceSpec,
    DischargeLimit,
    LimitSpec,
    ObjectSpec,
    Permit,
    PermitSpec,
    RegistryError,
    Store,
)

MN = "340100000001000000000000"


def enterprise(store: Store) -> dict[str, int]:
    """A pollution source with one outlet and a logger at the outlet."""
    source, outlet = store.registry.add_objects([
        ObjectSpec("S1", "热电厂", "pollution_source", 117.2, 31.8, "合肥市"),
        ObjectSpec("S1-1", "热电厂 1# 烟囱", "outlet", parent_code="S1"),
    ], actor="李工", reason="新建企业")
    store.registry.add_devices([DeviceSpec(MN, outlet, "secret-1", ("a21026", "a21002"))],
                               actor="李工")
    return {"S1": source, "S1-1": outlet}


def test_create_update_retire_keep_old_and_new(store: Store) -> None:
    enterprise(store)
    created = store.registry.history("object", "S1")
    (create,) = created
    assert (create.action, create.actor, create.reason) == ("create", "李工", "新建企业")
    assert create.changes["name"] == (None, "热电厂") and create.record["city"] == "合肥市"
    assert create.changed_at.tzinfo is not None

    change = store.registry.update_object("S1", {"name": "合肥热电厂", "county": "蜀山区"},
                                          actor="张工", reason="更名")
    assert change is not None and change.action == "update"
    assert change.changes == {"name": ("热电厂", "合肥热电厂"), "county": (None, "蜀山区")}
    assert change.record["name"] == "合肥热电厂" and change.record["parent_code"] is None
    assert store.registry.object_by_code("S1").name == "合肥热电厂"

    retired = store.registry.retire("device", MN, actor="张工", reason="更换数采仪")
    assert [(c.entity, c.key, c.action) for c in retired] == [("device", MN, "retire")]
    assert retired[0].changes["retired_at"][0] is None
    assert [c.action for c in store.registry.history("device", MN)] == ["retire", "create"]
    assert [c.key for c in store.registry.history()][:2] == [MN, "S1"]
    json.dumps([c.record for c in store.registry.history()])  # JSON all the way


def test_an_update_that_changes_nothing_writes_nothing(store: Store) -> None:
    enterprise(store)
    version = store.registry.version()
    assert store.registry.update_object("S1", {"name": "热电厂"}, actor="张工") is None
    assert store.registry.update_device(MN, {"factors": ["a21026", "a21002"],
                                             "password": "secret-1"}, actor="张工") is None
    assert store.registry.version() == version


def test_as_of_before_between_and_after(store: Store) -> None:
    enterprise(store)
    store.registry.update_device(MN, {"minute_interval": 5}, actor="张工")
    store.registry.update_device(MN, {"profile": "modbus", "accept": ["crc.modbus"]},
                                 actor="张工")
    second, first, create = store.registry.history("device", MN)
    between = first.changed_at + (second.changed_at - first.changed_at) / 2
    assert store.registry.as_of("device", MN, create.changed_at - timedelta(seconds=1)) is None
    assert store.registry.as_of("device", MN, create.changed_at)["minute_interval"] == 10
    then = store.registry.as_of("device", MN, between)
    assert (then["minute_interval"], then["profile"]) == (5, "default")
    now = store.registry.as_of("device", MN, datetime.now(UTC) + timedelta(days=1))
    assert (now["profile"], now["accept"]) == ("modbus", ["crc.modbus"])
    with pytest.raises(RegistryError, match="timezone-aware"):
        store.registry.as_of("device", MN, datetime(2026, 12, 1))


def test_a_password_is_never_in_the_history(store: Store) -> None:
    enterprise(store)
    change = store.registry.update_device(MN, {"password": "secret-2"}, actor="张工")
    assert change is not None and change.changes == {"password": (SECRET, SECRET)}
    assert store.registry.devices()[MN].verify_password("secret-2")
    text = json.dumps([(c.changes, c.record) for c in store.registry.history()],
                      ensure_ascii=False)
    assert "secret" not in text and "password_hash" not in text
    (create,) = store.registry.history("device", MN)[1:]
    assert create.changes["password"] == (None, SECRET)


def test_version_moves_on_every_write(store: Store) -> None:
    versions = [store.registry.version()]

    def moved() -> None:
        versions.append(store.registry.version())
        assert versions[-1] > versions[-2]

    ids = enterprise(store)  # objects, then devices
    moved()
    store.registry.add_devices([DeviceSpec("MN-2", ids["S1"], "pw", ("a21026",))])
    moved()
    store.registry.update_device("MN-2", {"utc_offset_minutes": 0}, actor="张工")
    moved()
    store.registry.add_permit(PermitSpec("P-1", "S1"), actor="张工")
    moved()
    store.registry.add_limit(LimitSpec("S1-1", "a21026", "ZsAvg", 35, "mg/m³"), actor="张工")
    moved()
    store.registry.retire("device", "MN-2", actor="张工")
    moved()
    store.registry.reinstate("device", "MN-2", actor="张工")
    moved()


def test_retired_devices_are_listed_and_not_in_service(store: Store) -> None:
    enterprise(store)
    (change,) = store.registry.retire("device", MN, actor="张工", reason="报废")
    assert MN not in store.registry.devices()
    retired = store.registry.retired_devices()
    assert retired == {MN: change.changed_at} and retired[MN].tzinfo == UTC
    assert store.registry.device(MN).retired_at == change.changed_at
    with pytest.raises(RegistryError, match="retired already"):
        store.registry.retire("device", MN, actor="张工")
    with pytest.raises(RegistryError, match="reinstate it first"):
        store.registry.update_device(MN, {"minute_interval": 5}, actor="张工")
    store.registry.reinstate("device", MN, actor="张工", reason="修复")
    assert MN in store.registry.devices() and store.registry.retired_devices() == {}


def test_retiring_an_object_in_service_names_what_is_left(store: Store) -> None:
    enterprise(store)
    with pytest.raises(RegistryError, match=f"device {MN}, object S1-1"):
        store.registry.retire("object", "S1", actor="张工")
    assert store.registry.history("object", "S1")[0].action == "create"  # nothing written
    changes = store.registry.retire("object", "S1", actor="张工", reason="关停", cascade=True)
    assert [(c.entity, c.key) for c in changes] == [("device", MN), ("object", "S1-1"),
                                                    ("object", "S1")]
    assert store.registry.objects() == [] and store.registry.devices() == {}
    assert [o.code for o in store.registry.objects(include_retired=True)] == ["S1", "S1-1"]
    with pytest.raises(RegistryError, match="S1 it belongs to is retired"):
        store.registry.reinstate("object", "S1-1", actor="张工")
    store.registry.reinstate("object", "S1", actor="张工")
    assert [o.code for o in store.registry.objects()] == ["S1"]


def test_device_updates_are_checked_as_specs(store: Store) -> None:
    enterprise(store)
    for changes, message in [
        ({"profile": "lenient"}, "profile 'lenient'"),
        ({"accept": ["crc.nope"]}, "deviation kind 'crc.nope'"),
        ({"minute_interval": 7}, "must divide 60"),
        ({"utc_offset_minutes": 900}, "expected -720..840"),
        ({"factors": ["x99999"]}, "x99999 are not HJ 212-2017"),
        ({"object_code": "NOPE"}, "object NOPE: not registered"),
        ({"serial": "1"}, "unknown field"),
        ({"password": ""}, "password is empty"),
    ]:
        with pytest.raises(RegistryError, match=message):
            store.registry.update_device(MN, changes, actor="张工")
    with pytest.raises(RegistryError, match="actor"):
        store.registry.update_device(MN, {"minute_interval": 5}, actor=" ")
    with pytest.raises(RegistryError, match="not registered"):
        store.registry.update_device("NOPE", {"minute_interval": 5}, actor="张工")
    with pytest.raises(RegistryError, match="registered already"):
        store.registry.add_devices([DeviceSpec(MN, 1, "pw", ())])
    moved = store.registry.update_device(MN, {"object_code": "S1"}, actor="张工")
    assert moved.changes == {"object_code": ("S1-1", "S1")}


def test_object_updates_keep_the_outlet_rule(store: Store) -> None:
    enterprise(store)
    store.registry.add_objects([ObjectSpec("A1", "站点", "air_station")])
    with pytest.raises(RegistryError, match="parent A1 is a air_station"):
        store.registry.update_object("S1-1", {"parent_code": "A1"}, actor="张工")
    with pytest.raises(RegistryError, match="latitude 95"):
        store.registry.update_object("A1", {"latitude": 95.0}, actor="张工")
    with pytest.raises(RegistryError, match="object NOPE: not registered"):
        store.registry.update_object("NOPE", {"name": "x"}, actor="张工")


def test_permits_and_limits(store: Store) -> None:
    enterprise(store)
    store.registry.add_permit(PermitSpec("91340100MA2N0X1B0X001P", "S1", "合肥市生态环境局",
                                         date(2025, 1, 1), date(2029, 12, 31)), actor="张工")
    store.registry.add_limit(LimitSpec("S1-1", "a21026", "ZsAvg", 35, "mg/m³", "GB 13223-2011",
                                       "91340100MA2N0X1B0X001P"), actor="张工")
    assert store.registry.permits("S1") == [Permit(
        "91340100MA2N0X1B0X001P", "S1", "合肥市生态环境局", date(2025, 1, 1), date(2029, 12, 31))]
    key = "S1-1/a21026/ZsAvg"
    change = store.registry.update_limit(key, {"value": 50.0}, actor="张工", reason="许可变更")
    assert change.changes == {"value": (35.0, 50.0)}
    assert store.registry.limits("S1-1") == [DischargeLimit(
        "S1-1", "a21026", "ZsAvg", 50.0, "mg/m³", "GB 13223-2011", "91340100MA2N0X1B0X001P")]
    permit = store.registry.update_permit("91340100MA2N0X1B0X001P",
                                          {"valid_to": date(2030, 6, 30)}, actor="张工")
    assert permit.changes == {"valid_to": ("2029-12-31", "2030-06-30")}
    store.registry.retire("limit", key, actor="张工")
    assert store.registry.limits() == [] and len(store.registry.limits(include_retired=True)) == 1
    for bad, message in [
        (lambda: LimitSpec("S1-1", "a21026", "Max", 1, "mg/m³"), "statistic 'Max'"),
        (lambda: LimitSpec("S1-1", "a21026", "Avg", 0, "mg/m³"), "above 0"),
        (lambda: LimitSpec("S1-1", "zz", "Avg", 1, "mg/m³"), "not an HJ 212-2017 code"),
        (lambda: PermitSpec("P", "S1", valid_from=date(2026, 1, 2),
                            valid_to=date(2026, 1, 1)), "before valid_from"),
    ]:
        with pytest.raises(ValueError, match=message):
            bad()
    with pytest.raises(RegistryError, match="S1 is a pollution_source, not an outlet"):
        store.registry.add_limit(LimitSpec("S1", "a21026", "Avg", 1, "mg/m³"))
    with pytest.raises(RegistryError, match="registered already"):
        store.registry.add_limit(LimitSpec("S1-1", "a21026", "ZsAvg", 1, "mg/m³"))


def test_the_enterprise_archive(store: Store) -> None:
    ids = enterprise(store)
    store.registry.add_objects([ObjectSpec("A1", "站点", "air_station")])
    store.registry.add_devices([DeviceSpec("MN-A", ids["S1"] + 2, "pw", ("a34004",))])
    store.registry.add_permit(PermitSpec("P-1", "S1"), actor="张工")
    store.registry.add_limit(LimitSpec("S1-1", "a21026", "Avg", 35, "mg/m³"), actor="张工")
    store.registry.retire("device", MN, actor="张工")
    archive = store.registry.archive("S1")
    assert archive.source.code == "S1" and [o.code for o in archive.outlets] == ["S1-1"]
    assert [d.mn for d in archive.devices] == [MN] and archive.devices[0].retired_at
    assert [p.number for p in archive.permits] == ["P-1"]
    assert [lim.key for lim in archive.limits] == ["S1-1/a21026/Avg"]
    assert [(c.entity, c.key, c.action) for c in archive.history] == [
        ("device", MN, "retire"), ("limit", "S1-1/a21026/Avg", "create"),
        ("permit", "P-1", "create"), ("device", MN, "create"), ("object", "S1-1", "create"),
        ("object", "S1", "create")]
    with pytest.raises(RegistryError, match="not a pollution source"):
        store.registry.archive("A1")


def test_objects_are_read_again_after_every_change(store):
    from ecohub.store import ObjectSpec

    store.registry.add_objects([ObjectSpec("K1", "站一", "air_station")])
    first = store.registry.objects("air_station")
    assert [o.name for o in first] == ["站一"]
    first.clear()  # a caller's list is its own
    store.registry.update_object("K1", {"name": "站一（新）"}, actor="张工")
    assert [o.name for o in store.registry.objects("air_station")] == ["站一（新）"]
    store.registry.retire("object", "K1", actor="张工")
    assert store.registry.objects("air_station") == []
    assert [o.code for o in store.registry.objects("air_station", include_retired=True)] == ["K1"]
