"""Assessments to the national standards, the edition and stage named in every answer.

Air AQI (HJ 633) and evaluation (HJ 663, GB 3095), water (GB 3838-2002), noise (GB 3096-2008).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ecohub.api import schemas
from ecohub.api.formats import Format, in_range, stage_of_edition, table_response
from ecohub.api.problems import Problem
from ecohub.api.security import get_store, public, require
from ecohub.identity import Principal
from ecohub.reports.labels import (
    column_labels,
    composite_rule_text,
    edition_text,
    rounded_as_published,
)
from ecohub.store import Store

router = APIRouter(prefix="/assessments", tags=["评价 assessments"])

AirTable = Literal["city_daily", "station_daily", "city_hourly", "station_hourly",
                   "evaluation", "city_periods", "ranking", "daily_ranking"]
Published = Annotated[bool, Query(description="数值按标准发布的位数修约（GB/T 8170），列名不变；"
                                              "meta.columns 给出各列的中文表头与单位")]
_MAX_DAYS = 366
_MAX_TREND_DAYS = 92


def _days(from_: date, to: date) -> None:
    in_range(from_, "from")
    in_range(to, "to")
    if to < from_:
        raise Problem(422, f"to={to}: not before from={from_}",
                      errors=[{"parameter": "to", "value": str(to)}])
    if (to - from_).days >= _MAX_DAYS:
        raise Problem(422, f"from={from_} to={to}: at most {_MAX_DAYS} days per request",
                      errors=[{"parameter": "to", "value": str(to)}])


def _editions(frame) -> list[str]:
    return sorted(set(frame["edition"].drop_nulls().to_list())) if "edition" in frame.columns \
        else []


@router.get("/air", summary="空气质量评价 air (HJ 633 / HJ 663 / GB 3095)",
            response_model=schemas.AirPage, responses={**schemas.TABLE_FORMATS, 400: {}})
def air(
    request: Request,
    from_: Annotated[date, Query(alias="from", description="首日（北京时间自然日）",
                                 examples=["2026-12-01"])],
    to: Annotated[date, Query(description="末日（含）", examples=["2026-12-01"])],
    table: Annotated[AirTable, Query(description="返回的表")] = "city_daily",
    city: Annotated[str | None, Query(description="城市名称或代码")] = None,
    edition: Annotated[Literal["2026", "2012"] | None,
                       Query(description="标准版本；缺省为各日施行的版本")] = None,
    stage: Annotated[Literal["transition", "final"] | None,
                     Query(description="GB 3095-2026 的阶段")] = None,
    published: Published = False,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Hourly and daily AQI per station and city, period evaluation, and the city rankings.

    ``ranking``: per month and year by the comprehensive index (HJ 663); ``daily_ranking``:
    per day by the daily AQI (HJ 633), as the daily bulletin lists the cities.
    """
    from ecohub.analytics.air import assess_air

    _days(from_, to)
    stage_of_edition(edition, stage)
    result = assess_air(store, from_, to, city=city, edition=edition, stage=stage)
    frame = getattr(result, table)
    return table_response(_shown(frame, published), request, format, name=f"air_{table}",
                          meta={"table": table, "from": from_, "to": to,
                                "editions": _editions(frame), "stage": stage,
                                "standards": "HJ 633 / GB 3095 / HJ 663",
                                "standards_text": edition_text(frame),
                                "ranking_rule": _ranking_rule(frame) if table == "ranking"
                                else None,
                                "columns": column_labels(frame.columns)})


def _ranking_rule(ranking) -> str | None:
    if not ranking.height or "preset" not in ranking.columns:
        return None
    stages = ranking["stage"].drop_nulls() if "stage" in ranking.columns else []
    return composite_rule_text(ranking["preset"][0], stages[0] if len(stages) else None)


@router.get("/air/good-days", summary="优良天数比例：年初至今与去年同期 good days to date",
            response_model=schemas.GoodDaysPage, responses={**schemas.TABLE_FORMATS, 400: {}})
def air_good_days(
    request: Request,
    day: Annotated[date, Query(description="截止日（北京时间，含）", examples=["2026-12-01"])],
    city: Annotated[str | None, Query(description="城市名称或代码")] = None,
    edition: Annotated[Literal["2026", "2012"] | None,
                       Query(description="两期共用的标准版本；缺省为截止日施行的版本")] = None,
    stage: Annotated[Literal["transition", "final"] | None,
                     Query(description="GB 3095-2026 的阶段")] = None,
    published: Published = False,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Share of good days from 1 January to ``day``, and the same period a year before.

    Per city and for all cities, both periods with one edition and stage (like for like:
    ``ecohub.analytics.air.good_days_to_date``).
    """
    from ecohub.analytics.air import good_days_to_date

    stage_of_edition(edition, stage)
    frame = good_days_to_date(store, in_range(day, "day"), city=city, edition=edition,
                              stage=stage)
    return table_response(_shown(frame, published), request, format, name="air_good_days",
                          meta={"day": day, "editions": _editions(frame),
                                "standards_text": edition_text(frame),
                                "columns": column_labels(frame.columns)})


def _shown(frame, published: bool):
    return rounded_as_published(frame) if published else frame


@router.get("/public/air/city-daily", summary="公开：城市日报 public city daily AQI",
            response_model=schemas.CityDailyPage, responses=schemas.TABLE_FORMATS)
def public_city_daily(
    request: Request,
    day: Annotated[date, Query(description="日期（北京时间）", examples=["2026-12-01"])],
    format: Format = None,
    principal: Principal = Depends(public),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Each city's daily AQI, category and primary pollutant, as published (no sign-in).

    Ranked by AQI, with the category's HJ 633 colour.
    """
    from ecohub.analytics.air import assess_air

    frame = assess_air(store, in_range(day, "day"), day).daily_ranking
    keep = [c for c in ("date", "rank", "city", "aqi", "grade", "category", "colour_rgb",
                        "primary", "edition", "stage") if c in frame.columns]
    return table_response(frame.select(keep), request, format, name="city_daily",
                          meta={"day": day, "editions": _editions(frame)})


@router.get("/water", summary="水质评价 water (GB 3838-2002)",
            response_model=schemas.WaterPage, responses={**schemas.TABLE_FORMATS, 400: {}})
def water(
    request: Request,
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
    table: Annotated[str | None, Query(description="表名，缺省为第一张")] = None,
    city: Annotated[str | None, Query()] = None,
    published: Published = False,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Section classes and their determining factors per GB 3838-2002."""
    from ecohub.analytics.water import assess_water

    _days(from_, to)
    tables = assess_water(store, from_, to, city=city).tables()
    return _one_of(tables, table, request, format, {"standard": "GB 3838-2002",
                                                    "from": from_, "to": to}, published)


@router.get("/water/daily", summary="断面逐日水质类别 daily section classes (GB 3838-2002)",
            response_model=schemas.WaterPage, responses={**schemas.TABLE_FORMATS, 400: {}})
def water_daily(
    request: Request,
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
    city: Annotated[str | None, Query()] = None,
    section: Annotated[str | None, Query(description="断面编码")] = None,
    published: Published = False,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Each section's class per day: the trend of a section's class and main factors."""
    from ecohub.analytics.water import daily_classes

    _days(from_, to)
    if (to - from_).days >= _MAX_TREND_DAYS:
        raise Problem(422, f"from={from_} to={to}: at most {_MAX_TREND_DAYS} days per request",
                      errors=[{"parameter": "to", "value": str(to)}])
    frame = daily_classes(store, from_, to, city=city, section=section)
    return table_response(_shown(frame, published), request, format, name="water_daily",
                          meta={"table": "water_daily", "standard": "GB 3838-2002",
                                "from": from_, "to": to,
                                "columns": column_labels(frame.columns)})


@router.get("/noise", summary="声环境评价 noise (GB 3096-2008)",
            response_model=schemas.NoisePage, responses=schemas.TABLE_FORMATS)
def noise(
    request: Request,
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
    table: Annotated[str | None, Query(description="表名，缺省为第一张")] = None,
    city: Annotated[str | None, Query()] = None,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Day and night levels (Ld, Ln) and compliance per GB 3096-2008."""
    from ecohub.analytics.noise import assess_noise

    _days(from_, to)
    tables = assess_noise(store, from_, to, city=city).tables()
    return _one_of(tables, table, request, format, {"standard": "GB 3096-2008",
                                                    "from": from_, "to": to})


def _one_of(tables: dict, table: str | None, request: Request, format: str | None,
            meta: dict, published: bool = False) -> Response:
    name = table or next(iter(tables))
    if name not in tables:
        raise Problem(422, f"table={name!r}: expected one of {', '.join(tables)}",
                      errors=[{"parameter": "table", "value": name}])
    frame = tables[name]
    return table_response(_shown(frame, published), request, format, name=name,
                          meta={"table": name, **meta, "columns": column_labels(frame.columns)})
