"""Shared fixtures: the embedded store in a temp dir, and a fresh schema on the real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from ecohub.store import Store, open_store

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
        opened = open_store(data_dir=tmp_path)
    else:
        opened = open_store(request.getfixturevalue("pg_url"))
    try:
        yield opened
    finally:
        opened.close()
