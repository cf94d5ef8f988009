"""Benchmark: the HTTP service under read load while the gateway ingests (issue 14, deliverable 6).

Run from the repository root::

    .venv/bin/python bench/api.py                         # 300 stations x 365 days, 3 x 30 s
    .venv/bin/python bench/api.py --stations 100 --days 90 --seconds 10   # a quick look
    .venv/bin/python bench/api.py --warm                  # after a pass over each phase's requests
    .venv/bin/python bench/api.py --client httpx --mix cycle   # each client cycles the 3 requests

Set-up (not timed): a fresh embedded store; ``--stations`` air stations over Anhui's 16 cities
(one logger each) with ``--days`` of hourly readings of the six air factors written directly
with ``store.measurements.write`` in month-sized Arrow batches (300 x 365 days: 15.8 M readings);
an analyst and a bearer token; ``--connections`` more loggers (water stations) for the gateway.

Four processes, as in production: this orchestrator; the server (``bench/api.py server``:
exactly :func:`ecohub.server.serve` with the gateway and the HTTP service on one uvloop loop);
a gateway load generator (``--connections`` TCP connections, ``--rate`` packets/s in all, each
logger stop-and-wait on its 9014 and paced to its share of the rate, CN 2051 minute uploads with
Flag=5 from the seeded simulator, pre-encoded before the clock starts); and an HTTP load
generator: ``--clients`` keep-alive connections with the bearer token, each waiting for its
answer before asking again — wrk (Debian package ``wrk``; the default: it leaves the two cores to
the server, as clients on other machines would) or httpx.AsyncClient clients in one Python
process (``--client httpx``, ~2 ms of CPU per request).

The HTTP load is three phases of ``--seconds`` each by default (``--mix phases``): all clients
ask for one kind of request at a time, so each kind's requests/s is what the service sustains
for it alone. ``--mix cycle`` instead lets each client cycle through the three requests for
``--seconds`` (``--client httpx`` only). Each phase starts with nothing kept, as after a restart
(one request before it, not counted), or with ``--warm`` after one pass over its distinct
requests, as a server that has been answering for a while. The requests:

* latest: ``GET /api/v1/latest?type=air_station&factor=a34004&kind=hour`` (every station)
* year: ``GET /api/v1/readings?object=<random station>&factor=a34004&kind=hour&from=…&to=…
  &limit=10000`` (one station's year of hourly PM2.5, 8,760 rows)
* month: ``GET /api/v1/assessments/air?from=<month start>&to=<month end>&city=<random city>``
  (a city's daily AQI for the last month of the data)

Figures: per request kind p50, p99, requests/s and errors; the loggers' reply p50/p99 during
each phase (and the gateway's own reply p99); the server process's CPU over each phase (Linux
/proc). Targets (2 cores): latest p99 < 100 ms and >= 300 requests/s; year p99 < 200 ms; the
gateway's reply p99 < 500 ms throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import uvloop

HERE = Path(__file__).resolve()
AIR_FACTORS = ("a34004", "a34002", "a21026", "a21004", "a05024", "a21005")
# Typical levels (station units: µg/m³, CO mg/m³) for the synthetic readings.
LEVELS = {"a34004": 35.0, "a34002": 60.0, "a21026": 8.0, "a21004": 30.0, "a05024": 80.0,
          "a21005": 0.8}
GATEWAY_START = datetime(2024, 3, 31, 16, 0, tzinfo=UTC)  # the gateway's data: another period
PASSWORD = "Bench-Horse-9-Battery"
TARGETS = {"latest": (100.0, 300.0), "year": (200.0, None), "month": (None, None)}


def data_end() -> datetime:
    """The end of the stored year: 2026-12-01 00:00 China Standard Time."""
    return datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- set-up


def set_up(data_dir: str, stations: int, days: int, connections: int) -> dict[str, object]:
    """Register, write the readings, make the analyst's token; return what the load needs."""
    import pyarrow as pa

    from ecohub.identity import organisations, tokens, users
    from ecohub.region import ANHUI_CITIES
    from ecohub.store import READING_SCHEMA, DeviceSpec, ObjectSpec, open_store

    rng = np.random.default_rng(2026)
    specs, cities = [], []
    for i in range(stations):
        code, city, lon, lat = ANHUI_CITIES[i % len(ANHUI_CITIES)]
        specs.append(ObjectSpec(f"{code}-A{i // len(ANHUI_CITIES) + 1:03d}", f"{city}站点{i}",
                                "air_station", round(lon + rng.uniform(-0.2, 0.2), 4),
                                round(lat + rng.uniform(-0.2, 0.2), 4), city, code))
        cities.append(city)
    gateway_devices = [(f"0G{i:022X}", f"{200000 + i}") for i in range(connections)]
    specs += [ObjectSpec(f"BW{i:05d}", f"基准水站{i}", "water_station")
              for i in range(connections)]
    end = data_end()
    start = end - timedelta(days=days)
    with open_store(data_dir=data_dir, migrate=True) as store:
        ids = store.registry.add_objects(specs)
        station_mns = [f"0A{i:022X}" for i in range(stations)]
        store.registry.add_devices(
            [DeviceSpec(mn, oid, "123456", AIR_FACTORS)
             for mn, oid in zip(station_mns, ids[:stations], strict=True)]
            + [DeviceSpec(mn, oid, pw, ())
               for (mn, pw), oid in zip(gateway_devices, ids[stations:], strict=True)])
        organisations.add_organisation(store, "BUREAU", "某市生态环境局", kind="bureau",
                                       actor="bench")
        users.add_user(store, "analyst", PASSWORD, role="analyst", organisation="BUREAU",
                       actor="bench")
        _, token = tokens.create_token(store, "analyst", name="bench", actor="bench")

        # A year of hourly readings, written in month-sized batches (all stations, 6 factors).
        began = time.perf_counter()
        hours = days * 24
        total, chunk_hours = 0, 24 * 30
        mn_array = np.array(station_mns, dtype=object)
        id_array = np.array(ids[:stations], dtype=np.int64)
        base = start.timestamp()
        for first in range(0, hours, chunk_hours):
            n_hours = min(chunk_hours, hours - first)
            hour_index = np.arange(first, first + n_hours)
            # rows: station-major, then factor, then hour
            n = stations * len(AIR_FACTORS) * n_hours
            station_of = np.repeat(np.arange(stations), len(AIR_FACTORS) * n_hours)
            factor_of = np.tile(np.repeat(np.arange(len(AIR_FACTORS)), n_hours), stations)
            hour_of = np.tile(hour_index, stations * len(AIR_FACTORS))
            levels = np.array([LEVELS[f] for f in AIR_FACTORS])[factor_of]
            diurnal = 1 + 0.3 * np.sin(2 * np.pi * (hour_of % 24) / 24)
            seasonal = 1 + 0.4 * np.cos(2 * np.pi * hour_of / (24 * 365))
            values = np.round(levels * diurnal * seasonal * rng.lognormal(0, 0.35, n), 3)
            starts_us = ((base + hour_of * 3600) * 1e6).astype(np.int64)
            table = pa.table({
                "mn": pa.array(mn_array[station_of], pa.string()),
                "object_id": pa.array(id_array[station_of]),
                "factor": pa.array(np.array(AIR_FACTORS, dtype=object)[factor_of], pa.string()),
                "kind": pa.array(np.full(n, "hour", dtype=object), pa.string()),
                "period_start": pa.array(starts_us, pa.timestamp("us", tz="UTC")),
                "period_s": pa.array(np.full(n, 3600, dtype=np.int32)),
                "statistic": pa.array(np.full(n, "Avg", dtype=object), pa.string()),
                "value": pa.array(values),
                "device_flag": pa.array(np.full(n, "N", dtype=object), pa.string()),
                "received_at": pa.array(starts_us + 3_600_000_000,
                                        pa.timestamp("us", tz="UTC")),
                "packet_id": pa.nulls(n, pa.string()),
            }, schema=READING_SCHEMA)
            total += store.measurements.write(table)
            print(f"  written {total:,} readings ({first + n_hours:,} of {hours:,} hours, "
                  f"{time.perf_counter() - began:.0f} s)", flush=True)
    size = sum(f.stat().st_size for f in Path(data_dir).rglob("*") if f.is_file())
    return {"token": token, "codes": [s.code for s in specs[:stations]],
            "cities": sorted(set(cities)), "readings": total, "bytes": size,
            "write_s": time.perf_counter() - began, "start": start.isoformat(),
            "end": end.isoformat(), "gateway_devices": gateway_devices}


# --------------------------------------------------------------------------- server process


def server_main(data_dir: str, gateway_port: int, http_port: int, threads: int = 0) -> None:
    """Exactly what ``ecohub serve`` runs: the gateway and the HTTP service on one uvloop.

    ``threads``: requests answered at once (:attr:`ecohub.server.HttpConfig.threads`); 0 keeps
    ``ecohub serve``'s default.
    """
    from ecohub.ingest.hj212_server import GatewayConfig
    from ecohub.server import HttpConfig, serve
    from ecohub.store import open_store

    http = HttpConfig(host="127.0.0.1", port=http_port)
    if threads:
        http = HttpConfig(host="127.0.0.1", port=http_port, threads=threads)

    async def run_server():
        return await serve(store, GatewayConfig(host="127.0.0.1", port=gateway_port,
                                                idle_timeout=3600), http, log_every=3600)

    store = open_store(data_dir=data_dir)
    counters = uvloop.run(run_server())
    store.close()
    print(json.dumps(counters.__dict__), flush=True)


# --------------------------------------------------------------------------- gateway load


class _PacedLogger(asyncio.Protocol):
    """Stop-and-wait HJ 212 uploader paced to ``interval``: the next packet goes at its due
    time, or at once when the 9014 of the previous one came after it."""

    def __init__(self, frames: list[bytes], qns: list[bytes], interval: float, load: _GatewayLoad
                 ) -> None:
        self.frames, self.qns, self.interval, self.load = frames, qns, interval, load
        self.next = 0
        self.due = 0.0
        self.sent_at = 0.0
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def start(self, at: float) -> None:
        self.due = at
        asyncio.get_running_loop().call_at(at, self._send)

    def _send(self) -> None:
        if self.load.stopping or self.next >= len(self.frames) or self.transport is None:
            return
        self.sent_at = time.perf_counter()
        self.transport.write(self.frames[self.next])

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n")) >= 0:
            answer, self.buffer = self.buffer[:end], self.buffer[end + 2:]
            if self.next >= len(self.qns) or answer[6:26] != b"QN=" + self.qns[self.next]:
                continue
            now = time.perf_counter()
            self.load.latencies.append(now - self.sent_at)
            self.load.sent.append(self.sent_at)
            self.next += 1
            self.due += self.interval
            loop = asyncio.get_running_loop()
            if self.due > loop.time():
                loop.call_at(self.due, self._send)
            else:
                self.load.late += 1
                self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.load.lost_connections += 1


class _GatewayLoad:
    def __init__(self) -> None:
        self.stopping = False
        self.latencies: list[float] = []
        self.sent: list[float] = []
        self.late = 0
        self.lost_connections = 0


def gateway_frames(devices: list[tuple[str, str]], per_device: int
                   ) -> list[tuple[list[bytes], list[bytes]]]:
    """Pre-encoded CN 2051 minute uploads (Flag=5) per logger, from the seeded simulator."""
    from ecohub.ingest.simulate import SimDevice, SimulationPlan

    sims = [SimDevice(mn, pw, "water_station", longitude=117 + (i % 40) * 0.05,
                      latitude=31 + (i // 40) * 0.05) for i, (mn, pw) in enumerate(devices)]
    plan = SimulationPlan(sims, GATEWAY_START, timedelta(minutes=10 * (per_device + 2)),
                          seed=2024, realtime_interval=86400, bad_rate=0, duplicate_rate=0)
    out = []
    for sim in sims:
        minute = [p for p in plan.packets(sim) if p.cn == "2051"][:per_device]
        out.append(([p.frame for p in minute], [p.qn.encode() for p in minute]))
    return out


async def gateway_load_run(port: int, devices: list[tuple[str, str]], rate: float,
                           seconds: float, out: str) -> dict[str, object]:
    interval = len(devices) / rate
    frames = gateway_frames(devices, int(seconds / interval) + 10)
    load = _GatewayLoad()
    loop = asyncio.get_running_loop()
    loggers = []
    for device_frames, qns in frames:
        logger = _PacedLogger(device_frames, qns, interval, load)
        await loop.create_connection(lambda lg=logger: lg, "127.0.0.1", port)
        loggers.append(logger)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("STARTED", flush=True)
    began, wall = time.perf_counter(), time.time()
    at = loop.time()
    for i, logger in enumerate(loggers):  # spread evenly over one interval
        logger.start(at + interval * i / len(loggers))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    load.stopping = True
    elapsed = time.perf_counter() - began
    await asyncio.sleep(0.5)
    for logger in loggers:
        if logger.transport is not None:
            logger.transport.close()
    # wall-clock send times, so the orchestrator can cut the run into the HTTP phases
    sent = np.array(load.sent) - began + wall
    np.save(out, np.stack([sent, np.array(load.latencies)]))
    return {"answered": len(load.latencies), "seconds": elapsed,
            "late_sends": load.late, "lost_connections": load.lost_connections,
            "frames_exhausted": sum(lg.next >= len(lg.frames) for lg in loggers)}


def gateway_load_main(port: int, devices_file: str, rate: float, seconds: float,
                      out: str) -> None:
    devices = [tuple(d) for d in json.loads(Path(devices_file).read_text())]
    print(json.dumps(uvloop.run(gateway_load_run(port, devices, rate, seconds, out))),
          flush=True)


# --------------------------------------------------------------------------- HTTP load


def request_for(what: str, plan: dict, rng: random.Random) -> tuple[str, dict[str, str]]:
    if what == "latest":
        return "/api/v1/latest", {"type": "air_station", "factor": "a34004", "kind": "hour"}
    if what == "year":
        return "/api/v1/readings", {
            "object": rng.choice(plan["codes"]), "factor": "a34004", "kind": "hour",
            "from": plan["year_from"], "to": plan["year_to"], "limit": "10000"}
    return "/api/v1/assessments/air", {"from": plan["month_from"], "to": plan["month_to"],
                                       "city": rng.choice(plan["cities"])}


async def http_load_run(port: int, plan: dict, clients: int, seconds: float, mix: str
                        ) -> dict[str, object]:
    import httpx

    headers = {"Authorization": f"Bearer {plan['token']}"}
    base = f"http://127.0.0.1:{port}"
    pool = [httpx.AsyncClient(base_url=base, headers=headers, timeout=60,
                              limits=httpx.Limits(max_connections=1))
            for _ in range(clients)]
    kinds = tuple(plan["kinds"])
    rng = random.Random(14)
    for what in kinds:  # warm-up (imports, caches): not counted
        path, params = request_for(what, plan, rng)
        answer = await pool[0].get(path, params=params)
        if answer.status_code != 200:
            raise SystemExit(f"warm-up {what}: {answer.status_code} {answer.text[:500]}")
    phases = [(k, (k,)) for k in kinds] if mix == "phases" else [("cycle", kinds)]
    results: dict[str, object] = {}
    for phase, cycle in phases:
        records: list[tuple[str, float, int, int]] = []
        deadline = time.perf_counter() + seconds

        async def client(c: httpx.AsyncClient, offset: int, cycle=cycle, records=records,
                         deadline=deadline) -> None:
            local = random.Random(offset)
            i = offset
            while time.perf_counter() < deadline:
                what = cycle[i % len(cycle)]
                i += 1
                path, params = request_for(what, plan, local)
                started = time.perf_counter()
                try:
                    answer = await c.get(path, params=params)
                    status, size = answer.status_code, len(answer.content)
                except httpx.HTTPError:
                    status, size = 0, 0
                records.append((what, time.perf_counter() - started, status, size))

        print(f"PHASE {phase} {time.time():.3f}", flush=True)
        began = time.perf_counter()
        await asyncio.gather(*(client(c, k) for k, c in enumerate(pool)))
        elapsed = time.perf_counter() - began
        print(f"END {phase} {time.time():.3f}", flush=True)
        for what in cycle:
            mine = [r for r in records if r[0] == what]
            ok = np.array([r[1] for r in mine if r[2] == 200]) * 1e3
            results[f"{phase}:{what}"] = {
                "requests": len(mine), "errors": sum(r[2] != 200 for r in mine),
                "statuses": sorted({r[2] for r in mine}),
                "p50_ms": float(np.percentile(ok, 50)) if ok.size else None,
                "p99_ms": float(np.percentile(ok, 99)) if ok.size else None,
                "per_s": len(mine) / elapsed, "seconds": elapsed,
                "bytes_mean": float(np.mean([r[3] for r in mine])) if mine else 0}
    for c in pool:
        await c.aclose()
    return results


def http_load_main(port: int, plan_file: str, clients: int, seconds: float, mix: str) -> None:
    plan = json.loads(Path(plan_file).read_text())
    print(json.dumps(uvloop.run(http_load_run(port, plan, clients, seconds, mix))), flush=True)


_WRK_SCRIPT = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "bytes": %%d, "non2xx": %%d, '
    .. '"socket_errors": %%d, "timeouts": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write, e.timeout, latency:percentile(50), latency:percentile(99),
    latency.max))
end
"""


def wrk_load_main(port: int, plan_file: str, clients: int, seconds: float) -> None:
    """The phases of :func:`http_load_run` with wrk (C, one thread) as the 50 clients.

    A Python client spends more CPU per request than the server's kept answer (httpx: ~2 ms,
    inflating the gzip included), and here it shares the two cores with the server: wrk
    leaves them to the server, as clients on other machines would. Same requests, same
    headers (bearer token, ``Accept-Encoding: gzip``; wrk does not inflate), keep-alive, each
    connection waiting for its answer before asking again; a latency histogram of every
    answer (``--timeout 60s``: none is left out of it as late).
    """
    plan = json.loads(Path(plan_file).read_text())
    rng = random.Random(14)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="ecohub-wrk-") as tmp:
        for what in plan["kinds"]:
            paths = []
            for _ in range(2000 if what != "latest" else 1):
                path, params = request_for(what, plan, rng)
                paths.append(f"{path}?{urlencode(params)}")
            script = Path(tmp) / f"{what}.lua"
            script.write_text(_WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths))
            command = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "60s",
                       "-H", f"Authorization: Bearer {plan['token']}",
                       "-H", "Accept-Encoding: gzip", "-s", str(script),
                       f"http://127.0.0.1:{port}"]
            # Not counted: one request, as --client httpx does; with --warm, every distinct one
            for path in sorted(set(paths)) if plan.get("warm") else paths[:1]:
                warm = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={
                    "Authorization": f"Bearer {plan['token']}", "Accept-Encoding": "gzip"})
                with urllib.request.urlopen(warm, timeout=60) as answer:
                    answer.read()
            print(f"PHASE {what} {time.time():.3f}", flush=True)
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            print(f"END {what} {time.time():.3f}", flush=True)
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            elapsed = figures["duration_us"] / 1e6
            errors = figures["non2xx"] + figures["socket_errors"] + figures["timeouts"]
            results[f"{what}:{what}"] = {
                "requests": figures["requests"], "errors": errors,
                "statuses": ["non-2xx"] if figures["non2xx"] else [200],
                "p50_ms": figures["p50_us"] / 1e3, "p99_ms": figures["p99_us"] / 1e3,
                "per_s": figures["requests"] / elapsed, "seconds": elapsed,
                "bytes_mean": figures["bytes"] / max(figures["requests"], 1)}
    print(json.dumps(results), flush=True)


# --------------------------------------------------------------------------- orchestration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(HERE), *args], stdout=subprocess.PIPE,
                            text=True)


def wait_listening(port: int, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on {port} within {timeout} s")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads, and of its children that ended: wrk) of a
    process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cst(moment: datetime) -> str:
    """A time without zone, read as China Standard Time by the API."""
    return (moment + timedelta(hours=8)).replace(tzinfo=None).isoformat(timespec="minutes")


def run(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="ecohub-apibench-") as tmp:
        data_dir = str(Path(tmp) / "store")
        began = time.perf_counter()
        setup = set_up(data_dir, args.stations, args.days, args.connections)
        print(f"set-up: {len(setup['codes'])} air stations in {len(setup['cities'])} cities, "
              f"{setup['readings']:,} readings written in {setup['write_s']:.0f} s "
              f"({time.perf_counter() - began:.0f} s with registering); store "
              f"{setup['bytes'] / 1e6:.0f} MB", flush=True)
        end = datetime.fromisoformat(setup["end"])
        start = datetime.fromisoformat(setup["start"])
        last_day = (end + timedelta(hours=8)).date() - timedelta(days=1)
        month_from = max(date(last_day.year, last_day.month, 1),
                         (start + timedelta(hours=8)).date())
        plan = {"token": setup["token"], "codes": setup["codes"], "cities": setup["cities"],
                "year_from": cst(start), "year_to": cst(end),
                "month_from": month_from.isoformat(), "month_to": last_day.isoformat(),
                "kinds": args.kinds.split(","), "warm": args.warm}
        plan_file, devices_file = Path(tmp) / "plan.json", Path(tmp) / "devices.json"
        plan_file.write_text(json.dumps(plan))
        devices_file.write_text(json.dumps(setup["gateway_devices"]))
        gateway_port, http_port = free_port(), free_port()
        server = spawn("server", data_dir, str(gateway_port), str(http_port), str(args.threads))
        wait_listening(gateway_port, server)
        wait_listening(http_port, server)
        phases = len(plan["kinds"]) if args.mix == "phases" else 1
        gateway_seconds = phases * args.seconds + 60  # ended by SIGTERM after the HTTP load
        latencies_file = str(Path(tmp) / "gateway.npy")
        gw = spawn("gateway-load", str(gateway_port), str(devices_file), str(args.rate),
                   str(gateway_seconds), latencies_file)
        assert gw.stdout is not None
        while gw.stdout.readline().strip() != "STARTED":
            if gw.poll() is not None:
                raise RuntimeError("the gateway load generator exited before starting")
        time.sleep(2)  # the loggers settle into their pace
        gw_started = time.time()
        if args.client == "wrk":
            http = spawn("wrk-load", str(http_port), str(plan_file), str(args.clients),
                         str(args.seconds))
        else:
            http = spawn("http-load", str(http_port), str(plan_file), str(args.clients),
                         str(args.seconds), args.mix)
        assert http.stdout is not None
        spy = None
        if args.py_spy:
            spy = subprocess.Popen(["py-spy", "record", "-p", str(server.pid), "-o",
                                    args.py_spy, "-f", {".json": "speedscope", ".txt": "raw"}.get(
                                        Path(args.py_spy).suffix, "flamegraph"), "--nonblocking",
                                    "-d", str(int(phases * args.seconds + 5))],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        windows: dict[str, dict[str, float]] = {}
        loads: list[float] = []
        out = ""
        for line in http.stdout:
            word = line.split()
            if word and word[0] == "PHASE":
                windows[word[1]] = {"from": float(word[2]), "cpu": cpu_seconds(server.pid),
                                    "load_cpu": cpu_seconds(http.pid),
                                    "gw_cpu": cpu_seconds(gw.pid)}
                loads.append(os.getloadavg()[0])
            elif word and word[0] == "END":
                w = windows[word[1]]
                w |= {"to": float(word[2]), "cpu": cpu_seconds(server.pid) - w["cpu"],
                      "load_cpu": cpu_seconds(http.pid) - w["load_cpu"],
                      "gw_cpu": cpu_seconds(gw.pid) - w["gw_cpu"]}
                loads.append(os.getloadavg()[0])
            else:
                out += line
        http.wait()
        if spy is not None:
            spy.wait()
        if http.returncode:
            raise RuntimeError(f"the HTTP load generator failed: {out[-2000:]}")
        results = json.loads(out.strip().splitlines()[-1])
        gw.send_signal(signal.SIGTERM)
        gw_out, _ = gw.communicate(timeout=120)
        gw_result = json.loads(gw_out.strip().splitlines()[-1])
        gw_result["http_window_s"] = time.time() - gw_started
        server.send_signal(signal.SIGTERM)
        server_out, _ = server.communicate(timeout=300)
        counters = json.loads(server_out.strip().splitlines()[-1])
        sent, lat = np.load(latencies_file)
        lat_ms = lat * 1e3
        for w in windows.values():
            inside = (sent >= w["from"]) & (sent < w["to"])
            w["gw_packets_per_s"] = float(inside.sum() / (w["to"] - w["from"]))
            w["gw_p50_ms"] = float(np.percentile(lat_ms[inside], 50)) if inside.any() else None
            w["gw_p99_ms"] = float(np.percentile(lat_ms[inside], 99)) if inside.any() else None
            w["gw_max_ms"] = float(lat_ms[inside].max()) if inside.any() else None
        return {"setup": {k: v for k, v in setup.items()
                          if k not in ("token", "codes", "gateway_devices")},
                "plan": {k: v for k, v in plan.items() if k not in ("token", "codes")},
                "http": results, "windows": windows, "gateway_load": gw_result,
                "gateway": counters, "load_average": loads,
                "gw_all_p50_ms": float(np.percentile(lat_ms, 50)),
                "gw_all_p99_ms": float(np.percentile(lat_ms, 99))}


def verdict(value: float | None, limit: float | None, above: bool = False) -> str:
    if limit is None or value is None:
        return ""
    met = value >= limit if above else value < limit
    return f" (target {'≥' if above else '<'} {limit:g}: {'met' if met else 'NOT MET'})"


def report(result: dict, args: argparse.Namespace) -> None:
    print(f"plan: {result['plan']}")
    for key, r in result["http"].items():
        phase, what = key.split(":")
        p99_target, rate_target = TARGETS[what]
        p50 = "—" if r["p50_ms"] is None else f"{r['p50_ms']:.1f}"
        p99 = "—" if r["p99_ms"] is None else f"{r['p99_ms']:.1f}"
        print(f"  [{phase}] {what}: {r['requests']} requests, {r['errors']} errors "
              f"{r['statuses']}, p50 {p50} ms, p99 {p99} ms"
              f"{verdict(r['p99_ms'], p99_target)}, {r['per_s']:.1f} requests/s"
              f"{verdict(r['per_s'], rate_target, above=True)}; "
              f"{r['bytes_mean'] / 1e3:.0f} kB per answer")
    for phase, w in result["windows"].items():
        span = w["to"] - w["from"]
        print(f"  [{phase}] gateway during the phase: {w['gw_packets_per_s']:.0f} packets/s, "
              f"loggers' reply p50 {w['gw_p50_ms']:.1f} ms, p99 {w['gw_p99_ms']:.1f} ms"
              f"{verdict(w['gw_p99_ms'], 500.0)}, max {w['gw_max_ms']:.0f} ms; CPU: server "
              f"{w['cpu'] / span * 100:.0f} % of a core, HTTP load {w['load_cpu'] / span * 100:.0f}"
              f" %, gateway load {w['gw_cpu'] / span * 100:.0f} %", flush=True)
    g, gl = result["gateway"], result["gateway_load"]
    print(f"  gateway over the whole run: loggers' reply p50 {result['gw_all_p50_ms']:.1f} ms, "
          f"p99 {result['gw_all_p99_ms']:.1f} ms; {gl['answered']} answered in "
          f"{gl['seconds']:.0f} s, {gl['late_sends']} sends behind their pace, "
          f"{gl['lost_connections']} connections lost; the gateway's own reply p50/p99 "
          f"{g['reply_latency_p50']:.1f}/{g['reply_latency_p99']:.1f} ms, "
          f"{g['readings_stored']} readings stored")
    print("  load average at the phase marks: "
          + " ".join(f"{v:.1f}" for v in result["load_average"]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stations", type=int, default=300)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="HTTP load per phase (--mix phases) or in all (--mix cycle)")
    parser.add_argument("--mix", choices=("phases", "cycle"), default="phases")
    parser.add_argument("--warm", action="store_true",
                        help="ask every distinct request once before its phase, not counted: a "
                             "server that has been answering for a while (default: the phase "
                             "starts with nothing kept, as after a restart)")
    parser.add_argument("--client", choices=("wrk", "httpx"), default="wrk",
                        help="the 50 clients: wrk (C; Debian package wrk) or httpx.AsyncClient "
                             "in one Python process (needed for --mix cycle)")
    parser.add_argument("--kinds", default="latest,year,month",
                        help="the requests asked for (comma-separated), in this order")
    parser.add_argument("--connections", type=int, default=200,
                        help="gateway loggers (TCP connections)")
    parser.add_argument("--rate", type=float, default=1000.0, help="gateway packets/s in all")
    parser.add_argument("--threads", type=int, default=0,
                        help="requests the server answers at once (default: ecohub serve's, "
                             "HttpConfig.threads)")
    parser.add_argument("--py-spy", help="profile the server with py-spy into this file "
                        "(.svg flame graph, .json speedscope, .txt collapsed stacks)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()
    if args.client == "wrk" and args.mix == "cycle":
        parser.error("--mix cycle needs --client httpx (wrk reports one histogram per run)")
    if args.warm and args.client != "wrk":
        parser.error("--warm is a --client wrk option")
    if args.client == "wrk" and shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install wrk, or use --client httpx")
    print(f"HTTP service: {args.stations} air stations x {args.days} days hourly, "
          f"{args.clients} clients, {args.mix} of {args.seconds:g} s; gateway "
          f"{args.rate:g} packets/s over {args.connections} connections; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    result = run(args)
    report(result, args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else ""
    if role == "server":
        server_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    elif role == "gateway-load":
        gateway_load_main(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]),
                          float(sys.argv[5]), sys.argv[6])
    elif role == "wrk-load":
        wrk_load_main(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif role == "http-load":
        http_load_main(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]),
                       sys.argv[6])
    else:
        main()
