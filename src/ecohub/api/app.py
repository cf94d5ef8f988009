"""The HTTP service: :func:`create_app` over one store (and the gateway when it runs beside).

Thin by design (docs/architecture): a router parses the request, checks the caller
(:mod:`ecohub.api.security`), calls a domain function and formats the answer
(:mod:`ecohub.api.formats`). Around every request one middleware counts it for ``/metrics`` and
puts every ``/api/v1`` access on the audit record: who, when, from where, what (route,
parameters, object ids, row count) and the outcome (written in batches off the request's path,
:func:`ecohub.identity.audit.record_soon`).
"""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecohub import web
from ecohub.api import answers, schemas
from ecohub.api.metrics import ServiceMetrics
from ecohub.api.problems import install_problem_handlers, no_nul_characters
from ecohub.api.routers import (
    assessments,
    auth,
    health,
    ingest,
    internal,
    objects,
    overview,
    quality,
    readings,
    registry,
    reports,
)
from ecohub.api.routers import audit as audit_router
from ecohub.api.routers import map as map_router
from ecohub.ingest.events import EventHub
from ecohub.ingest.hj212_server import Gateway
from ecohub.store import Store

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
_NOT_AUDITED = ("/api/v1/openapi.json", "/api/v1/docs", "/api/v1/auth/")
"""The interface's own description, and sign-in/out, which audit themselves."""

_DESCRIPTION = """\
ecohub 生态环境数据平台 HTTP 接口。

* 认证：程序使用 `Authorization: Bearer <令牌>`（`ecohub admin token create`）；浏览器登录后携带
  会话 Cookie，修改类请求须带 `X-CSRF-Token` 头。未登录只能访问标记为公开（public）的接口。
* 时间：ISO 8601；未写时区的按北京时间（UTC+8）理解；输出一律带时区。
* 错误：RFC 9457 `application/problem+json`，指明参数、取值与期望。
* 格式：`format=json|csv|xlsx|parquet` 或 `Accept` 头；CSV 为带 BOM 的 UTF-8。
* 分页：键集分页，响应中的 `next` 作为下一页的 `after` 参数。
"""


def create_app(store: Store, *, gateway: Gateway | None = None,
               local_secret: str | None = None, basemap: Path | None = None,
               answer_bytes: int = answers.DEFAULT_MAX_BYTES) -> FastAPI:
    """The FastAPI application serving ``store`` (OpenAPI at ``/api/v1/openapi.json``).

    ``local_secret`` opens the reads of commands beside the server
    (:mod:`ecohub.api.routers.internal`). ``basemap``: an operator's PMTiles file the map
    draws under its layers. ``answer_bytes``: memory for answers kept until their data
    changes (:mod:`ecohub.api.answers`). The gateway's store writer feeds
    ``app.state.events`` (the live ``/api/v1/events`` stream) after each commit.
    """
    app = FastAPI(title="ecohub", version=version("ecohub"), description=_DESCRIPTION,
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs",
                  redoc_url=None, dependencies=[Depends(no_nul_characters)])
    app.state.store = store
    app.state.gateway = gateway
    app.state.local_secret = local_secret
    app.state.basemap = basemap
    app.state.events = EventHub()
    if gateway is not None:
        gateway.on_commit.append(app.state.events.readings_committed)
    app.state.answers = answers.Answers(answer_bytes)
    app.state.metrics = metrics = ServiceMetrics(gateway)
    install_problem_handlers(app)
    app.include_router(health.router)
    for module in (auth, objects, registry, readings, assessments, reports, quality, ingest,
                   overview, audit_router, internal, map_router):
        app.include_router(module.router, prefix=API_PREFIX)

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = schemas.complete(
                get_openapi(title=app.title, version=app.version, description=app.description,
                            routes=app.routes), API_PREFIX)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    web.mount(app)

    app.add_middleware(answers.KeptFirst, answers=app.state.answers, store=store)
    app.add_middleware(_CountAndAudit, store=store, metrics=metrics)  # around KeptFirst
    return app


class _CountAndAudit:
    """Counts every request for ``/metrics`` and puts every ``/api/v1`` access on the audit record.

    A plain ASGI middleware (not ``@app.middleware``, whose per-request task and streams cost
    more than a cached answer). The event is queued (:func:`ecohub.identity.audit.record_soon`)
    when the answer starts, before its first byte leaves: whoever got an answer finds its event
    in the log; a request that failed without an answer is recorded as a 500.
    """

    def __init__(self, app: ASGIApp, store: Store, metrics: ServiceMetrics) -> None:
        self.app, self.store, self.metrics = app, store, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = False

        def done(status: int) -> None:
            nonlocal answered
            answered = True
            request = Request(scope)
            route = _route_template(request)
            self.metrics.requests.labels(request.method, route, str(status)).inc()
            self.metrics.latency.labels(request.method, route).observe(
                time.perf_counter() - started)
            path = request.url.path
            if path.startswith(API_PREFIX) and not path.startswith(_NOT_AUDITED):
                _audit(self.store, request, route, status)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and not answered:
                done(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if not answered:
                done(500)


def _route_template(request: Request) -> str:
    """The matched route as written (``/api/v1/objects/{code}``): one label per route."""
    if request.scope.get("route") is None:
        return "unmatched"
    path = request.url.path
    for name, value in request.path_params.items():
        path = path.replace(f"/{value}", f"/{{{name}}}", 1)
    return path


def _audit(store: Store, request: Request, route: str, status: int) -> None:
    from ecohub.identity import audit

    principal = getattr(request.state, "principal", None)
    export = request.query_params.get("format", "json") != "json" or any(
        media in request.headers.get("accept", "") for media in ("csv", "spreadsheet",
                                                                  "parquet"))
    action = getattr(request.state, "audit_action", None) or (
        ("read" if not export else "export") if request.method in ("GET", "HEAD") else "change")
    outcome = ("ok" if status < 400 else "denied" if status in (401, 403)
               else "error" if status >= 500 else "failed")
    audit.record_soon(store, actor=principal, action=action, target=route,
                      method=request.method, parameters=dict(request.query_params),
                      object_ids=getattr(request.state, "object_ids", ()),
                      row_count=getattr(request.state, "row_count", None), outcome=outcome,
                      status=status, ip=request.client.host if request.client else None)
