"""The running gateway follows the registry, and releases quarantined packets exactly once.

Real TCP on 127.0.0.1, a real embedded store in tmp_path; registry changes are made from another
thread through the store's registry, as `ecohub registry …` does from another process.
"""

from __future__ import annotations

import asyncio
import struct
import time
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.ingest.hj212_server import Gateway, GatewayConfig
from ecohub.ingest.status import live_connections, logger_status
from ecohub.ingest.store_writer import JournalBatch
from ecohub.protocols import hj212
from ecohub.store import PACKET_SCHEMA, READING_SCHEMA, DeviceSpec, ObjectSpec, Store, open_store
from ecohub.vocabulary import CHINA_TZ

PW = "123456"
OLD = "Y80110010000010"
NEW = "Y80110010000099"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = open_store(data_dir=tmp_path, migrate=True)
    opened.registry.add_objects([ObjectSpec(code="S1", name="站点", object_type="air_station")])
    opened.registry.add_devices([DeviceSpec(OLD, station_id(opened), PW, ("a34004",))])
    yield opened
    opened.close()


def station_id(store: Store) -> int:
    return store.registry.objects()[0].id


def packet(mn: str, n: int, pw: str = PW) -> bytes:
    """A CN 2011 realtime upload, one second apart per ``n`` ([S17] App. C.3)."""
    moment = datetime(2026, 12, 5, 8, 0, tzinfo=CHINA_TZ).timestamp() + n
    stamp = datetime.fromtimestamp(moment, CHINA_TZ)
    seg = (f"QN={stamp:%Y%m%d%H%M%S}{n % 1000:03d};ST=22;CN=2011;PW={pw};MN={mn};Flag=5;"
           f"CP=&&DataTime={stamp:%Y%m%d%H%M%S};a34004-Rtd={n}.5,a34004-Flag=N&&")
    return hj212.frame(seg.encode())


async def send_and_count_answers(gateway: Gateway, packets: list[bytes], *,
                                 pause: float = 0.0, wait: float = 10.0) -> int:
    reader, writer = await asyncio.open_connection(*gateway.address)
    frames, answers = hj212.FrameReader(), 0

    async def read() -> None:
        nonlocal answers
        while data := await reader.read(65536):
            answers += len(frames.feed(data))

    reading = asyncio.create_task(read())
    for item in packets:
        writer.write(item)
        await writer.drain()
        if pause:
            await asyncio.sleep(pause)
    deadline = time.monotonic() + wait
    while answers < len(packets) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    writer.close()
    await writer.wait_closed()
    reading.cancel()
    return answers


def run(store: Store, body, **config: object):
    async def main():
        gateway = Gateway(store, GatewayConfig(host="127.0.0.1", port=0, reload_interval=0.1,
                                               **config))
        await gateway.start()
        try:
            return await body(gateway), gateway
        finally:
            await gateway.stop()

    return asyncio.run(main())


async def in_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


async def until(predicate, timeout: float = 5.0) -> float:
    """Seconds until ``predicate()`` holds (fails the test after ``timeout``)."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "not within the time allowed"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def count(store: Store, mn: str) -> int:
    return store.measurements.readings(kind="realtime").filter(mn=mn).height


def test_a_logger_registered_while_the_gateway_runs_under_load_counts_at_once(
        store: Store) -> None:
    async def body(gateway: Gateway) -> tuple[int, float]:
        load = asyncio.create_task(send_and_count_answers(
            gateway, [packet(OLD, n) for n in range(600)], pause=0.002))
        await asyncio.sleep(0.2)
        await in_thread(store.registry.add_devices,
                        [DeviceSpec(NEW, station_id(store), PW, ("a34004",))])
        started = time.monotonic()
        answered_new = 0
        while answered_new == 0:  # the new logger resends until it is answered
            answered_new = await send_and_count_answers(gateway, [packet(NEW, 1)], wait=0.1)
            assert time.monotonic() - started < 5
        answered_old = await load
        await gateway.flush()
        return answered_old, time.monotonic() - started

    (answered_old, seconds), gateway = run(store, body)
    assert seconds < 5.0  # "within seconds"; 0.1 s polls, but the machine may be busy
    assert answered_old == 600 and count(store, OLD) == 600  # nothing lost meanwhile
    assert count(store, NEW) == 1


def test_quarantined_packets_are_released_once_when_their_logger_is_registered(
        store: Store) -> None:
    waiting = [packet(NEW, n) for n in range(5)]

    async def body(gateway: Gateway) -> None:
        assert await send_and_count_answers(gateway, waiting) == 5  # answered: held durably
        await gateway.flush()
        assert len(store.registry.quarantined()) == 5 and count(store, NEW) == 0
        await in_thread(store.registry.add_devices,
                        [DeviceSpec(NEW, station_id(store), PW, ("a34004",))])
        await until(lambda: count(store, NEW) == 5)
        await until(lambda: not store.registry.quarantined())

    _, gateway = run(store, body, unknown_mn="quarantine")
    assert gateway.counters().released == 5
    released = store.registry.rejected(disposition="released")
    assert sorted(r.raw for r in released) == sorted(waiting)
    packets_stored = store.measurements.packet_count()
    _, again = run(store, lambda gateway: asyncio.sleep(0.3), unknown_mn="quarantine")
    assert again.counters().released == 0
    assert count(store, NEW) == 5 and store.measurements.packet_count() == packets_stored


def test_a_released_packet_with_a_wrong_password_is_kept_with_that_reason(store: Store) -> None:
    async def body(gateway: Gateway) -> None:
        await send_and_count_answers(gateway, [packet(NEW, 1, pw="999999")])
        await gateway.flush()
        await in_thread(store.registry.add_devices,
                        [DeviceSpec(NEW, station_id(store), PW, ("a34004",))])
        await until(lambda: not store.registry.quarantined())
        await gateway.flush()

    run(store, body, unknown_mn="quarantine")
    assert count(store, NEW) == 0
    (released,) = store.registry.rejected(disposition="released")
    (rejected,) = store.registry.rejected(disposition="rejected")
    assert rejected.raw == released.raw and rejected.kind == "password"


def test_ingest_release_without_a_gateway(store: Store) -> None:
    async def body(gateway: Gateway) -> None:
        await send_and_count_answers(gateway, [packet(NEW, n) for n in range(3)]
                                     + [packet("NOT-YET-KNOWN", 1)])
        await gateway.flush()

    run(store, body, unknown_mn="quarantine")
    store.registry.add_devices([DeviceSpec(NEW, station_id(store), PW, ("a34004",))])
    data_dir = str(store.settings.data_dir)
    store.close()  # the command opens the embedded store itself
    runner = CliRunner()
    first = runner.invoke(app, ["ingest", "release", "--data-dir", data_dir])
    assert first.exit_code == 0, first.output
    assert "released 3 quarantined packets" in first.output
    assert "1 packets stay quarantined: MN not registered: NOT-YET-KNOWN" in first.output
    second = runner.invoke(app, ["ingest", "release", "--data-dir", data_dir])
    assert "released 0 quarantined packets" in second.output
    with open_store(data_dir=data_dir) as reopened:
        assert count(reopened, NEW) == 3


def test_journal_records_carry_released_ids_and_read_records_written_before() -> None:
    batch = JournalBatch(READING_SCHEMA.empty_table(), PACKET_SCHEMA.empty_table(), [], 0,
                         [7, 9])
    record = batch.encode()
    assert JournalBatch.decode(record).released == [7, 9]
    # a record of an earlier ecohub: the count and three streams, no released ids
    offset = 8
    for _ in range(3):
        offset += 8 + struct.unpack_from("<Q", record, offset)[0]
    older = JournalBatch.decode(record[:offset])
    assert older.released == [] and older.readings.num_rows == 0


def test_ingest_status_sees_who_is_connected_now_and_from_where(store: Store) -> None:
    async def body(gateway: Gateway):
        reader, writer = await asyncio.open_connection(*gateway.address)
        writer.write(packet(OLD, 1))
        await writer.drain()
        await reader.read(65536)  # answered
        local = "{}:{}".format(*writer.get_extra_info("sockname")[:2])
        await until(lambda: OLD in live_connections(store.settings.data_dir))
        connected = logger_status(store, datetime(2026, 12, 5, tzinfo=CHINA_TZ),
                                  data_dir=store.settings.data_dir)
        writer.close()
        await writer.wait_closed()
        return local, connected

    (local, report), _ = run(store, body, status_interval=0.1)
    (logger,) = report.loggers
    assert logger.connected and list(logger.peers) == [local]
    assert live_connections(store.settings.data_dir) == {}  # the file goes with the gateway


def test_retired_password_and_profile_changes_apply_to_the_next_packet(store: Store) -> None:
    def modbus_packet(n: int) -> bytes:
        seg = packet(OLD, n)[6:-6]  # the data segment of a good packet
        return b"##%04d" % len(seg) + seg + hj212.crc_modbus(seg).encode() + b"\r\n"

    async def changed(change, *args, **kwargs) -> None:
        await in_thread(lambda: change(*args, **kwargs))
        await asyncio.sleep(0.3)  # three polls of the gateway

    async def body(gateway: Gateway) -> list[int]:
        answered = [await send_and_count_answers(gateway, [packet(OLD, 1)], wait=1)]
        await changed(store.registry.update_device, OLD, {"password": "654321"}, actor="张工")
        answered.append(await send_and_count_answers(gateway, [packet(OLD, 2)], wait=0.5))
        answered.append(await send_and_count_answers(gateway, [packet(OLD, 3, pw="654321")],
                                                     wait=1))
        answered.append(await send_and_count_answers(gateway, [modbus_packet(4)], wait=0.5))
        await changed(store.registry.update_device, OLD, {"profile": "modbus",
                                                          "password": PW}, actor="张工")
        answered.append(await send_and_count_answers(gateway, [modbus_packet(5)], wait=1))
        await changed(store.registry.retire, "device", OLD, actor="张工", reason="拆除")
        answered.append(await send_and_count_answers(gateway, [packet(OLD, 6)], wait=0.5))
        await gateway.flush()
        return answered

    answered, _ = run(store, body)
    assert answered == [1, 0, 1, 0, 1, 0]
    stored = store.measurements.readings(kind="realtime")["value"].to_list()
    assert sorted(stored) == [1.5, 3.5, 5.5]
    reasons = {r.raw[-40:]: r.kind for r in store.registry.rejected()}
    assert sorted(reasons.values()) == ["password", "profile", "retired"]
    (retired,) = [r for r in store.registry.rejected() if r.kind == "retired"]
    assert f"MN '{OLD}' was retired on " in retired.reason
