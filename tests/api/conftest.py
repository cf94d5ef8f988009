"""A real HTTP service for the API tests: uvicorn on a free port over a real store, with users.

The server runs :func:`ecohub.server.serve` (the code `ecohub serve` runs) on its own event loop
in a thread; the tests talk to it with httpx over 127.0.0.1. Both back-ends: the embedded store
(SQLite + DuckDB) and the PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pyarrow as pa
import pytest

from ecohub.identity import ROLES, organisations, tokens, users
from ecohub.ingest.hj212_server import GatewayConfig
from ecohub.server import HttpConfig, serve
from ecohub.store import READING_SCHEMA, DeviceSpec, ObjectSpec, Store

PASSWORD = "Correct-Horse-9-Battery"
CST = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 12, 1, tzinfo=CST)


@dataclass
class Service:
    """The running service, its store, and a bearer token per role."""

    url: str
    store: Store
    tokens: dict[str, str]

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def populate(store: Store) -> dict[str, str]:
    """Two cities' air stations, an enterprise with an outlet, a day of PM2.5; a user and a
    token per role (the enterprise user's enterprise is E1)."""
    ids = store.registry.add_objects([
        ObjectSpec("340100-A01", "合肥市监测站", "air_station", 117.25, 31.86, "合肥市",
                   "340100", department="大气环境处"),
        ObjectSpec("340200-A01", "芜湖市监测站", "air_station", 118.38, 31.33, "芜湖市",
                   "340200", department="大气环境处"),
        ObjectSpec("E1", "某化工有限公司", "pollution_source", 117.3, 31.9, "合肥市", "340100",
                   department="执法处"),
        ObjectSpec("E1-DA001", "1号排放口", "outlet", 117.3, 31.9, "合肥市", "340100",
                   department="执法处", parent_code="E1"),
    ])
    store.registry.add_devices([
        DeviceSpec(f"MN-{i}", object_id, "123456", ("a34004",)) for i, object_id in
        enumerate(ids)])
    rows = [{"mn": f"MN-{i}", "object_id": object_id, "factor": "a34004", "kind": "hour",
             "period_start": DAY + dt.timedelta(hours=h), "period_s": 3600,
             "statistic": "Avg", "value": 30.0 + i + h, "device_flag": "N",
             "received_at": DAY + dt.timedelta(hours=h + 1), "packet_id": None}
            for i, object_id in enumerate(ids) for h in range(24)]
    store.measurements.write(pa.Table.from_pylist(rows, schema=READING_SCHEMA))
    organisations.add_organisation(store, "BUREAU", "某市生态环境局", kind="bureau",
                                   actor="test")
    organisations.add_organisation(store, "AIR", "大气环境处", kind="department",
                                   parent="BUREAU", actor="test")
    organisations.add_organisation(store, "ENT-E1", "某化工有限公司", kind="enterprise",
                                   enterprise_code="E1", actor="test")
    secrets = {}
    for role in ROLES:
        organisation = {"enterprise": "ENT-E1", "data_manager": "AIR"}.get(role, "BUREAU")
        users.add_user(store, role, PASSWORD, role=role, organisation=organisation,
                       actor="test")
        _, secrets[role] = tokens.create_token(store, role, name="tests", actor="test")
    return secrets


@contextlib.contextmanager
def running(store: Store, gateway: GatewayConfig | None = None) -> Iterator[str]:
    """:func:`ecohub.server.serve` over ``store`` in a thread on a free port, and the HJ 212
    gateway beside it when ``gateway`` is given; yields the base URL, stops on leaving."""
    port = free_port()
    holder: dict[str, object] = {}

    def run() -> None:
        async def main() -> None:
            stop = asyncio.Event()
            holder["stop"], holder["loop"] = stop, asyncio.get_running_loop()
            await serve(store, gateway, HttpConfig("127.0.0.1", port), stop=stop)

        asyncio.run(main())

    thread = threading.Thread(target=run, name="http-under-test")
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the HTTP service did not start"
        time.sleep(0.05)
    try:
        yield url
    finally:
        loop = holder["loop"]
        loop.call_soon_threadsafe(holder["stop"].set)  # type: ignore[union-attr]
        thread.join(timeout=30)


@contextlib.contextmanager
def running_service(store: Store, gateway: GatewayConfig | None = None) -> Iterator[Service]:
    """:func:`running` over ``store`` with the users of :func:`populate`."""
    secrets = populate(store)
    with running(store, gateway) as url:
        yield Service(url, store, secrets)


@pytest.fixture
def service(store: Store) -> Iterator[Service]:
    """The HTTP service alone (no gateway: a release answers 503)."""
    with running_service(store) as started:
        yield started
