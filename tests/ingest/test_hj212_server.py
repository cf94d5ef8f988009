"""The HJ 212 gateway over real TCP (127.0.0.1, ephemeral port) and a real store in tmp_path.

Packets B1 and B4 are the public example packets of hj212.md §1.5 (verbatim, CRC verified there);
the others are built here with the codec's CRC over the data segment ([S17] §6.3.1, App. A).
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.ingest.hj212_server import Gateway, GatewayConfig, _numbers
from ecohub.ingest.journal import Journal
from ecohub.protocols import hj212
from ecohub.server import serve
from ecohub.store import ObjectSpec, Store, open_store

MN = "010000A8900016F000169DC0"
PW = "123456"
MN_B4 = "Z13401000010301"
PW_B4 = "BF470F88957588DE902D1A52"

B1 = (b"##0162QN=20231008123340461;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
      b"CP=&&DataTime=20231008123340;w01008-SampleTime=20231008123340,w01008-Rtd=123.456&&F441\r\n")
B4 = (b"##0285QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;"
      b"Flag=5;CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,"
      b"a34007-Flag=N;a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;"
      b"a34049-Avg=10.66300,a34049-Flag=N&&C181\r\n")


def frame(segment: str) -> bytes:
    return hj212.frame(segment.encode())


def minute_packet(qn: str, data_time: str = "20240501084000", *, mn: str = MN, pw: str = PW,
                  flag: int = 5, cn: str = "2051", extra: str = "") -> bytes:
    cp = (f"DataTime={data_time};a34004-Min=30.1,a34004-Avg=35.2,a34004-Max=40.0,a34004-Flag=N;"
          f"a21004-Min=20.0,a21004-Avg=25.5,a21004-Max=31.0,a21004-Flag=D{extra}")
    return frame(f"QN={qn};ST=22;CN={cn};PW={pw};MN={mn};Flag={flag};CP=&&{cp}&&")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(data_dir=tmp_path, migrate=True)
    ids = s.registry.add_objects([
        ObjectSpec(code="A1", name="站点一", object_type="air_station", longitude=117.2,
                   latitude=31.8),
        ObjectSpec(code="A2", name="站点二", object_type="air_station"),
    ])
    s.registry.add_device(mn=MN, object_id=ids[0], password=PW, factors=["a34004", "a21004"])
    s.registry.add_device(mn=MN_B4, object_id=ids[1], password=PW_B4, factors=[])
    yield s
    s.close()


def run(store: Store, body: Callable[[Gateway], Awaitable[object]], **config: object) -> object:
    """Start a gateway on an ephemeral port, run ``body``, stop the gateway gracefully."""

    async def main() -> object:
        gateway = Gateway(store, GatewayConfig(host="127.0.0.1", port=0, **config))
        await gateway.start()
        try:
            return await body(gateway)
        finally:
            await gateway.stop()

    return asyncio.run(main())


class Client:
    """A test data logger: raw bytes out, answer packets in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.frames = hj212.FrameReader()
        self.answers: list[hj212.Packet] = []

    @classmethod
    async def connect(cls, gateway: Gateway) -> Client:
        return cls(*await asyncio.open_connection(*gateway.address))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answers_until(self, n: int, timeout: float = 5.0) -> list[hj212.Packet]:
        deadline = time.monotonic() + timeout
        while len(self.answers) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                data = await asyncio.wait_for(self.reader.read(65536), left)
            except TimeoutError:
                break
            if not data:
                break
            for item in self.frames.feed(data):
                self.answers.append(hj212.parse(item, strict=False))
        return self.answers

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def test_reference_packets_answered_and_stored(store: Store) -> None:
    """B4's 15-character MN and 24-character PW are real-world deviations: tolerant mode."""

    async def body(gateway: Gateway) -> object:
        client = await Client.connect(gateway)
        await client.send(B1)
        await client.send(B4)
        answers = await client.answers_until(2)
        await client.close()
        await gateway.flush()
        return answers, gateway.counters()

    answers, counters = run(store, body, strict=False)
    assert sum(counters.deviations.values()) >= 2 and not counters.rejected
    # hj212.md §3.5: 9014, same QN, ST=91, Flag=4, empty CP, device's PW and MN
    assert [(a.cn, a.qn, a.st, a.flag, a.mn) for a in answers] == [
        ("9014", "20231008123340461", "91", 4, MN),
        ("9014", "20190925181031464", "91", 4, MN_B4),
    ]
    rt = store.measurements.readings(kind="realtime")
    assert rt.select("mn", "factor", "statistic", "value", "period_s").rows() == [
        (MN, "w01008", "Rtd", 123.456, 0)
    ]
    # DataTime 2023-10-08 12:33:40 in UTC+8 is 04:33:40 UTC (docs/reference/hj212.md §4.6)
    assert rt["period_start"][0] == datetime(2023, 10, 8, 4, 33, 40, tzinfo=UTC)
    hour = store.measurements.readings(kind="hour")
    assert sorted(hour.select("factor", "value").rows()) == [
        ("a34006", 2.697), ("a34007", 7.966), ("a34047", 7.357), ("a34048", 3.306),
        ("a34049", 10.663),
    ]
    assert set(hour["period_s"]) == {3600}
    assert set(hour["device_flag"]) == {"N"}
    assert set(hour["period_start"]) == {datetime(2019, 9, 24, 14, 0, tzinfo=UTC)}
    assert set(hour["packet_id"]) == {"20190925181031464"}


def test_strict_mode_rejects_deviations_with_reason(store: Store) -> None:
    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        await client.send(B4 + B1)
        answers = await client.answers_until(1)
        await client.close()
        return answers

    answers = run(store, body, strict=True)
    assert [a.qn for a in answers] == ["20231008123340461"]
    kept = store.registry.rejected()
    assert [r.raw for r in kept] == [B4]
    assert kept[0].kind in ("mn", "pw") and "expected" in kept[0].reason
    assert store.measurements.count() == 1


def test_minute_data_columns(store: Store) -> None:
    async def body(gateway: Gateway) -> None:
        client = await Client.connect(gateway)
        await client.send(minute_packet("20240501085000001"))
        assert len(await client.answers_until(1)) == 1
        await client.close()

    run(store, body)
    frame_ = store.measurements.readings(kind="minute").sort("factor", "statistic")
    # minute interval 10 min (registry default) → period_s 600; 08:40 CST = 00:40 UTC
    assert set(frame_["period_s"]) == {600}
    assert set(frame_["period_start"]) == {datetime(2024, 5, 1, 0, 40, tzinfo=UTC)}
    assert frame_.select("factor", "statistic", "value", "device_flag").rows() == [
        ("a21004", "Avg", 25.5, "D"), ("a21004", "Max", 31.0, "D"), ("a21004", "Min", 20.0, "D"),
        ("a34004", "Avg", 35.2, "N"), ("a34004", "Max", 40.0, "N"), ("a34004", "Min", 30.1, "N"),
    ]


def test_each_value_stored_with_its_own_flag(store: Store) -> None:
    # [S17] §6.3.3, Table 4: each value followed by its flag, the converted ZsRtd by its own
    cp = ("DataTime=20240501084000;a21026-Rtd=3.52,a21026-Flag=N;a21004-Rtd=25.5,a21004-Flag=N;"
          "a21026-ZsRtd=4.69,a21026-Flag=M")
    packet = frame(f"QN=20240501084000001;ST=31;CN=2011;PW={PW};MN={MN};Flag=5;CP=&&{cp}&&")

    async def body(gateway: Gateway) -> None:
        client = await Client.connect(gateway)
        await client.send(packet)
        assert len(await client.answers_until(1)) == 1
        await client.close()

    run(store, body)
    rows = store.measurements.readings(kind="realtime").sort("factor", "statistic")
    assert rows.select("factor", "statistic", "value", "device_flag").rows() == [
        ("a21004", "Rtd", 25.5, "N"), ("a21026", "Rtd", 3.52, "N"), ("a21026", "ZsRtd", 4.69, "M"),
    ]  # fmt: skip


def test_frame_split_byte_by_byte(store: Store) -> None:
    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        for byte in B1:
            await client.send(bytes([byte]))
            await asyncio.sleep(0)
        answers = await client.answers_until(1)
        await client.close()
        return answers

    answers = run(store, body)
    assert [a.qn for a in answers] == ["20231008123340461"]
    assert store.measurements.count() == 1


def test_several_frames_in_one_write_answered_in_order(store: Store) -> None:
    qns = [f"2024050108500000{i}" for i in range(1, 6)]
    packets = b"".join(
        minute_packet(qn, f"2024050108{10 * i:02d}00") for i, qn in enumerate(qns))

    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        await client.send(packets)
        answers = await client.answers_until(5)
        await client.close()
        return answers

    answers = run(store, body)
    assert [a.qn for a in answers] == qns
    assert store.measurements.count() == 5 * 6


def test_packets_behind_a_password_check_keep_their_order(store: Store) -> None:
    """A logger's first PW is checked off the loop; what it sends meanwhile (a wrong PW, then
    good packets) waits and is handled in order, while another logger is served."""
    stream = (minute_packet("20240501085000001", "20240501080000")
              + minute_packet("20240501085000002", "20240501081000", pw="654321")
              + minute_packet("20240501085000003", "20240501082000"))

    async def body(gateway: Gateway) -> object:
        first, other = await Client.connect(gateway), await Client.connect(gateway)
        await first.send(stream)
        await asyncio.sleep(0.05)
        await other.send(minute_packet("20240501085000004", "20240501083000"))
        answers = await first.answers_until(2)
        await other.answers_until(1)
        await first.close()
        await other.close()
        return answers

    answers = run(store, body)
    assert [a.qn for a in answers] == ["20240501085000001", "20240501085000003"]
    assert [r.kind for r in store.registry.rejected()] == ["password"]
    assert store.measurements.count() == 3 * 6


def test_resend_stored_once_answered_twice(store: Store) -> None:
    packet = minute_packet("20240501085000001")

    async def body(gateway: Gateway) -> object:
        client = await Client.connect(gateway)
        await client.send(packet)
        await client.answers_until(1)
        await client.send(packet)  # the logger missed the answer and sends again
        answers = await client.answers_until(2)
        await client.close()
        await gateway.flush()
        return answers, gateway.counters()

    answers, counters = run(store, body)
    assert [a.qn for a in answers] == ["20240501085000001"] * 2
    assert store.measurements.count() == 6
    assert counters.readings_stored == 6
    assert counters.duplicates == 6


def test_answer_only_after_the_journal_commit(store: Store, monkeypatch) -> None:
    """The 9014 leaves after the batch is on disk (journal write + fdatasync returned)."""
    commits: list[float] = []
    append_many = Journal.append_many

    def slow_append(self: Journal, payloads: list[bytes]) -> list[int]:  # a slow disk
        time.sleep(0.3)
        seqs = append_many(self, payloads)
        commits.append(time.monotonic())
        return seqs

    monkeypatch.setattr(Journal, "append_many", slow_append)

    async def body(gateway: Gateway) -> tuple[float, int]:
        client = await Client.connect(gateway)
        await client.send(minute_packet("20240501085000001"))
        await client.answers_until(1)
        arrived = time.monotonic()
        await gateway.flush()
        visible = store.measurements.count()
        await client.close()
        return arrived, visible

    arrived, visible = run(store, body)
    assert commits and arrived >= commits[0]
    assert visible == 6


def test_answered_data_survives_a_failing_store(store: Store, monkeypatch) -> None:
    """The store is down: loggers are still answered (the data is in the journal), the failure
    is counted, and the next start applies what the store missed."""
    def down(*args: object, **kwargs: object) -> int:
        raise RuntimeError("store unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(store.measurements, "write", down)
        patch.setattr("ecohub.ingest.store_writer._RETRY_SECONDS", 0.01)

        async def body(gateway: Gateway) -> object:
            client = await Client.connect(gateway)
            await client.send(minute_packet("20240501085000001"))
            await client.send(BAD["crc"])
            answers = await client.answers_until(1)
            await asyncio.sleep(0.1)
            await client.close()
            return answers, gateway.counters()

        answers, counters = run(store, body)
    assert [a.qn for a in answers] == ["20240501085000001"]
    assert counters.store_errors >= 1 and counters.packets_stored == 0
    assert store.measurements.count() == 0
    assert list((store.settings.data_dir / "journal").glob("*.wal"))

    async def restart(gateway: Gateway) -> object:
        return gateway.counters()

    run(store, restart)  # replays the journal on start
    assert store.measurements.count() == 6
    assert [r.kind for r in store.registry.rejected()] == ["crc"]  # once, not once per attempt
    assert not list((store.settings.data_dir / "journal").glob("*.wal"))


def test_no_answer_when_flag_a_is_0(store: Store) -> None:
    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        await client.send(minute_packet("20240501085000001", flag=4))
        await client.send(minute_packet("20240501085000002", "20240501085000"))
        answers = await client.answers_until(2, timeout=1.0)
        await client.close()
        return answers

    answers = run(store, body)
    assert [a.qn for a in answers] == ["20240501085000002"]
    assert store.measurements.count() == 12


BAD = {
    "crc": minute_packet("20240501085000009")[:-6] + b"0000\r\n",
    "length": b"##0099" + minute_packet("20240501085000010")[6:],
    "password": minute_packet("20240501085000011", pw="654321"),
    "unknown_mn": minute_packet("20240501085000012", mn="FFFFFFFFFFFFFFFFFFFFFFFF"),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_packet_kept_connection_open_next_stored(store: Store, kind: str) -> None:
    async def body(gateway: Gateway) -> object:
        client = await Client.connect(gateway)
        await client.send(BAD[kind])
        await client.send(minute_packet("20240501085000001"))
        answers = await client.answers_until(1)
        await asyncio.sleep(0.05)
        return answers, gateway.counters(), client

    answers, counters, _ = run(store, body, strict=True)  # default: a wrong length is tolerated
    assert [a.qn for a in answers] == ["20240501085000001"]
    assert store.measurements.count() == 6
    kept = store.registry.rejected()
    assert len(kept) == 1
    assert kept[0].raw == BAD[kind]
    assert kept[0].disposition == "rejected"
    # the logger is named whenever the header could be read, a bad CRC or length included
    assert kept[0].mn == ("FFFFFFFFFFFFFFFFFFFFFFFF" if kind == "unknown_mn" else MN)
    assert kept[0].reason
    assert sum(counters.rejected.values()) == 1
    assert kept[0].kind in counters.rejected


def test_reason_kinds_distinguish_faults(store: Store) -> None:
    async def body(gateway: Gateway) -> None:
        client = await Client.connect(gateway)
        await client.send(b"".join(BAD.values()) + minute_packet("20240501085000001"))
        await client.answers_until(1)
        await client.close()

    run(store, body, strict=True)
    kinds = [r.kind for r in store.registry.rejected()]
    assert len(kinds) == len(BAD) and len(set(kinds)) == len(BAD)
    assert "password" in kinds and "unknown_mn" in kinds


def test_unknown_mn_quarantined_and_answered(store: Store) -> None:
    packet = BAD["unknown_mn"]

    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        await client.send(packet)
        answers = await client.answers_until(1)
        await client.close()
        return answers

    answers = run(store, body, unknown_mn="quarantine")
    assert [a.qn for a in answers] == ["20240501085000012"]
    held = store.registry.rejected(disposition="quarantined")
    assert [(r.raw, r.mn) for r in held] == [(packet, "FFFFFFFFFFFFFFFFFFFFFFFF")]
    assert store.measurements.count() == 0


def test_unknown_mn_rejected_not_answered(store: Store) -> None:
    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        await client.send(BAD["unknown_mn"])
        answers = await client.answers_until(1, timeout=0.5)
        await client.close()
        return answers

    assert run(store, body, unknown_mn="reject") == []
    assert [r.disposition for r in store.registry.rejected()] == ["rejected"]


def test_registry_reload_accepts_new_device(store: Store) -> None:
    new_mn = "0A0000A8900016F000169DC1"

    async def body(gateway: Gateway) -> list[hj212.Packet]:
        oid = store.registry.add_objects([ObjectSpec(code="A3", name="新站",
                                                     object_type="air_station")])[0]
        store.registry.add_device(mn=new_mn, object_id=oid, password=PW, factors=[])
        assert await gateway.reload_devices() == 3
        client = await Client.connect(gateway)
        await client.send(minute_packet("20240501085000001", mn=new_mn))
        answers = await client.answers_until(1)
        await client.close()
        return answers

    assert len(run(store, body)) == 1
    assert set(store.measurements.readings()["mn"]) == {new_mn}


def test_split_transfer_reassembled(store: Store) -> None:
    """Flag=7 parts with their own QNs and repeated DataTime ([S17] App. C.47–C.50)."""
    head = f"ST=22;CN=2051;PW={PW};MN={MN};Flag=7;PNUM=2"
    part1 = frame(f"QN=20240501085000001;{head};PNO=1;CP=&&DataTime=20240501084000;"
                  "a34004-Avg=35.2,a34004-Flag=N&&")
    part2 = frame(f"QN=20240501085000002;{head};PNO=2;CP=&&DataTime=20240501084000;"
                  "a21004-Avg=25.5,a21004-Flag=N&&")

    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        await client.send(part1)
        assert len(await client.answers_until(1)) == 1  # answered before the last part came
        await client.send(part2)
        answers = await client.answers_until(2)
        await client.close()
        return answers

    answers = run(store, body)
    assert [a.qn for a in answers] == ["20240501085000001", "20240501085000002"]
    stored = store.measurements.readings()
    assert sorted(stored.select("factor", "value").rows()) == [("a21004", 25.5),
                                                               ("a34004", 35.2)]


def test_non_data_uploads_answered_not_stored_as_readings(store: Store) -> None:
    restart = frame(f"QN=20240501085000001;ST=22;CN=2081;PW={PW};MN={MN};Flag=5;"
                    "CP=&&DataTime=20240501085000;RestartTime=20240501084000&&")
    time_request = frame(f"QN=20240501085000002;ST=22;CN=1013;PW={PW};MN={MN};Flag=5;CP=&&&&")

    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        await client.send(restart + time_request)
        answers = await client.answers_until(2)
        await client.close()
        return answers

    answers = run(store, body)
    # upload → 9014, notification (1013) → 9013 ([S17] §6.5, hj212.md §3.5)
    assert [(a.cn, a.qn) for a in answers] == [("9014", "20240501085000001"),
                                               ("9013", "20240501085000002")]
    raw = store.measurements.packets()
    assert sorted(raw["cn"].to_list()) == ["1013", "2081"]
    assert store.measurements.readings().is_empty()


def test_idle_connection_closed(store: Store) -> None:
    async def body(gateway: Gateway) -> tuple[bytes, float, int]:
        client = await Client.connect(gateway)
        began = time.monotonic()
        data = await asyncio.wait_for(client.reader.read(100), 5.0)
        return data, time.monotonic() - began, gateway.counters().connections_idle_closed

    data, waited, closed = run(store, body, idle_timeout=0.3)
    assert data == b""  # closed by the gateway
    assert 0.25 <= waited < 3.0  # the link was opened just before the client started timing
    assert closed == 1


def test_partial_frame_at_close_kept(store: Store) -> None:
    packet = minute_packet("20240501085000001")

    async def body(gateway: Gateway) -> None:
        client = await Client.connect(gateway)
        await client.send(packet[:60])
        await client.close()
        await asyncio.sleep(0.2)

    run(store, body)
    kept = store.registry.rejected()
    assert [(r.kind, r.raw) for r in kept] == [("truncated", packet[:60])]


def test_counters_and_commit_hook(store: Store) -> None:
    seen: list[int] = []

    async def body(gateway: Gateway) -> object:
        gateway.on_commit.append(lambda table: seen.append(table.num_rows))
        clients = [await Client.connect(gateway) for _ in range(3)]
        for i, client in enumerate(clients):
            await client.send(minute_packet(f"2024050108500000{i}", f"20240501080{i}00"))
        for client in clients:
            await client.answers_until(1)
        await client.send(BAD["crc"])
        await asyncio.sleep(0.1)
        await gateway.flush()
        counters = gateway.counters()
        for client in clients:
            await client.close()
        return counters

    counters = run(store, body)
    assert counters.connections_open == 3
    assert counters.connections_total == 3
    assert counters.packets_received == 4
    assert counters.packets_stored == 3
    assert counters.readings_stored == 18
    assert counters.replies_sent == 3
    assert counters.rejected == {"crc": 1}
    assert counters.reply_latency_p99 >= counters.reply_latency_p50 > 0
    assert counters.commit_latency_p50 > 0
    assert "stored=3" in counters.log_line()
    assert sum(seen) == 18


def test_shutdown_flushes(store: Store) -> None:
    async def body(gateway: Gateway) -> None:
        client = await Client.connect(gateway)
        await client.send(b"".join(minute_packet(f"2024050108500000{i}", f"20240501080{i}00")
                                   for i in range(5)))
        await asyncio.sleep(0.05)  # received, maybe not committed; stop() must commit them

    run(store, body, max_batch_delay=0.5)
    assert store.measurements.count() == 30


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("unknown_mn", "drop", "unknown_mn"),
        ("port", 70000, "port"),
        ("idle_timeout", 0, "idle_timeout"),
        ("max_batch", 0, "max_batch"),
        ("minute_interval", 7, "minute_interval"),
        ("strict", "yes", "strict"),
    ],
)
def test_invalid_config_rejected_clearly(setting: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        GatewayConfig(**{setting: value})
    assert repr(value) in str(info.value)


def test_unfinished_split_transfer_kept_when_link_drops(store: Store) -> None:
    part1 = frame(f"QN=20240501085000001;ST=22;CN=2051;PW={PW};MN={MN};Flag=7;PNUM=2;PNO=1;"
                  "CP=&&DataTime=20240501084000;a34004-Avg=35.2,a34004-Flag=N&&")

    async def body(gateway: Gateway) -> None:
        client = await Client.connect(gateway)
        await client.send(part1)
        await client.answers_until(1)
        await client.close()
        await asyncio.sleep(0.2)

    run(store, body)
    kept = store.registry.rejected()
    assert [(r.kind, r.raw, r.mn) for r in kept] == [("split", part1, MN)]
    assert store.measurements.readings().is_empty()


_streams = iter(range(1, 10**6))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=3 * 300), max_size=12))
def test_any_chunking_of_the_stream_is_reassembled(store: Store, cuts: list[int]) -> None:
    """Property: however TCP cuts the byte stream, every frame is found and answered once."""
    n = next(_streams)
    packets = [minute_packet(f"2024050108{n:05d}{i:02d}", f"202405{1 + i:02d}{n // 60 % 24:02d}"
                             f"{n % 60:02d}00") for i in range(3)]
    stream = b"".join(packets)
    edges = sorted({c % len(stream) for c in cuts} | {0, len(stream)})

    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        for a, b in itertools.pairwise(edges):
            if b > a:
                await client.send(stream[a:b])
        answers = await client.answers_until(3)
        await client.close()
        return answers

    before = store.measurements.readings().height
    answers = run(store, body)
    assert [a.qn for a in answers] == [hj212.parse(p).qn for p in packets]
    assert store.measurements.readings().height == before + 18


def test_minute_period_from_device_interval(store: Store) -> None:
    async def body(gateway: Gateway) -> None:
        client = await Client.connect(gateway)
        await client.send(minute_packet("20240501085000001"))
        await client.answers_until(1)
        await client.close()

    run(store, body, minute_intervals={MN: 5})  # MinInterval=5 ([S17] Table 4, CN 1064)
    assert set(store.measurements.readings(kind="minute")["period_s"]) == {300}


def test_serve_runs_until_stopped(store: Store) -> None:
    async def main() -> object:
        stop = asyncio.Event()
        config = GatewayConfig(host="127.0.0.1", port=free_port())
        server = asyncio.create_task(serve(store, config, stop=stop, log_every=0.1))
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection(config.host, config.port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        client = Client(reader, writer)
        await client.send(B1)
        await client.answers_until(1)
        stop.set()
        return await server

    counters = asyncio.run(main())
    assert counters.packets_stored == 1 and counters.replies_sent == 1
    assert counters.connections_open == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_internal_error_costs_one_packet_kept_not_the_link(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    original = Gateway._store_data
    poisoned = minute_packet("20240501085000009")

    def failing(self, conn, device, packet, raw, *rest):  # a bug hit by one packet only
        if raw == poisoned:
            raise RuntimeError("boom")
        return original(self, conn, device, packet, raw, *rest)

    monkeypatch.setattr(Gateway, "_store_data", failing)

    async def body(gateway: Gateway) -> list[hj212.Packet]:
        client = await Client.connect(gateway)
        await client.send(poisoned + minute_packet("20240501085000001"))
        answers = await client.answers_until(1)
        await client.close()
        return answers

    assert [a.qn for a in run(store, body)] == ["20240501085000001"]
    kept = store.registry.rejected()
    assert [(r.kind, r.raw) for r in kept] == [("internal", poisoned)]
    assert store.measurements.readings().height == 6


@pytest.mark.parametrize("texts", [
    ["35.2", "+5", ".5", "5.", "-.5", "00012.30", "-0", "1" * 400],  # [S17] §6.3.3.2.2 numbers
    ["1e-05", "nan", "inf", "-inf", repr(0.1 + 0.2), "2.2250738585072014e-308"],  # repr(float)
    ["1_000", "7.5"],  # float() takes what Arrow does not: the batch falls back to float()
])
def test_batch_numbers_are_the_values_float_gives(texts: list[str]) -> None:
    got = _numbers(texts).to_pylist()
    expected = [float(t) for t in texts]
    assert [repr(v) for v in got] == [repr(v) for v in expected]  # bit for bit, NaN included
