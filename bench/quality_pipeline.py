"""Benchmark: the streaming QC hook (ecohub.quality.streaming.QualityControl) vs the store commit.

Run from the repository root::

    .venv/bin/python bench/quality_pipeline.py                  # 200 air + 100 water stations
    .venv/bin/python bench/quality_pipeline.py --stations 400 --slots 12 --backend postgresql

A store is filled with ``--history-h`` hours of 10-minute data (CN 2051: Min/Avg/Max of 6 air
or 9 water factors) for every station, then ``--slots`` further 10-minute slots arrive as the
gateway commits them: each commit holds ``--slots-per-commit`` consecutive slots of every
station (the gateway batches whatever arrived within its batch delay, so one commit holds many
stations). Each commit is written with ``store.measurements.write`` (what the gateway's writer
does) and then passed to the hook, which fetches its context, runs run_qc and upserts the
flags. Figures: readings per second through the hook and through the commit, per commit size;
the hook is fast enough when its readings/s exceed the gateway's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from ecohub.quality import default_config
from ecohub.quality.streaming import QualityControl
from ecohub.region import AIR_FACTORS
from ecohub.store import READING_SCHEMA, ObjectSpec, open_store

T0 = datetime(2024, 3, 31, 16, 0, tzinfo=UTC)
WATER = ("w01010", "w01001", "w01009", "w01014", "w01019", "w21003", "w21011", "w21001",
         "w01003")
STEP = timedelta(minutes=10)


def slots(devices: list[tuple[str, int, tuple[str, ...]]], first: int, count: int,
          rng: np.random.Generator) -> pa.Table:
    """``count`` consecutive 10-minute slots of every device, READING_SCHEMA."""
    cols: dict[str, list] = {n: [] for n in READING_SCHEMA.names}
    for s in range(first, first + count):
        start = T0 + s * STEP
        for mn, obj, factors in devices:
            base = rng.uniform(5, 80, len(factors))
            for f, b in zip(factors, base, strict=True):
                for stat, k in (("Min", 0.8), ("Avg", 1.0), ("Max", 1.2)):
                    cols["mn"].append(mn)
                    cols["object_id"].append(obj)
                    cols["factor"].append(f)
                    cols["kind"].append("minute")
                    cols["period_start"].append(start)
                    cols["period_s"].append(600)
                    cols["statistic"].append(stat)
                    cols["value"].append(round(float(b * k), 1))
                    cols["device_flag"].append("N")
                    cols["received_at"].append(start + STEP + timedelta(seconds=20))
                    cols["packet_id"].append(f"{mn}-{s}")
    return pa.Table.from_pydict(cols, schema=READING_SCHEMA)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stations", type=int, default=120)
    ap.add_argument("--history-h", type=int, default=26)
    ap.add_argument("--slots", type=int, default=36)
    ap.add_argument("--backend", choices=["embedded", "postgresql"], default="embedded")
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "embedded":
            store = open_store(data_dir=tmp, migrate=True)
        else:
            import uuid

            import psycopg
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True)
            admin.execute(f'CREATE SCHEMA "{schema}"')
            store = open_store("postgresql+psycopg://postgres@127.0.0.1:5432/test"
                               f"?options=-csearch_path%3D{schema}", migrate=True)
        n_air = args.stations * 2 // 3
        specs = [ObjectSpec(code=f"S{i}", name=f"站{i}",
                            object_type="air_station" if i < n_air else "water_station",
                            department="D") for i in range(args.stations)]
        ids = store.registry.add_objects(specs)
        devices = [(f"MN{i:06d}", ids[i], AIR_FACTORS if i < n_air else WATER)
                   for i in range(args.stations)]
        history = args.history_h * 6
        for s in range(0, history, 12):
            store.measurements.write(slots(devices, s, min(12, history - s), rng))
        print(f"{args.backend}: {args.stations} stations ({n_air} air, 6 factors; "
              f"{args.stations - n_air} water, 9 factors), 10-minute data, "
              f"{args.history_h} h stored ({store.measurements.count():,} readings)")
        print("| mode | slots per commit | readings per commit | commit readings/s | "
              "hook readings/s | hook s per pass |")
        print("|---|---:|---:|---:|---:|---:|")
        qc = QualityControl(store, default_config())
        first = history
        for per in (1, 6, 36):
            commit_s = hook_s = 0.0
            readings = 0
            n = max(1, args.slots // per)
            for _ in range(n):
                table = slots(devices, first, per, rng)
                first += per
                t = time.perf_counter()
                store.measurements.write(table)
                commit_s += time.perf_counter() - t
                t = time.perf_counter()
                result = qc(table)
                hook_s += time.perf_counter() - t
                assert result is not None and result.readings == table.num_rows, result
                readings += table.num_rows
            print(f"| synchronous | {per} | {readings // n:,} | {readings / commit_s:,.0f} | "
                  f"{readings / hook_s:,.0f} | {hook_s / n:.2f} |")
        # background: commits of one slot each as fast as the store takes them; the worker
        # checks whatever queued up meanwhile in one pass
        tables = [slots(devices, first + i, 1, rng) for i in range(args.slots)]
        readings = sum(t.num_rows for t in tables)
        commit_s = 0.0
        t0 = time.perf_counter()
        with QualityControl(store, default_config(), background=True) as bg:
            for table in tables:
                t = time.perf_counter()
                store.measurements.write(table)
                commit_s += time.perf_counter() - t
                bg(table)
        wall = time.perf_counter() - t0
        assert bg.readings == readings and bg.failures == 0
        print(f"| background ({bg.passes} passes) | 1 | {readings // len(tables):,} | "
              f"{readings / commit_s:,.0f} | {readings / wall:,.0f} (wall, incl. commits) | "
              f"{bg.seconds / bg.passes:.2f} |")
        store.close()
        if args.backend == "postgresql":
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
