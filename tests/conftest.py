"""Shared fixtures: the embedded store in a temp dir, a fresh schema on the real PostgreSQL, and a
data directory with one registered data logger for tests that run a gateway process."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from ecohub.protocols import hj212
from ecohub.store import ObjectSpec, Store, open_store

PG_DSN = os.environ.get("ECOHUB_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL to a new, empty schema on the local PostgreSQL server (dropped after)."""
    schema = f"ecohub_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:  # the server is a required part of CI
        pytest.fail(f"PostgreSQL at {PG_DSN} is not reachable: {error}")
    admin.execute(f'CREATE SCHEMA "{schema}"')
    base = PG_DSN.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture(params=["embedded", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path) -> Iterator[Store]:
    """The store on each backend: embedded (SQLite + DuckDB) and the real PostgreSQL server."""
    if request.param == "embedded":
        opened = open_store(data_dir=tmp_path, migrate=True)
    else:
        opened = open_store(request.getfixturevalue("pg_url"), migrate=True)
    try:
        yield opened
    finally:
        opened.close()


@dataclass(frozen=True)
class LoggerSite:
    """An embedded data directory with one registered air-station logger, and a free port."""

    data_dir: Path
    port: int
    mn: str = "010000A8900016F000169DC0"
    password: str = "123456"

    @staticmethod
    def qn(n: int) -> str:
        return f"2026110101{n // 60:02d}{n % 60:02d}000"

    def upload(self, n: int) -> bytes:
        """The logger's n-th CN 2051 minute upload (PM2.5, Flag A=1: answer wanted)."""
        minute = f"{n // 60:02d}{n % 60:02d}"
        return hj212.frame(
            f"QN={self.qn(n)};ST=22;CN=2051;PW={self.password};MN={self.mn};Flag=5;"
            f"CP=&&DataTime=20261101{minute}00;a34004-Avg=30,a34004-Flag=N&&".encode()
        )

    @staticmethod
    def exchange(link: socket.socket, data: bytes) -> hj212.Packet:
        """Send a frame and wait for the answer, stop-and-wait as a logger does."""
        link.sendall(data)
        reader, frames = hj212.FrameReader(), []
        while not frames:
            frames = reader.feed(link.recv(4096))
        return hj212.parse(frames[0], strict=False)  # the answer echoes any MN


@pytest.fixture
def logger_site(tmp_path) -> LoggerSite:
    data_dir = tmp_path / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = LoggerSite(data_dir, port)
    with open_store(data_dir=data_dir, migrate=True) as store:
        (oid,) = store.registry.add_objects([ObjectSpec("A1", "站点一", "air_station")])
        store.registry.add_device(mn=site.mn, object_id=oid, password=site.password,
                                  factors=["a34004"])
    return site
