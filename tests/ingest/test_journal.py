"""The gateway's write-ahead journal and the store writer that applies it (real files, real
stores in tmp_path; a real gateway process killed with SIGKILL)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from ecohub.ingest.journal import Journal, JournalError
from ecohub.ingest.store_writer import JournalBatch, StoreWriter
from ecohub.store import PACKET_SCHEMA, READING_SCHEMA, RejectedPacket, open_store

# --------------------------------------------------------------------------- the journal


def test_records_come_back_in_order_and_numbering_continues(tmp_path: Path) -> None:
    with Journal(tmp_path / "j") as journal:
        assert [journal.append(p) for p in (b"a", b"", b"c" * 1000)] == [1, 2, 3]
    with Journal(tmp_path / "j") as journal:
        assert list(journal.replay(after=0)) == [(1, b"a"), (2, b""), (3, b"c" * 1000)]
        assert list(journal.replay(after=2)) == [(3, b"c" * 1000)]
        assert journal.append(b"d") == 4


@pytest.mark.parametrize("cut", [1, 5, 16, 20])
def test_torn_tail_is_cut_off_and_overwritten(tmp_path: Path, cut: int, caplog) -> None:
    """A crash in the middle of a write leaves part of a record: it was never answered, so it
    is dropped on open, and the next record takes its number."""
    with Journal(tmp_path) as journal:
        journal.append(b"kept")
        journal.append(b"torn record")
    (segment,) = tmp_path.glob("*.wal")
    segment.write_bytes(segment.read_bytes()[:-cut])
    with Journal(tmp_path) as journal:
        assert "after record 1 do not check; cut off" in caplog.text
        assert list(journal.replay(after=0)) == [(1, b"kept")]
        assert journal.append(b"next") == 2
        assert list(journal.replay(after=0)) == [(1, b"kept"), (2, b"next")]


def test_corrupt_record_ends_the_segment(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        for payload in (b"one", b"two", b"three"):
            journal.append(payload)
    (segment,) = tmp_path.glob("*.wal")
    data = bytearray(segment.read_bytes())
    data[16 + 3 + 16] ^= 0xFF  # first payload byte of record 2: its CRC-32 no longer matches
    segment.write_bytes(bytes(data))
    with Journal(tmp_path) as journal:
        assert [seq for seq, _ in journal.replay(after=0)] == [1]


def test_segments_rotate_and_applied_ones_are_deleted(tmp_path: Path) -> None:
    with Journal(tmp_path, segment_bytes=50) as journal:
        for i in range(6):
            journal.append(bytes(60) + bytes([i]))  # 77 bytes a record: one per segment
        assert len(list(tmp_path.glob("*.wal"))) == 6
        assert journal.release(3) == 3
        assert [seq for seq, _ in journal.replay(after=0)] == [4, 5, 6]
        assert journal.release(6) == 2  # the segment being written stays …
        assert journal.release(6, current=True) == 1  # … until it is closed
        assert not list(tmp_path.glob("*.wal"))
        assert journal.append(b"x") == 7


def test_group_commit_writes_records_in_order(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        assert journal.append_many([b"a", b"b", b"c"]) == [1, 2, 3]
        assert journal.append(b"d") == 4
        assert [p for _, p in journal.replay(after=0)] == [b"a", b"b", b"c", b"d"]


def test_numbering_continues_after_an_applied_position(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        journal.continue_after(41)
        assert journal.append(b"x") == 42


def test_one_gateway_per_journal(tmp_path: Path) -> None:
    with Journal(tmp_path), pytest.raises(JournalError, match="in use by another gateway"):
        Journal(tmp_path)


# --------------------------------------------------------------------------- the store writer

MN = "010000A8900016F000169DC9"


def readings(minute: int, n: int = 3) -> pa.Table:
    start = datetime(2026, 11, 1, 0, minute, tzinfo=UTC)
    now = datetime(2026, 11, 1, 1, tzinfo=UTC)
    return pa.Table.from_pylist(
        [{"mn": MN, "object_id": 1, "factor": f"a3400{i}", "kind": "minute",
          "period_start": start, "period_s": 60, "statistic": "Avg", "value": float(i),
          "device_flag": "N", "received_at": now, "packet_id": f"q{minute}"} for i in range(n)],
        schema=READING_SCHEMA,
    )


def packets(minute: int) -> pa.Table:
    return pa.Table.from_pylist(
        [{"packet_id": f"q{minute}", "mn": MN, "cn": "2051",
          "received_at": datetime(2026, 11, 1, 1, tzinfo=UTC), "raw": f"##…{minute}"}],
        schema=PACKET_SCHEMA,
    )


def batch(minute: int, rejected: int = 0) -> JournalBatch:
    bad = [RejectedPacket(b"##bad%d" % k, "crc: mismatch", datetime(2026, 11, 1, tzinfo=UTC),
                          "10.0.0.1:5000", MN) for k in range(rejected)]
    return JournalBatch(readings(minute), packets(minute), bad, 1)


def test_journal_batch_round_trip() -> None:
    original = batch(7, rejected=2)
    back = JournalBatch.decode(original.encode())
    assert back.readings.equals(original.readings)
    assert back.packets.equals(original.packets)
    assert back.rejected == original.rejected
    assert back.packet_count == 1


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(data_dir=tmp_path / "data", migrate=True)
    yield s
    s.close()


def test_replay_applies_exactly_what_the_stores_miss(store, tmp_path: Path) -> None:
    journal_dir = tmp_path / "journal"
    writer = StoreWriter(store, journal_dir)
    for minute in range(4):  # journaled (answered) …
        writer.journal.append(batch(minute, rejected=1).encode())
    writer._apply([(1, batch(0, rejected=1)), (2, batch(1, rejected=1))])  # … two applied
    writer.journal.close()  # the process dies here

    writer = StoreWriter(store, journal_dir)
    assert writer.replay() == (2, 6)
    counts = (store.measurements.count(), store.measurements.packet_count())
    assert counts == (12, 4)  # no raw packet twice
    assert len(store.registry.rejected()) == 4  # no rejected packet twice
    assert store.measurements.journal_position(writer.journal.id) == 4
    assert not list(journal_dir.glob("*.wal"))
    assert writer.replay() == (0, 0)
    writer.start()
    seqs: list[object] = []
    writer.commit(lambda: batch(9), seqs.append)
    writer.close()
    assert seqs == [5]
    assert store.measurements.count() == 15
    assert store.measurements.journal_position(writer.journal.id) == 5  # never reused


def test_a_batch_that_cannot_be_built_is_reported_and_the_next_goes_on(store,
                                                                        tmp_path: Path) -> None:
    def broken() -> JournalBatch:
        raise ValueError("no such column")

    writer = StoreWriter(store, tmp_path / "journal")
    writer.start()
    results: list[object] = []
    writer.commit(broken, results.append)
    writer.commit(lambda: batch(0), results.append)
    writer.close()
    assert isinstance(results[0], ValueError) and results[1] == 1  # nothing journaled for it
    assert store.measurements.count() == 3


def test_applier_merges_queued_batches_and_runs_hooks(store, tmp_path: Path) -> None:
    seen: list[int] = []
    writer = StoreWriter(store, tmp_path / "journal", hooks=[lambda t: seen.append(t.num_rows)])
    for minute in range(5):
        b = batch(minute)
        writer.submit(writer.journal.append(b.encode()), b)
    assert writer.backlog == 5
    writer.start()
    writer.close()
    assert writer.backlog == 0 and writer.unapplied == 0
    assert store.measurements.count() == 15 and sum(seen) == 15
    assert len(seen) == 1  # everything that had queued up: one transaction


def test_batches_trickling_in_share_a_store_transaction_and_a_hurry_skips_the_wait(
        store, tmp_path: Path) -> None:
    import time

    applied: list[float] = []
    writer = StoreWriter(store, tmp_path / "journal", apply_every=0.5,
                         on_applied=lambda result: applied.append(time.monotonic()))
    writer.start()
    try:
        for minute in range(6):  # one journaled batch every 50 ms, as a quiet gateway's
            b = batch(minute)
            writer.submit(writer.journal.append(b.encode()), b)
            time.sleep(0.05)
        deadline = time.monotonic() + 5
        while writer.unapplied and time.monotonic() < deadline:
            time.sleep(0.01)
        assert store.measurements.count() == 18
        assert len(applied) == 2  # the first at once, the five after it half a second later
        assert applied[1] - applied[0] >= 0.45
        b = batch(9)
        submitted = time.monotonic()
        writer.submit(writer.journal.append(b.encode()), b)
        writer.hurry()  # a flush: applied now, not at the next half second
        while writer.unapplied and time.monotonic() < deadline:
            time.sleep(0.005)
        assert store.measurements.count() == 21
        assert applied[2] - submitted < 0.3
    finally:
        writer.close()


# --------------------------------------------------------------------------- kill -9

GATEWAY = textwrap.dedent("""
    import asyncio, sys, time
    from ecohub.ingest.hj212_server import Gateway, GatewayConfig
    from ecohub.store import open_store

    store = open_store(data_dir=sys.argv[1])
    write = store.measurements.write
    def slow(*args, **kwargs):  # a store far behind the answers when the kill comes
        time.sleep(0.5)
        return write(*args, **kwargs)
    store.measurements.write = slow

    async def main():
        gateway = Gateway(store, GatewayConfig(host="127.0.0.1", port=int(sys.argv[2])))
        await gateway.start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
""")


def test_every_answered_packet_survives_kill_9(logger_site) -> None:
    data = logger_site.data_dir
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, "-c", GATEWAY, str(data), str(logger_site.port)],
                               stdout=subprocess.PIPE, env=env)
    try:
        assert process.stdout.readline().strip() == b"ready"
        answered = 0
        with socket.create_connection(("127.0.0.1", logger_site.port), timeout=5) as link:
            for n in range(40):
                answered += logger_site.exchange(link, logger_site.upload(n)).cn == "9014"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    assert answered == 40
    with open_store(data_dir=data) as store:
        before = store.measurements.count()
        writer = StoreWriter(store, data / "journal")
        writer.replay()
        writer.close()
        after = store.measurements.count()
    assert before < 40  # the store was behind: the journal, not luck, kept the data
    assert after == 40
