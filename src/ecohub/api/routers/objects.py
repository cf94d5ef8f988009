"""Monitored objects and their data loggers (the registry), and the public station list."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from ecohub.api import schemas
from ecohub.api.formats import Format, table_response
from ecohub.api.problems import Problem
from ecohub.api.security import get_store, public, require
from ecohub.identity import Principal
from ecohub.store import MonitoredObject, Store
from ecohub.vocabulary import CHINA_TZ, OBJECT_TYPES

router = APIRouter(tags=["监测对象 objects"])

_TYPE_OF_NAME = {name: key for key, name in OBJECT_TYPES.items()}
_COLUMNS = ("id", "code", "name", "object_type", "type_name", "parent_id", "longitude",
            "latitude", "city", "city_code", "county", "department")


def object_type(value: str | None) -> str | None:
    """An object type as its key (``air_station``) or its Chinese name (空气站)."""
    if value is None or value in OBJECT_TYPES:
        return value
    if value in _TYPE_OF_NAME:
        return _TYPE_OF_NAME[value]
    raise Problem(422, f"type={value!r}: expected one of "
                       + ", ".join(f"{k} ({v})" for k, v in OBJECT_TYPES.items()),
                  errors=[{"parameter": "type", "value": value}])


def visible_objects(store: Store, principal: Principal,
                    kind: str | None = None) -> list[MonitoredObject]:
    """The objects the caller may see: an enterprise user its own source and outlets only."""
    objects = store.registry.objects(kind)
    if principal.role != "enterprise":
        return objects
    source = store.registry.object_by_code(principal.enterprise_code or "")
    if source is None:
        return []
    return [o for o in objects if source.id in (o.id, o.parent_id)]


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if value is None:
        return None
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        raise Problem(422, f"bbox={value!r}: expected lon_min,lat_min,lon_max,lat_max in "
                           "decimal degrees (WGS 84)",
                      errors=[{"parameter": "bbox", "value": value}]) from None
    if not (west < east and south < north):
        raise Problem(422, f"bbox={value!r}: lon_min < lon_max and lat_min < lat_max expected",
                      errors=[{"parameter": "bbox", "value": value}])
    return west, south, east, north


def objects_frame(objects: list[MonitoredObject]) -> pl.DataFrame:
    """Objects as a table (one row each, the type also in Chinese)."""
    rows = [{**{c: getattr(o, c, None) for c in _COLUMNS if c != "type_name"},
             "type_name": OBJECT_TYPES[o.object_type]} for o in objects]
    return pl.DataFrame(rows, schema={
        "id": pl.Int64, "code": pl.String, "name": pl.String, "object_type": pl.String,
        "type_name": pl.String, "parent_id": pl.Int64, "longitude": pl.Float64,
        "latitude": pl.Float64, "city": pl.String, "city_code": pl.String, "county": pl.String,
        "department": pl.String}).select(_COLUMNS)


@router.get("/objects", summary="监测对象列表 list objects",
            response_model=schemas.ObjectsPage, responses=schemas.TABLE_FORMATS)
def list_objects(
    request: Request,
    type: Annotated[str | None, Query(description="空气站 / air_station …", json_schema_extra={
        "enum": [*OBJECT_TYPES, *OBJECT_TYPES.values()]})] = None,
    city: Annotated[str | None, Query(description="城市名称或行政区划代码")] = None,
    department: Annotated[str | None, Query(description="所属部门（处室）")] = None,
    bbox: Annotated[str | None, Query(description="lon_min,lat_min,lon_max,lat_max")] = None,
    q: Annotated[str | None, Query(description="名称或编码中包含的文字")] = None,
    after: Annotated[int | None, Query(description="上一页 next 的值")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    format: Format = None,
    principal: Principal = Depends(require("registry.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Registered objects in registration order, filtered; keyset pages of ``limit``."""
    box = _bbox(bbox)
    chosen = [
        o for o in visible_objects(store, principal, object_type(type))
        if (after is None or o.id > after)
        and (city is None or city in (o.city, o.city_code))
        and (department is None or o.department == department)
        and (q is None or q in o.name or q in o.code)
        and (box is None or (o.longitude is not None and o.latitude is not None
                             and box[0] <= o.longitude <= box[2]
                             and box[1] <= o.latitude <= box[3]))
    ]
    page = chosen[:limit]
    request.state.object_ids = [o.id for o in page]
    more = len(chosen) > limit
    return table_response(objects_frame(page), request, format, name="objects",
                          meta={"next": page[-1].id if more else None})


@router.get("/objects/{code}", summary="监测对象详情 one object",
            response_model=schemas.ObjectDetail, responses={404: {}})
def one_object(
    code: Annotated[str, Path(description="对象编码", examples=["340100-A01"])],
    request: Request,
    principal: Principal = Depends(require("registry.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> dict:
    """One object with its data loggers (no secrets) and the history of its record."""
    found = next((o for o in visible_objects(store, principal) if o.code == code), None)
    if found is None:
        raise Problem(404, f"object {code!r} is not registered (or not yours to see)")
    request.state.object_ids = [found.id]
    devices = list(store.registry.devices(found.id).values())
    history = store.registry.history("object", code)
    for device in devices:
        history += store.registry.history("device", device.mn)
    history.sort(key=lambda change: change.changed_at, reverse=True)
    return {
        "object": {**dataclasses.asdict(found), "type_name": OBJECT_TYPES[found.object_type],
                   "retired_at": found.retired_at and found.retired_at.astimezone(CHINA_TZ)},
        "devices": [{"mn": d.mn, "factors": list(d.factors), "protocol": d.protocol,
                     "minute_interval": d.minute_interval, "profile": d.profile,
                     "accept": list(d.accept), "utc_offset_minutes": d.utc_offset_minutes}
                    for d in devices],
        "history": [{"changed_at": c.changed_at.astimezone(CHINA_TZ), "actor": c.actor,
                     "reason": c.reason, "entity": c.entity, "key": c.key, "action": c.action,
                     "changes": {k: list(v) for k, v in c.changes.items()}}
                    for c in history],
    }


@router.get("/public/stations", summary="公开：空气站列表 public air stations",
            response_model=schemas.StationsPage, responses=schemas.TABLE_FORMATS)
def public_stations(
    request: Request,
    format: Format = None,
    principal: Principal = Depends(public),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """The air-quality stations as the national platform publishes them (no sign-in)."""
    stations = objects_frame(store.registry.objects("air_station")).select(
        "code", "name", "city", "city_code", "county", "longitude", "latitude")
    return table_response(stations, request, format, name="stations")
