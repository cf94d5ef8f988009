"""The bulletins as downloads: the city air daily report (日报) and monthly report (月报).

Public (:func:`ecohub.api.security.public`), like ``/assessments/public/air/city-daily``: they
hold city values only — each city's AQI, category, primary pollutant and concentrations, the
monthly ranking by the comprehensive index — which is what the national platform publishes
for every city (``docs/bulletins.md``); no station's or enterprise's data is in them. The
access is on the audit record like every ``/api/v1`` request.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ecohub.api.formats import in_range, stage_of_edition
from ecohub.api.problems import Problem
from ecohub.api.security import get_store, public
from ecohub.errors import NoData
from ecohub.identity import Principal
from ecohub.reports import bulletins
from ecohub.store import Store

router = APIRouter(prefix="/reports", tags=["报告 reports"])

BulletinFormat = Literal["pdf", "xlsx"]
Edition = Literal["2026", "2012"]
Stage = Literal["transition", "final"]

_RESPONSES: dict[int | str, dict] = {
    200: {"description": "PDF（A4，默认）或 Excel 工作簿（`format=xlsx`），作为附件下载",
          "content": {media: {"schema": {"type": "string", "format": "binary"}}
                      for media in bulletins.FORMATS.values()}},
    404: {"description": "该日（月）无空气监测数据"},
}


def _download(bulletin: bulletins.Bulletin, fmt: str, ascii_name: str) -> Response:
    """The bulletin as an attachment named in Chinese (RFC 6266 / RFC 5987 ``filename*``)."""
    body = bulletins.render(bulletin, fmt)
    chinese = quote(f"{bulletin.filename}.{fmt}", safe="")
    return Response(body, media_type=bulletins.FORMATS[fmt], headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}.{fmt}\"; "
                               f"filename*=UTF-8''{chinese}"})


def _no_data(error: NoData, parameter: str, value: str) -> Problem:
    return Problem(404, str(error), errors=[{"parameter": parameter, "value": value,
                                             "expected": "a day (month) with air data"}])


@router.get("/air-daily", summary="城市环境空气质量日报 city air daily bulletin (PDF, Excel)",
            responses=_RESPONSES, response_class=Response)
def air_daily(
    day: Annotated[date, Query(description="日期（北京时间自然日）", examples=["2026-12-01"])],
    format: Annotated[BulletinFormat, Query(description="pdf（默认）或 xlsx")] = "pdf",
    edition: Annotated[Edition | None, Query(description="标准版本；缺省为当日施行的版本")]
    = None,
    stage: Annotated[Stage | None, Query(description="GB 3095-2026 的阶段（需 edition=2026）")]
    = None,
    principal: Principal = Depends(public),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """The daily bulletin of ``day`` (public).

    Each city's AQI, category, primary pollutant and six pollutants, ranked, with the summary,
    chart and map; the edition and stage stated (HJ 633).
    """
    in_range(day, "day")
    stage_of_edition(edition, stage)
    try:
        bulletin = bulletins.air_daily(store, day, edition=edition, stage=stage)
    except NoData as error:
        raise _no_data(error, "day", day.isoformat()) from None
    return _download(bulletin, format, f"air-daily-{day.isoformat()}")


@router.get("/air-monthly",
            summary="城市环境空气质量月报 city air monthly bulletin (PDF, Excel)",
            responses=_RESPONSES, response_class=Response)
def air_monthly(
    month: Annotated[str, Query(description="月份 YYYY-MM（北京时间）", examples=["2026-12"],
                                pattern=r"^\d{4}-\d{2}$")],
    format: Annotated[BulletinFormat, Query(description="pdf（默认）或 xlsx")] = "pdf",
    edition: Annotated[Edition | None, Query(description="标准版本；缺省为月末施行的版本")]
    = None,
    stage: Annotated[Stage | None, Query(description="GB 3095-2026 的阶段（需 edition=2026）")]
    = None,
    principal: Principal = Depends(public),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """The monthly bulletin of ``month`` (public).

    The city ranking by the comprehensive index, share of good days, the six pollutants'
    statistics (HJ 663), change on the same month last year, daily calendar and map.
    """
    try:
        first = in_range(bulletins.parse_month(month), "month")
    except ValueError as error:
        raise Problem(422, f"month={month!r}: {error}",
                      errors=[{"parameter": "month", "value": month}]) from None
    stage_of_edition(edition, stage)
    try:
        bulletin = bulletins.air_monthly(store, first, edition=edition, stage=stage)
    except NoData as error:
        raise _no_data(error, "month", month) from None
    return _download(bulletin, format, f"air-monthly-{first:%Y-%m}")
