"""The HJ 212 TCP gateway: data loggers (数采仪) connect, upload, and are answered after commit.

HJ 212-2017 [S17] §5–6 runs the protocol over TCP and leaves the roles to practice: the platform
listens and every data logger connects to it as a client (docs/reference/hj212.md §1.6). This
module is that listening side for the whole deployment:

* one asyncio server holds thousands of persistent connections (an :class:`asyncio.Protocol` per
  connection: no task per connection, no per-read timers — an idle sweeper closes silent links);
* bytes go through the codec's streaming frame reader, so frames split across reads and several
  frames in one read are both handled, and a bad frame is resynchronised past ([S17] §6.3.1);
* each packet is checked (frame, CRC, syntax, registered MN, password PW, the deviations its
  logger's protocol profile accepts — :mod:`ecohub.protocols.hj212.profiles`) and then either
  stored, with the deviations it carries, or kept whole in the rejected-packet store with its
  reason — the connection stays open;
* the registry is watched: a logger registered, retired or changed counts from its next packet,
  without a restart, and packets quarantined for an unknown MN are replayed into the store once
  it is registered, exactly once (:meth:`Gateway.release_quarantined`);
* uploads with Flag bit A=1 are answered with CN 9014 ([S17] §6.5.2, docs/reference/hj212.md §3.5)
  **only after their readings are durably committed**: everything that arrives while one commit runs
  forms the next batch (group commit), so a thousand loggers waiting for their answers share one
  commit. The commit is an append to the gateway's write-ahead journal (one ``fdatasync``,
  :mod:`ecohub.ingest.journal`); a single store thread then applies the journaled batches to the
  registry and the measurement store in large transactions that record the journal position they
  reached, and a restart after a crash replays what they miss (:mod:`ecohub.ingest.store_writer`).
  The stores trail the answers by one apply, usually well under a second; a store that falls further
  behind than ``max_backlog`` holds the answers back, which slows the loggers down.

Readings are mapped from CN to kind (2011 realtime, 2051 minute, 2061 hour, 2031 day;
docs/reference/hj212.md §3.2) with the period start converted from China Standard Time (UTC+8,
the wire time: [S17] Table 4 and App. C, docs/reference/hj212.md §4.6) to UTC and the period
length from the kind (minute data: the device's MinInterval from the registry), as
:data:`ecohub.store.READING_SCHEMA` requires.

``ecohub serve`` runs it (:func:`ecohub.server.serve`), or drive a :class:`Gateway` yourself::

    gateway = Gateway(store, GatewayConfig(port=2756))
    await gateway.start()
    ...
    print(gateway.counters().log_line())
    await gateway.stop()
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import functools
import itertools
import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from ecohub.ingest.status import gateway_directory, remove_gateway_status, write_gateway_status
from ecohub.ingest.store_writer import Applied, JournalBatch, StoreWriter
from ecohub.passwords import PasswordWorkers
from ecohub.protocols import hj212
from ecohub.store import PACKET_SCHEMA, READING_SCHEMA, Device, RejectedPacket, Store
from ecohub.vocabulary import CHINA_TZ, KINDS

__all__ = [
    "CN_KINDS",
    "Gateway",
    "GatewayConfig",
    "GatewayCounters",
]

log = logging.getLogger(__name__)

CN_KINDS: dict[str, tuple[str, int | None]] = {
    kind.cn: (kind.name, kind.period_s) for kind in KINDS.values()
}
"""Data-upload CN → (reading kind, period length in s); [S17] §6.6.5 Table 9.

Minute data has no fixed period: it is the device's MinInterval ([S17] Table 4, CN 1063/1064).

DataTime is the start of the period (docs/reference/hj212.md §4.6).
"""

ANSWER_CNS = frozenset({"9011", "9012", "9013", "9014"})
"""Interaction answers ([S17] Table 9): never answered back, never stored as readings."""

WRITER_SWITCH_INTERVAL = 0.0005
"""GIL switch interval (s) while :func:`serve` runs. A commit returns from DuckDB (which runs
without the GIL) to Python several times, and each time the store thread waits until the busy
event loop hands the GIL over: up to the interval, 5 ms by default. Measured on a 10,000-reading
commit beside a busy Python thread: 5 ms adds ~60 ms to the commit, 0.5 ms ~25 ms."""

REPLY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (s) of the reply-latency histogram (:meth:`Gateway.reply_histogram`)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class GatewayConfig:
    """Operator settings of the gateway; invalid values raise ``ValueError`` naming the field.

    Times are in seconds. ``minute_interval`` (minutes) is used for a device whose registry entry
    gives none; ``minute_intervals`` overrides it per MN (the interval of CN 2051 minute data is
    the logger's MinInterval, one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30; [S17] Table 4).
    """

    host: str = "0.0.0.0"
    port: int = 2756
    unknown_mn: Literal["reject", "quarantine"] = "reject"
    strict: bool = False
    """True: every packet must conform to HJ 212 as written (conformance testing); False: each
    logger's packets are read with its protocol profile from the registry."""
    check_password: bool = True
    idle_timeout: float = 600.0
    max_batch: int = 4000
    """Most packets committed in one transaction."""
    max_batch_delay: float = 0.005
    """How long the first packet of a batch waits for others to share its journal commit
    (batches sealed while a commit runs share the next one anyway)."""
    minute_interval: int = 10
    minute_intervals: Mapping[str, int] = field(default_factory=dict)
    max_pending_per_connection: int = 256
    """Packets of one connection awaiting commit before reading from it is paused."""
    split_timeout: float = 300.0
    """Incomplete split transfers (Flag D=1) older than this are kept as rejected."""
    latency_window: int = 20000
    """How many recent latencies the p50/p99 counters are computed from."""
    journal_dir: str | os.PathLike[str] | None = None
    """This gateway's write-ahead journal; default ``journal`` in the store's data directory
    (:attr:`ecohub.store.StoreSettings.data_dir`). One per gateway."""
    max_backlog: int = 50000
    """Packets answered but not yet in the stores beyond which answers are held back."""
    clock_window: float = 86400.0
    """A DataTime further than this from the arrival (realtime data) or from the period's end
    (minute, hour, day data) is stored but flagged ``clock.offset`` with the packet."""
    reload_interval: float = 2.0
    """How often the registry is asked whether it changed."""
    status_interval: float = 2.0
    """How often the links are written to the status file ``ecohub ingest status`` reads
    (:func:`ecohub.ingest.status.write_gateway_status`)."""

    def __post_init__(self) -> None:
        def bad(name: str, value: object, expected: str) -> ValueError:
            return ValueError(f"GatewayConfig.{name}: got {value!r}, expected {expected}")

        if not isinstance(self.host, str) or not self.host:
            raise bad("host", self.host, "a host name or IP address")
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise bad("port", self.port, "an integer 0..65535 (0 = any free port)")
        if self.unknown_mn not in ("reject", "quarantine"):
            raise bad("unknown_mn", self.unknown_mn, "'reject' or 'quarantine'")
        for name in ("strict", "check_password"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, getattr(self, name), "True or False")
        for name in ("idle_timeout", "split_timeout", "clock_window", "reload_interval",
                     "status_interval"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise bad(name, value, "a positive number of seconds")
        if not isinstance(self.max_batch_delay, int | float) or not 0 <= self.max_batch_delay <= 1:
            raise bad("max_batch_delay", self.max_batch_delay, "0 to 1 second")
        if self.journal_dir is not None and (not isinstance(self.journal_dir, str | os.PathLike)
                                             or not str(self.journal_dir)):
            raise bad("journal_dir", self.journal_dir, "a directory path")
        for name in ("max_batch", "max_pending_per_connection", "latency_window", "max_backlog"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise bad(name, value, "a positive integer")
        intervals = {"minute_interval": self.minute_interval} | {
            f"minute_intervals[{mn!r}]": v for mn, v in self.minute_intervals.items()
        }
        for name, value in intervals.items():
            if not isinstance(value, int) or value < 1 or 60 % value:
                raise bad(name, value, "minutes dividing 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)")


# --------------------------------------------------------------------------- counters


@dataclass(frozen=True)
class GatewayCounters:
    """A snapshot of what the gateway has done since it started (latencies in milliseconds)."""

    connections_open: int
    connections_total: int
    connections_idle_closed: int
    packets_received: int
    packets_stored: int
    packets_not_data: int
    readings_stored: int
    duplicates: int
    """Readings offered again (resends) and ignored by the store."""
    rejected: dict[str, int]
    """Rejected packets by reason kind (``crc``, ``frame``, ``password``, ``unknown_mn`` …)."""
    quarantined: int
    deviations: dict[str, int]
    """Deviations read in packets (``strict=False``), by kind; those a logger's profile does
    not accept are also counted under ``rejected['profile']``."""
    released: int
    """Quarantined packets replayed once their logger was registered."""
    replies_sent: int
    batches: int
    """Group commits to the journal (each answers the packets in it)."""
    store_transactions: int
    store_errors: int
    """Failed journal commits (not answered) and store transactions (retried from the
    journal)."""
    store_backlog: int
    """Packets answered (journaled) but not yet applied to the stores."""
    commit_latency_p50: float
    commit_latency_p99: float
    store_latency_p50: float
    store_latency_p99: float
    reply_latency_p50: float
    reply_latency_p99: float

    def log_line(self) -> str:
        """One line for the operator's log."""
        rejected = ",".join(f"{k}={v}" for k, v in sorted(self.rejected.items())) or "0"
        return (
            f"conn open={self.connections_open} total={self.connections_total} "
            f"packets in={self.packets_received} stored={self.packets_stored} "
            f"readings={self.readings_stored} dup={self.duplicates} rejected[{rejected}] "
            f"quarantined={self.quarantined} replies={self.replies_sent} "
            f"commit p50/p99={self.commit_latency_p50:.1f}/{self.commit_latency_p99:.1f} ms "
            f"store backlog={self.store_backlog} "
            f"p50/p99={self.store_latency_p50:.1f}/{self.store_latency_p99:.1f} ms "
            f"reply p50/p99={self.reply_latency_p50:.1f}/{self.reply_latency_p99:.1f} ms"
        )


def _percentiles(samples: Iterable[float]) -> tuple[float, float]:
    values = np.fromiter(samples, dtype=float)
    if values.size == 0:
        return 0.0, 0.0
    p50, p99 = np.percentile(values, [50, 99]) * 1000.0
    return float(p50), float(p99)


# --------------------------------------------------------------------------- group commit


class _Batch:
    """Everything to commit in one transaction, and the answers due after it.

    Readings are gathered as columns: the packet-level columns once per packet (``row`` holds
    mn, object_id, kind, period start µs, period_s, received µs, packet_id and the reading
    count), the per-reading ones (factor, statistic, value, flag) once per reading; the Arrow
    table is then built by repeating packet rows, not by a Python loop over readings.
    """

    __slots__ = ("rows", "factor", "statistic", "value", "flag", "packets", "rejected",
                 "replies", "connections", "n_packets", "released")

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, str, int, int, int, str, int]] = []
        self.factor: list[str] = []
        self.statistic: list[str] = []
        self.value: list[str] = []
        """The numbers as decimal text (:meth:`ecohub.protocols.hj212.Packet.reading_columns`)."""
        self.flag: list[str | None] = []
        self.packets: list[tuple[str, str, str, int, str, str | None]] = []
        self.rejected: list[RejectedPacket] = []
        self.replies: list[tuple[_Connection, bytes, float]] = []
        self.connections: list[_Connection] = []
        self.n_packets = 0
        self.released: list[int] = []
        """Ids of the quarantined packets replayed in this batch."""

    def __len__(self) -> int:
        return self.n_packets + len(self.rejected)

    def readings_table(self) -> pa.Table:
        """The batch's readings as :data:`ecohub.store.READING_SCHEMA`."""
        if not self.rows:
            return READING_SCHEMA.empty_table()
        mn, object_id, kind, period_us, period_s, received_us, packet_id, counts = zip(
            *self.rows, strict=True)
        take = pa.array(np.repeat(np.arange(len(counts)), counts))
        ts = pa.timestamp("us", tz="UTC")

        def per_packet(values: tuple[Any, ...], kind_: pa.DataType) -> pa.Array:
            return pa.array(values, kind_).take(take)

        return pa.Table.from_arrays(
            [
                per_packet(mn, pa.string()),
                per_packet(object_id, pa.int64()),
                pa.array(self.factor, pa.string()),
                per_packet(kind, pa.string()),
                per_packet(period_us, pa.int64()).cast(ts),
                per_packet(period_s, pa.int32()),
                pa.array(self.statistic, pa.string()),
                _numbers(self.value),
                pa.array(self.flag, pa.string()),
                per_packet(received_us, pa.int64()).cast(ts),
                per_packet(packet_id, pa.string()),
            ],
            schema=READING_SCHEMA,
        )

    def journal_batch(self) -> JournalBatch:
        """The batch as the journal and the stores take it."""
        return JournalBatch(self.readings_table(), self.packets_table(), self.rejected,
                            self.n_packets, self.released)

    def packets_table(self) -> pa.Table:
        """The batch's raw packets as :data:`ecohub.store.PACKET_SCHEMA`."""
        if not self.packets:
            return PACKET_SCHEMA.empty_table()
        ids, mns, cns, received, raws, deviations = zip(*self.packets, strict=True)
        return pa.Table.from_arrays(
            [
                pa.array(ids, pa.string()),
                pa.array(mns, pa.string()),
                pa.array(cns, pa.string()),
                pa.array(received, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                pa.array(raws, pa.string()),
                pa.array(deviations, pa.string()),
            ],
            schema=PACKET_SCHEMA,
        )


# --------------------------------------------------------------------------- connection


class _Connection(asyncio.Protocol):
    """One data logger's TCP link: framing, per-link split reassembly and answers in order."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.frames = hj212.FrameReader(strict=gateway.config.strict)
        self.tail = b""
        """The bytes the frame reader holds (always a suffix of the stream), kept if the link
        drops before the frame is complete."""
        self.splits: hj212.Reassembler | None = None
        self.split_raw: dict[tuple[object, ...], bytes] = {}
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.last_seen = time.monotonic()
        self.pending = 0
        self.paused = False
        self.closed = False
        self.held: deque[tuple[Any, float, datetime]] | None = None
        """Items that arrived while a password check of this link runs (None: no check)."""
        self.mn: str | None = None
        """The MN of the last packet accepted on this link."""
        self.connected_at = datetime.now(UTC)
        self.releasing: list[int] = []
        """Ids of quarantined packets being replayed whose batch is not chosen yet."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one
        self.transport = transport  # type: ignore[assignment]
        host, port, *_ = transport.get_extra_info("peername") or ("?", 0)
        self.peer = f"{host}:{port}"
        self.gateway._opened(self)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.last_seen = now
        received_at = datetime.now(UTC)
        items = self.frames.feed(data)
        pending = self.frames.pending
        self.tail = (self.tail + data)[-pending:] if pending else b""
        for item in items:
            self.take(item, now, received_at)

    def take(self, item: bytes | hj212.FrameError, now: float, received_at: datetime) -> None:
        """Handle one framed item, or queue it behind a password check still running."""
        if self.held is not None:
            self.held.append((item, now, received_at))
            return
        try:
            self.gateway._handle(self, item, now, received_at)
        except Exception as error:  # a bug must cost one packet (kept), not the link
            log.exception("HJ 212 gateway: packet from %s could not be handled", self.peer)
            raw = item.raw if isinstance(item, hj212.FrameError) else item
            self.gateway._reject(self, raw, f"internal: {error!r}", received_at)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.gateway._closed(self)

    def send(self, frame: bytes, started: float) -> None:
        """Write an answer unless the link has gone; record the receive-to-answer latency."""
        if self.closed or self.transport is None or self.transport.is_closing():
            return
        self.transport.write(frame)
        self.gateway._reply_sent(time.monotonic() - started)

    def hold(self) -> None:
        """One more packet of this link awaits commit; pause reading when too many do."""
        self.pending += 1
        if not self.paused and self.pending >= self.gateway.config.max_pending_per_connection:
            self.paused = True
            if self.transport is not None:
                self.transport.pause_reading()

    def release(self) -> None:
        self.pending -= 1
        if (self.paused and self.pending <= self.gateway.config.max_pending_per_connection // 2
                and not self.gateway._stopping):
            self.paused = False
            if self.transport is not None and not self.closed:
                self.transport.resume_reading()

    def reassembler(self) -> hj212.Reassembler:
        if self.splits is None:
            self.splits = hj212.Reassembler(timeout=self.gateway.config.split_timeout)
        return self.splits

    def incomplete_splits(self, everything: bool) -> list[tuple[bytes, hj212.Incomplete]]:
        """Evicted unfinished split transfers with their raw bytes, removed from the link.

        With ``everything``, all unfinished split transfers, evicted or not.
        """
        if self.splits is None:
            return []
        evicted = self.splits.expire(math.inf if everything else None)
        out = []
        for incomplete in evicted:
            raws = [self.split_raw.pop(_part_key(p), b"") for p in incomplete.parts]
            out.append((b"".join(raws), incomplete))
        return out


class _ReplayLink(_Connection):
    """A link that replays quarantined packets of one logger: nothing is sent back.

    The logger was answered when its packet was quarantined. Items are ``(raw, id)``; the id
    joins the batch the packet lands in, which marks it released when the store applies it.
    """

    def __init__(self, gateway: Gateway, peer: str | None) -> None:
        super().__init__(gateway)
        self.peer = f"{peer or '?'} (released from quarantine)"

    def take(self, item: Any, now: float, received_at: datetime) -> None:
        if self.held is not None:
            self.held.append((item, now, received_at))
            return
        raw, quarantine_id = item
        self.releasing.append(quarantine_id)
        super().take(raw, now, received_at)


def _part_key(part: hj212.Packet) -> tuple[object, ...]:
    return (part.mn, part.cn, part.data_time, part.pnum, part.pno)


# --------------------------------------------------------------------------- gateway


class Gateway:
    """The asyncio HJ 212 server over one :class:`ecohub.store.Store`.

    ``on_commit`` is a list of callables receiving each readings table applied to the store
    (:data:`ecohub.store.READING_SCHEMA`), replayed ones included; they run on the store thread
    after the answers went out, so quality control can be wired in without slowing the replies.
    """

    def __init__(self, store: Store, config: GatewayConfig | None = None) -> None:
        self.store = store
        self.config = config or GatewayConfig()
        self.on_commit: list[Callable[[pa.Table], Any]] = []
        self._devices: dict[str, Device] = {}
        self._retired: dict[str, datetime] = {}
        self._registry_version = -1
        self._released_ids: set[int] = set()
        """Quarantined packets handed to a replay by this gateway (never replayed twice)."""
        self._connections: set[_Connection] = set()
        self._filling: _Batch | None = None
        self._sealed: deque[_Batch] = deque()
        self._in_flight = 0
        """Batches handed to the journal and not answered yet."""
        self._verifying = 0
        """Password checks running."""
        self._passwords = PasswordWorkers(processes=2) if self.config.check_password else None
        self._timer: asyncio.TimerHandle | None = None
        self._drained = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hj212-io")
        self._writer: StoreWriter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._sweeper_task: asyncio.Task[None] | None = None
        self._watcher_task: asyncio.Task[None] | None = None
        self._status_task: asyncio.Task[None] | None = None
        self._started_at = datetime.now(UTC)
        self._stopping = False
        self._commit_latency: deque[float] = deque(maxlen=self.config.latency_window)
        self._store_latency: deque[float] = deque(maxlen=self.config.latency_window)
        self._reply_latency: deque[float] = deque(maxlen=self.config.latency_window)
        self._n: dict[str, int] = dict.fromkeys(
            (
                "connections_total", "connections_idle_closed", "packets_received",
                "packets_stored", "packets_not_data", "readings_stored", "duplicates",
                "quarantined", "replies_sent", "batches", "store_transactions", "store_errors",
                "released",
            ),
            0,
        )
        self._rejected: dict[str, int] = {}
        self._deviations: dict[str, int] = {}
        self._reply_histogram = [0] * (len(REPLY_BUCKETS) + 1)
        self._reply_seconds = 0.0

    # ----------------------------------------------------------------- lifecycle

    async def start(self, *, listen: bool = True) -> None:
        """Load the device registry, open the journal and listen on ``config.host:port``.

        Before listening, what the stores miss from the journal (after a crash) is applied to
        them and the store thread is started. ``listen=False`` starts everything but the TCP
        server and the registry watch (``ecohub ingest release`` replays quarantined packets
        through a gateway that does not listen).
        """
        await self.reload_devices()
        loop = self._loop = asyncio.get_running_loop()
        self._writer = await loop.run_in_executor(self._executor, self._open_writer)
        await loop.run_in_executor(self._executor, self._writer.replay)
        self._writer.start()
        if self._passwords is not None:
            await self._passwords.start()
        if not listen:
            return
        self._sweeper_task = loop.create_task(self._sweeper(), name="hj212-sweeper")
        try:
            self._server = await loop.create_server(
                lambda: _Connection(self), self.config.host, self.config.port, backlog=4096
            )
        except OSError:  # the port is taken, say: stop the store thread and journal cleanly
            await self.stop()
            raise
        log.info("HJ 212 gateway listening on %s:%s", *self.address)
        await self.release_quarantined()  # loggers registered while the gateway was down
        self._watcher_task = loop.create_task(self._watch_registry(), name="hj212-registry")
        self._status_task = loop.create_task(self._publish_status(*self.address),
                                             name="hj212-status")

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) actually bound (useful with ``port=0``)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the gateway is not listening; call start() first")
        host, port, *_ = self._server.sockets[0].getsockname()
        return host, port

    def _open_writer(self) -> StoreWriter:
        directory = self.config.journal_dir or self.store.settings.data_dir / "journal"
        return StoreWriter(self.store, directory, hooks=self.on_commit,
                           on_applied=self._applied_threadsafe)

    async def stop(self) -> None:
        """Graceful shutdown: answer everything received, close the links, apply the journal.

        Accepting and reading stop; everything received is committed and answered; partial
        frames and unfinished split transfers are kept as rejected; the links are closed; then
        the journal is applied to the stores and removed.
        """
        if self._stopping:
            return
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for conn in list(self._connections):
            if conn.transport is not None and not conn.closed:
                conn.transport.pause_reading()
            self._keep_leftovers(conn, "gateway stopped")
        await self._answer_everything()
        for task in (self._sweeper_task, self._watcher_task, self._status_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._status_task is not None and self._writer is not None:
            with contextlib.suppress(OSError):
                remove_gateway_status(gateway_directory(self.store.settings.data_dir),
                                      self._writer.journal.id)
        for conn in list(self._connections):
            if conn.transport is not None:
                conn.transport.close()
        for _ in range(100):  # closed links report back on the next loop iterations
            if not self._connections:
                break
            await asyncio.sleep(0.01)
        if self._server is not None:
            await self._server.wait_closed()
        if self._writer is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._writer.close)
        self._executor.shutdown(wait=True)
        if self._passwords is not None:
            await self._passwords.close()
        log.info("HJ 212 gateway stopped: %s", self.counters().log_line())

    async def flush(self) -> None:
        """Commit and answer everything received so far, and wait until the stores hold it.

        By then the ``on_commit`` hooks have seen it too.
        """
        await self._answer_everything()
        while self._writer is not None and self._writer.unapplied:
            self._writer.hurry()
            await asyncio.sleep(0.002)
        await asyncio.sleep(0)  # the store thread's last report runs on the loop first

    async def _answer_everything(self) -> None:
        """Wait until every packet received is checked, journaled and answered."""
        while True:
            self._seal()
            if not (self._in_flight or self._sealed or self._verifying):
                return
            self._drained.clear()  # set by the next commit or password check that completes
            await self._drained.wait()

    async def reload_devices(self) -> int:
        """Re-read the device registry (after registering loggers); returns the device count.

        The running gateway does this by itself within ``reload_interval`` of a change.
        """
        loop = asyncio.get_running_loop()
        registry = self.store.registry

        def read() -> tuple[int, dict[str, Device], dict[str, datetime]]:
            version = registry.version()  # first: a change made meanwhile shows up next time
            return version, registry.devices(), registry.retired_devices()

        self._registry_version, self._devices, self._retired = await loop.run_in_executor(
            self._executor, read)
        return len(self._devices)

    async def _watch_registry(self) -> None:
        """Follow the registry: reload the loggers when it changed, release their quarantine."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.reload_interval)
            try:
                version = await loop.run_in_executor(self._executor,
                                                     self.store.registry.version)
                if version == self._registry_version:
                    continue
                known = self._devices.keys()
                before = set(known)
                count = await self.reload_devices()
                added = self._devices.keys() - before
                log.info("HJ 212 gateway: registry changed, %d loggers (%d new)", count,
                         len(added))
                if added:
                    await self.release_quarantined(added)
            except Exception:  # the registry briefly unreachable must not stop the gateway
                log.exception("HJ 212 gateway: reading the registry failed; retrying")

    async def _publish_status(self, host: str, port: int) -> None:
        """Write who is connected, from where, to the status file, every ``status_interval``."""
        loop = asyncio.get_running_loop()
        directory = gateway_directory(self.store.settings.data_dir)
        assert self._writer is not None
        journal_id = self._writer.journal.id
        while True:
            now, wall = time.monotonic(), datetime.now(UTC)
            links = [(conn.peer, conn.mn, conn.connected_at,
                      wall - timedelta(seconds=now - conn.last_seen))
                     for conn in self._connections]
            try:
                await loop.run_in_executor(None, functools.partial(
                    write_gateway_status, directory, journal_id, pid=os.getpid(), host=host,
                    port=port, started_at=self._started_at, connections=links,
                    updated_at=wall))
            except OSError as error:  # a full or read-only disk must not stop ingest
                log.warning("HJ 212 gateway: status file in %s not written: %s", directory,
                            error)
            await asyncio.sleep(self.config.status_interval)

    async def release_quarantined(self, mns: Iterable[str] | None = None) -> int:
        """Replay quarantined packets of registered loggers (of ``mns``) into the store.

        Each packet is read again as if it arrived now from its logger, with its original
        arrival time: stored (or, with a wrong password or a deviation its profile refuses,
        kept as rejected with that reason). Its quarantine record becomes ``released`` in the
        same registry transaction that applies the batch, so a journal replayed after a crash
        releases it exactly once; the readings' key makes a second store a no-op anyway.
        Packets of MNs still unknown stay quarantined. Returns how many were replayed.
        """
        loop = asyncio.get_running_loop()
        version = await loop.run_in_executor(self._executor, self.store.registry.version)
        if version != self._registry_version:  # registered a moment ago: see it now
            await self.reload_devices()
        waiting = await loop.run_in_executor(
            self._executor, self.store.registry.quarantined,
            None if mns is None else sorted(mns))
        links: dict[str, _ReplayLink] = {}
        replayed = 0
        for quarantine_id, packet in waiting:
            mn = packet.mn or ""
            if quarantine_id in self._released_ids or mn not in self._devices:
                continue
            self._released_ids.add(quarantine_id)
            link = links.get(mn)
            if link is None:
                link = links[mn] = _ReplayLink(self, packet.peer)
            link.take((packet.raw, quarantine_id), time.monotonic(), packet.received_at)
            replayed += 1
        self._n["released"] += replayed
        await self._answer_everything()
        for link in links.values():
            self._keep_leftovers(link, "release ended")
        await self._answer_everything()
        if replayed:
            log.info("HJ 212 gateway: %d quarantined packets of %d loggers released", replayed,
                     len(links))
        return replayed

    def counters(self) -> GatewayCounters:
        """A snapshot of the counters."""
        commit = _percentiles(self._commit_latency)
        store = _percentiles(self._store_latency)
        reply = _percentiles(self._reply_latency)
        return GatewayCounters(
            connections_open=len(self._connections),
            store_backlog=0 if self._writer is None else self._writer.backlog,
            store_latency_p50=store[0],
            store_latency_p99=store[1],
            rejected=dict(self._rejected),
            deviations=dict(self._deviations),
            commit_latency_p50=commit[0],
            commit_latency_p99=commit[1],
            reply_latency_p50=reply[0],
            reply_latency_p99=reply[1],
            **self._n,
        )

    # ----------------------------------------------------------------- connections

    def _opened(self, conn: _Connection) -> None:
        self._connections.add(conn)
        self._n["connections_total"] += 1

    def _closed(self, conn: _Connection) -> None:
        self._connections.discard(conn)
        if not self._stopping:
            self._keep_leftovers(conn, "link closed")

    def _keep_leftovers(self, conn: _Connection, when: str) -> None:
        """An unfinished frame and unfinished split transfers are kept, never dropped."""
        now = datetime.now(UTC)
        if conn.tail.strip():
            self._reject(conn, conn.tail, f"truncated: {len(conn.tail)} bytes of an unfinished "
                                          f"frame when the {when}", now)
            conn.tail = b""
        for raw, incomplete in conn.incomplete_splits(everything=True):
            self._reject(conn, raw, f"split: {incomplete.reason} when the {when}", now,
                         incomplete.parts[0].mn if incomplete.parts else None)

    def _reply_sent(self, latency: float) -> None:
        self._n["replies_sent"] += 1
        self._reply_latency.append(latency)
        self._reply_histogram[bisect.bisect_left(REPLY_BUCKETS, latency)] += 1
        self._reply_seconds += latency

    def reply_histogram(self) -> tuple[list[tuple[float, int]], float]:
        """Receive-to-answer latencies since start, as a Prometheus histogram.

        Cumulative counts per upper bound (s; the last is ``inf``), and their sum (s).
        """
        counts = list(itertools.accumulate(self._reply_histogram))
        return list(zip([*REPLY_BUCKETS, math.inf], counts, strict=True)), self._reply_seconds

    async def _sweeper(self) -> None:
        """Close links silent for longer than ``idle_timeout``; keep expired split transfers."""
        period = min(self.config.idle_timeout / 4, 1.0)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for conn in list(self._connections):
                if now - conn.last_seen > self.config.idle_timeout and conn.pending == 0:
                    self._n["connections_idle_closed"] += 1
                    log.info("closing HJ 212 link %s: idle for %.0f s", conn.peer,
                             now - conn.last_seen)
                    if conn.transport is not None:
                        conn.transport.close()
                for raw, incomplete in conn.incomplete_splits(everything=False):
                    self._reject(conn, raw, f"split: {incomplete.reason}", datetime.now(UTC),
                                 incomplete.parts[0].mn if incomplete.parts else None)

    # ----------------------------------------------------------------- one packet

    def _handle(self, conn: _Connection, item: bytes | hj212.FrameError, started: float,
                received_at: datetime) -> None:
        """Check one framed packet and route it: store, answer, quarantine or reject."""
        self._n["packets_received"] += 1
        if isinstance(item, hj212.FrameError):
            self._reject(conn, item.raw, f"frame: {item.reason}", received_at)
            return
        raw = item
        try:
            packet = hj212.parse(raw, strict=self.config.strict)
        except hj212.HJ212Error as error:
            self._reject(conn, raw, f"{_error_kind(error)}: {error}", received_at)
            return
        mn = packet.mn or ""
        device = self._devices.get(mn)
        if device is None and mn in self._retired:
            self._reject(conn, raw, f"retired: MN {mn!r} was retired on "
                                    f"{self._retired[mn].astimezone(CHINA_TZ):%Y-%m-%d %H:%M} "
                                    "(China Standard Time)", received_at, mn)
            return
        if device is None:
            reason = f"unknown_mn: MN {mn!r} is not registered"
            if self.config.unknown_mn == "quarantine" and packet.cn not in ANSWER_CNS:
                # Held whole for registration. Its bytes are durable once the batch commits, so
                # the logger is answered then and stops resending while it waits.
                batch = self._reject(conn, raw, reason, received_at, mn, "quarantined")
                self._answer_after(batch, conn, packet, started)
            else:
                self._reject(conn, raw, reason, received_at, mn)
            return
        if not self.config.strict:
            if packet.version != device.protocol and packet.version != "unknown":
                packet.deviations.append(
                    f"protocol.version: a {packet.version} packet from a logger registered "
                    f"for HJ 212-{device.protocol}")
            refused = hj212.refused(packet.deviations, device.profile, device.accept)
            if refused:
                self._reject(conn, raw, _refusal(device, refused), received_at, mn)
                return
        if self.config.check_password:
            verdict = device.password_verdict(packet.pw or "")
            if verdict is None:
                self._check_password(conn, device, packet, raw, started, received_at)
                return
            if not verdict:
                self._reject_password(conn, packet, raw, received_at)
                return
        self._accept(conn, device, packet, raw, started, received_at)

    def _reject_password(self, conn: _Connection, packet: hj212.Packet, raw: bytes,
                         received_at: datetime) -> None:
        self._reject(conn, raw, f"password: PW {packet.pw!r} does not match the registry "
                                f"for MN {packet.mn}", received_at, packet.mn)

    def _check_password(self, conn: _Connection, device: Device, packet: hj212.Packet,
                        raw: bytes, started: float, received_at: datetime) -> None:
        """A PW not seen before, checked in a helper process while the loop serves other links.

        argon2 takes about half a millisecond; this link's later packets wait behind it, in
        order. After a restart every logger's first packet comes here.
        """
        conn.held = deque()
        self._verifying += 1
        assert self._passwords is not None
        future = self._passwords.check(device.password_hash, packet.pw or "")
        future.add_done_callback(
            lambda f: self._password_checked(f, conn, device, packet, raw, started, received_at))

    def _password_checked(self, future: asyncio.Future[bool], conn: _Connection, device: Device,
                          packet: hj212.Packet, raw: bytes, started: float,
                          received_at: datetime) -> None:
        self._verifying -= 1
        held, conn.held = conn.held or deque(), None
        try:
            verdict = future.result()
            device.remember_password_verdict(packet.pw or "", verdict)
            if verdict:
                self._accept(conn, device, packet, raw, started, received_at)
            else:
                self._reject_password(conn, packet, raw, received_at)
        except Exception as error:  # a bug must cost one packet (kept), not the link
            log.exception("HJ 212 gateway: packet from %s could not be handled", conn.peer)
            self._reject(conn, raw, f"internal: {error!r}", received_at)
        while held and conn.held is None:
            conn.take(*held.popleft())
        if held:  # another check started: the rest stays behind it, in order
            assert conn.held is not None
            conn.held.extendleft(reversed(held))
        self._drained.set()

    def _accept(self, conn: _Connection, device: Device, packet: hj212.Packet, raw: bytes,
                started: float, received_at: datetime) -> None:
        """Route a packet from a registered logger whose password checked."""
        mn = conn.mn = device.mn
        if packet.is_split:
            whole = self._reassemble(conn, packet, raw, started, received_at)
            if whole is None:
                return
            packet, raw = whole
        if packet.cn in CN_KINDS:
            self._store_data(conn, device, packet, raw, started, received_at)
            return
        # Not readings (2081 restart time, 9011/9012 answers, 3020 logs, …): kept raw in the
        # packet store, logged, and answered as its type asks.
        log.debug("HJ 212 CN %s from MN %s (%s) kept as a raw packet", packet.cn, mn, conn.peer)
        self._n["packets_not_data"] += 1
        batch = self._enqueue_packet(conn, packet, raw, received_at)
        self._answer_after(batch, conn, packet, started)

    def _reassemble(self, conn: _Connection, part: hj212.Packet, raw: bytes, started: float,
                    received_at: datetime) -> tuple[hj212.Packet, bytes] | None:
        """Feed one part of a split transfer (Flag D=1).

        [S17] App. C.47–C.50; docs/reference/hj212.md §2.4.

        Every part with A=1 is answered with a 9014 echoing its own QN. Parts before the last
        are answered on receipt — the logger waits for that answer before it sends the next
        part, so holding it until the whole transfer is committed would stall the transfer;
        such parts live in memory until the last one arrives (kept as rejected if the link
        drops or the transfer expires). The last part is answered after the commit.
        """
        splits = conn.reassembler()
        key = _part_key(part)
        sets = len(splits)
        try:
            whole = splits.add(part)
        except hj212.HJ212Error as error:
            raws = b""
            if len(splits) < sets:  # the transfer was dropped as inconsistent: keep all parts
                held = sorted((k for k in conn.split_raw if k[:-1] == key[:-1]),
                              key=lambda k: k[-1])
                raws = b"".join(conn.split_raw.pop(k) for k in held)
            self._reject(conn, raws + raw, f"split: {error}", received_at, part.mn)
            return None
        if whole is None:
            conn.split_raw.setdefault(key, raw)
            reply = hj212.reply_frame(part)
            if reply is not None:
                conn.send(reply, started)
            return None
        base = key[:-1]
        raws = [conn.split_raw.pop((*base, pno), b"") for pno in range(1, (part.pnum or 0) + 1)]
        raws[(part.pno or 1) - 1] = raw
        whole.qn = part.qn  # the 9014 after the commit answers the last part, with its QN
        return whole, b"".join(raws)

    def _store_data(self, conn: _Connection, device: Device, packet: hj212.Packet, raw: bytes,
                    started: float, received_at: datetime) -> None:
        if packet.data_time is None:
            self._reject(conn, raw, f"datatime: CN {packet.cn} upload without DataTime",
                         received_at, device.mn)
            return
        kind, period_s = CN_KINDS[packet.cn]
        if period_s is None:
            minutes = self.config.minute_intervals.get(device.mn) or device.minute_interval
            period_s = 60 * (minutes or self.config.minute_interval)
        data_time = packet.data_time
        if device.utc_offset_minutes != _WIRE_OFFSET_MINUTES:
            # the wall time the logger sent, read in its registered zone instead of UTC+8
            data_time += timedelta(minutes=_WIRE_OFFSET_MINUTES - device.utc_offset_minutes)
            packet.deviations.append(
                f"time.zone: wire times read as {_zone_name(device.utc_offset_minutes)} "
                "(the registry's zone for this logger), HJ 212 says UTC+8")
        # realtime data is stamped at its moment; an aggregate at its period's start, sent
        # once the period has ended
        reference = data_time if kind == "realtime" else data_time + timedelta(seconds=period_s)
        offset = (reference - received_at).total_seconds()
        if abs(offset) > self.config.clock_window:
            packet.deviations.append(
                f"clock.offset: DataTime {packet.data_time.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}"
                f" is {_duration(offset)} from the arrival "
                f"{received_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S} (China Standard Time)")
        batch = self._enqueue_packet(conn, packet, raw, received_at)
        received_us = batch.packets[-1][3]
        factor, statistic, value, flag = packet.reading_columns()
        batch.factor.extend(factor)
        batch.statistic.extend(statistic)
        batch.value.extend(value)
        batch.flag.extend(flag)
        batch.rows.append((device.mn, device.object_id, kind,
                           (data_time - _EPOCH) // _MICROSECOND, period_s, received_us,
                           _packet_id(packet, received_us), len(value)))
        self._answer_after(batch, conn, packet, started)

    @staticmethod
    def _answer_after(batch: _Batch, conn: _Connection, packet: hj212.Packet, started: float
                      ) -> None:
        """Queue the answer the packet is owed, sent once ``batch`` is committed.

        9014 for an upload, 9013 for a notification, none for interaction answers or Flag A=0
        ([S17] §6.5).
        """
        reply = hj212.reply_frame(packet)
        if reply is not None:
            batch.replies.append((conn, reply, started))

    # ----------------------------------------------------------------- batching

    def _open_batch(self, conn: _Connection) -> _Batch:
        """The batch being filled (sealed and replaced when full); holds ``conn``'s slot."""
        batch = self._filling
        if batch is not None and len(batch) >= self.config.max_batch:
            self._seal()  # full: its commit can start while the next one fills
            batch = None
        if batch is None:
            batch = self._filling = _Batch()
            if self._timer is None:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self.config.max_batch_delay, self._seal)
        batch.connections.append(conn)
        conn.hold()
        if conn.releasing:
            batch.released.extend(conn.releasing)
            conn.releasing.clear()
        return batch

    def _enqueue_packet(self, conn: _Connection, packet: hj212.Packet, raw: bytes,
                        received_at: datetime) -> _Batch:
        batch = self._open_batch(conn)
        batch.n_packets += 1
        for deviation in packet.deviations:
            kind = hj212.deviation_kind(deviation)
            self._deviations[kind] = self._deviations.get(kind, 0) + 1
        received_us = (received_at - _EPOCH) // _MICROSECOND
        batch.packets.append((_packet_id(packet, received_us), packet.mn or "", packet.cn,
                              received_us, raw.decode("utf-8", "replace"),
                              "\n".join(packet.deviations) or None))
        return batch

    def _reject(self, conn: _Connection, raw: bytes, reason: str, received_at: datetime,
                mn: str | None = None, disposition: str = "rejected") -> _Batch:
        """Keep a packet whole in the rejected store (committed with the next batch); count it."""
        record = RejectedPacket(bytes(raw), reason, received_at, conn.peer,
                                mn or hj212.header_mn(raw), disposition)
        if disposition == "quarantined":
            self._n["quarantined"] += 1
        else:
            self._rejected[record.kind] = self._rejected.get(record.kind, 0) + 1
        # Per packet at debug level: floods are visible in the counters and the rejected store.
        log.debug("HJ 212 packet of MN %s from %s %s: %s", record.mn or "(unreadable)",
                  conn.peer, disposition, reason)
        batch = self._open_batch(conn)
        batch.rejected.append(record)
        return batch

    # Group commit. The batch being filled is sealed max_batch_delay after its first packet (or
    # when full) and handed to the journal thread, which writes every batch queued meanwhile
    # with one fdatasync; the answers go out when it reports back. The loop keeps parsing.

    def _seal(self) -> None:
        """Close the batch being filled and hand the sealed batches to the journal."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._filling is not None and len(self._filling):
            self._sealed.append(self._filling)
            self._filling = None
        self._pump()

    def _pump(self) -> None:
        writer, loop = self._writer, self._loop
        assert writer is not None and loop is not None
        while self._sealed:
            if writer.backlog >= self.config.max_backlog:
                return  # the store is behind: hold the answers back; _applied pumps again
            batch = self._sealed.popleft()
            self._in_flight += 1
            started = time.perf_counter()
            # the Arrow tables are built on the journal thread, not on the loop
            writer.commit(batch.journal_batch, lambda result, b=batch, t=started:
                          loop.call_soon_threadsafe(self._committed, b, result, t))
        if not self._in_flight:
            self._drained.set()

    def _committed(self, batch: _Batch, result: int | BaseException, started: float) -> None:
        """Back on the loop after a journal commit: answer and release the links."""
        self._in_flight -= 1
        if isinstance(result, BaseException):
            # Nothing is answered, so the loggers resend: HJ 212's own recovery ([S17] §6.2).
            log.error("HJ 212 gateway: journal commit of %d packets failed: %r", len(batch),
                      result)
            self._n["store_errors"] += 1
        else:
            self._n["batches"] += 1
            self._commit_latency.append(time.perf_counter() - started)
            for conn, reply, sent in batch.replies:
                conn.send(reply, sent)
        for conn in batch.connections:
            conn.release()
        if not self._in_flight and not self._sealed:
            self._drained.set()

    def _applied_threadsafe(self, result: Applied) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._applied, result)

    def _applied(self, result: Applied) -> None:
        """Back on the loop after a store transaction: count it; resume held-back answers."""
        if result.error is not None:
            self._n["store_errors"] += 1
            return
        self._n["store_transactions"] += 1
        self._n["packets_stored"] += result.packets
        self._n["readings_stored"] += result.inserted
        self._n["duplicates"] += result.readings - result.inserted
        self._store_latency.append(result.seconds)
        if self._sealed:
            self._pump()


def _numbers(texts: list[str]) -> pa.Array:
    """Decimal texts as float64, a batch at once.

    Arrow's parse is correctly rounded, as is ``float()``; a text Arrow would not take makes the
    whole batch fall back to ``float()``.
    """
    try:
        return pa.array(texts, pa.string()).cast(pa.float64())
    except pa.ArrowInvalid:
        return pa.array(list(map(float, texts)), pa.float64())


_WIRE_OFFSET_MINUTES = 480
"""HJ 212 wire times are China Standard Time, UTC+8 (docs/reference/hj212.md §4.6)."""


def _zone_name(offset_minutes: int) -> str:
    """A UTC offset as people write it: ``UTC+8``, ``UTC-3:30``."""
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def _duration(seconds: float) -> str:
    """A signed duration as people write it: ``+1 d 02:00:00``, ``-00:05:30``."""
    sign = "+" if seconds >= 0 else "-"
    return sign + str(timedelta(seconds=round(abs(seconds)))).replace(" days, ", " d ").replace(
        " day, ", " d ")


def _refusal(device: Device, refused: list[str]) -> str:
    """The reason a packet was refused for deviations its logger's profile does not accept."""
    kinds = sorted({hj212.deviation_kind(d) for d in refused})
    hint = ""
    if set(kinds) <= {"crc.modbus", "crc.modbus_swapped"}:
        hint = (f"; if this logger computes CRC-16/MODBUS: ecohub registry device set "
                f"{device.mn} --profile modbus")
    elif "cp.duplicate" not in kinds:
        hint = (f"; to accept it for this logger: ecohub registry device set {device.mn} "
                + " ".join(f"--accept {k}" for k in kinds))
    return (f"profile: MN {device.mn} (profile {device.profile!r}) does not accept "
            + "; ".join(refused) + hint)


def _packet_id(packet: hj212.Packet, received_us: int) -> str:
    """The packet's QN, or ``<mn>:<received µs>`` when it has none.

    HJ/T 212-2005 uploads may omit QN (docs/reference/hj212.md §2.1).
    """
    return packet.qn or f"{packet.mn}:{received_us}"


def _error_kind(error: hj212.HJ212Error) -> str:
    """Groupable reason kind from the field at fault: ``crc``, ``length``, ``mn``, ``pw`` ….

    Errors inside the data area (``a34004-Avg`` …) are all ``cp``.
    """
    field_name = error.field.lower()
    return field_name if field_name.replace(" ", "").replace("/", "").isalpha() else "cp"
