"""Operations: alive, ready, metrics (public: they say nothing about the data)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ecohub.api import schemas
from ecohub.api.problems import problem

router = APIRouter(tags=["运维 operations"])


@router.get("/healthz", summary="存活检查 alive", response_model=schemas.Healthy)
def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", summary="就绪检查 ready", response_model=schemas.Ready,
            responses={503: {"description": "not ready: the store or the gateway backlog"}})
def readyz(request: Request) -> Response:
    """The store answers, and the gateway's journal backlog is below its limit."""
    store = request.app.state.store
    try:
        store.registry.version()
        store.measurements.packet_count()
    except Exception as error:  # any failure to reach a store means not ready
        return problem(503, f"store not reachable: {type(error).__name__}: {error}")
    gateway = request.app.state.gateway
    backlog = 0
    if gateway is not None:
        backlog = gateway.counters().store_backlog
        if backlog >= gateway.config.max_backlog:
            return problem(503, f"gateway store backlog {backlog:,} packets is at its limit "
                                f"{gateway.config.max_backlog:,}", backlog=backlog)
    return JSONResponse({"status": "ready", "store_backlog": backlog})


@router.get("/metrics", summary="Prometheus 指标 metrics", response_class=PlainTextResponse,
            responses={200: {"description": "Prometheus text format", "content": {
                "text/plain": {"schema": {"type": "string"}}}}})
def metrics(request: Request) -> Response:
    """The Prometheus text format of the service's figures.

    Packets by outcome and reason, connections, reply latency, store backlog, HTTP requests by
    route and status, and request latency.
    """
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
