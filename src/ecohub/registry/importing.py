"""Import a registry file: check every row, register the good ones, return the bad ones.

A row is checked field by field (:func:`plan_import`) against the rules of the registry file
(docs/registry.md): required fields, the object type, coordinates inside the region, GB/T 2260
division codes, GB 32100-2015 credit codes, HJ 212 factor codes, unique codes and MNs,
duplicate rows, an outlet's enterprise and a device's object. A row equal to what is
registered is *unchanged*; a row that differs from it is a *conflict*: changing a registered
record means keeping its history, which is not done here yet.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ecohub.registry.codes import CHINA_BBOX, BoundingBox, credit_code_error, division_code_error
from ecohub.registry.layout import (
    DEVICE_COLUMNS,
    DEVICES_SHEET,
    ERROR_COLUMN,
    OBJECT_COLUMNS,
    OBJECTS_SHEET,
    SheetRows,
    read_registry_file,
    write_registry_workbook,
)
from ecohub.store import Device, DeviceSpec, MonitoredObject, ObjectSpec, Registry
from ecohub.vocabulary import FACTORS, OBJECT_TYPES

__all__ = ["DeviceRow", "ImportPlan", "ImportReport", "RowProblem", "import_file", "plan_import",
           "write_problems"]

_TYPE_OF_NAME = {name: key for key, name in OBJECT_TYPES.items()}
_FACTOR_SEPARATORS = re.compile(r"[,，、;；\s]+")
_CONFLICT_NOTE = "修改已登记的记录需保留历史，尚不支持（下一步）；如需修改请联系管理员"


@dataclass(frozen=True)
class RowProblem:
    """A row that was not applied: its sheet, row number, cells and reasons."""

    sheet: str
    row: int
    """Spreadsheet row number (the header is row 1)."""
    cells: Mapping[str, str]
    reasons: tuple[str, ...]
    """Each ``字段：原因``."""
    conflict: bool = False
    """The row is well-formed but differs from the registered record."""

    @property
    def reason(self) -> str:
        """The reasons as one cell of text."""
        return "；".join(self.reasons)


@dataclass(frozen=True)
class DeviceRow:
    """A checked device row: a device spec whose object is named by its code.

    The object's id is known only once the objects of the same file are registered.
    """

    object_code: str
    mn: str
    password: str
    factors: tuple[str, ...]
    protocol: str
    minute_interval: int


@dataclass
class ImportPlan:
    """What importing the rows would do."""

    new_objects: list[ObjectSpec] = field(default_factory=list)
    new_devices: list[DeviceRow] = field(default_factory=list)
    unchanged_objects: int = 0
    unchanged_devices: int = 0
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    added_objects: int
    added_devices: int
    unchanged: int
    problems: tuple[RowProblem, ...]
    dry_run: bool
    errors_file: Path | None = None

    @property
    def added(self) -> int:
        """Objects and devices registered (on a dry run: that would be)."""
        return self.added_objects + self.added_devices

    @property
    def conflicts(self) -> int:
        """Rows that differ from the registered record."""
        return sum(p.conflict for p in self.problems)

    @property
    def errors(self) -> int:
        """Rows with errors, conflicts included."""
        return len(self.problems)


def import_file(
    registry: Registry, path: str | os.PathLike[str], *, region: BoundingBox = CHINA_BBOX,
    dry_run: bool = False, errors_path: str | os.PathLike[str] | None = None,
) -> ImportReport:
    """Import a registry file (``.xlsx`` in the template layout, or one ``.csv`` sheet).

    Parameters
    ----------
    registry : ecohub.store.Registry
    path : str or path-like
    region : BoundingBox
        Coordinates must lie inside it.
    dry_run : bool
        Check only: the registry is not changed.
    errors_path : str or path-like, optional
        Where the rows that were not applied go (the same columns plus 错误原因), written only
        if there are such rows.

    Raises
    ------
    RegistryFileError
        The file cannot be read (see :func:`~ecohub.registry.layout.read_registry_file`).
    """
    plan = plan_import(registry, read_registry_file(path), region=region)
    if not dry_run:
        _apply(registry, plan)
    written = None
    if errors_path is not None and plan.problems:
        write_problems(plan.problems, errors_path)
        written = Path(errors_path)
    return ImportReport(
        added_objects=len(plan.new_objects), added_devices=len(plan.new_devices),
        unchanged=plan.unchanged_objects + plan.unchanged_devices,
        problems=tuple(plan.problems), dry_run=dry_run, errors_file=written,
    )


def _apply(registry: Registry, plan: ImportPlan) -> None:
    if plan.new_objects:
        registry.add_objects(plan.new_objects)  # one transaction: parents in the same call
    if plan.new_devices:
        ids = {o.code: o.id for o in registry.objects()}
        registry.add_devices(
            DeviceSpec(d.mn, ids[d.object_code], d.password, d.factors, d.protocol,
                       d.minute_interval)
            for d in plan.new_devices
        )


def write_problems(problems: list[RowProblem] | tuple[RowProblem, ...],
                   path: str | os.PathLike[str]) -> None:
    """Write rows that were not applied as a registry workbook with a 错误原因 column."""
    sheets = {}
    for sheet, columns in ((OBJECTS_SHEET, OBJECT_COLUMNS), (DEVICES_SHEET, DEVICE_COLUMNS)):
        rows = [{**{c: p.cells.get(c, "") for c in columns}, ERROR_COLUMN: p.reason}
                for p in problems if p.sheet == sheet]
        if rows:
            sheets[sheet] = pl.DataFrame(
                rows, schema={c: pl.String for c in (*columns, ERROR_COLUMN)})
    write_registry_workbook(path, sheets, instructions=False)


def plan_import(registry: Registry, sheets: list[SheetRows], *,
                region: BoundingBox = CHINA_BBOX) -> ImportPlan:
    """Check the rows of a registry file against the rules and the registry.

    Objects are checked before devices, so a device may name an object of the same file.
    """
    plan = ImportPlan()
    registered = registry.objects()
    code_of_id = {o.id: o.code for o in registered}
    objects = {o.code: _spec_of(o, code_of_id) for o in registered}
    by_sheet = {s.sheet: s for s in sheets}
    good_objects: dict[str, ObjectSpec] = {}
    if OBJECTS_SHEET in by_sheet:
        good_objects = _plan_objects(plan, by_sheet[OBJECTS_SHEET], objects, region)
    if DEVICES_SHEET in by_sheet:
        known = set(objects) | set(good_objects)
        _plan_devices(plan, by_sheet[DEVICES_SHEET], known, registry.devices())
    return plan


def _spec_of(obj: MonitoredObject, code_of_id: Mapping[int, str]) -> ObjectSpec:
    return ObjectSpec(
        code=obj.code, name=obj.name, object_type=obj.object_type, longitude=obj.longitude,
        latitude=obj.latitude, city=obj.city, city_code=obj.city_code, county=obj.county,
        department=obj.department, parent_code=code_of_id.get(obj.parent_id),
        attributes=obj.attributes,
    )


_OBJECT_FIELDS = {"名称": "name", "类型": "object_type", "经度": "longitude", "纬度": "latitude",
                  "城市": "city", "行政区划代码": "city_code", "区县": "county",
                  "所属部门": "department", "上级编码": "parent_code"}


def _differences(new: ObjectSpec, old: ObjectSpec) -> list[str]:
    """The template fields in which two specs differ (other attributes are not in the file)."""
    changed = [h for h, f in _OBJECT_FIELDS.items() if getattr(new, f) != getattr(old, f)]
    if new.attributes.get("credit_code") != old.attributes.get("credit_code"):
        changed.append("统一社会信用代码")
    return changed


def _plan_objects(plan: ImportPlan, sheet: SheetRows, registered: Mapping[str, ObjectSpec],
                  region: BoundingBox) -> dict[str, ObjectSpec]:
    """Check object rows; return the good ones (new or unchanged) by code."""
    checked: list[tuple[int, dict[str, str], ObjectSpec | None, list[str]]] = []
    first_row: dict[str, tuple[int, ObjectSpec | None]] = {}
    for number, cells in enumerate(sheet.rows, sheet.first_row):
        if not cells:
            continue
        spec, reasons = _object_spec(cells, region)
        code = cells.get("编码", "")
        reasons.extend(_repeated(first_row, "编码", code, number, spec))
        checked.append((number, cells, spec, reasons))
    # an outlet's enterprise may come later in the file: check parents once all rows are read
    fine = {s.code: s for _, _, s, r in checked if s is not None and not r}
    good: dict[str, ObjectSpec] = {}
    for number, cells, spec, reasons in checked:
        if spec is not None and spec.parent_code is not None and not reasons:
            parent = fine.get(spec.parent_code) or registered.get(spec.parent_code)
            if parent is None:
                where = "本文件中该行有错误" if spec.parent_code in first_row else "未登记"
                reasons.append(f"上级编码：{spec.parent_code} {where}")
            elif parent.object_type != "pollution_source":
                kind = OBJECT_TYPES[parent.object_type]
                reasons.append(f"上级编码：{spec.parent_code} 是{kind}，应为污染源")
        if reasons or spec is None:
            plan.problems.append(RowProblem(OBJECTS_SHEET, number, cells, tuple(reasons)))
            continue
        old = registered.get(spec.code)
        if old is None:
            plan.new_objects.append(spec)
        elif changed := _differences(spec, old):
            plan.problems.append(RowProblem(OBJECTS_SHEET, number, cells, (
                f"编码：{spec.code} 已登记，{'、'.join(changed)}与登记内容不同；{_CONFLICT_NOTE}",
            ), conflict=True))
            continue
        else:
            plan.unchanged_objects += 1
        good[spec.code] = spec
    return good


def _number(cells: Mapping[str, str], column: str, reasons: list[str]) -> float | None:
    text = cells.get(column, "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        reasons.append(f"{column}：{text!r} 不是数字")
        return None


def _object_spec(cells: Mapping[str, str], region: BoundingBox
                 ) -> tuple[ObjectSpec | None, list[str]]:
    reasons = [f"{c}：必填" for c in ("编码", "名称", "类型") if not cells.get(c)]
    type_text = cells.get("类型", "")
    object_type = _TYPE_OF_NAME.get(type_text, type_text if type_text in OBJECT_TYPES else None)
    if type_text and object_type is None:
        reasons.append(f"类型：{type_text!r} 不是已知类型（{'、'.join(OBJECT_TYPES.values())}）")
    longitude, latitude = _number(cells, "经度", reasons), _number(cells, "纬度", reasons)
    if (longitude is None) != (latitude is None) and not any("不是数字" in r for r in reasons):
        reasons.append("经度、纬度：须同时填写")
    elif longitude is not None and latitude is not None and not region.contains(longitude,
                                                                                latitude):
        reasons.append(f"经度、纬度：({longitude:g}, {latitude:g}) 不在区域内（{region}）")
    city_code = cells.get("行政区划代码", "")
    if city_code and (why := division_code_error(city_code)):
        reasons.append(f"行政区划代码：{city_code!r} {why}")
    credit_code = cells.get("统一社会信用代码", "")
    if credit_code and (why := credit_code_error(credit_code)):
        reasons.append(f"统一社会信用代码：{credit_code!r} {why}")
    parent_code = cells.get("上级编码", "")
    if object_type == "outlet" and not parent_code:
        reasons.append("上级编码：排放口须填写所属污染源的编码")
    elif parent_code and object_type not in (None, "outlet"):
        reasons.append("上级编码：只有排放口填写上级编码")
    if reasons or object_type is None:
        return None, reasons
    try:
        spec = ObjectSpec(
            code=cells["编码"], name=cells["名称"], object_type=object_type,
            longitude=longitude, latitude=latitude, city=cells.get("城市") or None,
            city_code=city_code or None, county=cells.get("区县") or None,
            department=cells.get("所属部门") or None, parent_code=parent_code or None,
            attributes={"credit_code": credit_code} if credit_code else {},
        )
    except ValueError as error:
        return None, [f"经度、纬度：{error}"]
    return spec, reasons


def _plan_devices(plan: ImportPlan, sheet: SheetRows, objects: set[str],
                  registered: Mapping[str, Device]) -> None:
    first_row: dict[str, tuple[int, tuple]] = {}
    for number, cells in enumerate(sheet.rows, sheet.first_row):
        if not cells:
            continue
        device, reasons = _device(cells)
        mn = cells.get("MN", "")
        key = None if device is None else (device.object_code, device.password, device.factors,
                                           device.protocol, device.minute_interval)
        reasons.extend(_repeated(first_row, "MN", mn, number, key))
        object_code = cells.get("对象编码", "")
        if object_code and object_code not in objects:
            reasons.append(f"对象编码：{object_code} 未登记（或在{OBJECTS_SHEET}表中该行有错误）")
        old = registered.get(mn)
        if old is None and device is not None and not device.password:
            reasons.append("密码：新登记的数采仪必填")
        if reasons or device is None:
            plan.problems.append(RowProblem(DEVICES_SHEET, number, cells, tuple(reasons)))
        elif old is None:
            plan.new_devices.append(device)
        elif changed := _device_differences(device, old):
            plan.problems.append(RowProblem(DEVICES_SHEET, number, cells, (
                f"MN：{mn} 已登记，{'、'.join(changed)}与登记内容不同；{_CONFLICT_NOTE}",
            ), conflict=True))
        else:
            plan.unchanged_devices += 1


def _device_differences(new: DeviceRow, old: Device) -> list[str]:
    """Fields in which a row differs from the registered device; an empty password is kept."""
    changed = [h for h, a, b in (
        ("对象编码", new.object_code, old.object_code), ("因子", new.factors, old.factors),
        ("协议版本", new.protocol, old.protocol),
        ("分钟数据间隔", new.minute_interval, old.minute_interval),
    ) if a != b]
    if new.password and not old.verify_password(new.password):
        changed.append("密码")
    return changed


def _device(cells: Mapping[str, str]) -> tuple[DeviceRow | None, list[str]]:
    reasons = [f"{c}：必填" for c in ("MN", "对象编码", "因子") if not cells.get(c)]
    mn = cells.get("MN", "")
    if len(mn) > 64:
        reasons.append(f"MN：{len(mn)} 个字符，最多 64 个")
    factors = tuple(f for f in _FACTOR_SEPARATORS.split(cells.get("因子", "")) if f)
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        reasons.append(f"因子：{', '.join(unknown)} 不是 HJ 212-2017 附录 B 的因子编码")
    protocol = cells.get("协议版本") or "2017"
    if protocol not in ("2017", "2005"):
        reasons.append(f"协议版本：{protocol!r} 应为 2017 或 2005")
    interval_text = cells.get("分钟数据间隔") or "10"
    interval = int(interval_text) if interval_text.isdigit() else 0
    if interval <= 0 or 60 % interval:
        reasons.append(f"分钟数据间隔：{interval_text!r} 应为能整除 60 的分钟数")
    if reasons:
        return None, reasons
    return DeviceRow(cells["对象编码"], mn, cells.get("密码", ""), factors, protocol,
                      interval), reasons


def _repeated(first_row: dict, field: str, value: str, number: int, content: object) -> list[str]:
    """The reason a row repeats an earlier row's ``field`` (none the first time it is seen).

    The earlier row stands; the message says whether the two rows also agree otherwise.
    """
    if value in first_row:
        earlier, earlier_content = first_row[value]
        same = content is not None and content == earlier_content
        return [f"{field}：与第 {earlier} 行重复" + ("" if same else "，内容不同")]
    if value:
        first_row[value] = (number, content)
    return []
