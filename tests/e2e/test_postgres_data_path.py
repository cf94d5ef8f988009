"""The HJ 212 data path on the server backend: simulated loggers over real TCP into the gateway,
quality control as each batch is committed, assessment — all on the real PostgreSQL server."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest

from ecohub.analytics.air import assess_air
from ecohub.demo import simulated_devices
from ecohub.ingest.hj212_server import Gateway, GatewayConfig
from ecohub.ingest.simulate import SimulationPlan, run_simulation
from ecohub.protocols import hj212
from ecohub.quality.rechecks import recheck
from ecohub.quality.streaming import QualityControl
from ecohub.region import anhui_region, register
from ecohub.store import open_store

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 20, tzinfo=CST)
DURATION = timedelta(hours=24)


@pytest.mark.postgres
def test_gateway_quality_control_and_assessment_on_postgresql(pg_url):
    region = anhui_region(3, air_per_city=1, water_per_city=0, sources_per_city=0,
                          noise_per_city=0)
    store = open_store(pg_url, migrate=True)
    try:
        register(store, region)
        devices = simulated_devices(store, region)
        # checks everything committed since its last pass, beside the gateway
        quality = QualityControl(store, background=True)

        async def main():
            gateway = Gateway(store, GatewayConfig(host="127.0.0.1", port=0))
            gateway.on_commit.append(quality)
            await gateway.start()
            try:
                return await run_simulation(*gateway.address, devices, START, DURATION, 11)
            finally:
                await gateway.stop()

        report = asyncio.run(main())
        quality.close()  # finish the queued checks
        assert report.packets == report.acked and report.unanswered == 0

        plan = SimulationPlan(devices, START, DURATION, 11)
        good = [hj212.parse(p.frame) for d in plan.devices for p in plan.packets(d)
                if p.bad is None]
        assert store.measurements.count() == sum(len(p.readings()) for p in good)

        # every stored reading was checked while it streamed in, and a batch re-check of the
        # whole period gives the same flags
        streamed = store.measurements.readings(with_qc=True)
        assert streamed["qc_flag"].null_count() == 0
        recheck(store, None, START - timedelta(days=1), START + DURATION)
        rechecked = store.measurements.readings(with_qc=True)
        assert rechecked["qc_flag"].to_list() == streamed["qc_flag"].to_list()
        assert rechecked["qc_tests"].to_list() == streamed["qc_tests"].to_list()

        result = assess_air(store, date(2026, 11, 20), date(2026, 11, 20))
        assert result.city_daily.height == 16  # one station per city, one complete day
        # A station whose simulated instrument fault left < 20 valid hours of a pollutant has no
        # daily value for it (GB 3095-2026 Table 4); its city's AQI is then published only when
        # the other pollutants already give AQI > 100 (HJ 633-2026 5.3).
        daily = result.city_daily
        published = daily.filter(daily["aqi"].is_not_null())
        assert published.height >= 12
        partial = published.filter(~published["complete"])
        assert (partial["aqi"] > 100).all()
        assert set(result.city_daily["edition"].unique()) == {"2026"}
    finally:
        store.close()
