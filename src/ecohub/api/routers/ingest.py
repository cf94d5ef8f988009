"""Ingest: why data is not arriving, and releasing quarantined packets.

Per-logger status and packets not stored (as ``ecohub ingest status`` / ``rejected``); the
release goes through the gateway running in this server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ecohub.api import schemas
from ecohub.api.formats import Format, moment, table_response
from ecohub.api.problems import Problem
from ecohub.api.security import get_store, require
from ecohub.identity import Principal
from ecohub.store import Store
from ecohub.vocabulary import CHINA_TZ

router = APIRouter(prefix="/ingest", tags=["接入 ingest"])


def _today() -> datetime:
    return datetime.now(CHINA_TZ).replace(hour=0, minute=0, second=0, microsecond=0)


@router.get("/status", summary="数采仪状态 per-logger status",
            response_model=schemas.IngestStatusPage,
            responses={**schemas.TABLE_FORMATS, 404: {}})
def status(
    request: Request,
    since: Annotated[str | None, Query(description="起（北京时间），缺省今日 0 时")] = None,
    mn: Annotated[str | None, Query()] = None,
    format: Format = None,
    principal: Principal = Depends(require("ingest.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Per logger: connected now, last packet, counts, rejections, deviations, clock.

    As ``ecohub ingest status``: connected now and from where, last packet, packets and
    readings, packets not stored by reason, deviations, clock offset.
    """
    from ecohub.ingest.status import logger_status

    start = moment(since, "since") or _today()
    if mn is not None and store.registry.device(mn) is None:
        raise Problem(404, f"mn={mn!r}: not a registered data logger (`ecohub registry "
                           "devices` lists them)")
    report = logger_status(store, start, mn, data_dir=store.settings.data_dir)
    rows = [{"mn": s.mn, "object_code": s.object_code, "object_name": s.object_name,
             "connected": s.connected, "peers": ", ".join(s.peers),
             "last_received": s.last_received, "packets": s.packets, "readings": s.readings,
             "rejected": ", ".join(f"{k} {n}" for k, n in s.rejected.items()),
             "deviations": ", ".join(f"{k}×{n}" for k, n in s.deviations.items()),
             "clock_offset_s": s.clock_offset_s}
            for s in report.loggers]
    frame = pl.DataFrame(rows, schema={
        "mn": pl.String, "object_code": pl.String, "object_name": pl.String,
        "connected": pl.Boolean, "peers": pl.String,
        "last_received": pl.Datetime("us", "UTC"), "packets": pl.Int64, "readings": pl.Int64,
        "rejected": pl.String, "deviations": pl.String, "clock_offset_s": pl.Float64})
    return table_response(frame, request, format, name="ingest_status", meta={
        "since": start, "unregistered_rejected": report.unregistered_rejected})


@router.get("/rejected", summary="未入库报文 packets not stored",
            response_model=schemas.RejectedPage, responses=schemas.TABLE_FORMATS)
def rejected(
    request: Request,
    mn: Annotated[str | None, Query()] = None,
    since: Annotated[str | None, Query(description="起（北京时间）")] = None,
    disposition: Annotated[str | None, Query(description="rejected | quarantined | released")
                           ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    format: Format = None,
    principal: Principal = Depends(require("ingest.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Packets not stored, newest first: when, from where, why, and the raw text."""
    from ecohub.ingest.reasons import explain
    from ecohub.store.models import DISPOSITIONS

    if disposition is not None and disposition not in DISPOSITIONS:
        raise Problem(422, f"disposition={disposition!r}: expected one of "
                           f"{', '.join(DISPOSITIONS)}",
                      errors=[{"parameter": "disposition", "value": disposition}])
    packets = store.registry.rejected(limit, disposition, mn=mn, since=moment(since, "since"))
    frame = pl.DataFrame(
        [{"received_at": p.received_at, "mn": p.mn, "peer": p.peer,
          "disposition": p.disposition, "reason_kind": p.kind, "reason": p.reason,
          "explanation": explain(p.kind).explanation, "action": explain(p.kind).action,
          "raw": p.raw.decode("utf-8", "replace")} for p in packets],
        schema={"received_at": pl.Datetime("us", "UTC"), "mn": pl.String, "peer": pl.String,
                "disposition": pl.String, "reason_kind": pl.String, "reason": pl.String,
                "explanation": pl.String, "action": pl.String, "raw": pl.String})
    return table_response(frame, request, format, name="rejected")


@router.get("/reasons", summary="未入库原因说明 why packets are not stored",
            response_model=schemas.ReasonsPage)
def reasons(
    principal: Principal = Depends(require("ingest.read")),  # noqa: B008
) -> dict:
    """Why packets are not stored, and how stored packets deviate from HJ 212.

    Every reason kind with its explanation and what to do (``ecohub.ingest.reasons``), and
    every kind of deviation a stored packet may carry (``hj212.profiles.DEVIATION_KINDS``).
    """
    from ecohub.ingest.reasons import REASONS
    from ecohub.protocols.hj212.profiles import DEVIATION_KINDS

    items = [{"kind": r.kind, "explanation": r.explanation, "action": r.action}
             for r in REASONS.values()]
    deviations = [{"kind": k, "description": d} for k, d in DEVIATION_KINDS.items()]
    return {"count": len(items), "items": items, "deviations": deviations}


@router.post("/release", summary="释放隔离报文 release quarantined packets",
             response_model=schemas.Released)
async def release(
    request: Request,
    mn: Annotated[list[str] | None, Query(description="只释放这些 MN 的报文")] = None,
    principal: Principal = Depends(require("ingest.release")),  # noqa: B008
) -> dict:
    """Replay quarantined packets of registered loggers into the store, exactly once.

    The running gateway does this by itself within seconds of a registration; this asks it now.
    """
    gateway = request.app.state.gateway
    if gateway is None:
        raise Problem(503, "no gateway runs in this server (started with --no-gateway); "
                           "use `ecohub ingest release` on the server")
    released = await gateway.release_quarantined(mn)
    request.state.row_count = released
    return {"released": released}
