"""Outlets against their permit limits, with expectations worked out by hand."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from ecohub.analytics.compliance import outlet_compliance, outlet_status
from ecohub.store import READING_SCHEMA, DeviceSpec, LimitSpec, ObjectSpec, PermitSpec

CST = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 12, 1)


def _setup(store):
    ids = store.registry.add_objects([
        ObjectSpec("E1", "某化工有限公司", "pollution_source", 117.3, 31.9),
        ObjectSpec("E1-DA001", "1号排放口", "outlet", 117.3, 31.9, parent_code="E1"),
        ObjectSpec("E1-DA002", "2号排放口", "outlet", 117.31, 31.9, parent_code="E1"),
    ])
    store.registry.add_devices([DeviceSpec("MN-1", ids[1], "123456", ("a21026", "a21002")),
                                DeviceSpec("MN-2", ids[2], "123456", ("a21026",))])
    store.registry.add_permit(PermitSpec("P-1", "E1"))
    store.registry.add_limits([
        LimitSpec("E1-DA001", "a21026", "Avg", 50.0, "mg/m³", "GB 13223-2011 表1", "P-1"),
        LimitSpec("E1-DA001", "a21002", "Avg", 100.0, "mg/m³", "GB 13223-2011 表1", "P-1"),
        LimitSpec("E1-DA002", "a21026", "Avg", 35.0, "mg/m³", "超低排放", "P-1"),
    ])
    # SO2 of outlet 1 today (CST): 40, 55, 50 (= limit: complies), 61 → 2 hours over, worst 61
    # at 03:00; NOx of outlet 1: no reading today (one yesterday at 23:00 CST: not today)
    # outlet 2: no data at all
    start = dt.datetime.combine(DAY, dt.time(), CST)
    rows = [(ids[1], "MN-1", "a21026", start + dt.timedelta(hours=h), v)
            for h, v in enumerate([40.0, 55.0, 50.0, 61.0])]
    rows.append((ids[1], "MN-1", "a21002", start - dt.timedelta(hours=1), 500.0))
    store.measurements.write(pa.Table.from_pylist([
        {"mn": mn, "object_id": oid, "factor": f, "kind": "hour", "period_start": t,
         "period_s": 3600, "statistic": "Avg", "value": v, "device_flag": "N",
         "received_at": t + dt.timedelta(hours=1), "packet_id": None}
        for oid, mn, f, t, v in rows], schema=READING_SCHEMA))
    return ids


def test_the_days_worst_hour_and_hours_over_each_limit(store):
    _setup(store)
    rows = outlet_compliance(store, DAY)
    got = {(r["object_code"], r["factor"]): r for r in rows.to_dicts()}
    so2 = got[("E1-DA001", "a21026")]
    # SO2 is sent in mg/m³ (HJ 212-2017 Table B.2), the limit is in mg/m³: no conversion
    assert so2["worst_value"] == 61.0 and so2["limit"] == 50.0 and so2["unit"] == "mg/m³"
    assert so2["hours"] == 4 and so2["hours_exceeded"] == 2 and so2["exceeded"] is True
    assert so2["status"] == "exceeded" and so2["status_name"] == "超标"
    assert so2["worst_at"].hour == 3 and so2["source_code"] == "E1"
    nox = got[("E1-DA001", "a21002")]
    assert nox["hours"] == 0 and nox["exceeded"] is None and nox["status"] == "no_data"
    assert got[("E1-DA002", "a21026")]["status"] == "no_data"
    # the day before: NOx 500 > 100 at 23:00 CST of 30 November
    before = {(r["object_code"], r["factor"]): r
              for r in outlet_compliance(store, DAY - dt.timedelta(days=1)).to_dicts()}
    assert before[("E1-DA001", "a21002")]["hours_exceeded"] == 1
    assert before[("E1-DA001", "a21026")]["status"] == "no_data"


def test_a_value_equal_to_the_limit_complies_and_only_given_outlets_are_judged(store):
    _setup(store)
    rows = outlet_compliance(store, DAY, ["E1-DA002"])
    assert rows["object_code"].to_list() == ["E1-DA002"]
    status = outlet_status(outlet_compliance(store, DAY))
    assert dict(zip(status["object_code"], status["status"], strict=True)) == {
        "E1-DA001": "exceeded", "E1-DA002": "no_data"}


def test_an_invalid_reading_is_not_an_exceedance(store):
    ids = _setup(store)
    from ecohub.store import QC_FLAG_SCHEMA
    start = dt.datetime.combine(DAY, dt.time(), CST)
    store.measurements.write_flags(pa.Table.from_pylist([
        {"mn": "MN-1", "factor": "a21026", "kind": "hour",
         "period_start": start + dt.timedelta(hours=h), "statistic": "Avg", "qc_flag": 4,
         "qc_tests": "{}", "qc_valid": False, "checked_at": start, "qc_version": "t"}
        for h in (1, 3)], schema=QC_FLAG_SCHEMA))
    so2 = outlet_compliance(store, DAY).filter(object_code="E1-DA001", factor="a21026")
    assert so2["hours"][0] == 2 and so2["hours_exceeded"][0] == 0
    assert so2["worst_value"][0] == 50.0 and so2["status"][0] == "compliant"
    assert ids
