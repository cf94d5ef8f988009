"""One server process: the HJ 212 gateway and the HTTP service over one store (``ecohub serve``).

Both run on one event loop (uvloop): the gateway's TCP server (:mod:`ecohub.ingest.hj212_server`)
and uvicorn serving :func:`ecohub.api.create_app`, which sees the gateway (its status, its
metrics, releases through it). SIGINT or SIGTERM stops both cleanly: the HTTP server finishes
its requests, the gateway answers everything it received and applies its journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import pyarrow as pa

from ecohub.ingest.hj212_server import (
    WRITER_SWITCH_INTERVAL,
    Gateway,
    GatewayConfig,
    GatewayCounters,
)
from ecohub.store import Store
from ecohub.store.remote import remove_server_file, write_server_file

__all__ = ["HttpConfig", "JsonLogFormatter", "serve"]

log = logging.getLogger(__name__)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log line (``ecohub serve --log-json``), for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as ``{"time", "level", "logger", "message"[, "exception"]}``."""
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                 "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@dataclass(frozen=True)
class HttpConfig:
    """Where the HTTP service listens."""

    host: str = "0.0.0.0"
    port: int = 8000
    threads: int = 8
    """Requests answered at once (the others wait): each runs on a thread, and beside the
    gateway on two cores more threads only share the same CPU and slow the loggers' answers
    (bench/RESULTS.md, "HTTP service": 4-8 kept the gateway's p99 under 300 ms, 40 did not)."""
    basemap: Path | None = None
    """An operator's PMTiles basemap the web map draws under its layers (``--basemap``)."""
    answer_cache_mb: int = 256
    """Memory for answers kept until their data changes (:mod:`ecohub.api.answers`)."""


def bind(host: str, port: int, what: str, option: str) -> socket.socket:
    """A listening TCP socket, or ``OSError`` saying which address could not be taken."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        raise OSError(f"{what} cannot listen on {host}:{port}: {error.strerror or error}; "
                      f"choose another port with {option}") from None
    sock.setblocking(False)
    return sock


async def serve(store: Store, gateway: GatewayConfig | None = None,
                http: HttpConfig | None = None, *, stop: asyncio.Event | None = None,
                log_every: float = 60.0,
                on_commit: Iterable[Callable[[pa.Table], Any]] = ()) -> GatewayCounters | None:
    """Run the gateway and/or the HTTP service until SIGINT/SIGTERM (or ``stop`` is set).

    ``on_commit`` hooks (e.g. quality control) receive every readings table the gateway applies.
    Returns the gateway's final counters (None without a gateway). While the gateway runs, the
    interpreter's GIL switch interval is lowered to
    :data:`ecohub.ingest.hj212_server.WRITER_SWITCH_INTERVAL`: see there why.
    """
    if gateway is None and http is None:
        raise ValueError("serve: neither the gateway nor the HTTP service is asked for")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before listening: a stop is never lost
        # (not in a thread other than the main one: a test's server is stopped by ``stop``)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    http_socket = None if http is None else bind(http.host, http.port, "the HTTP service",
                                                   "--http-port")
    running = None
    if gateway is not None:
        running = Gateway(store, gateway)
        running.on_commit.extend(on_commit)
        try:
            await running.start()
        except OSError as error:
            if http_socket is not None:
                http_socket.close()
            raise OSError(f"the HJ 212 gateway cannot listen on {gateway.host}:{gateway.port}: "
                          f"{error.strerror or error}; choose another port with --port"
                          ) from None
    web = None
    switch_interval = sys.getswitchinterval()
    if running is not None:
        sys.setswitchinterval(WRITER_SWITCH_INTERVAL)
    try:
        if http_socket is not None:
            host, port = http_socket.getsockname()[:2]
            local = None
            if store.settings.is_embedded:  # commands beside the server read through it
                local = write_server_file(store.settings.data_dir,
                                          f"http://{_loopback(host)}:{port}")
            anyio.to_thread.current_default_thread_limiter().total_tokens = http.threads
            web = _start_http(store, running, http_socket, local, http.basemap,
                              http.answer_cache_mb)
            log.info("HTTP service listening on %s:%s", host, port)
        # What starting made (modules, the application, the registry's objects) lives as long
        # as the process: out of the collector's sight, a full collection walks only what came
        # after (under load, full collections paused every request ~0.1 s: bench/RESULTS.md).
        gc.freeze()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=log_every)
            if running is not None:
                log.info("HJ 212 gateway: %s", running.counters().log_line())
    finally:
        if web is not None:
            server, task = web
            server.config.app.state.events.close()  # live streams end: uvicorn can finish
            server.should_exit = True
            await task
            if store.settings.is_embedded:
                remove_server_file(store.settings.data_dir)
        if running is not None:
            await running.stop()
        sys.setswitchinterval(switch_interval)
    return None if running is None else running.counters()


def _loopback(host: str) -> str:
    """The address a command on this machine reaches a server listening on ``host`` at."""
    return {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)


def _start_http(store: Store, gateway: Gateway | None, sock: socket.socket,
                local_secret: str | None, basemap: Path | None = None,
                answer_cache_mb: int = 256):
    import uvicorn

    from ecohub.api import create_app

    class EmbeddedServer(uvicorn.Server):
        """uvicorn inside ecohub's loop: the process's stop signal ends it (see :func:`serve`)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    config = uvicorn.Config(create_app(store, gateway=gateway, local_secret=local_secret,
                                       basemap=basemap,
                                       answer_bytes=answer_cache_mb * 2**20),
                            log_config=None,
                            access_log=False, lifespan="off", server_header=False)
    server = EmbeddedServer(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]),
                                                  name="http")
    return server, task
