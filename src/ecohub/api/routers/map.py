"""The one map: objects and their state, region outlines, chart limits, outlet compliance, live.

Thin: the state is :func:`ecohub.analytics.map_state.map_state`, compliance
:func:`ecohub.analytics.compliance.outlet_compliance`, outlines :mod:`ecohub.registry.regions`,
live events :class:`ecohub.ingest.events.EventHub` (fed by the gateway's store writer).
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from ecohub.api import schemas
from ecohub.api.formats import Format, in_range, table_response
from ecohub.api.problems import Problem
from ecohub.api.routers.objects import object_type, visible_objects
from ecohub.api.security import caller, get_store, public, require
from ecohub.identity import Principal
from ecohub.store import MonitoredObject, Store
from ecohub.vocabulary import CHINA_TZ

router = APIRouter(tags=["一张图 map"])

PUBLIC_TYPES = ("air_station",)
"""What the public view shows: the published air stations (as ``/public/stations``)."""

_PUBLIC_COLUMNS = [c for c in schemas.PublicMapRow.model_fields]
HEARTBEAT_S = 15.0
"""An SSE comment this often keeps proxies from closing a quiet stream."""


MAP_FRESH_S = 1.0
"""How long a computed map state serves the callers who see the same objects (seconds)."""


def _state(request: Request, store: Store, objects: list[MonitoredObject],
           scope: tuple) -> pl.DataFrame:
    """The map state of ``objects``, shared by the callers of one ``scope`` (view, types, codes).

    Kept while the registry's version and the count of commits the gateway's writer reported
    (:attr:`ecohub.ingest.events.EventHub.commits`) stand, and no longer than
    :data:`MAP_FRESH_S`: readings stored by other ways (uploads, another process) show within
    that much of their commit, the gateway's at once.
    """
    from ecohub.analytics.map_state import map_state

    request.state.object_ids = [o.id for o in objects]
    hub = getattr(request.app.state, "events", None)
    stamp = (store.registry.version(), hub.commits if hub is not None else None)
    cache = request.app.state.__dict__.setdefault("map_states", {})
    hit = cache.get(scope)
    if hit is not None and hit[1] == stamp and time.monotonic() - hit[0] < MAP_FRESH_S:
        return hit[2]
    started = time.monotonic()  # the age counts from before the read
    frame = map_state(store, objects, data_dir=store.settings.data_dir)
    if len(cache) > 256:  # many code lists (live refreshes): keep it bounded
        cache.clear()
    cache[scope] = (started, stamp, frame)
    return frame


def _legend(types: set[str] | None = None) -> list[dict]:
    from ecohub.analytics.map_state import legend

    return [entry for entry in legend() if types is None or entry["object_type"] in types]


@router.get("/map/objects", summary="一张图：对象状态 map state of the caller's objects",
            response_model=schemas.MapObjectsPage, responses=schemas.TABLE_FORMATS)
def map_objects(
    request: Request,
    type: Annotated[list[str] | None, Query(description="对象类型，可重复（空气站 / air_station）",
                                            examples=[["air_station"]])] = None,
    code: Annotated[list[str] | None, Query(description="只要这些对象编码，可重复")] = None,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Every object the caller may see, in its state on the map.

    Position, status, colour, the value judged and the standard (edition) that judged it, and
    whether its data loggers are online.
    """
    kinds = {object_type(t) for t in type} if type else None
    codes = set(code) if code else None
    objects = [o for o in visible_objects(store, principal)
               if (kinds is None or o.object_type in kinds)
               and (codes is None or o.code in codes)]
    scope = ("signed-in", principal.enterprise_code if principal.role == "enterprise" else None,
             None if kinds is None else tuple(sorted(kinds)),
             None if codes is None else tuple(sorted(codes)))
    return table_response(_state(request, store, objects, scope), request, format,
                          name="map_objects",
                          meta={"legend": _legend(kinds)})


@router.get("/public/map/objects", summary="公开：一张图 published objects on the map",
            response_model=schemas.PublicMapObjectsPage, responses=schemas.TABLE_FORMATS)
def public_map_objects(
    request: Request,
    code: Annotated[list[str] | None, Query(description="只要这些对象编码，可重复")] = None,
    format: Format = None,
    principal: Principal = Depends(public),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """The published air stations and the AQI of their latest hour (no sign-in)."""
    codes = set(code) if code else None
    objects = [o for kind in PUBLIC_TYPES for o in store.registry.objects(kind)
               if codes is None or o.code in codes]
    scope = ("public", None, PUBLIC_TYPES, None if codes is None else tuple(sorted(codes)))
    frame = _state(request, store, objects, scope).select(_PUBLIC_COLUMNS)
    return table_response(frame, request, format, name="map_objects",
                          meta={"legend": _legend(set(PUBLIC_TYPES))})


@router.get("/map/limits", summary="一张图：对象各因子的标准限值 limits for charts",
            response_model=schemas.LimitsPage, responses={404: {}})
def map_limits(
    request: Request,
    object: Annotated[str, Query(description="对象编码", examples=["340100-A01"])],
    day: Annotated[date | None, Query(description="按此日施行的标准（缺省今日）")] = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """The limit lines of the object's factors, in the unit its readings carry.

    GB 3095 (air), GB 3838 class III (water), the permit (outlets), GB 3096 (noise).
    """
    from ecohub.analytics.map_state import factor_limits

    found = next((o for o in visible_objects(store, principal) if o.code == object), None)
    if found is None:
        raise Problem(404, f"object {object!r} is not registered (or not yours to see)")
    request.state.object_ids = [found.id]
    # the factors it has readings of (reading every logger of the registry costs more than
    # the whole answer on a large registry)
    factors = set(store.measurements.latest(None, [found.id])["factor"].to_list())
    frame = factor_limits(store, found, sorted(factors),
                          None if day is None else in_range(day, "day"))
    return table_response(frame, request, None, name="limits", meta={"object": object})


@router.get("/compliance/outlets", summary="排放口达标情况 outlets against permit limits",
            response_model=schemas.CompliancePage, responses=schemas.TABLE_FORMATS)
def compliance_outlets(
    request: Request,
    day: Annotated[date | None, Query(description="日期（北京时间），缺省今日",
                                      examples=["2026-12-01"])] = None,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Per outlet and limited factor: the day's worst hourly value against the permit limit.

    With the hours over the limit, and compliant / exceeded / no data.
    """
    from ecohub.analytics.compliance import outlet_compliance

    if format not in (None, "json") and not principal.can("data.export"):
        raise Problem(403, f"role {principal.role!r} does not grant data.export (bulk "
                           "downloads); ask for format=json")
    day = in_range(day, "day") if day is not None else datetime.now(CHINA_TZ).date()
    outlets = visible_objects(store, principal, "outlet")
    request.state.object_ids = [o.id for o in outlets]
    frame = outlet_compliance(store, day, [o.code for o in outlets])
    return table_response(frame, request, format, name="compliance_outlets",
                          meta={"day": day})


@router.get("/map/regions", summary="公开：区域轮廓 region outlines (GeoJSON)",
            response_model=schemas.RegionCollection)
def map_regions(
    principal: Principal = Depends(public),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> dict:
    """The imported outlines (``ecohub map import``), else a schematic per registered city.

    The schematic: circles around each city's objects, labelled 示意（非真实行政边界）.
    """
    from ecohub.registry.regions import SCHEMATIC_NOTE, schematic_regions

    regions = store.regions.all()
    schematic = not regions
    if schematic:
        regions = schematic_regions(store.registry.objects())
    return {"type": "FeatureCollection", "schematic": schematic,
            "note": SCHEMATIC_NOTE if schematic else None,
            "features": [{"type": "Feature", "geometry": r.geometry,
                          "properties": {**r.properties, "name": r.name, "code": r.code,
                                         "source_crs": r.source_crs}}
                         for r in regions]}


@router.get("/map/config", summary="公开：一张图配置 map configuration",
            response_model=schemas.MapConfig)
def map_config(request: Request, principal: Principal = Depends(public)) -> dict:  # noqa: B008
    """Whether the operator supplied a basemap (``ecohub serve --basemap FILE.pmtiles``)."""
    basemap = getattr(request.app.state, "basemap", None)
    return {"basemap": "/api/v1/map/basemap.pmtiles" if basemap else None}


# Not in the OpenAPI document: a tile archive for MapLibre, not data (docs/web.md "Basemap").
@router.get("/map/basemap.pmtiles", summary="公开：底图 the operator's PMTiles basemap",
            response_class=FileResponse, include_in_schema=False)
def basemap(request: Request, principal: Principal = Depends(public)) -> FileResponse:  # noqa: B008
    """The PMTiles file given to ``ecohub serve --basemap`` (HTTP range requests)."""
    path = getattr(request.app.state, "basemap", None)
    if path is None:
        raise Problem(404, "no basemap: start the server with --basemap FILE.pmtiles")
    return FileResponse(path, media_type="application/octet-stream")


# Not in the OpenAPI document: an endless stream has no response a conformance run can read
# to its end (docs/web.md "Live" describes it).
@router.get("/events", summary="实时事件 live events (Server-Sent Events)",
            response_class=StreamingResponse, include_in_schema=False,
            responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                             "description": "`event: readings`, data `{objects: [编码…]}`"}})
async def events(request: Request,
                 principal: Principal = Depends(caller)) -> Response:  # noqa: B008
    """New readings as they are stored: ``readings`` events naming the objects concerned.

    Only the objects the caller may see (signed out: the published air stations).
    """
    import anyio

    store: Store = request.app.state.store
    hub = request.app.state.events
    signed_in = not principal.anonymous and principal.can("data.read")

    def visible() -> dict[int, str]:
        if signed_in:
            return {o.id: o.code for o in visible_objects(store, principal)}
        return {o.id: o.code for kind in PUBLIC_TYPES for o in store.registry.objects(kind)}

    codes = await anyio.to_thread.run_sync(visible)
    version = store.registry.version()
    subscription = hub.subscribe()

    async def stream():
        nonlocal codes, version
        try:
            yield "retry: 2000\n\n"
            while True:
                try:
                    event = await subscription.next(HEARTBEAT_S)
                except StopAsyncIteration:
                    return
                if event is None:
                    yield ": keepalive\n\n"
                    continue
                current = await anyio.to_thread.run_sync(store.registry.version)
                if current != version:
                    codes, version = await anyio.to_thread.run_sync(visible), current
                shown = sorted(codes[i] for i in event["object_ids"] if i in codes)
                if shown:
                    data = json.dumps({"objects": shown, "at": event["at"]},
                                      ensure_ascii=False)
                    yield f"event: {event['type']}\ndata: {data}\n\n"
        finally:
            subscription.close()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

