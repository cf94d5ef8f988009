"""Where ecohub keeps its data: one URL selects the backend.

Embedded default (no server to install): the operational database is SQLite and the measurement
store is DuckDB, both files in one data directory. Server deployment: a single PostgreSQL URL
holds both. The URL comes from the argument, else ``ECOHUB_DATABASE_URL``, else the embedded
default in ``ECOHUB_DATA_DIR`` (``./ecohub-data``). One read of the measurement store may take
at most ``ECOHUB_READ_TIMEOUT`` seconds (default 30; like datasette's ``sql_time_limit_ms``), so
one heavy request cannot starve the rest. The embedded store's DuckDB works on
``ECOHUB_DUCKDB_THREADS`` threads, by default every core but one: the core left is the serving
process's event loop and journal (the gateway's 9014 answers), which a heavy read would
otherwise take. For the same reason reads on worker threads (the service's request handlers, the
QC worker) run at CPU priority ``ECOHUB_READER_NICE`` (default 10, 0: unchanged): they take the
CPU that ingest leaves, so a heavy reader cannot hold back the loggers' answers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "ecohub-data"
DEFAULT_READ_TIMEOUT_S = 30.0
DEFAULT_DUCKDB_THREADS = max(1, (os.cpu_count() or 1) - 1)
DEFAULT_READER_NICE = 10


@dataclass(frozen=True)
class StoreSettings:
    """Resolved locations of the operational database and the measurement store."""

    database_url: str
    """SQLAlchemy URL of the operational database (registry, rejected packets, reviews)."""
    measurement_backend: str
    """``duckdb`` (embedded) or ``postgresql`` (server)."""
    measurement_path: Path | None
    """DuckDB file for the embedded backend; ``None`` for PostgreSQL."""
    data_dir: Path
    """This deployment's local files: the embedded databases, the gateway's journal."""
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    """Time limit of one read of the measurement store, in seconds
    (:class:`ecohub.store.measurements.ReadTimeout` past it)."""
    duckdb_threads: int = DEFAULT_DUCKDB_THREADS
    """Threads of the embedded store's DuckDB (reads and writes together)."""
    reader_nice: int = DEFAULT_READER_NICE
    """CPU priority (Unix nice, 0-19) of threads other than the main thread while they read."""

    @property
    def is_embedded(self) -> bool:
        """Whether the measurements are in the embedded DuckDB file (not PostgreSQL)."""
        return self.measurement_backend == "duckdb"

    def describe(self) -> str:
        """Human-readable locations, with any password in the URL hidden."""
        if self.is_embedded:
            return f"operational: {self.database_url}; measurements: {self.measurement_path}"
        return f"PostgreSQL: {_hide_password(self.database_url)}"


def resolve(
    url: str | None = None, data_dir: str | os.PathLike[str] | None = None
) -> StoreSettings:
    """Pick the backend from an explicit URL, the environment, or the embedded default.

    Only names the locations: :func:`ecohub.store.migrate` creates what is not there yet.
    """
    url = url or os.environ.get("ECOHUB_DATABASE_URL") or None
    root = Path(data_dir or os.environ.get("ECOHUB_DATA_DIR") or DEFAULT_DATA_DIR).resolve()
    timeout = _read_timeout(os.environ.get("ECOHUB_READ_TIMEOUT"))
    threads = _duckdb_threads(os.environ.get("ECOHUB_DUCKDB_THREADS"))
    nice = _reader_nice(os.environ.get("ECOHUB_READER_NICE"))
    if url is None:
        return StoreSettings(
            database_url=f"sqlite:///{root / 'ecohub.db'}",
            measurement_backend="duckdb",
            measurement_path=root / "measurements.duckdb",
            data_dir=root,
            read_timeout_s=timeout,
            duckdb_threads=threads,
            reader_nice=nice,
        )
    scheme = url.split(":", 1)[0]
    if scheme in ("postgresql", "postgresql+psycopg", "postgres"):
        if scheme != "postgresql+psycopg":
            url = "postgresql+psycopg" + url[len(scheme):]
        _check_url(url)
        return StoreSettings(url, "postgresql", None, root, read_timeout_s=timeout,
                             reader_nice=nice)
    if scheme == "sqlite":
        path = Path(url.removeprefix("sqlite:///")).resolve()
        return StoreSettings(url, "duckdb", path.with_name("measurements.duckdb"), path.parent,
                             read_timeout_s=timeout, duckdb_threads=threads, reader_nice=nice)
    raise ValueError(
        f"database URL: scheme {scheme!r} is not supported; expected "
        "'postgresql+psycopg://user@host:port/db' (server) or 'sqlite:///path/ecohub.db' (embedded)"
    )


def _check_url(url: str) -> None:
    """Raise ValueError naming the part of a server URL that cannot be read."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        port = make_url(url).port
    except (ArgumentError, ValueError) as error:
        raise ValueError(f"database URL {_hide_password(url)}: {error}; expected "
                         "'postgresql+psycopg://user@host:port/db'") from None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"database URL {_hide_password(url)}: port {port}; expected 1-65535")


def _read_timeout(text: str | None) -> float:
    if not text:
        return DEFAULT_READ_TIMEOUT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0:
        raise ValueError(f"ECOHUB_READ_TIMEOUT {text!r}: expected a positive number of seconds")
    return seconds


def _duckdb_threads(text: str | None) -> int:
    if not text:
        return DEFAULT_DUCKDB_THREADS
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"ECOHUB_DUCKDB_THREADS {text!r}: expected a whole number of threads, "
                         "at least 1")
    return int(text)


def _reader_nice(text: str | None) -> int:
    if not text:
        return DEFAULT_READER_NICE
    if not text.isdigit() or int(text) > 19:
        raise ValueError(f"ECOHUB_READER_NICE {text!r}: expected a CPU priority from 0 "
                         "(unchanged) to 19 (lowest)")
    return int(text)


def _hide_password(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}{':***' if ':' in credentials else ''}@{host}"
