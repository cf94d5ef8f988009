"""Time the air assessment over 100 stations × one year of hourly data (6 pollutants).

Run: .venv/bin/python bench/bench_assess_air.py [stations] [days]
Writes synthetic valid readings into a fresh embedded store (DuckDB), then times
``ecohub.analytics.air.assess_air`` end to end (read with QC, hourly and daily AQI, city values,
monthly and annual evaluation, ranking) and its export to CSV.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa

from ecohub.analytics._common import resolve_period
from ecohub.analytics.air import assess_air
from ecohub.quality.stored import read_for_statistics
from ecohub.reports.tables import write_tables
from ecohub.store import READING_SCHEMA, ObjectSpec, open_store

MEDIANS = {"a34004": 38.0, "a34002": 65.0, "a21026": 9.0, "a21004": 28.0, "a21005": 0.7,
           "a05024": 75.0}


def main(n_stations: int = 100, days: int = 365) -> None:
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory() as tmp, open_store(data_dir=tmp, migrate=True) as store:
        ids = store.registry.add_objects([
            ObjectSpec(code=f"A{i:03d}", name=f"station {i}", object_type="air_station",
                       city=f"city {i % 16}", city_code=f"34{i % 16:02d}00",
                       attributes={"zone_class": 2})
            for i in range(n_stations)
        ])
        hours = days * 24
        first = dt.datetime(2025, 12, 31, 16, tzinfo=dt.UTC)  # 2026-01-01 00:00 CST
        starts = pa.array(np.datetime64(first.replace(tzinfo=None), "us")
                          + np.arange(hours) * np.timedelta64(1, "h"), pa.timestamp("us", "UTC"))
        t = time.perf_counter()
        rows = 0
        for object_id in ids:
            for code, median in MEDIANS.items():
                values = median * rng.lognormal(0.0, 0.5, hours)
                values[rng.random(hours) < 0.03] = np.nan  # gaps
                table = pa.table({
                    "mn": pa.array([f"MN{object_id}"] * hours), "object_id": [object_id] * hours,
                    "factor": [code] * hours, "kind": ["hour"] * hours, "period_start": starts,
                    "period_s": [3600] * hours, "statistic": ["Avg"] * hours, "value": values,
                    "device_flag": ["N"] * hours, "received_at": starts,
                    "packet_id": [None] * hours,
                }, schema=READING_SCHEMA)
                rows += store.measurements.write(table)
        print(f"wrote {rows:,} readings in {time.perf_counter() - t:.1f} s")
        end = dt.date(2026, 1, 1) + dt.timedelta(days=days - 1)
        t = time.perf_counter()
        period = resolve_period(dt.date(2026, 1, 1), end)
        read = read_for_statistics(store, kind="hour", start=period.start, end=period.end,
                                   object_ids=ids, factors=list(MEDIANS), statistic="Avg")
        print(f"reading alone, {read.height:,} readings with QC (the store, part of assess_air): "
              f"{time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        result = assess_air(store, dt.date(2026, 1, 1), end)
        elapsed = time.perf_counter() - t
        print(f"assess_air {n_stations} stations x {days} days: {elapsed:.1f} s "
              f"({result.station_hourly.height:,} station-hours, "
              f"{result.station_daily.height:,} station-days, "
              f"{result.evaluation.height:,} evaluation rows)")
        t = time.perf_counter()
        write_tables(result.tables(), f"{tmp}/air.csv")
        print(f"export to CSV: {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
