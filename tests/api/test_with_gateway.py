"""One process, gateway and HTTP: metrics of the packets, readiness, release through the API."""

from __future__ import annotations

import socket
import time

from ecohub.identity import tokens
from ecohub.ingest.hj212_server import GatewayConfig
from ecohub.protocols import hj212
from ecohub.store import DeviceSpec, Store

from .conftest import free_port, populate, running


def upload(mn: str, n: int) -> bytes:
    """A CN 2051 minute upload of PM2.5 ([S17] App. C), Flag A=1."""
    return hj212.frame(
        f"QN=20261201080{n}00000;ST=22;CN=2051;PW=123456;MN={mn};Flag=5;"
        f"CP=&&DataTime=2026120108{n}000;a34004-Avg=3{n},a34004-Flag=N&&".encode())


def exchange(link: socket.socket, data: bytes) -> None:
    link.sendall(data)
    reader = hj212.FrameReader()
    while not reader.feed(link.recv(4096)):
        pass


def test_metrics_readiness_and_release_through_the_running_gateway(store: Store) -> None:
    secrets = populate(store)
    gateway_port = free_port()
    config = GatewayConfig(host="127.0.0.1", port=gateway_port, unknown_mn="quarantine")
    with running(store, config) as url:
        import httpx

        with socket.create_connection(("127.0.0.1", gateway_port)) as link:
            exchange(link, upload("MN-0", 1))       # a registered logger: stored
            exchange(link, upload("MN-NEW", 2))     # unknown: quarantined, answered
            link.sendall(upload("MN-0", 3)[:-6] + b"0000\r\n")  # a wrong CRC: rejected
            time.sleep(0.5)
        operator = {"Authorization": f"Bearer {secrets['operator']}"}
        with httpx.Client(base_url=url, headers=operator, timeout=30) as client:
            deadline = time.monotonic() + 10
            while True:
                metrics = client.get("/metrics").text
                if 'ecohub_gateway_packets_total{outcome="stored",reason=""} 1.0' in metrics:
                    break
                assert time.monotonic() < deadline, metrics
                time.sleep(0.1)
            assert 'ecohub_gateway_packets_total{outcome="quarantined",reason="unknown_mn"}' \
                ' 1.0' in metrics
            assert 'ecohub_gateway_packets_total{outcome="rejected",reason="crc"} 1.0' in metrics
            assert 'ecohub_gateway_reply_seconds_count 2.0' in metrics
            assert "ecohub_gateway_connections" in metrics
            ready = client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["store_backlog"] == 0
            status = client.get("/api/v1/ingest/status?since=2026-12-01").json()["items"]
            assert {row["mn"]: row["packets"] for row in status}["MN-0"] == 1
            store.registry.add_devices([DeviceSpec("MN-NEW", 1, "123456", ("a34004",))])
            released = client.post("/api/v1/ingest/release?mn=MN-NEW")
            assert released.status_code == 200, released.text
        viewer = tokens.authenticate_token(store, secrets["viewer"])
        assert viewer is not None
    assert store.measurements.readings().filter(mn="MN-NEW").height == 1  # exactly once
    assert [r.disposition for r in store.registry.rejected(disposition="released")] == \
        ["released"]
