"""The registry file layout: one sheet per record type, Chinese headers, one row per record.

Objects (监测对象) and devices (数采仪), and optionally the pollutant discharge permits
(排污许可证) and the outlets' discharge limits (排放限值).

The template (:func:`write_template`), the export (:func:`export_registry`) and the error
workbook of an import share this layout, so each can be filled in, fixed and imported again.
A CSV file holds one record type: its header row says which.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import polars as pl
from xlsxwriter import Workbook

from ecohub.protocols.hj212 import PROFILES
from ecohub.registry.codes import format_utc_offset
from ecohub.reports.tables import add_sheet, excel_workbook
from ecohub.store import Registry
from ecohub.vocabulary import OBJECT_TYPES

__all__ = [
    "DEVICES_SHEET",
    "DEVICE_COLUMNS",
    "ERROR_COLUMN",
    "LIMITS_SHEET",
    "LIMIT_COLUMNS",
    "OBJECTS_SHEET",
    "OBJECT_COLUMNS",
    "PERMITS_SHEET",
    "PERMIT_COLUMNS",
    "RegistryFileError",
    "SheetRows",
    "devices_frame",
    "export_registry",
    "limits_frame",
    "objects_frame",
    "permits_frame",
    "read_registry_file",
    "write_registry_workbook",
    "write_template",
]

OBJECTS_SHEET = "监测对象"
DEVICES_SHEET = "数采仪"
PERMITS_SHEET = "排污许可证"
LIMITS_SHEET = "排放限值"
INSTRUCTIONS_SHEET = "填写说明"
ERROR_COLUMN = "错误原因"

OBJECT_COLUMNS: Mapping[str, str] = {
    "编码": "code", "名称": "name", "类型": "object_type", "经度": "longitude",
    "纬度": "latitude", "城市": "city", "行政区划代码": "city_code", "区县": "county",
    "所属部门": "department", "上级编码": "parent_code", "统一社会信用代码": "credit_code",
}
"""Header of the objects sheet → field name."""

DEVICE_COLUMNS: Mapping[str, str] = {
    "MN": "mn", "对象编码": "object_code", "密码": "password", "因子": "factors",
    "协议版本": "protocol", "分钟数据间隔": "minute_interval", "协议配置": "profile",
    "接受偏差": "accept", "时区": "utc_offset_minutes",
}
"""Header of the devices sheet → field name."""

PERMIT_COLUMNS: Mapping[str, str] = {
    "许可证编号": "number", "企业编码": "source_code", "发证机关": "issued_by",
    "有效期起": "valid_from", "有效期止": "valid_to",
}
"""Header of the permits sheet → field name."""

LIMIT_COLUMNS: Mapping[str, str] = {
    "排放口编码": "outlet_code", "因子": "factor", "统计量": "statistic", "限值": "value",
    "单位": "unit", "标准依据": "standard", "许可证编号": "permit_number",
}
"""Header of the limits sheet → field name."""

SHEETS: Mapping[str, Mapping[str, str]] = {
    OBJECTS_SHEET: OBJECT_COLUMNS, DEVICES_SHEET: DEVICE_COLUMNS,
    PERMITS_SHEET: PERMIT_COLUMNS, LIMITS_SHEET: LIMIT_COLUMNS,
}
REQUIRED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    OBJECTS_SHEET: ("编码", "名称", "类型"), DEVICES_SHEET: ("MN", "对象编码", "因子"),
    PERMITS_SHEET: ("许可证编号", "企业编码"), LIMITS_SHEET: ("排放口编码", "因子", "限值", "单位"),
}
"""Columns a file must have; the others may be left out."""

_NUMBER_COLUMNS = {"经度", "纬度", "分钟数据间隔", "限值"}

INSTRUCTIONS = (
    "ecohub 登记表：一行一条记录，第一行为表头，请勿修改表头。",
    f"「{OBJECTS_SHEET}」：编码、名称、类型必填。类型为："
    + "、".join(OBJECT_TYPES.values()) + "。",
    "经度、纬度为 WGS 84 十进制度，须在配置的区域内（默认中国范围）。",
    "行政区划代码：GB/T 2260 六位数字，如 340100（合肥市）。",
    "排放口须填写上级编码（所属污染源的编码）。",
    "污染源可填统一社会信用代码（18 位，按 GB 32100-2015 校验校验码）。",
    f"「{DEVICES_SHEET}」：MN、对象编码、因子必填；新登记的数采仪须填密码（导出时不含密码）。",
    "因子为 HJ 212-2017 附录 B 编码，用逗号分隔，如 a34004,a34002。",
    "协议版本：2017（默认）或 2005；分钟数据间隔：能整除 60 的分钟数（默认 10）。",
    f"协议配置：{'、'.join(PROFILES)}（默认 default）；接受偏差：偏差类型，用逗号分隔，"
    "如 crc.modbus；时区：如 UTC+8（默认，HJ 212 规定北京时间）、UTC。",
    "已登记数采仪的协议版本、分钟数据间隔、协议配置、时区留空时保持不变。",
    f"「{PERMITS_SHEET}」（可选）：许可证编号、企业编码（污染源）必填；有效期为 YYYY-MM-DD。",
    f"「{LIMITS_SHEET}」（可选）：排放口编码、因子、限值（大于 0）、单位必填；"
    "统计量 Avg（实测，默认）或 ZsAvg（折算）；许可证编号须为该排放口所属企业的许可证。",
    "导入：ecohub registry import 文件 [--dry-run] [--errors 错误.xlsx] [--by 姓名 --reason 原因]；"
    "有错的行写入错误工作簿（多一列「错误原因」），改正后可再次导入。",
    "与已登记记录不同的行是修改：须用 --by 写明修改人，修改保留历史（谁、何时、为何、原值→新值）；"
    "--dry-run 列出将要修改的内容。",
    "重复导入同一文件不会改变登记内容：与已登记记录相同的行计为「未变」。",
)


class RegistryFileError(ValueError):
    """A registry file that cannot be read at all (missing, wrong format, sheet or columns)."""


@dataclass(frozen=True)
class SheetRows:
    """The rows of one sheet: each a mapping header → cell text ("" where empty)."""

    sheet: str
    rows: list[dict[str, str]]
    first_row: int = 2
    """The spreadsheet row number of ``rows[0]`` (the header is row 1)."""


def _empty_frame(columns: Mapping[str, str]) -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.String for c in columns})


def write_registry_workbook(
    path: str | os.PathLike[str], sheets: Mapping[str, pl.DataFrame], *,
    instructions: bool = True,
) -> None:
    """Write registry sheets (the template layout) with a styled, frozen header row.

    Parameters
    ----------
    path : str or path-like
        Target ``.xlsx``.
    sheets : mapping of sheet name → polars.DataFrame
        String columns, headers as in :data:`SHEETS`.
    instructions : bool
        Add the short instructions sheet.
    """
    with excel_workbook(path) as book:
        header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = book.add_format({"num_format": "@"})
        for name, frame in sheets.items():
            add_sheet(book, name, frame)
            _style_sheet(book, name, list(frame.columns), header, text)
        if instructions:
            sheet = book.add_worksheet(INSTRUCTIONS_SHEET)
            sheet.set_column(0, 0, 100)
            for row, line in enumerate(INSTRUCTIONS):
                sheet.write_string(row, 0, line)


def _style_sheet(book: Workbook, name: str, headers: list[str], header, text) -> None:
    sheet = book.get_worksheet_by_name(name)
    sheet.freeze_panes(1, 0)
    for col, title in enumerate(headers):
        sheet.write_string(0, col, title, header)
        # text cells, so that Excel keeps codes such as MNs and 340100 as typed
        sheet.set_column(col, col, max(12, 2 * len(title) + 4),
                         None if title in _NUMBER_COLUMNS else text)


def write_template(path: str | os.PathLike[str]) -> None:
    """Write the empty registry workbook people fill in (``ecohub registry template``)."""
    write_registry_workbook(path, {name: _empty_frame(columns)
                                   for name, columns in SHEETS.items()})


def objects_frame(registry: Registry, object_type: str | None = None,
                  city: str | None = None) -> pl.DataFrame:
    """Registered objects in the template layout (type by its Chinese name).

    ``city`` matches the city name or its division code.
    """
    objects = registry.objects()
    codes = {o.id: o.code for o in objects}
    rows = [
        {"编码": o.code, "名称": o.name, "类型": OBJECT_TYPES[o.object_type],
         "经度": _text(o.longitude), "纬度": _text(o.latitude), "城市": o.city or "",
         "行政区划代码": o.city_code or "", "区县": o.county or "",
         "所属部门": o.department or "", "上级编码": codes.get(o.parent_id, ""),
         "统一社会信用代码": str(o.attributes.get("credit_code", ""))}
        for o in objects
        if (object_type is None or o.object_type == object_type)
        and (city is None or city in (o.city, o.city_code))
    ]
    return pl.DataFrame(rows, schema=_empty_frame(OBJECT_COLUMNS).schema)


def devices_frame(registry: Registry) -> pl.DataFrame:
    """Registered (active) devices in the template layout, without passwords.

    The registry keeps only each password's hash: the 密码 column is left empty, and an
    import leaves the password of a registered device as it is when the cell is empty.
    """
    rows = [
        {"MN": d.mn, "对象编码": d.object_code, "密码": "", "因子": ",".join(d.factors),
         "协议版本": d.protocol, "分钟数据间隔": str(d.minute_interval), "协议配置": d.profile,
         "接受偏差": ",".join(d.accept), "时区": format_utc_offset(d.utc_offset_minutes)}
        for d in sorted(registry.devices().values(), key=lambda d: (d.object_code, d.mn))
    ]
    return pl.DataFrame(rows, schema=_empty_frame(DEVICE_COLUMNS).schema)


def permits_frame(registry: Registry) -> pl.DataFrame:
    """Registered (active) discharge permits in the template layout."""
    rows = [
        {"许可证编号": p.number, "企业编码": p.source_code, "发证机关": p.issued_by or "",
         "有效期起": _text(p.valid_from), "有效期止": _text(p.valid_to)}
        for p in registry.permits()
    ]
    return pl.DataFrame(rows, schema=_empty_frame(PERMIT_COLUMNS).schema)


def limits_frame(registry: Registry) -> pl.DataFrame:
    """Registered (active) discharge limits in the template layout."""
    rows = [
        {"排放口编码": lim.outlet_code, "因子": lim.factor, "统计量": lim.statistic,
         "限值": _text(lim.value), "单位": lim.unit, "标准依据": lim.standard or "",
         "许可证编号": lim.permit_number or ""}
        for lim in registry.limits()
    ]
    return pl.DataFrame(rows, schema=_empty_frame(LIMIT_COLUMNS).schema)


def export_registry(registry: Registry, path: str | os.PathLike[str]) -> dict[str, int]:
    """Write the registry (records in service) in the template layout.

    Returns the rows written per sheet. Importing the workbook again changes nothing.
    """
    sheets = {OBJECTS_SHEET: objects_frame(registry), DEVICES_SHEET: devices_frame(registry),
              PERMITS_SHEET: permits_frame(registry), LIMITS_SHEET: limits_frame(registry)}
    write_registry_workbook(path, sheets)
    return {name: frame.height for name, frame in sheets.items()}


def _text(value: object) -> str:
    """A cell as the text a person typed: integral numbers without ``.0``, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()  # a date cell of Excel
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_registry_file(path: str | os.PathLike[str]) -> list[SheetRows]:
    """The record sheets of a registry file (``.xlsx`` or ``.csv``), objects first.

    Raises
    ------
    RegistryFileError
        The file is missing or not ``.xlsx`` / ``.csv``, has no record sheet, or lacks a
        required column.
    """
    source = Path(path)
    if not source.is_file():
        raise RegistryFileError(f"{source}: no such file")
    suffix = source.suffix.lower()
    if suffix == ".xlsx":
        sheets = _read_xlsx(source)
    elif suffix == ".csv":
        sheets = [_read_csv(source)]
    else:
        raise RegistryFileError(
            f"{source}: extension {source.suffix or '(none)'!r}; expected .xlsx or .csv"
        )
    return sheets


def _read_xlsx(source: Path) -> list[SheetRows]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a file that is not a workbook
        raise RegistryFileError(f"{source}: not an Excel workbook ({error})") from None
    try:
        found = [name for name in SHEETS if name in book.sheetnames]
        if not found:
            raise RegistryFileError(
                f"{source}: no sheet {', '.join(SHEETS)} "
                f"(sheets: {', '.join(book.sheetnames)}); start from `ecohub registry template`"
            )
        return [_sheet_rows(source, name, book[name].iter_rows(values_only=True))
                for name in found]
    finally:
        book.close()


def _read_csv(source: Path) -> SheetRows:
    data = source.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")  # as Excel saves on Chinese Windows
    lines = list(csv.reader(io.StringIO(text)))
    header = {_text(c) for c in lines[0]} if lines else set()
    # a devices file has 对象编码 but not 编码; a limits file has 许可证编号 too
    for name in (DEVICES_SHEET, LIMITS_SHEET, PERMITS_SHEET, OBJECTS_SHEET):
        if REQUIRED_COLUMNS[name][0] in header:
            return _sheet_rows(source, name, iter(lines))
    raise RegistryFileError(
        f"{source}: the header names no objects (编码, 名称, 类型, …), devices "
        "(MN, 对象编码, 因子, …), permits (许可证编号, 企业编码, …) or limits (排放口编码, 因子, "
        "限值, 单位, …); start from `ecohub registry template`"
    )


def _sheet_rows(source: Path, name: str, cells: Iterator[Sequence[object]]) -> SheetRows:
    header = [_text(c) for c in next(cells, ())]
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in header]
    if missing:
        raise RegistryFileError(f"{source}: sheet {name} lacks column(s) {', '.join(missing)}")
    rows = []
    for values in cells:
        texts = [_text(v) for v in values]
        if not any(texts):
            rows.append({})  # a blank line keeps the numbering; the importer skips it
            continue
        rows.append({h: (texts[i] if i < len(texts) else "") for i, h in enumerate(header) if h})
    while rows and not rows[-1]:
        rows.pop()
    return SheetRows(name, rows)
