"""Durable ingest: batches go to the write-ahead journal, then to the stores in the background.

The gateway hands each group-commit batch (readings, raw packets, rejected packets) to
:meth:`StoreWriter.commit`; a journal thread builds it, appends it — with every batch queued
meanwhile — to the :class:`~ecohub.ingest.journal.Journal` and reports back once it is on disk:
the batch is then durable and its loggers may be answered. A single store thread takes the
journaled batches, merges whatever has queued up into one transaction
per store (large transactions are what a columnar store is fast at) and records in that same
transaction the journal position it reached. After a crash, :meth:`StoreWriter.replay` applies
exactly the records beyond each store's position; segments applied to both stores are deleted.

The store lags the answers by one apply (typically well under a second); ``backlog`` says by how
much, and the gateway stops answering new batches while it exceeds its limit, so a slow store
slows the loggers down instead of filling memory.
"""

from __future__ import annotations

import logging
import math
import queue
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa

from ecohub.ingest.journal import Journal
from ecohub.store import RejectedPacket, Store

__all__ = ["Applied", "JournalBatch", "StoreWriter"]

log = logging.getLogger(__name__)

REJECTED_SCHEMA = pa.schema([
    ("raw", pa.binary()),
    ("reason", pa.string()),
    ("received_at", pa.timestamp("us", tz="UTC")),
    ("peer", pa.string()),
    ("mn", pa.string()),
    ("disposition", pa.string()),
    ("reason_kind", pa.string()),
])
"""Rejected and quarantined packets inside a journal record."""

_LENGTH = struct.Struct("<Q")
_RETRY_SECONDS = 1.0
APPLY_EVERY_S = 0.2
"""Default :attr:`StoreWriter.apply_every`: the stores trail the loggers' answers by ~0.2 s more."""


@dataclass
class JournalBatch:
    """One group commit: readings, raw packets and packets kept as rejected or quarantined.

    Readings follow :data:`READING_SCHEMA`, raw packets :data:`PACKET_SCHEMA`.
    """

    readings: pa.Table
    packets: pa.Table
    rejected: list[RejectedPacket] = field(default_factory=list)
    packet_count: int = 0
    """Stored packets the batch answers for (the store backlog counts these)."""
    released: list[int] = field(default_factory=list)
    """Ids of quarantined packets this batch replays (:meth:`ecohub.store.Registry.quarantined`),
    marked released with the batch's rejected packets, in the registry's transaction."""

    def encode(self) -> bytes:
        """The batch as one journal record.

        The packet count, then readings, raw packets, rejected packets and released ids as four
        length-prefixed Arrow IPC streams.
        """
        rejected = pa.Table.from_pylist([asdict(r) for r in self.rejected],
                                        schema=REJECTED_SCHEMA)
        released = pa.table({"id": pa.array(self.released, pa.int64())})
        parts = [_LENGTH.pack(self.packet_count)]
        for table in (self.readings, self.packets, rejected, released):
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            data = sink.getvalue()
            parts += [_LENGTH.pack(data.size), data.to_pybytes()]
        return b"".join(parts)

    @classmethod
    def decode(cls, payload: bytes) -> JournalBatch:
        """The batch a journal record holds (the inverse of :meth:`encode`)."""
        (count,) = _LENGTH.unpack_from(payload)
        tables, offset = [], _LENGTH.size
        while offset < len(payload):  # records written before releases had three streams
            (size,) = _LENGTH.unpack_from(payload, offset)
            offset += _LENGTH.size
            tables.append(pa.ipc.open_stream(payload[offset:offset + size]).read_all())
            offset += size
        readings, packets, rejected, *rest = tables
        released = rest[0].column("id").to_pylist() if rest else []
        return cls(readings, packets, [RejectedPacket(**row) for row in rejected.to_pylist()],
                   count, released)


@dataclass(frozen=True)
class Applied:
    """What one store transaction applied (reported to ``on_applied``)."""

    packets: int
    readings: int
    inserted: int
    seconds: float
    error: BaseException | None = None


class StoreWriter:
    """The journal of one gateway and the thread that applies it to the stores.

    Parameters
    ----------
    store : Store
        Registry (rejected packets) and measurement store.
    journal_dir : path
        This gateway's journal directory.
    on_applied : callable, optional
        Called on the applier thread after every store transaction (or failed attempt).
    hooks : list of callables
        Receive every applied readings table (e.g. quality control), before ``on_applied``.
    max_rows : int
        Most readings merged into one store transaction.
    apply_every : float
        Least time (s) between the starts of two store transactions while data trickles in:
        what arrives meanwhile joins the next one. A store transaction costs milliseconds of
        CPU whatever its size (the latest-readings upkeep, the journal position), so a gateway
        that applied each small journal batch by itself would spend a core on 1,000 packets/s
        (measured: bench/RESULTS.md); the loggers' answers do not wait for it (they follow
        the journal), only the stores trail the answers by up to this much more.
        :meth:`hurry` skips the wait once.
    """

    def __init__(self, store: Store, journal_dir: str | Path, *,
                 on_applied: Callable[[Applied], None] | None = None,
                 hooks: Iterable[Callable[[pa.Table], object]] = (),
                 max_rows: int = 200_000, apply_every: float = APPLY_EVERY_S) -> None:
        self.store = store
        self.apply_every = apply_every
        self._hurry = threading.Event()
        self.on_applied = on_applied
        self.hooks = hooks
        self.max_rows = max_rows
        self.journal = Journal(journal_dir)
        self._positions = (store.registry.journal_position(self.journal.id),
                           store.measurements.journal_position(self.journal.id))
        self.journal.continue_after(max(self._positions))
        self._registry_at = self._positions[0]
        self._journal_queue: queue.Queue[tuple[Callable[[], JournalBatch], Callable] | None] = (
            queue.Queue())
        self._queue: queue.Queue[tuple[int, JournalBatch] | None] = queue.Queue()
        self._journal_thread: threading.Thread | None = None
        self._thread: threading.Thread | None = None
        self._backlog = self._unapplied = 0
        self._closing = False
        self._backlog_lock = threading.Lock()

    # ----------------------------------------------------------------- recovery

    def replay(self) -> tuple[int, int]:
        """Apply the journal records the stores are missing (after a crash).

        Call before the gateway accepts packets.

        Returns
        -------
        records : int
            Journal records applied.
        inserted : int
            Readings newly inserted.
        """
        registry_at, measurements_at = self._positions
        pending: list[tuple[int, JournalBatch]] = []
        records = inserted = rows = 0
        for seq, payload in self.journal.replay(after=min(self._positions)):
            batch = JournalBatch.decode(payload)
            if seq <= registry_at:
                batch.rejected, batch.released = [], []
            if seq <= measurements_at:
                batch.readings = batch.readings.slice(0, 0)
                batch.packets = batch.packets.slice(0, 0)
            pending.append((seq, batch))
            rows += batch.readings.num_rows
            records += 1
            if rows >= self.max_rows:
                inserted += self._apply(pending).inserted
                pending, rows = [], 0
        if pending:
            inserted += self._apply(pending).inserted
        self.journal.release(self.journal.last_seq, current=True)
        if records:
            log.info("HJ 212 journal %s: replayed %d records, %d readings were missing",
                     self.journal.directory, records, inserted)
        return records, inserted

    # ----------------------------------------------------------------- the data path

    def start(self) -> None:
        """Start the journal thread and the store thread."""
        self._journal_thread = threading.Thread(target=self._journal_run, name="hj212-journal",
                                                daemon=True)
        self._thread = threading.Thread(target=self._run, name="hj212-store", daemon=True)
        self._journal_thread.start()
        self._thread.start()

    def commit(self, build: Callable[[], JournalBatch],
               done: Callable[[int | BaseException], object]) -> None:
        """Queue a batch for the journal; ``build()`` makes it on the journal thread.

        Building there keeps its Arrow conversions off the caller. Once it is durable,
        ``done(seq)`` is called on the journal thread (``done(error)`` if building or writing
        failed) and the batch goes to the stores. Batches queued while a write runs share the
        next write and ``fdatasync``.
        """
        self._journal_queue.put((build, done))

    def _journal_run(self) -> None:
        while True:
            items = [self._journal_queue.get()]
            while True:
                try:
                    items.append(self._journal_queue.get_nowait())
                except queue.Empty:
                    break
            work = []
            for build, done in filter(None, items):
                try:
                    work.append((build(), done))
                except Exception as error:
                    log.exception("HJ 212 journal: a batch could not be built")
                    done(error)
            if work:
                try:
                    seqs = self.journal.append_many([batch.encode() for batch, _ in work])
                except Exception as error:
                    log.error("HJ 212 journal: write of %d batches failed: %r", len(work), error)
                    for _, done in work:
                        done(error)
                else:
                    for (batch, done), seq in zip(work, seqs, strict=True):
                        self.submit(seq, batch)
                        done(seq)
            if None in items:
                return

    def submit(self, seq: int, batch: JournalBatch) -> None:
        """Queue a journaled batch for the stores."""
        with self._backlog_lock:
            self._backlog += batch.packet_count
            self._unapplied += 1
        self._queue.put((seq, batch))

    def hurry(self) -> None:
        """Apply what is queued now, without waiting for ``apply_every`` (a flush, a stop)."""
        self._hurry.set()

    @property
    def backlog(self) -> int:
        """Packets answered (journaled) but not yet applied to the stores."""
        return self._backlog

    @property
    def unapplied(self) -> int:
        """Journaled batches not yet applied to the stores (and through the hooks)."""
        return self._unapplied

    def close(self) -> None:
        """Apply everything queued, stop the applier, delete the applied journal, close it.

        If the stores fail now, what they miss stays in the journal for the next start.
        """
        if self._journal_thread is not None:
            self._journal_queue.put(None)
            self._journal_thread.join()
            self._journal_thread = None
        if self._thread is not None:
            self._closing = True
            self._queue.put(None)
            self.hurry()
            self._thread.join()
            self._thread = None
        self.journal.close()

    def _run(self) -> None:
        stopping = False
        last_start = -math.inf
        while not stopping:
            items = [self._queue.get()]
            wait = last_start + self.apply_every - time.monotonic()
            if wait > 0 and items[0] is not None and self._hurry.wait(wait):
                self._hurry.clear()
            last_start = time.monotonic()
            rows = 0 if items[0] is None else items[0][1].readings.num_rows
            while rows < self.max_rows:  # merge what queued up meanwhile into one transaction
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                items.append(item)
                rows += 0 if item is None else item[1].readings.num_rows
            if None in items:
                stopping = True
                items = [i for i in items if i is not None]
            if not items:
                continue
            while True:
                result = self._apply(items)
                if self.on_applied is not None:
                    try:
                        self.on_applied(result)
                    except Exception:  # the store thread must outlive a bad listener
                        log.exception("HJ 212 store: on_applied %r failed", self.on_applied)
                if result.error is None or self._closing:
                    break
                # Answered data is safe in the journal: keep trying, never drop it.
                time.sleep(_RETRY_SECONDS)
            with self._backlog_lock:
                self._backlog -= sum(b.packet_count for _, b in items)
                self._unapplied -= len(items)
            if result.error is not None:
                log.error("HJ 212 store: journal records up to %d stay in %s and are applied "
                          "at the next start", items[-1][0], self.journal.directory)
                return
        self.journal.release(self.journal.last_seq, current=True)

    def _apply(self, items: list[tuple[int, JournalBatch]]) -> Applied:
        """Apply journaled batches in one transaction per store; release their segments."""
        started = time.perf_counter()
        seq = items[-1][0]
        batches = [b for _, b in items]
        count = sum(b.packet_count for b in batches)
        rows = sum(b.readings.num_rows for b in batches)
        try:
            readings = pa.concat_tables([b.readings for b in batches]).combine_chunks()
            packets = pa.concat_tables([b.packets for b in batches])
            rejected = [r for b in batches for r in b.rejected]
            released = [i for b in batches for i in b.released]
            if (rejected or released) and seq > self._registry_at:  # not again on a retry
                self.store.registry.record_rejected_many(
                    rejected, journal=(self.journal.id, seq), released=released)
                self._registry_at = seq
            inserted = 0
            if readings.num_rows or packets.num_rows:
                inserted = self.store.measurements.write(
                    readings, packets, journal=(self.journal.id, seq))
        except Exception as error:
            log.error("HJ 212 store: applying journal records up to %d failed (kept, retried): "
                      "%r", seq, error)
            return Applied(count, rows, 0, time.perf_counter() - started, error)
        self.journal.release(seq)
        seconds = time.perf_counter() - started
        if readings.num_rows:
            for hook in list(self.hooks):
                try:
                    hook(readings)
                except Exception:
                    log.exception("HJ 212 store: hook %r failed", hook)
        return Applied(count, readings.num_rows, inserted, seconds)
