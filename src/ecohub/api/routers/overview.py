"""Overview: the region's headline figures of a day, for the cockpit screen."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from ecohub.api.formats import in_range
from ecohub.api.routers.objects import visible_objects
from ecohub.api.security import get_store, require
from ecohub.identity import Principal
from ecohub.store import Store
from ecohub.vocabulary import CHINA_TZ

router = APIRouter(prefix="/overview", tags=["概览 overview"])


@router.get("/day", summary="当日概览（驾驶舱）the day's headline figures")
def day(
    day: Annotated[date | None, Query(description="评价日（北京时间），缺省昨日")] = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> dict:
    """The region's headline figures of a day (``ecohub.analytics.overview.day_overview``).

    Regional AQI and categories, worst city, good days to date, water sections, loggers online
    and packets not stored — with the day before and the same day a year before.
    """
    from ecohub.analytics.overview import day_overview

    chosen = in_range(day, "day") if day else datetime.now(CHINA_TZ).date() - timedelta(days=1)
    outlets = [o.code for o in visible_objects(store, principal, "outlet")]
    return jsonable_encoder(day_overview(store, chosen, outlets=outlets))
