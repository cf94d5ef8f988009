"""The registry and the measurement store on both backends (embedded and real PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pyarrow as pa
import pytest

from ecohub.store import (
    PACKET_SCHEMA,
    READING_SCHEMA,
    ObjectSpec,
    RejectedCount,
    RejectedPacket,
    open_store,
)
from ecohub.store.settings import resolve

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def readings(mn: str, object_id: int, values: dict[str, float], start: datetime = T0,
             hours: int = 1, statistic: str = "Avg") -> pa.Table:
    rows = [
        {"mn": mn, "object_id": object_id, "factor": factor, "kind": "hour",
         "period_start": start + timedelta(hours=h), "period_s": 3600, "statistic": statistic,
         "value": value + h, "device_flag": "N", "received_at": start + timedelta(hours=h + 1),
         "packet_id": f"{mn}-{h}"}
        for h in range(hours) for factor, value in values.items()
    ]
    return pa.Table.from_pylist(rows, schema=READING_SCHEMA)


def register(store) -> int:
    (station,) = store.registry.add_objects([ObjectSpec(
        code="340100-001", name="合肥 长江中路", object_type="air_station", longitude=117.23,
        latitude=31.82, city="合肥市", city_code="340100", department="合肥市生态环境局")])
    store.registry.add_device("MN0001", station, "123456", ["a34004", "a34002"])
    return station


def test_registry_round_trip(store):
    station = register(store)
    device = store.registry.devices()["MN0001"]
    assert (device.object_id, device.object_type, device.factors) == (
        station, "air_station", ("a34004", "a34002"))
    assert device.verify_password("123456")
    assert not device.verify_password("654321")
    assert "123456" not in device.password_hash  # stored as an argon2 hash only
    assert device.password_hash.startswith("$argon2")
    (obj,) = store.registry.objects("air_station")
    assert obj.city == "合肥市" and obj.longitude == 117.23


def test_outlet_needs_registered_parent(store):
    with pytest.raises(ValueError, match="parent_code 'nope' is not registered"):
        store.registry.add_objects([ObjectSpec(code="o1", name="outlet", object_type="outlet",
                                               parent_code="nope")])
    ids = store.registry.add_objects([
        ObjectSpec(code="s1", name="plant", object_type="pollution_source"),
        ObjectSpec(code="s1-o1", name="DA001", object_type="outlet", parent_code="s1"),
    ])
    outlet = store.registry.objects("outlet")[0]
    assert outlet.parent_id == ids[0]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("object_type", "volcano", "object_type 'volcano' is not one of"),
     ("longitude", 200.0, "longitude 200.0 not in -180..180"),
     ("latitude", -91.0, "latitude -91.0 not in -90..90")],
)
def test_object_spec_rejects_bad_fields(field, value, message):
    spec = {"code": "x", "name": "x", "object_type": "air_station", field: value}
    with pytest.raises(ValueError, match=message):
        ObjectSpec(**spec)


def test_resend_is_stored_once_and_nothing_is_overwritten(store):
    station = register(store)
    first = readings("MN0001", station, {"a34004": 35.0, "a34002": 60.0}, hours=3)
    assert store.measurements.write(first) == 6
    resent = readings("MN0001", station, {"a34004": 99.0, "a34002": 99.0}, hours=4)
    assert store.measurements.write(resent) == 2  # only the fourth hour is new
    stored = store.measurements.readings(kind="hour", factors=["a34004"])
    assert stored["value"].to_list() == [35.0, 36.0, 37.0, 102.0]  # first values kept
    assert store.measurements.count() == 8


def test_duplicates_within_one_batch(store):
    station = register(store)
    first = readings("MN0001", station, {"a34004": 35.0})
    second = readings("MN0001", station, {"a34004": 99.0})
    assert store.measurements.write(pa.concat_tables([first, second, first])) == 1
    assert store.measurements.readings()["value"].to_list() == [35.0]  # the first arrival is kept


def test_read_filters_and_timezone(store):
    station = register(store)
    store.measurements.write(readings("MN0001", station, {"a34004": 10.0}, hours=24))
    frame = store.measurements.readings(kind="hour", start=T0 + timedelta(hours=2),
                                    end=T0 + timedelta(hours=5), object_ids=[station])
    assert frame.height == 3
    assert frame.schema["period_start"] == pl.Datetime("us", "UTC")
    assert frame["period_start"][0] == T0 + timedelta(hours=2)
    assert store.measurements.readings(object_ids=[]).height == 0
    with pytest.raises(ValueError, match="kind 'hourly': expected one of"):
        store.measurements.readings(kind="hourly")
    with pytest.raises(ValueError, match="timezone-aware"):
        store.measurements.readings(start=datetime(2026, 3, 1))


def test_packets_are_kept_with_readings(store):
    station = register(store)
    packet = pa.Table.from_pylist([{"packet_id": "MN0001-0", "mn": "MN0001", "cn": "2061",
                                    "received_at": T0, "raw": "##0000...\r\n"}],
                                  schema=PACKET_SCHEMA)
    store.measurements.write(readings("MN0001", station, {"a34004": 1.0}), packet)
    raw = store.measurements.packets(["MN0001-0"])
    assert raw["raw"].to_list() == ["##0000...\r\n"]


def test_bad_batch_names_the_column_and_writes_nothing(store):
    station = register(store)
    good = readings("MN0001", station, {"a34004": 1.0})
    with pytest.raises(ValueError, match=r"missing column\(s\) value"):
        store.measurements.write(good.drop(["value"]))
    assert store.measurements.count() == 0


def test_rejected_packets_kept_whole(store):
    raw = b"##0010QN=garbage\xff\r\n"
    store.registry.record_rejected_many([
        RejectedPacket(raw, "CRC: expected 1C80, got 0000", T0, peer="127.0.0.1:9", mn="MN9"),
        RejectedPacket(raw, "CRC: expected 1C80, got 1111", T0),
        RejectedPacket(b"##", "unknown MN: MNX", T0, disposition="quarantined",
                       reason_kind="unknown MN"),
    ])
    assert sorted(store.registry.rejected_counts(), key=lambda c: c.disposition) == [
        RejectedCount("quarantined", "unknown MN", 1), RejectedCount("rejected", "CRC", 2)]
    kept = store.registry.rejected(disposition="rejected")
    assert {p.raw for p in kept} == {raw}
    with pytest.raises(ValueError, match="disposition 'lost'"):
        store.registry.record_rejected(b"x", "x", received_at=T0, disposition="lost")


def test_parquet_export_is_partitioned_by_date(store, tmp_path):
    station = register(store)
    store.measurements.write(readings("MN0001", station, {"a34004": 1.0}, hours=30))
    out = tmp_path / "lake"
    assert store.measurements.export_parquet(out, {station: "340100-001"}) == 30
    assert sorted(p.name for p in (out / "kind=hour").iterdir()) == [
        "date=2026-03-01", "date=2026-03-02"]
    import duckdb

    lake = duckdb.read_parquet(f"{out}/**/*.parquet", hive_partitioning=True).pl()
    assert lake.height == 30


def test_store_reopens_with_data(store):
    station = register(store)
    store.measurements.write(readings("MN0001", station, {"a34004": 1.0}))
    store.close()
    with open_store(store.settings.database_url, store.settings.data_dir) as again:
        assert again.measurements.count() == 1
        assert "MN0001" in again.registry.devices()


def test_settings_select_backend(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOHUB_DATABASE_URL", raising=False)
    embedded = resolve(data_dir=tmp_path)
    assert embedded.is_embedded and embedded.measurement_path == tmp_path / "measurements.duckdb"
    server = resolve("postgresql://u:secret@db:5432/eco")
    assert server.database_url.startswith("postgresql+psycopg://")
    assert "secret" not in server.describe()
    # local files (the gateway's journal) go to the data directory with PostgreSQL too; resolving
    # it does not create it
    elsewhere = resolve("postgresql://db/eco", data_dir=tmp_path / "gateway")
    assert elsewhere.data_dir == tmp_path / "gateway" and not elsewhere.data_dir.exists()
    with pytest.raises(ValueError, match="scheme 'mysql' is not supported"):
        resolve("mysql://x")


def qc_flags(mn: str, factor: str, hours: int, flag: int, valid: bool, version: str) -> pa.Table:
    from ecohub.store import QC_FLAG_SCHEMA

    rows = [{"mn": mn, "factor": factor, "kind": "hour", "period_start": T0 + timedelta(hours=h),
             "statistic": "Avg", "qc_flag": flag, "qc_tests": f"gross_range={flag}",
             "qc_valid": valid, "qc_version": version, "checked_at": T0} for h in range(hours)]
    return pa.Table.from_pylist(rows, schema=QC_FLAG_SCHEMA)


def test_qc_flags_beside_readings_and_reviews_survive_rechecks(store):
    station = register(store)
    store.measurements.write(readings("MN0001", station, {"a34004": 10.0}, hours=3))
    unchecked = store.measurements.readings(with_qc=True)
    assert unchecked["qc_flag"].null_count() == 3 and unchecked["review"].null_count() == 3

    store.measurements.write_flags(qc_flags("MN0001", "a34004", 3, 4, False, "v1"))
    key = {"mn": "MN0001", "factor": "a34004", "kind": "hour", "period_start": T0,
           "statistic": "Avg"}
    store.measurements.add_review(key, "accept", "张工", "sensor checked on site", T0)
    # a re-check with a new configuration replaces the flags but not the review
    store.measurements.write_flags(qc_flags("MN0001", "a34004", 3, 3, True, "v2"))
    frame = store.measurements.readings(with_qc=True)
    assert frame["qc_version"].to_list() == ["v2"] * 3
    assert frame["qc_flag"].to_list() == [3, 3, 3]
    assert frame["review"].to_list() == ["accept", None, None]
    assert frame["reviewer"][0] == "张工"
    assert frame["value"].to_list() == [10.0, 11.0, 12.0]  # raw values untouched

    store.measurements.add_review(key, "reject", "李工", "drift confirmed",
                                  T0 + timedelta(hours=1))
    assert store.measurements.readings(with_qc=True)["review"][0] == "reject"  # newest wins


def test_review_needs_who_why_and_an_existing_reading(store):
    register(store)
    key = {"mn": "MN0001", "factor": "a34004", "kind": "hour", "period_start": T0,
           "statistic": "Avg"}
    with pytest.raises(ValueError, match="decision 'maybe'"):
        store.measurements.add_review(key, "maybe", "a", "b", T0)
    with pytest.raises(ValueError, match="reviewer is required"):
        store.measurements.add_review(key, "accept", " ", "b", T0)
    with pytest.raises(ValueError, match="reason is required"):
        store.measurements.add_review(key, "accept", "a", "", T0)
    with pytest.raises(ValueError, match="no stored reading"):
        store.measurements.add_review(key, "accept", "a", "b", T0)


def test_count_then_read(store):
    station = register(store)
    store.measurements.write(readings("MN0001", station, {"a34004": 1.0}))
    assert store.measurements.count() == 1
    assert store.measurements.readings().height == 1


def test_changed_since_names_the_objects_and_loggers_written(tmp_path):
    """The embedded store knows every write (the file is its process's): what caches compare."""
    from ecohub.store import QC_FLAG_SCHEMA, READING_SCHEMA, open_store

    with open_store(data_dir=tmp_path, migrate=True) as store:
        at = datetime(2026, 12, 1, tzinfo=UTC)
        before = store.measurements.generation()
        assert not store.measurements.changed_since(before, None, ["A"])
        store.measurements.write(pa.Table.from_pylist([{
            "mn": "A", "object_id": 1, "factor": "a34004", "kind": "hour", "period_start": at,
            "period_s": 3600, "statistic": "Avg", "value": 1.0, "device_flag": "N",
            "received_at": at, "packet_id": None}], schema=READING_SCHEMA))
        assert store.measurements.changed_since(before, [1])
        assert store.measurements.changed_since(before, None)
        assert not store.measurements.changed_since(before, [2], ["B"])
        written = store.measurements.generation()
        store.measurements.write_flags(pa.Table.from_pylist([{
            "mn": "A", "factor": "a34004", "kind": "hour", "period_start": at,
            "statistic": "Avg", "qc_flag": 1, "qc_tests": "{}", "qc_valid": True,
            "qc_version": "t", "checked_at": at}], schema=QC_FLAG_SCHEMA))
        assert store.measurements.changed_since(written, [], ["A"])
        assert not store.measurements.changed_since(written, [1], ["B"])
