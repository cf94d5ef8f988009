"""The JSON answer written by polars is the document the generic encoder writes."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ecohub.api.formats import _in_china_time, _json_plain, _json_response


def test_polars_json_is_the_generic_document() -> None:
    frame = _in_china_time(pl.DataFrame({
        "object_code": ["340100-A001", "合肥市监测站", None],
        "value": [35.0, 0.1 + 0.2, None], "n": [1, None, 3], "ok": [True, False, None],
        "date": [dt.date(2026, 11, 1), None, dt.date(2026, 11, 3)],
        "period_start": [dt.datetime(2026, 11, 30, 16, tzinfo=dt.UTC)] * 3}))
    assert all(_json_plain(dtype) for dtype in frame.dtypes)
    meta = {"next": None, "from": dt.date(2026, 11, 1), "editions": ["2026"]}
    generic = JSONResponse(jsonable_encoder({**meta, "count": frame.height,
                                             "items": frame.to_dicts()})).body
    fast = _json_response(frame, meta).body
    assert json.loads(fast) == json.loads(generic)
    assert list(json.loads(fast)) == ["next", "from", "editions", "count", "items"]
    empty = _json_response(frame.clear(), {})
    assert json.loads(empty.body) == {"count": 0, "items": []}
