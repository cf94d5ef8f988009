"""Benchmark: ``import_readings`` of a large long-layout CSV (target: 1 M rows in under 30 s).

Run from the repository root::

    .venv/bin/python bench/import_readings.py                    # 1,000,000 rows, embedded
    .venv/bin/python bench/import_readings.py --rows 200000 --no-qc --gb18030

A fresh embedded store gets ``--stations`` registered air stations (one logger each); a CSV in
the long layout with Chinese headers (对象编码, 因子, 时间, 数值, 单位, 标记) holds hourly readings
of six air factors of every station, hour after hour, values in µg/m³ (CO in mg/m³), until
``--rows``.
The file is imported once (everything new: parse, validate, convert, write, QC) and a second
time (everything already stored). Figures: seconds and rows per second of each, peak memory.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from ecohub.ingest.files import import_readings
from ecohub.store import ObjectSpec, open_store

FACTORS = (("PM2.5", "µg/m³"), ("PM10", "µg/m³"), ("二氧化硫", "µg/m³"), ("二氧化氮", "µg/m³"),
           ("a05024", "µg/m³"), ("一氧化碳", "mg/m³"))
START = datetime(2026, 1, 1)


def write_file(path: Path, stations: int, rows: int, seed: int) -> None:
    """The long-layout CSV: station × factor × hour, in time order."""
    per_hour = stations * len(FACTORS)
    hours = -(-rows // per_hour)
    n = hours * per_hour
    rng = np.random.default_rng(seed)
    hour = np.repeat(np.arange(hours), per_hour)
    station = np.tile(np.repeat(np.arange(stations), len(FACTORS)), hours)
    factor = np.tile(np.arange(len(FACTORS)), hours * stations)
    times = [(START + timedelta(hours=int(h))).strftime("%Y-%m-%d %H:%M") for h in range(hours)]
    frame = pl.DataFrame({
        "对象编码": pl.Series([f"S{s:04d}" for s in range(stations)])[station],
        "因子": pl.Series([f for f, _ in FACTORS])[factor],
        "时间": pl.Series(times)[hour],
        "数值": np.round(rng.gamma(4.0, 10.0, n), 1),
        "单位": pl.Series([u for _, u in FACTORS])[factor],
        "标记": "N",
    }).head(rows)
    frame.write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=120)
    parser.add_argument("--no-qc", action="store_true", help="Import without quality control.")
    parser.add_argument("--gb18030", action="store_true",
                        help="Write the file in GB 18030 (as Excel on Chinese Windows does).")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecohub-bench-import-") as tmp:
        path = Path(tmp) / "readings.csv"
        started = time.perf_counter()
        write_file(path, args.stations, args.rows, args.seed)
        if args.gb18030:
            path.write_bytes(path.read_text("utf-8").encode("gb18030"))
        print(f"file: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, written in "
              f"{time.perf_counter() - started:.1f} s")
        with open_store(data_dir=Path(tmp) / "data", migrate=True) as store:
            ids = store.registry.add_objects([ObjectSpec(f"S{s:04d}", f"站点{s}", "air_station")
                                              for s in range(args.stations)])
            for s, oid in enumerate(ids):
                store.registry.add_device(mn=f"BENCH{s:010d}", object_id=oid, password="x",
                                          factors=["a34004"])
            for label in ("first import (all new)", "second import (all stored)"):
                result = import_readings(store, path, quality_control=not args.no_qc)
                print(f"{label}: {result.seconds:.1f} s, {result.rows / result.seconds:,.0f} "
                      f"rows/s; {result.readings:,} valid, {result.inserted:,} stored, "
                      f"{result.checked:,} checked, {result.errors.height:,} rejected")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
