"""Real loggers through the gateway: each protocol profile accepts what it should, over real TCP.

The packets are built here from HJ 212-2017 §6.3 (frame, header, data area) with the codec's CRC
(App. A), then given the deviations field loggers are known for (docs/reference/hj212.md §1.4,
§6.3):
a CRC in lower case or as CRC-16/MODBUS (as written or byte-swapped), 14-character and other
non-EPC MNs, 17-digit times with milliseconds, header fields out of order, wire times in UTC.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecohub.ingest.hj212_server import Gateway, GatewayConfig
from ecohub.protocols import hj212
from ecohub.store import DeviceSpec, ObjectSpec, Store, open_store
from ecohub.vocabulary import CHINA_TZ

PW = "123456"
LOGGERS = {  # MN → (profile, accepted kinds beyond it, UTC offset in minutes)
    "010000A8900016F000169DC0": ("standard", (), 480),
    "Y80110010000010": ("default", (), 480),           # 14 characters, as many loggers send
    "JLYP01_AIR01_0001": ("modbus", (), 480),
    "DXCBZ000000005": ("default", ("crc.modbus",), 480),
    "UTC0LOGGER0001": ("default", (), 0),              # its clock runs on UTC
}
STANDARD, DEFAULT, MODBUS, DEFAULT_PLUS_MODBUS, UTC_LOGGER = LOGGERS


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(data_dir=tmp_path, migrate=True)
    (station,) = opened.registry.add_objects([
        ObjectSpec(code="S1", name="站点", object_type="air_station")])
    opened.registry.add_devices([
        DeviceSpec(mn, station, PW, ("a34004",), profile=profile, accept=accept,
                   utc_offset_minutes=offset)
        for mn, (profile, accept, offset) in LOGGERS.items()])
    yield opened
    opened.close()


def now_cst() -> datetime:
    return datetime.now(CHINA_TZ).replace(microsecond=0)


def segment(mn: str, *, qn: str | None = None, data_time: str | None = None,
            header: str | None = None, cp_extra: str = "") -> bytes:
    """A CN 2011 realtime upload of PM2.5 ([S17] §6.3.2 Table 3, App. C.3)."""
    moment = now_cst()
    qn = qn or moment.strftime("%Y%m%d%H%M%S") + "123"
    data_time = data_time or moment.strftime("%Y%m%d%H%M%S")
    header = header or f"QN={qn};ST=22;CN=2011;PW={PW};MN={mn};Flag=5;"
    return (f"{header}CP=&&DataTime={data_time};a34004-Rtd=35.2,a34004-Flag=N{cp_extra}&&"
            ).encode()


def framed(seg: bytes, check: str | None = None) -> bytes:
    """``##dddd`` + segment + CRC + CR LF ([S17] §6.3.1 Table 2); the standard CRC by default."""
    return b"##%04d" % len(seg) + seg + (check or hj212.crc(seg)).encode() + b"\r\n"


def modbus_swapped(seg: bytes) -> str:
    value = hj212.crc_modbus(seg)
    return value[2:] + value[:2]


def exchange(store: Store, packets: list[bytes], **config: object) -> Gateway:
    """Send the packets on one link, wait until all is stored, stop the gateway."""

    async def body(gateway: Gateway) -> None:
        _, writer = await asyncio.open_connection(*gateway.address)
        for packet in packets:
            writer.write(packet)
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()
        await writer.wait_closed()
        await gateway.flush()

    return run(store, body, **config)


def run(store: Store, body: Callable[[Gateway], Awaitable[object]], **config: object) -> Gateway:
    async def main() -> Gateway:
        gateway = Gateway(store, GatewayConfig(host="127.0.0.1", port=0, **config))
        await gateway.start()
        try:
            await body(gateway)
        finally:
            await gateway.stop()
        return gateway

    return asyncio.run(main())


def stored_mns(store: Store) -> list[str]:
    return sorted(store.measurements.readings(kind="realtime")["mn"].to_list())


# ---- each profile accepts what it should and rejects what it should ----------------------

def with_letters_in_crc(mn: str) -> bytes:
    """A segment whose HJ 212 CRC has a letter, so that lower case differs from upper."""
    for qn in range(100, 200):
        seg = segment(mn, qn=f"{now_cst():%Y%m%d%H%M%S}{qn}")
        if not hj212.crc(seg).isdigit():
            return seg
    raise AssertionError("no CRC with a letter in 100 tries")


def crc_variant(algorithm: Callable[[bytes], str]) -> Callable[[str], bytes]:
    def build(mn: str) -> bytes:
        seg = with_letters_in_crc(mn)
        return framed(seg, algorithm(seg))
    return build


CASES = {
    # name: (build a packet for an MN, the profiles that accept it)
    "conforming": (lambda mn: framed(segment(mn)), {"standard", "default", "modbus"}),
    "crc lower case": (crc_variant(lambda seg: hj212.crc(seg).lower()), {"default", "modbus"}),
    "crc-16/modbus": (crc_variant(hj212.crc_modbus), {"modbus"}),
    "crc-16/modbus byte-swapped": (crc_variant(modbus_swapped), {"modbus"}),
    "17-digit DataTime": (lambda mn: framed(segment(
        mn, data_time=now_cst().strftime("%Y%m%d%H%M%S") + "000")), {"default", "modbus"}),
    "header out of order": (lambda mn: framed(segment(
        mn, header=f"ST=22;CN=2011;QN={now_cst():%Y%m%d%H%M%S}001;MN={mn};PW={PW};Flag=5;")),
        {"default", "modbus"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_profile_accepts_what_it_should(store: Store, case: str) -> None:
    build, accepting = CASES[case]
    by_profile = {"standard": STANDARD, "default": DEFAULT, "modbus": MODBUS}
    gateway = exchange(store, [build(mn) for mn in by_profile.values()])
    expected = sorted(mn for profile, mn in by_profile.items() if profile in accepting)
    assert stored_mns(store) == expected
    refused = store.registry.rejected()
    assert sorted(r.mn for r in refused) == sorted(set(by_profile.values()) - set(expected))
    for packet in refused:
        assert packet.kind == "profile"
        profile = LOGGERS[packet.mn][0]
        assert f"(profile {profile!r}) does not accept" in packet.reason
    assert gateway.counters().rejected.get("profile", 0) == len(refused)


def test_a_logger_accepts_its_own_deviation_beyond_its_profile(store: Store) -> None:
    seg = segment(DEFAULT_PLUS_MODBUS)
    exchange(store, [framed(seg, hj212.crc_modbus(seg))])
    assert stored_mns(store) == [DEFAULT_PLUS_MODBUS]
    (deviations,) = store.measurements.packets()["deviations"].to_list()
    assert deviations.startswith("crc.modbus: ") and "mn.format" in deviations


def test_a_modbus_crc_refused_says_how_to_accept_it(store: Store) -> None:
    seg = segment(DEFAULT)
    exchange(store, [framed(seg, hj212.crc_modbus(seg))])
    (kept,) = store.registry.rejected()
    assert kept.raw == framed(seg, hj212.crc_modbus(seg))
    assert f"ecohub registry device set {DEFAULT} --profile modbus" in kept.reason


def test_the_mn_is_opaque_in_every_profile_and_recorded_as_conformance(store: Store) -> None:
    exchange(store, [framed(segment(mn)) for mn in (STANDARD, DEFAULT, MODBUS)])
    assert stored_mns(store) == sorted([STANDARD, DEFAULT, MODBUS])
    packets = dict(store.measurements.packets().select("mn", "deviations").rows())
    assert packets[STANDARD] is None  # a conforming packet carries no deviation
    for mn in (DEFAULT, MODBUS):
        assert packets[mn].startswith("mn.format: MN=" + mn)


def test_strict_mode_rejects_every_deviation_whatever_the_profile(store: Store) -> None:
    seg = segment(MODBUS)
    exchange(store, [framed(seg, hj212.crc_modbus(seg)), framed(segment(STANDARD))], strict=True)
    assert stored_mns(store) == [STANDARD]
    assert [r.mn for r in store.registry.rejected()] == [MODBUS]


@pytest.mark.parametrize("profile_mn", [STANDARD, DEFAULT, MODBUS])
def test_a_wrong_crc_or_truncated_frame_is_rejected_and_kept_in_every_profile(
        store: Store, profile_mn: str) -> None:
    seg = segment(profile_mn)
    wrong = framed(seg, "0000" if hj212.crc(seg) != "0000" else "0001")
    whole = framed(segment(profile_mn))
    truncated = whole[:whole.index(b"CP=&&") + 12]  # the link drops mid-frame
    exchange(store, [wrong, truncated])
    assert stored_mns(store) == []
    kept = sorted(store.registry.rejected(), key=lambda r: len(r.raw))
    assert [r.raw for r in kept] == [truncated, wrong]
    assert kept[0].kind == "truncated" and kept[1].kind == "crc"
    assert {r.mn for r in kept} == {profile_mn}


def test_a_repeated_key_that_would_lose_a_value_is_never_accepted(store: Store) -> None:
    packet = framed(segment(MODBUS, cp_extra=";a34004-Rtd=36.0"))  # the same key, again
    exchange(store, [packet])
    assert stored_mns(store) == []
    (kept,) = store.registry.rejected()
    assert kept.raw == packet and "cp.duplicate" in kept.reason


def test_wire_times_of_a_logger_on_utc_are_read_in_its_zone(store: Store) -> None:
    moment = datetime.now(UTC).replace(microsecond=0)
    exchange(store, [framed(segment(UTC_LOGGER, data_time=f"{moment:%Y%m%d%H%M%S}"))])
    readings = store.measurements.readings(kind="realtime")
    assert readings["period_start"].to_list() == [moment]
    (deviations,) = store.measurements.packets()["deviations"].to_list()
    assert "time.zone: wire times read as UTC+0" in deviations
    assert "clock.offset" not in deviations


def test_a_datatime_far_from_arrival_is_stored_and_flagged(store: Store) -> None:
    late = now_cst() - timedelta(days=3, hours=2)
    soon = now_cst() + timedelta(hours=2)
    exchange(store, [framed(segment(DEFAULT, data_time=f"{late:%Y%m%d%H%M%S}", qn="1" * 17)),
                     framed(segment(STANDARD, data_time=f"{soon:%Y%m%d%H%M%S}"))],
             clock_window=3600.0)
    assert stored_mns(store) == sorted([DEFAULT, STANDARD])
    flagged = dict(store.measurements.packets().select("mn", "deviations").rows())
    assert re.search(r"clock\.offset: DataTime .* is -3 d (2:00:0\d|1:59:5\d) from the arrival",
                     flagged[DEFAULT])
    assert re.search(r"clock\.offset: DataTime .* is \+(2:00:0\d|1:59:5\d) from the arrival",
                     flagged[STANDARD])
    assert not store.registry.rejected()
