"""The map state read two ways: the latest readings of a few objects by id, of many whole."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from polars.testing import assert_frame_equal

from ecohub.analytics import map_state as module
from ecohub.store import READING_SCHEMA, DeviceSpec, ObjectSpec

CST = dt.timezone(dt.timedelta(hours=8))


def test_many_objects_read_whole_give_the_state_of_few_read_by_id(store, monkeypatch):
    specs = [ObjectSpec(f"A{i}", f"站{i}", "air_station", 117 + i / 10, 31.8)
             for i in range(3)] + [ObjectSpec(f"N{i}", f"噪{i}", "noise_station", 117, 31,
                                              attributes={"zone_class": "2"})
                                   for i in range(2)] + [ObjectSpec("W0", "断面", "water_station")]
    ids = store.registry.add_objects(specs)
    factors = {"air_station": ("a34004", "a21026"), "noise_station": ("Leq",),
               "water_station": ("w01001", "w21003")}
    store.registry.add_devices([DeviceSpec(f"MN-{s.code}", i, "123456", factors[s.object_type])
                                for s, i in zip(specs, ids, strict=True)])
    hour = dt.datetime(2026, 12, 1, 9, tzinfo=CST)
    store.measurements.write(pa.Table.from_pylist([
        {"mn": f"MN-{s.code}", "object_id": i, "factor": f, "kind": "hour",
         "period_start": hour - dt.timedelta(hours=h), "period_s": 3600, "statistic": "Avg",
         "value": 7.0 if f == "w01001" else 40.0 + n + h, "device_flag": "N",
         "received_at": hour, "packet_id": None}
        for n, (s, i) in enumerate(zip(specs, ids, strict=True))
        for f in factors[s.object_type] for h in range(2)], schema=READING_SCHEMA))
    objects = store.registry.objects()[1:]  # not every object: the others are left out
    now = hour + dt.timedelta(minutes=30)
    by_id = module.map_state(store, objects, now=now)
    monkeypatch.setattr(module, "_WHOLE_LATEST_FROM", 0)
    whole = module.map_state(store, objects, now=now)
    assert_frame_equal(whole, by_id)
    assert by_id["code"].to_list() == [o.code for o in objects]
    assert by_id["status"].null_count() == 0 and by_id["value"].null_count() == 0
