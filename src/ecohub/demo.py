"""``ecohub demo``: the HJ 212 data path end to end on the embedded default.

Registers the Anhui demonstration region, starts the gateway on a free local port, runs the
data-logger simulator against it over real TCP for a (time-compressed) simulated period, checks
the stored readings automatically, and reports what arrived. The store it leaves is what the
assessments and reports read.

Quality control runs as one batch over the simulated period once the loggers are done, rather
than as the gateway's streaming hook (as ``ecohub serve`` runs it): both give the same flags
(``tests/quality/test_pipeline.py``), and in a time-compressed run, where a day of data arrives
in seconds, one pass is far cheaper than re-reading each series' history on every commit.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from ecohub.ingest.hj212_server import Gateway, GatewayConfig, GatewayCounters
from ecohub.ingest.simulate import SimDevice, SimulationReport, run_simulation
from ecohub.quality.rechecks import recheck
from ecohub.region import Region, anhui_region, register
from ecohub.store import RejectedCount, Store, open_store


@dataclass
class DemoResult:
    """What ``ecohub demo`` reports: the store, what the loggers sent and what was kept."""

    data_dir: Path
    where: str
    """The store's locations (:meth:`ecohub.store.StoreSettings.describe`)."""
    devices: int
    """Data loggers registered and simulated."""
    simulation: SimulationReport
    gateway: GatewayCounters
    readings_by_type: pl.DataFrame
    """Readings and objects per object type and data kind."""
    rejected: list[RejectedCount]
    qc_flags: pl.DataFrame
    """Readings per object type and aggregate QC flag (QARTOD codes)."""


def prepare(data_dir: Path) -> Store:
    """A fresh embedded store in ``data_dir``, created at the current schema.

    A previous demo's files there are replaced.
    """
    for name in ("ecohub.db", "ecohub.db-wal", "ecohub.db-shm", "measurements.duckdb",
                 "measurements.duckdb.wal"):
        (data_dir / name).unlink(missing_ok=True)
    shutil.rmtree(data_dir / "parquet", ignore_errors=True)
    return open_store(data_dir=data_dir, migrate=True)


def simulated_devices(store: Store, region: Region) -> list[SimDevice]:
    """The loggers to simulate: registry entries plus the clear passwords they are set up with."""
    passwords = {d.mn: d.password for d in region.devices}
    return [SimDevice.of(device, passwords[mn]) for mn, device in store.registry.devices().items()]


async def _run(store: Store, devices: list[SimDevice], start: datetime, duration: timedelta,
               seed: int, progress: Callable[[int, int], object] | None
               ) -> tuple[SimulationReport, GatewayCounters]:
    gateway = Gateway(store, GatewayConfig(host="127.0.0.1", port=0, unknown_mn="quarantine"))
    await gateway.start()
    try:
        host, port = gateway.address
        report = await run_simulation(host, port, devices, start, duration, seed, progress)
    finally:
        await gateway.stop()
    return report, gateway.counters()


def run_demo(
    data_dir: Path,
    start: datetime,
    duration: timedelta,
    seed: int = 2026,
    progress: Callable[[int, int], object] | None = None,
    qc_progress: Callable[[int, int], object] | None = None,
) -> DemoResult:
    """Run the demonstration over ``duration`` of simulated time from ``start``.

    ``progress(done, total)`` is called as packets are acknowledged, ``qc_progress(done,
    total)`` as quality control works through the period (in days).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    region = anhui_region(seed)
    with prepare(data_dir) as store:
        count = register(store, region)
        devices = simulated_devices(store, region)
        report, counters = asyncio.run(_run(store, devices, start, duration, seed, progress))
        recheck(store, None, start, start + duration, progress=qc_progress)
        objects = pl.DataFrame([(o.id, o.object_type) for o in store.registry.objects()],
                               schema=["object_id", "object_type"], orient="row")
        by_type = (
            store.measurements.counts_by_object_and_kind()
            .join(objects, on="object_id")
            .group_by("object_type", "kind")
            .agg(pl.col("readings").sum(), pl.col("object_id").n_unique().alias("objects"))
            .sort("object_type", "kind")
        )
        qc_flags = (
            store.measurements.qc_flag_counts()
            .join(objects, on="object_id")
            .group_by("object_type", "qc_flag").agg(pl.col("readings").sum())
            .sort("object_type", "qc_flag")
        )
        return DemoResult(
            data_dir=data_dir, where=store.settings.describe(), devices=count,
            simulation=report, gateway=counters, readings_by_type=by_type,
            rejected=store.registry.rejected_counts(), qc_flags=qc_flags,
        )
