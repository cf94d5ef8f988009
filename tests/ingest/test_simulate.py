"""The data-logger simulator: reproducible, plausible, and stored whole by the real gateway."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ecohub.ingest.hj212_server import Gateway, GatewayConfig
from ecohub.ingest.simulate import (
    BAD_KINDS,
    REFERENCE_O2,
    SimDevice,
    SimulationPlan,
    run_simulation,
)
from ecohub.protocols import hj212
from ecohub.store import ObjectSpec, open_store

START = datetime(2024, 1, 14, 16, 0, tzinfo=UTC)  # 2024-01-15 00:00 China Standard Time

AIR = SimDevice("0A0000000000000000000001", "123456", "air_station",
                longitude=117.23, latitude=31.82)
AIR_NEAR = SimDevice("0A0000000000000000000002", "123456", "air_station",
                     longitude=117.30, latitude=31.85)
WATER = SimDevice("0B0000000000000000000001", "654321", "water_station",
                  longitude=117.5, latitude=31.6)
FLUE = SimDevice("0C0000000000000000000001", "111111", "outlet",
                 factors=("a21026", "a21002", "a34013", "a00000", "a19001", "a01012"))
WASTE = SimDevice("0D0000000000000000000001", "222222", "outlet",
                  factors=("w01018", "w21003", "w00000"))
DEVICES = [AIR, AIR_NEAR, WATER, FLUE, WASTE]


def parsed(plan: SimulationPlan, device: SimDevice, cn: str) -> list[hj212.Packet]:
    return [hj212.parse(p.frame) for p in plan.packets(device) if p.bad is None and p.cn == cn]


def values(packets: list[hj212.Packet], code: str, suffix: str = "Avg") -> np.ndarray:
    return np.array([float(p.factors[code][suffix]) for p in packets])


def local_hours(packets: list[hj212.Packet]) -> np.ndarray:
    return np.array([p.data_time.hour for p in packets])


@pytest.fixture(scope="module")
def plan() -> SimulationPlan:
    return SimulationPlan(DEVICES, START, timedelta(days=3), seed=42)


def test_same_seed_same_packets(plan: SimulationPlan) -> None:
    again = SimulationPlan(DEVICES, START, timedelta(days=3), seed=42)
    assert again.all_packets() == plan.all_packets()
    other = SimulationPlan(DEVICES, START, timedelta(days=3), seed=43)
    assert other.packets(AIR) != plan.packets(AIR)


def test_device_order_does_not_change_a_devices_packets(plan: SimulationPlan) -> None:
    shuffled = SimulationPlan(DEVICES[::-1], START, timedelta(days=3), seed=42)
    assert shuffled.packets(WATER) == plan.packets(WATER)


def test_every_good_packet_is_strict_hj212(plan: SimulationPlan) -> None:
    for device in DEVICES:
        packets = [p for p in plan.packets(device) if p.bad is None]
        counts = Counter(p.cn for p in packets)
        # 3 days: 432 ten-minute blocks, 72 hours, 3 days, half-hourly real-time data
        assert counts == {"2051": 432, "2061": 72, "2031": 3, "2011": 143}
        qns = [p.qn for p in packets]
        assert len(set(qns)) == len(qns) and qns == sorted(qns)
        for p in packets:
            packet = hj212.parse(p.frame)  # strict: CRC, length, header, flags, numbers
            assert packet.mn == device.mn and packet.pw == device.password
            assert packet.needs_reply and len(p.frame) <= hj212.MAX_FRAME


def test_datatime_is_period_start_in_local_time(plan: SimulationPlan) -> None:
    minute = parsed(plan, AIR, "2051")
    first = minute[0]
    assert first.data_time == datetime(2024, 1, 15, 0, 0, tzinfo=hj212.CHINA_TZ)
    # sent when the period ends: QN 00:10:00.000 for the 00:00–00:10 block ([S17] C.16)
    assert first.qn == "20240115001000000"
    assert [p.data_time for p in parsed(plan, AIR, "2031")] == [
        datetime(2024, 1, d, tzinfo=hj212.CHINA_TZ) for d in (15, 16, 17)]


def test_hourly_and_daily_aggregate_minute_data(plan: SimulationPlan) -> None:
    minute = parsed(plan, WATER, "2051")
    hour = parsed(plan, WATER, "2061")
    code = "w01009"
    m_avg = values(minute, code).reshape(-1, 6)
    # wire values are rounded to 2 decimals (±0.005 each side): compare within rounding
    np.testing.assert_allclose(values(hour, code), m_avg.mean(axis=1), atol=0.0101)
    np.testing.assert_allclose(values(hour, code, "Min"),
                               values(minute, code, "Min").reshape(-1, 6).min(axis=1), atol=0.0101)
    np.testing.assert_allclose(values(hour, code, "Max"),
                               values(minute, code, "Max").reshape(-1, 6).max(axis=1), atol=0.0101)
    for p in minute + hour:
        v = p.factors[code]
        assert float(v["Min"]) <= float(v["Avg"]) <= float(v["Max"])


def test_air_station_values_plausible(plan: SimulationPlan) -> None:
    hour = parsed(plan, AIR, "2061")
    pm25, pm10 = values(hour, "a34004"), values(hour, "a34002")
    assert np.mean(pm25 < pm10) > 0.95  # PM2.5 is a fraction of PM10
    assert 5 < np.median(pm25) < 150 and np.all(pm25 >= 0)
    hours = local_hours(hour)
    o3, no2 = values(hour, "a05024"), values(hour, "a21004")
    afternoon, night = (hours >= 13) & (hours <= 17), (hours >= 1) & (hours <= 5)
    assert o3[afternoon].mean() > 1.5 * o3[night].mean()  # photochemical afternoon peak
    rush = np.isin(hours, [7, 8, 9, 18, 19, 20])
    assert no2[rush].mean() > 1.3 * no2[night].mean()  # traffic rush hours
    co = values(hour, "a21005")
    assert 0.1 < np.median(co) < 3  # CO in mg/m³


def test_nearby_air_stations_share_episodes(plan: SimulationPlan) -> None:
    daily_a = values(parsed(plan, AIR, "2061"), "a34004").reshape(-1, 6).mean(axis=1)
    daily_b = values(parsed(plan, AIR_NEAR, "2061"), "a34004").reshape(-1, 6).mean(axis=1)
    assert np.corrcoef(np.log(daily_a), np.log(daily_b))[0, 1] > 0.5


def test_water_station_values_plausible(plan: SimulationPlan) -> None:
    hour = parsed(plan, WATER, "2061")
    ph, do = values(hour, "w01001"), values(hour, "w01009")
    assert np.all((ph >= 6) & (ph <= 9.5))
    hours = local_hours(hour)
    assert do[(hours >= 13) & (hours <= 17)].mean() > do[(hours >= 2) & (hours <= 6)].mean()
    for code in ("w01019", "w21003", "w21011", "w21001", "w01003", "w01014"):
        assert np.all(values(hour, code) > 0)


def test_flue_gas_converted_values_and_amounts(plan: SimulationPlan) -> None:
    minute = parsed(plan, FLUE, "2051")
    running = [p for p in minute if p.factors["a00000"]["Flag"] == "N"]
    assert len(running) > len(minute) / 2
    o2 = values(running, "a19001")
    so2, so2_zs = values(running, "a21026"), values(running, "a21026", "ZsAvg")
    # GB 13223-2011: C = C' (21 - O2ref) / (21 - O2); O2 is rounded to 0.1 % on the wire
    np.testing.assert_allclose(so2_zs, so2 * (21 - REFERENCE_O2) / (21 - o2), rtol=0.02, atol=0.02)
    flow = values(running, "a00000")
    # HJ 212-2017 App. D: volume = Q·T; mass = volume·C·1e-6 kg
    np.testing.assert_allclose(values(running, "a00000", "Cou"), flow * 600, rtol=0.002, atol=60)
    np.testing.assert_allclose(values(running, "a21026", "Cou"), so2 * flow * 600 * 1e-6,
                               rtol=0.02, atol=0.0101)


def test_wastewater_amounts(plan: SimulationPlan) -> None:
    minute = parsed(plan, WASTE, "2051")
    flow, cod = values(minute, "w00000"), values(minute, "w01018")
    volume = values(minute, "w00000", "Cou")
    np.testing.assert_allclose(volume, flow * 600 * 1e-3, rtol=0.002, atol=0.0101)
    np.testing.assert_allclose(values(minute, "w01018", "Cou"), volume * cod * 1e-3,
                               rtol=0.02, atol=0.06)


def test_faults_and_bad_packets_appear() -> None:
    busy = SimulationPlan(DEVICES, START, timedelta(days=3), seed=7, bad_rate=0.1,
                          fault_rate=2.0, duplicate_rate=0.05)
    packets = [p for d in DEVICES for p in busy.packets(d)]
    bad = Counter(p.bad for p in packets if p.bad)
    assert set(bad) == set(BAD_KINDS)
    assert any(p.duplicate for p in packets)
    flags = Counter(v["Flag"] for p in packets if p.bad is None
                    for v in hj212.parse(p.frame).factors.values())
    assert {"D", "M", "C"} <= set(flags) and flags["N"] > sum(flags.values()) / 2
    registered = {d.mn for d in DEVICES}
    for p in packets:
        if p.bad == "crc":
            with pytest.raises(hj212.HJ212Error, match="CRC"):
                hj212.parse(p.frame)
        elif p.bad == "unknown_mn":
            assert hj212.parse(p.frame).mn not in registered
        elif p.bad == "password":
            assert hj212.parse(p.frame).pw == "000000"
        elif p.bad == "truncated":
            assert not p.frame.endswith(b"\r\n")


def test_invalid_plan_settings() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulationPlan(DEVICES, datetime(2024, 1, 1), timedelta(days=1), 1)
    with pytest.raises(ValueError, match="duration"):
        SimulationPlan(DEVICES, START, timedelta(0), 1)
    with pytest.raises(ValueError, match="bad_rate"):
        SimulationPlan(DEVICES, START, timedelta(days=1), 1, bad_rate=1.5)


def test_simulation_end_to_end_stores_what_was_sent(tmp_path: Path) -> None:
    """Six simulated hours of five loggers through the real gateway into the real store."""
    store = open_store(data_dir=tmp_path, migrate=True)
    ids = store.registry.add_objects([
        ObjectSpec(code=f"S{i}", name=f"对象{i}", object_type=d.object_type,
                   longitude=d.longitude, latitude=d.latitude)
        for i, d in enumerate(DEVICES)])
    for oid, d in zip(ids, DEVICES, strict=True):
        store.registry.add_device(mn=d.mn, object_id=oid, password=d.password,
                                  factors=list(d.factors))
    duration = timedelta(hours=6)
    options = {"bad_rate": 0.05, "duplicate_rate": 0.05}
    progress: list[tuple[int, int]] = []

    async def main() -> object:
        gateway = Gateway(store, GatewayConfig(host="127.0.0.1", port=0))
        await gateway.start()
        try:
            report = await run_simulation(
                *gateway.address, DEVICES, START, duration, 5,
                lambda done, total: progress.append((done, total)), **options)
        finally:
            await gateway.stop()
        return report, gateway.counters()

    report, counters = asyncio.run(main())
    plan = SimulationPlan(DEVICES, START, duration, 5, **options)
    good = [hj212.parse(p.frame) for d in DEVICES for p in plan.packets(d) if p.bad is None]
    expected = {(p.mn, factor, p.cn, statistic) for p in good
                for factor, statistic, _, _ in p.readings()}
    stored = store.measurements.readings()
    assert stored.height == sum(len(p.readings()) for p in good)
    kinds = {"realtime": "2011", "minute": "2051", "hour": "2061", "day": "2031"}
    assert {(r[0], r[1], kinds[r[2]], r[3]) for r in
            stored.select("mn", "factor", "kind", "statistic").rows()} == expected
    assert report.packets == len(good) == report.acked and report.unanswered == 0
    assert sum(report.bad.values()) == sum(counters.rejected.values()) > 0
    resent = [hj212.parse(q.frame) for d in DEVICES for q in plan.packets(d)
              if q.bad is None and q.duplicate]
    assert report.duplicates == len(resent) > 0 and report.resent == 0
    assert counters.duplicates == sum(len(p.readings()) for p in resent)
    assert progress[-1] == (len(good), len(good))
    store.close()


def test_plan_from_registry_devices(tmp_path: Path) -> None:
    with open_store(data_dir=tmp_path, migrate=True) as store:
        oid = store.registry.add_objects([ObjectSpec(code="W1", name="水站", longitude=117.5,
                                                     latitude=31.6, object_type="water_station")])
        store.registry.add_device(mn=WATER.mn, object_id=oid[0], password="654321", factors=[])
        devices = list(store.registry.devices().values())
    with pytest.raises(ValueError, match="password"):
        SimulationPlan(devices, START, timedelta(hours=2), 1)
    plan = SimulationPlan(devices, START, timedelta(hours=2), 1, passwords={WATER.mn: "654321"})
    assert plan.devices == [SimDevice(WATER.mn, "654321", "water_station", (), 117.5, 31.6)]
    assert plan.packets(plan.devices[0]) == SimulationPlan(
        [WATER], START, timedelta(hours=2), 1).packets(WATER)


async def simulate_against(platform) -> object:
    """40 simulated minutes of one air-station logger against a hand-written platform."""
    server = await asyncio.start_server(platform, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        return await run_simulation("127.0.0.1", port, [AIR], START, timedelta(minutes=40), 3,
                                    ack_timeout=0.2, bad_rate=0, duplicate_rate=0)


def test_logger_resends_after_timeout_without_answer() -> None:
    """A platform that drops the first copy of every packet: each is resent once, then answered
    ([S17] §6.2: resend after the time-out, up to the retry count)."""
    seen: Counter[str] = Counter()

    async def platform(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frames = hj212.FrameReader()
        while data := await reader.read(65536):
            for item in frames.feed(data):
                packet = hj212.parse(item)
                seen[packet.qn or ""] += 1
                if seen[packet.qn or ""] == 2:
                    writer.write(hj212.data_reply(packet).encode())

    report = asyncio.run(simulate_against(platform))
    assert report.packets == 5  # four 10-minute blocks and one real-time sample
    assert report.acked == 5 and report.resent == 5 and report.sent == 10
    assert set(seen.values()) == {2}


def test_logger_reconnects_after_the_link_drops() -> None:
    links: list[int] = []

    async def platform(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        links.append(1)
        frames = hj212.FrameReader()
        while data := await reader.read(65536):
            for item in frames.feed(data):
                if len(links) == 1:  # the first link drops before answering anything
                    writer.close()
                    return
                writer.write(hj212.data_reply(hj212.parse(item)).encode())

    report = asyncio.run(simulate_against(platform))
    assert report.acked == report.packets == 5 and report.unanswered == 0
    assert report.resent >= 1 and len(links) == 2


def test_noise_station_sends_hourly_energy_means() -> None:
    noise = SimDevice("0E0000000000000000000001", "333333", "noise_station",
                      longitude=117.2, latitude=31.8)
    plan = SimulationPlan([noise], START, timedelta(days=2), seed=5)
    packets = [p for p in plan.packets(noise) if p.bad is None]
    assert {p.cn for p in packets} == {"2061"}  # hourly L_Aeq only
    hours = [hj212.parse(p.frame) for p in packets]
    assert len(hours) == 48 and all(p.st == "23" for p in hours)  # ST 23: acoustic environment
    slots = plan.series(noise)["Leq"]["Avg"].reshape(-1, 6)  # 10-minute slots
    expected = 10 * np.log10(np.mean(10 ** (slots / 10), axis=1))  # energy mean, not arithmetic
    np.testing.assert_allclose(values(hours, "Leq"), expected[-48:], atol=0.051)
    assert (expected > slots.mean(axis=1) - 1e-9).all()
    level = values(hours, "Leq")
    day = (local_hours(hours) >= 6) & (local_hours(hours) < 22)
    assert level.min() > 40 and level.max() < 90
    assert level[day].mean() > level[~day].mean() + 3  # quieter nights
