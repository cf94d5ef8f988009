"""Benchmark: the HJ 212 gateway end to end, and a crash test of its durability promise.

Run from the repository root::

    .venv/bin/python bench/hj212_ingest.py                       # 1,000 connections, 15 s
    .venv/bin/python bench/hj212_ingest.py --connections 2000 --seconds 20
    .venv/bin/python bench/hj212_ingest.py --skip-crash --skip-codec  # throughput only, ~1 min
    .venv/bin/python bench/hj212_ingest.py --with-readers --skip-crash --skip-codec
    .venv/bin/python bench/hj212_ingest.py --with-readers --reader-nice 0 --skip-crash --skip-codec

Three processes, as in production: this orchestrator, the gateway (``ecohub`` serving a fresh
embedded store, exactly :func:`ecohub.server.serve`) and a load generator holding
one TCP connection per data logger. Every logger behaves as HJ 212 loggers do: it sends a minute
upload (CN 2051, Flag=5, 6 or 9 factors with Min/Avg/Max/Flag, pre-encoded from the simulator
before the clock starts) and waits for its 9014 before sending the next ([S17] §6.5.2).

Figures: packets per second committed (counted in the store afterwards, not from the replies),
reply latency p50/p99 as the loggers see it, the gateway's own commit/reply latencies, and the CPU
each process used over the load window (Linux /proc), per packet.

Crash test: the same load, the gateway is killed with SIGKILL mid-load, restarted on the same
data directory, stopped; then every packet that got a 9014 must be in the store — a reply is
the gateway's promise that the data are durable (zero replied-but-lost).

With ``--with-readers`` the throughput run is made twice, the second time with a reader thread
in the gateway process running heavy reads of the same store without pause (the whole period's
minute readings, the kind summary, the latest value per object and factor): reads have their own
cursors and never wait for the writer, so the reply p99 should differ by less than 20 %.

If ``bench/hj212_codec.py`` (the codec benchmark) exists, its figures are printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import uvloop

HERE = Path(__file__).resolve()
# The loggers' data start 12 hours ago, as live loggers' do (until 2026-12-06 they replayed
# 2024-04-01: since issue 12 every such packet is flagged clock.offset, docs/gateway.md, which a
# live deployment does not see).
START = (datetime.now(UTC) - timedelta(hours=12)).replace(minute=0, second=0, microsecond=0)


def device_list(n: int) -> list[tuple[str, str, str]]:
    """(MN, password, object type): 70 % air stations (6 factors), 30 % water stations (9)."""
    return [(f"0E{i:022X}", f"{100000 + i}", "water_station" if i % 10 >= 7 else "air_station")
            for i in range(n)]


# --------------------------------------------------------------------------- gateway process


def gateway_main(data_dir: str, port: int, reader_nice: str | None = None) -> None:
    """Serve the gateway; with ``reader_nice`` also read heavily (``default``: the store's
    ``ECOHUB_READER_NICE``, else that CPU priority for the reader thread)."""
    from ecohub.ingest.hj212_server import GatewayConfig
    from ecohub.server import serve
    from ecohub.store import open_store

    if reader_nice not in (None, "default"):
        os.environ["ECOHUB_READER_NICE"] = reader_nice
    store = open_store(data_dir=data_dir)
    config = GatewayConfig(host="127.0.0.1", port=port, idle_timeout=3600)
    stop, reads = threading.Event(), []
    reader = threading.Thread(target=heavy_reads, args=(store, stop, reads),
                              name="bench-reader", daemon=True)
    with_readers = reader_nice is not None
    if with_readers:
        reader.start()
    counters = uvloop.run(serve(store, config, log_every=3600))
    stop.set()
    if with_readers:
        reader.join()
    store.close()
    seconds = np.array([r[0] for r in reads])
    print(json.dumps(counters.__dict__ | {
        "reads": len(reads), "read_rows": int(sum(r[1] for r in reads)),
        "read_p50_ms": float(np.percentile(seconds, 50) * 1e3) if reads else None,
        "read_max_ms": float(seconds.max() * 1e3) if reads else None}), flush=True)


def heavy_reads(store, stop: threading.Event, reads: list[tuple[float, int]]) -> None:
    """Read continuously until ``stop``: (seconds, rows) of each read into ``reads``.

    The store runs reads on a worker thread at its reader priority (``ECOHUB_READER_NICE``);
    with the embedded store's DuckDB on one thread (2 cores), a read runs on the calling thread.
    """
    queries = (lambda: store.measurements.readings(kind="minute"),
               store.measurements.kind_summary,
               lambda: store.measurements.latest(kind="minute"))
    while not stop.is_set():
        for query in queries:
            started = time.perf_counter()
            rows = query().height
            reads.append((time.perf_counter() - started, rows))


# --------------------------------------------------------------------------- load process


class _Logger(asyncio.Protocol):
    """Stop-and-wait HJ 212 uploader: next packet only after the 9014 of the previous one."""

    def __init__(self, mn: bytes, frames: list[bytes], qns: list[bytes], load: _Load) -> None:
        self.mn, self.frames, self.qns, self.load = mn, frames, qns, load
        self.next = 0
        self.sent_at = 0.0
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one
        self.transport = transport  # type: ignore[assignment]
        self.load.connected += 1
        if self.load.connected == self.load.expected:
            self.load.all_connected.set()

    def start(self) -> None:
        self._send()

    def _send(self) -> None:
        if self.load.stopping or self.next >= len(self.frames) or self.transport is None:
            return
        self.sent_at = time.perf_counter()
        self.transport.write(self.frames[self.next])

    def data_received(self, data: bytes) -> None:
        # Kept cheap (the generator shares the 2 cores with the gateway): one answer is due at a
        # time, and the gateway's 9014 carries the QN right after the length field.
        self.buffer += data
        while (end := self.buffer.find(b"\r\n")) >= 0:
            answer, self.buffer = self.buffer[:end], self.buffer[end + 2:]
            if self.next >= len(self.qns) or answer[6:26] != b"QN=" + self.qns[self.next]:
                continue
            if not self.load.stopping:
                self.load.latencies.append(time.perf_counter() - self.sent_at)
                self.load.first.append(self.next == 0)
                self.load.sent.append(self.sent_at)
            self.load.acked.append((self.mn, self.qns[self.next]))
            self.next += 1
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.load.lost_connections += 1


class _Load:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.stopping = False
        self.latencies: list[float] = []
        self.first: list[bool] = []  # the logger's first packet (password checked once)
        self.sent: list[float] = []
        self.acked: list[tuple[bytes, bytes]] = []
        self.lost_connections = 0


def load_frames(n: int, seconds: float) -> list[tuple[list[bytes], list[bytes]]]:
    """Pre-encoded 2051 minute uploads per logger, from the seeded simulator."""
    from ecohub.ingest.simulate import SimDevice, SimulationPlan

    per_device = int(max(60, seconds * 15))
    devices = [SimDevice(mn, pw, kind, longitude=117 + (i % 40) * 0.05,
                         latitude=31 + (i // 40) * 0.05)
               for i, (mn, pw, kind) in enumerate(device_list(n))]
    plan = SimulationPlan(devices, START, timedelta(minutes=10 * per_device), seed=2024,
                          realtime_interval=86400, bad_rate=0, duplicate_rate=0)
    out = []
    for device in devices:
        minute = [p for p in plan.packets(device) if p.cn == "2051"]
        out.append(([p.frame for p in minute], [p.qn.encode() for p in minute]))
    return out


async def load_run(port: int, n: int, seconds: float, record: str | None) -> dict[str, object]:
    frames = load_frames(n, seconds)
    load = _Load(n)
    loop = asyncio.get_running_loop()
    loggers = []
    for (mn, _, _), (device_frames, qns) in zip(device_list(n), frames, strict=True):
        logger = _Logger(mn.encode(), device_frames, qns, load)
        await loop.create_connection(lambda lg=logger: lg, "127.0.0.1", port)
        loggers.append(logger)
    await asyncio.wait_for(load.all_connected.wait(), 60)
    print("STARTED", flush=True)  # the crash test kills the gateway relative to this line
    began = time.perf_counter()
    for logger in loggers:
        logger.start()
    await asyncio.sleep(seconds)
    load.stopping = True
    elapsed = time.perf_counter() - began
    acked_in_window = len(load.acked)
    await asyncio.sleep(1.0)  # answers still in flight are recorded (for the crash test)
    for logger in loggers:
        if logger.transport is not None:
            logger.transport.close()
    if record:
        Path(record).write_text("\n".join(f"{mn.decode()} {qn.decode()}"
                                          for mn, qn in load.acked))
    lat = np.array(load.latencies) * 1000
    first = np.array(load.first, dtype=bool)
    second = (np.array(load.sent) - began).astype(int)
    by_second = [float(np.percentile(lat[second == k], 99)) for k in range(int(seconds))
                 if (second == k).any()]

    def p(values: np.ndarray, q: float) -> float | None:
        return float(np.percentile(values, q)) if values.size else None

    return {
        "latency_after_first_p50_ms": p(lat[~first], 50),
        "latency_after_first_p99_ms": p(lat[~first], 99),
        "latency_first_p50_ms": p(lat[first], 50),
        "latency_first_p99_ms": p(lat[first], 99),
        "latency_p99_by_second_ms": by_second,
        "connections": load.connected, "seconds": elapsed, "acked": acked_in_window,
        "acked_total": len(load.acked), "lost_connections": load.lost_connections,
        "latency_p50_ms": float(np.percentile(lat, 50)) if lat.size else None,
        "latency_p99_ms": float(np.percentile(lat, 99)) if lat.size else None,
    }


def load_main(port: int, n: int, seconds: float, record: str | None) -> None:
    result = uvloop.run(load_run(port, n, seconds, record))
    print(json.dumps(result), flush=True)


# --------------------------------------------------------------------------- orchestration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def register(data_dir: str, n: int) -> None:
    from ecohub.store import DeviceSpec, ObjectSpec, open_store

    devices = device_list(n)
    with open_store(data_dir=data_dir, migrate=True) as store:
        ids = store.registry.add_objects([
            ObjectSpec(code=f"B{i:05d}", name=f"基准站{i}", object_type=kind)
            for i, (_, _, kind) in enumerate(devices)])
        store.registry.add_devices([DeviceSpec(mn, oid, pw, ())
                                    for (mn, pw, _), oid in zip(devices, ids, strict=True)])


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(HERE), *args], stdout=subprocess.PIPE,
                            text=True)


def wait_listening(port: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the gateway exited before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the gateway did not listen on {port} within {timeout} s")


def stop_gateway(proc: subprocess.Popen[str]) -> dict[str, object]:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    return json.loads(out.strip().splitlines()[-1])


def stored_packets(data_dir: str) -> set[tuple[str, str]]:
    from ecohub.store import open_store

    with open_store(data_dir=data_dir) as store:
        frame = store.measurements.readings(columns=["mn", "packet_id"])
        return set(frame.rows())


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_started(load: subprocess.Popen[str]) -> None:
    """Until the load generator has connected every logger and starts sending."""
    assert load.stdout is not None
    while load.stdout.readline().strip() != "STARTED":  # frames are pre-encoded first
        if load.poll() is not None:
            raise RuntimeError("the load generator exited before starting")


def throughput(n: int, seconds: float, reader_nice: str | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ecohub-bench-") as data_dir:
        register(data_dir, n)
        port = free_port()
        gateway = spawn("gateway", data_dir, str(port),
                        *([] if reader_nice is None else [reader_nice]))
        wait_listening(port, gateway)
        load = spawn("load", str(port), str(n), str(seconds))
        wait_started(load)
        # CPU of each process over the load window: where the two cores go, per packet.
        cpu = [cpu_seconds(gateway.pid), cpu_seconds(load.pid)]
        time.sleep(seconds)
        cpu = [cpu_seconds(gateway.pid) - cpu[0], cpu_seconds(load.pid) - cpu[1]]
        out, _ = load.communicate(timeout=seconds + 300)
        result = json.loads(out.strip().splitlines()[-1])
        stopping = time.perf_counter()
        counters = stop_gateway(gateway)  # the store catches up with the answers first
        result["drain_s"] = time.perf_counter() - stopping
        committed = len(stored_packets(data_dir))
        result |= {"committed_packets": committed, "gateway": counters}
        result["committed_per_s"] = result["acked"] / result["seconds"]
        result["cpu_us_per_packet"] = [c / max(result["acked"], 1) * 1e6 for c in cpu]
        result["cpu_percent"] = [c / seconds * 100 for c in cpu]
        return result


def crash_test(n: int, seconds: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ecohub-crash-") as data_dir:
        register(data_dir, n)
        port = free_port()
        record = str(Path(data_dir) / "acked.txt")
        gateway = spawn("gateway", data_dir, str(port))
        wait_listening(port, gateway)
        load = spawn("load", str(port), str(n), str(seconds), record)
        wait_started(load)
        time.sleep(seconds / 2)
        os.kill(gateway.pid, signal.SIGKILL)
        gateway.wait()
        load.communicate(timeout=seconds + 300)
        acked = {tuple(line.split()) for line in Path(record).read_text().splitlines() if line}
        restarted = spawn("gateway", data_dir, str(port))  # recovery of the same data directory
        wait_listening(port, restarted)
        stop_gateway(restarted)
        stored = stored_packets(data_dir)
        lost = acked - stored
        return {"replied": len(acked), "stored_packets": len(stored),
                "replied_but_lost": len(lost), "examples_lost": sorted(lost)[:5]}


def codec_figures() -> object:
    path = HERE.with_name("hj212_codec.py")
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("hj212_codec_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.bench_codec() if hasattr(module, "bench_codec") else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--skip-crash", action="store_true")
    parser.add_argument("--skip-codec", action="store_true",
                        help="do not run bench/hj212_codec.py (it takes ~2.5 minutes)")
    parser.add_argument("--with-readers", action="store_true",
                        help="run again with a reader thread reading heavily meanwhile")
    parser.add_argument("--reader-nice", default="default",
                        help="CPU priority (nice, 0-19) of the reader thread; default: the "
                             "store's (ECOHUB_READER_NICE, 10)")
    args = parser.parse_args()
    print(f"HJ 212 gateway, {args.connections} connections, {args.seconds:g} s, "
          f"{os.cpu_count()} cores", flush=True)
    result = throughput(args.connections, args.seconds)
    report(result)
    if args.with_readers:
        alone = result
        result = throughput(args.connections, args.seconds, reader_nice=args.reader_nice)
        g = result["gateway"]
        print(f"with a reader thread (nice {args.reader_nice}): {g['reads']} reads "
              f"({g['read_rows']:,} rows, p50 "
              f"{g['read_p50_ms']:.0f} ms, longest {g['read_max_ms']:.0f} ms)", flush=True)
        report(result)
        for name, before, after in (
                ("loggers' reply p99", alone["latency_p99_ms"], result["latency_p99_ms"]),
                ("loggers' reply p99 after the first packet",
                 alone["latency_after_first_p99_ms"], result["latency_after_first_p99_ms"]),
                ("gateway reply p99", alone["gateway"]["reply_latency_p99"],
                 g["reply_latency_p99"])):
            print(f"  {name}: {before:.1f} ms alone, {after:.1f} ms with the reader "
                  f"({(after - before) / before:+.0%}; target below +20 %)")
    if not args.skip_crash:
        crash = crash_test(args.connections, args.seconds)
        if not crash["replied"]:
            raise SystemExit("crash test invalid: no packet was answered before the kill")
        print(f"  crash test (SIGKILL mid-load, restart): {crash['replied']} packets answered, "
              f"{crash['stored_packets']} in the store, "
              f"{crash['replied_but_lost']} answered but lost", flush=True)
        if crash["replied_but_lost"]:
            print(f"  LOST: {crash['examples_lost']}")
    codec = None if args.skip_codec else codec_figures()
    if codec is not None:
        print(f"  codec (bench/hj212_codec.py): {codec}")



def report(result: dict) -> None:
    g = result["gateway"]
    print(f"  committed: {result['committed_per_s']:.0f} packets/s "
          f"({result['acked']} answered in {result['seconds']:.1f} s; "
          f"{result['committed_packets']} packets in the store)")
    print(f"  reply latency at the loggers: p50 {result['latency_p50_ms']:.1f} ms, "
          f"p99 {result['latency_p99_ms']:.1f} ms; each logger's first packet (connect, "
          f"password checked once) p50 {result['latency_first_p50_ms']:.0f} ms, p99 "
          f"{result['latency_first_p99_ms']:.0f} ms; later packets p50 "
          f"{result['latency_after_first_p50_ms']:.1f} ms, p99 "
          f"{result['latency_after_first_p99_ms']:.1f} ms")
    print("  p99 by second sent (ms): "
          + " ".join(f"{v:.0f}" for v in result["latency_p99_by_second_ms"]))
    print(f"  gateway: journal commit p50/p99 {g['commit_latency_p50']:.1f}/"
          f"{g['commit_latency_p99']:.1f} ms per batch, {g['batches']} batches, "
          f"reply p50/p99 {g['reply_latency_p50']:.1f}/{g['reply_latency_p99']:.1f} ms; "
          f"store: {g['store_transactions']} transactions, p50/p99 "
          f"{g['store_latency_p50']:.0f}/{g['store_latency_p99']:.0f} ms, "
          f"{g['readings_stored']} readings, caught up {result['drain_s']:.1f} s after the load",
          flush=True)
    (gateway_us, load_us), (gateway_pct, load_pct) = (result["cpu_us_per_packet"],
                                                      result["cpu_percent"])
    print(f"  CPU over the window: gateway {gateway_pct:.0f} % of a core ({gateway_us:.0f} µs "
          f"per packet), load generator {load_pct:.0f} % ({load_us:.0f} µs per packet); "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else ""
    if role == "gateway":
        gateway_main(sys.argv[2], int(sys.argv[3]),
                     sys.argv[4] if len(sys.argv) > 4 else None)
    elif role == "load":
        load_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]),
                  sys.argv[5] if len(sys.argv) > 5 else None)
    else:
        main()
