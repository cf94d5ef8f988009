"""One enterprise's archive (一源一档) and the registry's history, as tables for people.

:func:`archive_frames` lays out an :class:`ecohub.store.EnterpriseArchive` — the pollution
source, its outlets, their data loggers, permits, discharge limits and the history of all of
them — as sheets with Chinese names and headers; :func:`write_archive` writes the workbook.
:func:`history_frame` is the history as people read it: times in China Standard Time, fields
by their Chinese names, old → new; a password shows as ``***``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime

import polars as pl

from ecohub.registry.codes import format_utc_offset
from ecohub.reports.tables import add_sheet, excel_workbook
from ecohub.store import (
    Device,
    DischargeLimit,
    EnterpriseArchive,
    MonitoredObject,
    Permit,
    RegistryChange,
)
from ecohub.vocabulary import CHINA_TZ, OBJECT_TYPES

__all__ = ["ACTION_NAMES", "ENTITY_NAMES", "FIELD_NAMES", "archive_frames", "china_time",
           "describe_changes", "history_frame", "record_value", "write_archive"]

ACTION_NAMES: Mapping[str, str] = {"create": "新增", "update": "修改", "retire": "停用",
                                   "reinstate": "恢复"}
ENTITY_NAMES: Mapping[str, str] = {"object": "监测对象", "device": "数采仪",
                                   "permit": "排污许可证", "limit": "排放限值"}
FIELD_NAMES: Mapping[str, str] = {
    "code": "编码", "name": "名称", "object_type": "类型", "parent_code": "上级编码",
    "longitude": "经度", "latitude": "纬度", "city": "城市", "city_code": "行政区划代码",
    "county": "区县", "department": "所属部门", "attributes": "属性", "retired_at": "停用时间",
    "mn": "MN", "object_code": "对象编码", "password": "密码", "factors": "因子",
    "protocol": "协议版本", "minute_interval": "分钟数据间隔", "profile": "协议配置",
    "accept": "接受偏差", "utc_offset_minutes": "时区", "number": "许可证编号",
    "source_code": "企业编码", "issued_by": "发证机关", "valid_from": "有效期起",
    "valid_to": "有效期止", "outlet_code": "排放口编码", "factor": "因子", "statistic": "统计量",
    "value": "限值", "unit": "单位", "standard": "标准依据", "permit_number": "许可证编号",
}
"""Field of a registry record → its column name in the registry workbook."""

HISTORY_COLUMNS = ("时间", "操作人", "操作", "类别", "编号", "变更内容", "原因")


def china_time(moment: datetime | None) -> str:
    """An aware moment as China Standard Time to the minute (``2026-12-01 08:00``)."""
    return "" if moment is None else f"{moment.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"


def record_value(name: str, value: object) -> str:
    """A value of a registry record (its field ``name``) as people read it."""
    if value is None or value == [] or value == {}:
        return "（空）"
    if name == "object_type":
        return OBJECT_TYPES.get(str(value), str(value))
    if name == "utc_offset_minutes":
        return format_utc_offset(int(value))
    if name == "retired_at":
        return china_time(datetime.fromisoformat(str(value)))
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def describe_changes(change: RegistryChange) -> str:
    """A change's fields as ``名称：旧 → 新；…`` (a creation lists its values)."""
    return "；".join(
        f"{FIELD_NAMES.get(name, name)}：" + (
            record_value(name, new) if change.action == "create"
            else f"{record_value(name, old)} → {record_value(name, new)}")
        for name, (old, new) in change.changes.items())


def history_frame(changes: Iterable[RegistryChange]) -> pl.DataFrame:
    """Changes as a table people read, in the order given (China Standard Time)."""
    rows = [
        {"时间": china_time(c.changed_at), "操作人": c.actor,
         "操作": ACTION_NAMES.get(c.action, c.action), "类别": ENTITY_NAMES.get(c.entity, c.entity),
         "编号": c.key, "变更内容": describe_changes(c), "原因": c.reason}
        for c in changes
    ]
    return pl.DataFrame(rows, schema={c: pl.String for c in HISTORY_COLUMNS})


def _status(retired_at: datetime | None) -> str:
    return "在用" if retired_at is None else f"停用（{china_time(retired_at)}）"


def _objects(objects: Iterable[MonitoredObject], codes: Mapping[int, str]) -> pl.DataFrame:
    rows = [
        {"编码": o.code, "名称": o.name, "类型": OBJECT_TYPES[o.object_type],
         "上级编码": codes.get(o.parent_id, "") if o.parent_id else "",
         "经度": _text(o.longitude), "纬度": _text(o.latitude), "城市": o.city or "",
         "区县": o.county or "", "统一社会信用代码": str(o.attributes.get("credit_code", "")),
         "状态": _status(o.retired_at)}
        for o in objects
    ]
    return pl.DataFrame(rows, schema={c: pl.String for c in (
        "编码", "名称", "类型", "上级编码", "经度", "纬度", "城市", "区县", "统一社会信用代码",
        "状态")})


def _devices(devices: Iterable[Device]) -> pl.DataFrame:
    rows = [
        {"MN": d.mn, "对象编码": d.object_code, "因子": ",".join(d.factors),
         "协议版本": d.protocol, "分钟数据间隔": str(d.minute_interval), "协议配置": d.profile,
         "接受偏差": ",".join(d.accept), "时区": format_utc_offset(d.utc_offset_minutes),
         "状态": _status(d.retired_at)}
        for d in devices
    ]
    return pl.DataFrame(rows, schema={c: pl.String for c in (
        "MN", "对象编码", "因子", "协议版本", "分钟数据间隔", "协议配置", "接受偏差", "时区",
        "状态")})


def _permits(permits: Iterable[Permit]) -> pl.DataFrame:
    rows = [
        {"许可证编号": p.number, "企业编码": p.source_code, "发证机关": p.issued_by or "",
         "有效期起": _text(p.valid_from), "有效期止": _text(p.valid_to),
         "状态": _status(p.retired_at)}
        for p in permits
    ]
    return pl.DataFrame(rows, schema={c: pl.String for c in (
        "许可证编号", "企业编码", "发证机关", "有效期起", "有效期止", "状态")})


def _limits(limits: Iterable[DischargeLimit]) -> pl.DataFrame:
    rows = [
        {"排放口编码": lim.outlet_code, "因子": lim.factor, "统计量": lim.statistic,
         "限值": _text(lim.value), "单位": lim.unit, "标准依据": lim.standard or "",
         "许可证编号": lim.permit_number or "", "状态": _status(lim.retired_at)}
        for lim in limits
    ]
    return pl.DataFrame(rows, schema={c: pl.String for c in (
        "排放口编码", "因子", "统计量", "限值", "单位", "标准依据", "许可证编号", "状态")})


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def archive_frames(archive: EnterpriseArchive) -> dict[str, pl.DataFrame]:
    """The archive as sheets: 企业, 排放口, 数采仪, 排污许可证, 排放限值, 变更记录."""
    codes = {archive.source.id: archive.source.code}
    return {
        "企业": _objects([archive.source], codes),
        "排放口": _objects(archive.outlets, codes),
        "数采仪": _devices(archive.devices),
        "排污许可证": _permits(archive.permits),
        "排放限值": _limits(archive.limits),
        "变更记录": history_frame(archive.history),
    }


def write_archive(archive: EnterpriseArchive, path: str | os.PathLike[str]) -> None:
    """Write one enterprise's archive as a workbook (see :func:`archive_frames`)."""
    with excel_workbook(path) as book:
        for name, frame in archive_frames(archive).items():
            add_sheet(book, name, frame)
