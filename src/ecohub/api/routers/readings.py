"""Readings: by object or logger, factor, kind and period; and the latest per object (the map)."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ecohub.api import schemas
from ecohub.api.answers import Answers
from ecohub.api.formats import Format, chosen_format, moment, table_response
from ecohub.api.problems import Problem
from ecohub.api.routers.objects import object_type, visible_objects
from ecohub.api.security import get_store, require
from ecohub.identity import Principal
from ecohub.store import KINDS, MonitoredObject, Store
from ecohub.store.measurements import ReadingCursor
from ecohub.vocabulary import FACTORS, OBJECT_TYPES, wire_unit

router = APIRouter(tags=["监测数据 readings"])

_KINDS = {"enum": list(KINDS)}
_TYPES = {"enum": [*OBJECT_TYPES, *OBJECT_TYPES.values()]}

_READING_COLUMNS = ("object_code", "mn", "factor", "kind", "statistic", "period_start",
                    "period_s", "value", "unit", "device_flag", "qc_flag", "qc_valid",
                    "review", "received_at")

_READ_COLUMNS = ("object_id", *(c for c in _READING_COLUMNS if c not in ("object_code", "unit")))
"""What the store reads for an answer: not the QC details nor the packet (less to read)."""


def _check(kind: str | None, factors: list[str] | None) -> None:
    if kind is not None and kind not in KINDS:
        raise Problem(422, f"kind={kind!r}: expected one of {', '.join(KINDS)}",
                      errors=[{"parameter": "kind", "value": kind}])
    for factor in factors or ():
        if factor not in FACTORS:
            raise Problem(422, f"factor={factor!r}: not an HJ 212-2017 factor code "
                               "(e.g. a34004 for PM2.5)",
                          errors=[{"parameter": "factor", "value": factor}])


def _cursor(value: str | None) -> ReadingCursor | None:
    if value is None:
        return None
    try:
        mn, factor, kind, statistic, start = json.loads(base64.urlsafe_b64decode(value))
        return ReadingCursor(mn, factor, kind, statistic, datetime.fromisoformat(start))
    except (ValueError, TypeError):
        raise Problem(422, f"after={value!r}: not a cursor this API gave out (use the "
                           "response's `next`)",
                      errors=[{"parameter": "after", "value": value}]) from None


def _encode(cursor: ReadingCursor) -> str:
    mn, factor, kind, statistic, start = cursor
    text = json.dumps([mn, factor, kind, statistic, start.isoformat()])
    return base64.urlsafe_b64encode(text.encode()).decode()


def _with_units(frame: pl.DataFrame, objects: dict[int, MonitoredObject]) -> pl.DataFrame:
    """Add each reading's object code and unit.

    The unit is the wire unit of its factor and object type (:func:`ecohub.vocabulary.wire_unit`),
    which the store keeps.
    """
    frame = frame.with_columns(
        object_code=pl.col("object_id").replace_strict(
            {i: o.code for i, o in objects.items()}, default=None, return_dtype=pl.String),
        object_type=pl.col("object_id").replace_strict(
            {i: o.object_type for i, o in objects.items()}, default=None,
            return_dtype=pl.String))
    pairs = frame.select("factor", "object_type").unique().drop_nulls()
    units = pairs.with_columns(unit=pl.Series(
        [wire_unit(f, t) if f in FACTORS else None for f, t in pairs.iter_rows()],
        dtype=pl.String))
    return frame.join(units, on=["factor", "object_type"], how="left", maintain_order="left")


@router.get("/readings", summary="监测数据 readings", response_model=schemas.ReadingsPage,
            responses={**schemas.TABLE_FORMATS, 404: {}})
async def readings(
    request: Request,
    object: Annotated[list[str] | None, Query(description="对象编码，可重复",
                                              examples=[["340100-A01"]])] = None,
    mn: Annotated[str | None, Query(description="数采仪 MN")] = None,
    factor: Annotated[list[str] | None, Query(description="因子编码，如 a34004，可重复",
                                              examples=[["a34004"]])] = None,
    kind: Annotated[str | None, Query(description="realtime | minute | hour | day",
                                      json_schema_extra=_KINDS)] = None,
    statistic: Annotated[str | None, Query(description="Avg / Rtd / Min / Max …")] = None,
    from_: Annotated[str | None, Query(alias="from", description="起（含），北京时间",
                                       examples=["2026-12-01T08:00"])] = None,
    to: Annotated[str | None, Query(description="止（不含）；只写日期时含当天")] = None,
    after: Annotated[str | None, Query(description="上一页 next 的值")] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Stored readings with the device flag, the QC flag, validity and the operator review.

    Ordered by logger, factor, kind, statistic and period; keyset pages of ``limit``. Period
    starts are China Standard Time in the answer; an hour's reading is labelled by its start.
    """
    chosen = chosen_format(request, format)
    if chosen != "json" and not principal.can("data.export"):
        raise Problem(403, f"role {principal.role!r} does not grant data.export (bulk "
                           "downloads); ask for format=json")
    _check(kind, factor)
    return await answers(request).answer(request, store, lambda: _readings(
        request, store, principal, object, mn, factor, kind, statistic, from_, to, after,
        limit, format), needs=("data.read",) if chosen == "json" else ("data.read",
                                                                       "data.export"))


def _readings(request: Request, store: Store, principal: Principal, object: list[str] | None,
              mn: str | None, factor: list[str] | None, kind: str | None,
              statistic: str | None, from_: str | None, to: str | None, after: str | None,
              limit: int, format: str | None
              ) -> tuple[Response, list[int] | None, list[str]]:
    """The answer of :func:`readings`, the objects it was read for and its loggers."""
    objects = {o.id: o for o in visible_objects(store, principal)}
    visible = {o.code: i for i, o in objects.items()}
    object_ids: list[int] | None = None
    if object is not None:
        unknown = [code for code in object if code not in visible]
        if unknown:
            raise Problem(404, f"object {unknown[0]!r} is not registered (or not yours to see)")
        object_ids = [visible[code] for code in object]
    if mn is not None:
        device = store.registry.device(mn)
        if device is None or device.object_id not in visible.values():
            raise Problem(404, f"MN {mn!r} is not registered (or not yours to see)")
        object_ids = [i for i in (object_ids or [device.object_id]) if i == device.object_id]
    if object_ids is None and principal.role == "enterprise":
        object_ids = list(visible.values())
    start = moment(from_, "from")
    end = moment(to, "to", end_of_day=True)
    page = store.measurements.readings(kind, start, end, object_ids, factor, statistic,
                                       with_qc=True, columns=_READ_COLUMNS,
                                       after=_cursor(after), limit=limit + 1)
    if mn is not None:
        page = page.filter(pl.col("mn") == mn)
    more = page.height > limit
    page = page.head(limit)
    next_cursor = ReadingCursor.after_last(page) if more else None
    request.state.object_ids = sorted(set(page["object_id"].to_list()))
    shown = _with_units(page, objects).select(_READING_COLUMNS)
    response = table_response(shown, request, format, name="readings",
                              meta={"next": None if next_cursor is None else
                                    _encode(next_cursor)})
    return response, object_ids, page["mn"].unique().to_list()


@router.get("/latest", summary="各对象最新值 latest per object (the map)",
            response_model=schemas.LatestPage, responses=schemas.TABLE_FORMATS)
async def latest(
    request: Request,
    type: Annotated[str, Query(description="空气站 / air_station …", json_schema_extra=_TYPES,
                               examples=["air_station"])],
    factor: Annotated[list[str] | None, Query(description="因子编码，可重复",
                                              examples=[["a34004"]])] = None,
    kind: Annotated[str, Query(description="realtime | minute | hour | day",
                               json_schema_extra=_KINDS)] = "hour",
    statistic: Annotated[str | None, Query(description="Avg / Rtd …")] = None,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """The latest reading per object and factor, for every object of one type, in one call.

    Maps ask for this every few seconds from many browsers at once: the answer is kept for
    everyone with the same view until a reading of one of its objects is written
    (:mod:`ecohub.api.answers`; where the store cannot tell, for :data:`LATEST_FRESH_S`).
    """
    _check(kind, factor)
    kind_of_object = object_type(type)
    chosen_format(request, format)  # a bad format is a 422 before anything is read

    def make() -> tuple[Response, list[int], list[str]]:
        objects = {o.id: o for o in visible_objects(store, principal, kind_of_object)}
        frame = store.measurements.latest(kind, list(objects), factor, statistic)
        shown = _with_units(frame, objects).select(
            "object_code", "mn", "factor", "kind", "statistic", "period_start", "period_s",
            "value", "unit", "device_flag", "received_at")
        request.state.object_ids = sorted(objects)
        return table_response(shown, request, format, name="latest"), list(objects), []

    return await answers(request).answer(request, store, make, needs=("data.read",),
                                         fresh_s=LATEST_FRESH_S)


def answers(request: Request) -> Answers:
    """The server's kept answers (:mod:`ecohub.api.answers`)."""
    return request.app.state.answers


LATEST_FRESH_S = 1.0
"""How long one answer of ``/latest`` serves every caller with the same view where the store
cannot tell when its readings change (PostgreSQL; seconds)."""
