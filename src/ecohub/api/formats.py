"""Tables out as JSON, CSV, XLSX or Parquet, and times in as people write them.

The format is ``format=`` if given, else the ``Accept`` header, else JSON. CSV is UTF-8 with a
byte-order mark, so that Excel on Chinese Windows opens it as UTF-8. Times go out as ISO 8601
with their zone, in China Standard Time; times coming in without a zone are China Standard Time.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from ecohub.api.problems import Problem
from ecohub.vocabulary import CHINA_TZ

__all__ = ["FORMATS", "Format", "moment", "table_response"]

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
"""Output format → media type."""

Format = Annotated[Literal["json", "csv", "xlsx", "parquet"] | None,
                  Query(description="json | csv | xlsx | parquet（缺省按 Accept 头，否则 json）")]
"""The ``format`` query parameter of every table endpoint."""

_BY_MEDIA = {media.split(";")[0]: name for name, media in FORMATS.items()}


def moment(value: str | None, name: str, *, end_of_day: bool = False) -> datetime | None:
    """A query parameter as an aware datetime; China Standard Time when no zone is given.

    ISO 8601; a date alone means its start (with ``end_of_day``, the next day's start).
    """
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = in_range(date.fromisoformat(value), name)
            start = datetime.combine(day, time(), CHINA_TZ)
            return start + timedelta(days=1 if end_of_day else 0)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Problem(422, f"{name}={value!r}: expected an ISO 8601 date or date-time, e.g. "
                           "2026-12-02 or 2026-12-02T08:00 (China Standard Time unless a zone "
                           "is given)", errors=[{"parameter": name, "value": value}]) from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TZ)
    in_range(parsed.date(), name)
    return parsed


EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
"""The dates the API reads and assesses (beyond them, time arithmetic overflows)."""


def in_range(day: date, name: str) -> date:
    """``day``, if between :data:`EARLIEST` and :data:`LATEST`; else a 422 naming ``name``."""
    if not EARLIEST <= day <= LATEST:
        raise Problem(422, f"{name}={day.isoformat()}: expected a date from {EARLIEST} to "
                           f"{LATEST}", errors=[{"parameter": name, "value": day.isoformat()}])
    return day


def stage_of_edition(edition: str | None, stage: str | None) -> None:
    """A 422 naming ``stage`` when it is given without ``edition=2026``.

    Only GB 3095-2026 has implementation stages (docs/reference/standards.md).
    """
    if stage is not None and edition != "2026":
        raise Problem(422, f"stage={stage!r} needs edition=2026 (GB 3095-2012 has no stages)",
                      errors=[{"parameter": "stage", "value": stage}])


def chosen_format(request: Request, format: str | None) -> str:
    """The output format asked for (``format=`` first, then ``Accept``)."""
    if format is not None:
        if format not in FORMATS:
            raise Problem(422, f"format={format!r}: expected one of {', '.join(FORMATS)}",
                          errors=[{"parameter": "format", "value": format}])
        return format
    for item in request.headers.get("accept", "").split(","):
        media = item.split(";")[0].strip()
        if media in _BY_MEDIA:
            return _BY_MEDIA[media]
    return "json"


def table_response(frame: pl.DataFrame, request: Request, format: str | None, *,
                   name: str, meta: dict[str, Any] | None = None) -> Response:
    """``frame`` in the format asked for; JSON carries ``meta`` (edition, next cursor …)."""
    chosen = chosen_format(request, format)
    request.state.row_count = frame.height
    shown = _in_china_time(frame)
    if chosen == "json":
        if all(_json_plain(dtype) for dtype in shown.dtypes):
            return _json_response(shown, meta or {})
        return JSONResponse(jsonable_encoder({**(meta or {}), "count": frame.height,
                                              "items": shown.to_dicts()}),
                            media_type="application/json")
    if chosen in ("csv", "xlsx"):  # for people: lists (primary pollutants …) as text
        shown = _flat(shown)
    if chosen == "csv":
        body = "\ufeff" + shown.write_csv()
        return _download(body.encode("utf-8"), chosen, f"{name}.csv")
    if chosen == "xlsx":
        buffer = io.BytesIO()
        shown.write_excel(buffer, worksheet=name[:31], autofit=True, freeze_panes=(1, 0))
        return _download(buffer.getvalue(), chosen, f"{name}.xlsx")
    buffer = io.BytesIO()
    frame.write_parquet(buffer)  # machine-readable: UTC instants, typed
    return _download(buffer.getvalue(), chosen, f"{name}.parquet")


def _json_plain(dtype: pl.DataType) -> bool:
    """Whether polars writes a column of ``dtype`` as the JSON the generic encoder would."""
    return (dtype.is_numeric() and not isinstance(dtype, pl.Decimal)) or isinstance(
        dtype, (pl.String, pl.Boolean, pl.Date, pl.Null))


def _json_response(shown: pl.DataFrame, meta: dict[str, Any]) -> Response:
    """The JSON answer with its rows written by polars (not row by row in Python).

    The same document as ``jsonable_encoder`` + ``JSONResponse`` for these column types (a NaN
    becomes ``null`` instead of failing); on a year of hourly readings (8,760 rows) several
    times faster, which is what the answer time of a large read is mostly made of.
    """
    head = json.dumps(jsonable_encoder({**meta, "count": shown.height}), ensure_ascii=False,
                      allow_nan=False, separators=(",", ":"))
    body = io.BytesIO()
    body.write(head[:-1].encode() + b',"items":')
    shown.write_json(body)  # as bytes: no round trip through a str of megabytes
    body.write(b"}")
    return Response(body.getvalue(), media_type="application/json")


def _download(body: bytes, chosen: str, filename: str) -> Response:
    return Response(body, media_type=FORMATS[chosen],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """List columns as comma-separated text, struct columns as JSON text (CSV has no nesting)."""
    return frame.with_columns(
        [pl.col(name).list.eval(pl.element().cast(pl.String)).list.join(", ")
         for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
        + [pl.col(name).struct.json_encode()
           for name, dtype in frame.schema.items() if isinstance(dtype, pl.Struct)])


def _in_china_time(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns as ISO 8601 text in China Standard Time (``…+08:00``)."""
    zoned = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Datetime)]
    if not zoned:
        return frame
    return frame.with_columns(
        pl.col(name).dt.replace_time_zone("UTC") if frame.schema[name].time_zone is None  # type: ignore[union-attr]
        else pl.col(name) for name in zoned
    ).with_columns(
        pl.col(name).dt.convert_time_zone("Asia/Shanghai").dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
        for name in zoned)

