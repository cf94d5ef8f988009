"""The embedded measurement store while ``ecohub serve`` holds it: reads asked of the server.

DuckDB lets one process write a database file, and the running server is that process. A
command started in another terminal on the same data directory finds the server through
``server.json`` in the data directory (its local address and a secret made at each start,
readable by the file's owner only) and sends it each named read of :mod:`ecohub.store.queries`;
the server runs it on its own reader connection and answers with Arrow. So every read command
works beside the server and gives the answer the server would. Commands that write (a QC review,
an import) say that the server holds the store.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pyarrow as pa

from ecohub.store.measurements import MeasurementStore, _typed
from ecohub.store.queries import Query

__all__ = ["LOCAL_HEADER", "SERVER_FILE", "RemoteMeasurements", "ServerInfo", "decode_params",
           "encode_params", "read_server_file", "remove_server_file", "write_server_file"]

SERVER_FILE = "server.json"
LOCAL_HEADER = "X-Ecohub-Local"


class ServerInfo:
    """Where the running server answers, and its local secret."""

    def __init__(self, url: str, secret: str, pid: int) -> None:
        self.url, self.secret, self.pid = url, secret, pid


def write_server_file(data_dir: Path, url: str) -> str:
    """Record the running server in ``data_dir`` (owner-only); returns the new local secret."""
    secret = secrets.token_urlsafe(32)
    path = Path(data_dir) / SERVER_FILE
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump({"url": url, "secret": secret, "pid": os.getpid()}, out)
    os.replace(temporary, path)
    return secret


def remove_server_file(data_dir: Path) -> None:
    """Forget the server (it stopped)."""
    (Path(data_dir) / SERVER_FILE).unlink(missing_ok=True)


def read_server_file(data_dir: Path) -> ServerInfo | None:
    """The server recorded in ``data_dir`` if its process is alive, else None."""
    try:
        record = json.loads((Path(data_dir) / SERVER_FILE).read_text(encoding="utf-8"))
        info = ServerInfo(str(record["url"]), str(record["secret"]), int(record["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return info


def encode_params(params: Sequence[object]) -> list[Any]:
    """Query parameters as JSON (datetimes and dates tagged)."""
    def one(value: object) -> Any:
        if isinstance(value, datetime):
            return {"$datetime": value.isoformat()}
        if isinstance(value, date):
            return {"$date": value.isoformat()}
        if isinstance(value, list | tuple):
            return [one(v) for v in value]
        return value
    return [one(p) for p in params]


def decode_params(params: Sequence[Any]) -> list[object]:
    """The inverse of :func:`encode_params`."""
    def one(value: Any) -> object:
        if isinstance(value, Mapping) and "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if isinstance(value, Mapping) and "$date" in value:
            return date.fromisoformat(value["$date"])
        if isinstance(value, list):
            return [one(v) for v in value]
        return value
    return [one(p) for p in params]


class RemoteMeasurements(MeasurementStore):
    """The measurement store's reads, answered by the running server (see the module)."""

    dialect = "duckdb"

    def __init__(self, server: ServerInfo, read_timeout_s: float) -> None:
        self.server = server
        self.read_timeout_s = read_timeout_s
        self._client = httpx.Client(base_url=server.url, timeout=read_timeout_s + 10,
                                    headers={LOCAL_HEADER: server.secret,
                                             "X-Ecohub-User": getpass.getuser()})

    def _query(self, query: Query, params: Sequence[object] = ()) -> pl.DataFrame:
        try:
            answer = self._client.post("/api/v1/internal/query", json={
                "name": query.name, "sql": query.sql, "params": encode_params(params)})
        except httpx.TransportError as error:
            raise RuntimeError(f"the running ecohub server at {self.server.url} (pid "
                               f"{self.server.pid}) did not answer: {error}") from None
        if answer.status_code != 200:
            detail = answer.json().get("detail", answer.text) if answer.headers.get(
                "content-type", "").endswith("json") else answer.text
            raise RuntimeError(f"the running ecohub server refused the read {query.name}: "
                               f"{detail}")
        table = pa.ipc.open_stream(answer.content).read_all()
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return _typed(frame, query.schema)

    def _busy(self, what: str) -> RuntimeError:
        return RuntimeError(
            f"{what}: the measurement store is held by the running ecohub server (pid "
            f"{self.server.pid}, {self.server.url}); stop it, or make the change through the "
            "server's API")

    def write(self, readings, packets=None, *, journal=None) -> int:
        """Refused: the server writes (see the module)."""
        raise self._busy("writing readings")

    def journal_position(self, journal_id: str) -> int:
        """Refused: only the server's gateway keeps a journal."""
        raise self._busy("reading a journal position")

    def write_flags(self, flags) -> int:
        """Refused: the server writes."""
        raise self._busy("writing QC results")

    def _insert_review(self, key, decision, reviewer, reason, reviewed_at) -> None:
        raise self._busy("recording a review")

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
