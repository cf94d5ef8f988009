"""Richer data for the pages: two weeks of the six air pollutants in three cities (and the same
weeks a year before), two water sections, and packets the gateway did not store.

On top of tests/api's :func:`populate` (two cities' air stations with a day of PM2.5 on
2026-12-01, an enterprise's outlet, a user per role).
"""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
from tests.api.conftest import CST, populate

from ecohub.store import (
    PACKET_SCHEMA,
    READING_SCHEMA,
    DeviceSpec,
    LimitSpec,
    ObjectSpec,
    PermitSpec,
    Store,
)
from ecohub.store.registry import RejectedPacket

LAST_DAY = dt.date(2026, 12, 1)
DAYS = 14
"""Days of data up to :data:`LAST_DAY` (and the same days of 2025)."""

AIR_CODES = ("a21026", "a21004", "a21005", "a05024", "a34002", "a34004")
WATER_CODES = ("w01001", "w01009", "w01019", "w21003", "w21011")


def _air_value(code: str, city: int, day: int, hour: int) -> float:
    """A plausible hourly mean (µg/m³, CO mg/m³): PM worse in Hefei, worse some days."""
    wave = 1 + 0.6 * math.sin(day * 1.3 + city)
    if code == "a34004":
        return round((28 + 22 * city) * wave + 5 * math.sin(hour / 4), 1)
    if code == "a34002":
        return round((45 + 30 * city) * wave + 8 * math.sin(hour / 4), 1)
    if code == "a21026":
        return round(6 + city + hour % 3, 1)
    if code == "a21004":
        return round(25 + 6 * city + 10 * math.sin(hour / 3), 1)
    if code == "a21005":
        return round(0.6 + 0.1 * city + 0.05 * (hour % 4), 2)
    return round(40 + 60 * max(0.0, math.sin((hour - 6) / 12 * math.pi)) + 5 * day % 7, 1)


def populate_rich(store: Store) -> dict[str, str]:
    """tests/api's data and users, and more data; returns the tokens per role."""
    secrets = populate(store)
    registry = store.registry
    stations = {o.code: o.id for o in registry.objects()}
    new = registry.add_objects([
        ObjectSpec("340300-A01", "蚌埠市监测站", "air_station", 117.39, 32.92, "蚌埠市", "340300",
                   department="大气环境处"),
        ObjectSpec("W-001", "巢湖闸断面", "water_station", 117.86, 31.60, "合肥市", "340100",
                   department="水生态环境处",
                   attributes={"water": "裕溪河", "target_class": "III"}),
        ObjectSpec("W-002", "芜湖江心断面", "water_station", 118.36, 31.35, "芜湖市", "340200",
                   department="水生态环境处",
                   attributes={"water": "长江", "target_class": "II"}),
    ])
    bengbu, w1, w2 = new
    registry.add_devices([
        DeviceSpec("MN-AIR-3", bengbu, "123456", AIR_CODES),
        DeviceSpec("MN-W-1", w1, "123456", WATER_CODES),
        DeviceSpec("MN-W-2", w2, "123456", WATER_CODES),
    ])
    air = [("MN-0", stations["340100-A01"], 2), ("MN-1", stations["340200-A01"], 0),
           ("MN-AIR-3", bengbu, 1)]
    rows = []
    for year in (2026, 2025):
        last = LAST_DAY.replace(year=year)
        for d in range(DAYS):
            day = last - dt.timedelta(days=DAYS - 1 - d)
            start = dt.datetime.combine(day, dt.time(), CST)
            for hour in range(24):
                moment = start + dt.timedelta(hours=hour)
                for mn, object_id, city in air:
                    for code in AIR_CODES:
                        if code == "a34004" and mn != "MN-AIR-3" and day == LAST_DAY:
                            continue  # tests/api's day of PM2.5
                        value = _air_value(code, city + (year == 2025), d, hour)
                        rows.append(_row(mn, object_id, code, moment, value))
                for mn, object_id, worse in (("MN-W-1", w1, 1.0), ("MN-W-2", w2, 0.0)):
                    values = {"w01001": 7.4, "w01009": 7.5 - 2.5 * worse + 0.1 * (d % 3),
                              "w01019": 3.2 + 2.0 * worse + 0.2 * (d % 4),
                              "w21003": 0.3 + 0.5 * worse * (1 + d % 2),
                              "w21011": 0.08 + 0.06 * worse}
                    rows.extend(_row(mn, object_id, code, moment, round(v, 3))
                                for code, v in values.items())
    # the loggers of the Hefei station, the enterprise and a water section sent a real-time
    # packet a minute ago: they are on line today
    now = dt.datetime.now(dt.UTC)
    sent = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=1)
    today = {"MN-0": (stations["340100-A01"], "a34004"), "MN-2": (stations["E1"], "a34004"),
             "MN-W-1": (w1, "w21003")}
    rows.extend({**_row(mn, object_id, code, sent, 35.0), "kind": "realtime", "period_s": 0,
                 "statistic": "Rtd", "received_at": sent + dt.timedelta(seconds=2)}
                for mn, (object_id, code) in today.items())
    store.measurements.write(pa.Table.from_pylist(rows, schema=READING_SCHEMA),
                             _packets(rows))
    # the outlet's permit: its PM2.5 (tests/api's 30 + 3 + h ng/m³ on 2026-12-01) over 50 ng/m³
    # from 18:00 to 24:00; an SO2 limit without data
    registry.add_permit(PermitSpec("P-1", "E1"))
    registry.add_limits([LimitSpec("E1-DA001", "a34004", "Avg", 0.05, "µg/m³", "排污许可", "P-1"),
                         LimitSpec("E1-DA001", "a21026", "Avg", 50, "mg/m³", "排污许可", "P-1")])
    registry.record_rejected_many([
        RejectedPacket(b"##0101QN=20261201080000000;ST=22;CN=2061;PW=654321;MN=MN-0;"
                       b"Flag=5;CP=&&&&ABCD\r\n",
                       "password: PW '654321' does not match the registry for MN MN-0",
                       now - dt.timedelta(seconds=3), "10.0.0.5:40001", "MN-0"),
        RejectedPacket(b"##0101QN=20261201090000000;ST=22;CN=2061;PW=123456;MN=MN-0;"
                       b"Flag=5;CP=&&&&FFFF\r\n",
                       "crc: CRC 'FFFF' does not match the data segment ('ABCD' expected)",
                       now - dt.timedelta(seconds=2), "10.0.0.5:40001", "MN-0"),
        RejectedPacket(b"##0101QN=20261201090000000;ST=22;CN=2061;PW=123456;MN=MN-X9;"
                       b"Flag=5;CP=&&&&1234\r\n", "unknown_mn: MN 'MN-X9' is not registered",
                       now - dt.timedelta(seconds=1), "10.0.0.9:40002", "MN-X9",
                       "quarantined"),
    ])
    return secrets


def _row(mn: str, object_id: int, code: str, moment: dt.datetime, value: float) -> dict:
    return {"mn": mn, "object_id": object_id, "factor": code, "kind": "hour",
            "period_start": moment, "period_s": 3600, "statistic": "Avg", "value": value,
            "device_flag": "N", "received_at": moment + dt.timedelta(hours=1, minutes=5),
            "packet_id": f"{mn}@{moment.timestamp():.0f}"}


def _packets(rows: list[dict]) -> pa.Table:
    """One stored packet per logger and period, as the gateway keeps them (the water section
    W-002's logger writes its CRC in lower case: a deviation its profile accepts)."""
    packets = {}
    for row in rows:
        cn = "2011" if row["kind"] == "realtime" else "2061"
        packets.setdefault(row["packet_id"], {
            "packet_id": row["packet_id"], "mn": row["mn"], "cn": cn,
            "received_at": row["received_at"],
            "raw": f"QN=;ST=22;CN={cn};PW=123456;MN={row['mn']};Flag=5;CP=&&…&&",
            "deviations": "crc.lowercase: CRC 'abcd' written as 'ABCD' by the standard"
            if row["mn"] == "MN-W-2" else None})
    return pa.Table.from_pylist(list(packets.values()), schema=PACKET_SCHEMA)
