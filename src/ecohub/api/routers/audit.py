"""The audit log, for administrators: who read, exported or changed what, when and from where."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ecohub.api import schemas
from ecohub.api.formats import Format, moment, table_response
from ecohub.api.security import get_store, require
from ecohub.identity import Principal
from ecohub.store import Store

router = APIRouter(tags=["审计 audit"])


@router.get("/audit", summary="审计日志 audit log", response_model=schemas.AuditPage,
            responses=schemas.TABLE_FORMATS)
def audit_log(
    request: Request,
    user: Annotated[str | None, Query(description="用户名")] = None,
    since: Annotated[str | None, Query(description="起（北京时间）")] = None,
    until: Annotated[str | None, Query(description="止（北京时间）")] = None,
    action: Annotated[str | None, Query(description="read | export | change | sign_in …")
                      ] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    format: Format = None,
    principal: Principal = Depends(require("audit.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Audit events, newest first (append-only; secrets never recorded)."""
    from ecohub.identity import audit

    events = audit.events(store, actor=user, since=moment(since, "since"),
                          until=moment(until, "until", end_of_day=True), action=action,
                          limit=limit)
    rows = []
    for event in events:
        row = dataclasses.asdict(event)
        for name in ("parameters", "object_ids"):
            row[name] = json.dumps(row.get(name), ensure_ascii=False, default=str)
        rows.append(row)
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    return table_response(frame, request, format, name="audit")
