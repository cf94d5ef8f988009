"""Hand-made stores for the assessment tests: objects, and readings written as they are stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from ecohub.store import READING_SCHEMA, ObjectSpec, Store

CST = dt.timezone(dt.timedelta(hours=8))


def cst(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    """A period start in China Standard Time."""
    return dt.datetime(year, month, day, hour, tzinfo=CST)


def add_object(store: Store, code: str, object_type: str, city: str, city_code: str,
               **attributes: object) -> int:
    (object_id,) = store.registry.add_objects([ObjectSpec(
        code=code, name=f"{city}{code}", object_type=object_type, city=city, city_code=city_code,
        attributes=attributes)])
    store.registry.add_device(f"MN-{code}", object_id, "123456", [])
    return object_id


def hourly(object_id: int, factor: str, start: dt.datetime, values: Sequence[float | None],
           flags: Sequence[str] | str = "N", code: str | None = None) -> pa.Table:
    """Consecutive hourly ``Avg`` readings from ``start``; ``None`` leaves an hour out."""
    flags = [flags] * len(values) if isinstance(flags, str) else list(flags)
    rows = [
        {"mn": f"MN-{code or object_id}", "object_id": object_id, "factor": factor,
         "kind": "hour", "period_start": start + dt.timedelta(hours=h), "period_s": 3600,
         "statistic": "Avg", "value": value, "device_flag": flag,
         "received_at": start + dt.timedelta(hours=h + 1), "packet_id": None}
        for h, (value, flag) in enumerate(zip(values, flags, strict=True)) if value is not None
    ]
    return pa.Table.from_pylist(rows, schema=READING_SCHEMA)


def write(store: Store, *tables: pa.Table) -> None:
    store.measurements.write(pa.concat_tables(tables))
