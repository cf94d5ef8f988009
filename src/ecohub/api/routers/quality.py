"""Quality: scores, and operators' reviews of the automatic QC verdicts.

Scores per department, object or factor are the chief data officer's view.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ecohub.api.formats import Format, moment, table_response
from ecohub.api.problems import Problem
from ecohub.api.routers.objects import visible_objects
from ecohub.api.security import get_store, require
from ecohub.identity import Principal
from ecohub.store import Store
from ecohub.vocabulary import CHINA_TZ

router = APIRouter(prefix="/quality", tags=["质量 quality"])

_MAX_DAYS = 366


@router.get("/scores", summary="数据质量评分 quality scores", responses={400: {}})
def scores(
    request: Request,
    from_: Annotated[date, Query(alias="from", description="首日（北京时间自然日）",
                                 examples=["2026-12-01"])],
    to: Annotated[date, Query(description="末日（含）", examples=["2026-12-01"])],
    by: Annotated[Literal["department", "object", "factor"], Query()] = "department",
    period: Annotated[Literal["day", "month"] | None, Query(description="缺省为整个时段")
                      ] = None,
    format: Format = None,
    principal: Principal = Depends(require("data.read")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> Response:
    """Completeness, timeliness, validity, consistency and the weighted score."""
    from ecohub.governance.quality_scores import explain_scores, quality_scores

    if to < from_ or (to - from_).days >= _MAX_DAYS:
        raise Problem(422, f"to={to}: on or after from={from_} and at most {_MAX_DAYS} days "
                           "later expected", errors=[{"parameter": "to", "value": str(to)}])
    start = datetime.combine(from_, time(), CHINA_TZ)
    end = datetime.combine(to + timedelta(days=1), time(), CHINA_TZ)
    frame = quality_scores(store, start, end, by=by, period=period)
    return table_response(frame, request, format, name=f"quality_{by}",
                          meta={"from": start, "to": end, "by": by, "period": period,
                                "notes": explain_scores(frame, by)})


class Review(BaseModel):
    """An operator's verdict on one reading's automatic QC flags."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "mn": "MN-0", "factor": "a34004", "kind": "hour",
        "period_start": "2026-12-01T08:00:00+08:00", "statistic": "Avg",
        "decision": "accept", "reason": "现场核实"}]})

    mn: str
    factor: str
    kind: str = "hour"
    period_start: datetime = Field(description="ISO 8601; China Standard Time when no zone")
    statistic: str = "Avg"
    decision: Literal["accept", "reject"]
    reason: str = Field(min_length=1, description="why (kept with the review)")


@router.post("/reviews", summary="审核质控结论 review a reading", status_code=201,
             responses={404: {}})
def add_review(
    body: Review,
    request: Request,
    principal: Principal = Depends(require("qc.review")),  # noqa: B008
    store: Store = Depends(get_store),  # noqa: B008
) -> dict:
    """Accept or reject one reading's automatic verdict; the newest review wins."""
    from ecohub.quality.reviews import review

    device = store.registry.device(body.mn)
    visible = {o.id for o in visible_objects(store, principal)}
    if device is None or device.object_id not in visible:
        raise Problem(404, f"MN {body.mn!r} is not registered (or not yours to see)")
    start = moment(body.period_start.isoformat(), "period_start")
    key = {"mn": body.mn, "factor": body.factor, "kind": body.kind, "period_start": start,
           "statistic": body.statistic}
    row = review(store, key, body.decision, principal.username or "?", body.reason)
    request.state.object_ids = [device.object_id]
    request.state.row_count = row.height
    return {"reading": {k: v for k, v in row.to_dicts()[0].items()
                        if k in ("mn", "factor", "kind", "statistic", "value", "qc_flag",
                                 "review", "reviewer", "review_reason")}}
