"""Reads for ecohub commands of another process on the server's machine (not a public API).

The embedded measurement store is held by the server; a command started beside it sends the
named reads of :mod:`ecohub.store.queries` here (:class:`ecohub.store.remote.RemoteMeasurements`)
with the secret the server wrote, owner-only, into its data directory. Without that secret the
route does not exist (404). Each read is on the audit record, as the command's user.
"""

from __future__ import annotations

import hmac
from typing import Any

import pyarrow as pa
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from ecohub.api.problems import Problem
from ecohub.identity import Principal
from ecohub.store.queries import Query
from ecohub.store.remote import LOCAL_HEADER, decode_params

router = APIRouter(prefix="/internal", include_in_schema=False)


class NamedRead(BaseModel):
    """One named read of :mod:`ecohub.store.queries` and its parameters."""

    name: str
    sql: str
    params: list[Any] = []


@router.post("/query")
def query(read: NamedRead, request: Request) -> Response:
    """Run the read on the server's reader connection; the rows as an Arrow IPC stream."""
    secret = request.app.state.local_secret
    given = request.headers.get(LOCAL_HEADER, "")
    if secret is None or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Problem(404, "Not Found")
    request.state.principal = Principal(kind="cli",
                                        username=request.headers.get("X-Ecohub-User"))
    request.state.audit_action = "read"  # a POST that only reads
    table = request.app.state.store.measurements.read_arrow(
        Query(read.name, read.sql, {}), decode_params(read.params))
    request.state.row_count = table.num_rows
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return Response(sink.getvalue().to_pybytes(),
                    media_type="application/vnd.apache.arrow.stream")
