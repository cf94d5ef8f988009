"""Import a registry file: check every row, apply the good ones with history, return the bad ones.

A row is checked field by field (:func:`plan_import`) against the rules of the registry file
(docs/registry.md): required fields, the object type, coordinates inside the region, GB/T 2260
division codes, GB 32100-2015 credit codes, HJ 212 factor codes and protocol profiles, unique
codes and MNs, duplicate rows, an outlet's enterprise, a device's object, a permit's
enterprise and a limit's outlet and permit. A row equal to what is registered is *unchanged*;
a row that differs from it is an *update*, applied with its history (who, when, why,
old → new), which is why a file that changes something needs the name of who changes it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from ecohub.protocols.hj212 import DEVIATION_KINDS, PROFILES
from ecohub.registry.codes import (
    CHINA_BBOX,
    BoundingBox,
    credit_code_error,
    division_code_error,
    format_utc_offset,
    parse_utc_offset,
)
from ecohub.registry.layout import (
    DEVICES_SHEET,
    ERROR_COLUMN,
    LIMITS_SHEET,
    OBJECTS_SHEET,
    PERMITS_SHEET,
    SHEETS,
    SheetRows,
    read_registry_file,
    write_registry_workbook,
)
from ecohub.store import (
    SECRET,
    STATISTICS,
    Device,
    DeviceSpec,
    DischargeLimit,
    LimitSpec,
    MonitoredObject,
    ObjectSpec,
    Permit,
    PermitSpec,
    Registry,
    limit_key,
)
from ecohub.vocabulary import FACTORS, OBJECT_TYPES

__all__ = ["ActorRequired", "DeviceRow", "ImportPlan", "ImportReport", "PlannedUpdate",
           "RowProblem", "import_file", "plan_import", "records_outside", "write_problems"]

_TYPE_OF_NAME = {name: key for key, name in OBJECT_TYPES.items()}
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")
_DEFAULT_UTC_OFFSET = 480


class ActorRequired(ValueError):
    """A file changes registered records and no one is named as making the changes."""

    def __init__(self, updates: int) -> None:
        super().__init__(f"{updates} row(s) change registered records: who makes the change "
                         "is required")
        self.updates = updates


@dataclass(frozen=True)
class RowProblem:
    """A row that was not applied: its sheet, row number, cells and reasons."""

    sheet: str
    row: int
    """Spreadsheet row number (the header is row 1)."""
    cells: Mapping[str, str]
    reasons: tuple[str, ...]
    """Each ``字段：原因``."""

    @property
    def reason(self) -> str:
        """The reasons as one cell of text."""
        return "；".join(self.reasons)


@dataclass(frozen=True)
class PlannedUpdate:
    """A row that changes a registered record: what changes, old → new."""

    sheet: str
    row: int
    entity: str
    """``object``, ``device``, ``permit`` or ``limit``."""
    key: str
    changes: Mapping[str, object]
    """Field → new value, as :meth:`ecohub.store.Registry.update_object` and its kin take."""
    shown: Mapping[str, tuple[str, str]]
    """Column → (old, new) as text for people; a password as ``***``."""

    @property
    def summary(self) -> str:
        """``列：旧 → 新`` for each changed column, as one line of text."""
        return "；".join(f"{column}：{old or '（空）'} → {new or '（空）'}"
                        for column, (old, new) in self.shown.items())


@dataclass(frozen=True)
class DeviceRow:
    """A checked device row: a device whose object is named by its code.

    The object's id is known only once the objects of the same file are registered. An
    optional field is None when its cell is empty: a new device takes the default, a
    registered one keeps its value (``accept`` is None only when the column is missing).
    """

    object_code: str
    mn: str
    password: str
    factors: tuple[str, ...]
    protocol: str | None = None
    minute_interval: int | None = None
    profile: str | None = None
    accept: tuple[str, ...] | None = None
    utc_offset_minutes: int | None = None

    def spec(self, object_id: int) -> DeviceSpec:
        """The spec of a new device at ``object_id``, defaults for the empty cells."""
        return DeviceSpec(
            self.mn, object_id, self.password, self.factors, self.protocol or "2017",
            self.minute_interval or 10, self.profile or "default", self.accept or (),
            _DEFAULT_UTC_OFFSET if self.utc_offset_minutes is None else self.utc_offset_minutes,
        )


@dataclass
class ImportPlan:
    """What importing the rows would do."""

    new_objects: list[ObjectSpec] = field(default_factory=list)
    new_devices: list[DeviceRow] = field(default_factory=list)
    new_permits: list[PermitSpec] = field(default_factory=list)
    new_limits: list[LimitSpec] = field(default_factory=list)
    updates: list[PlannedUpdate] = field(default_factory=list)
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    added_objects: int
    added_devices: int
    added_permits: int
    added_limits: int
    updates: tuple[PlannedUpdate, ...]
    unchanged: int
    problems: tuple[RowProblem, ...]
    dry_run: bool
    errors_file: Path | None = None

    @property
    def added(self) -> int:
        """Records registered (on a dry run: that would be)."""
        return self.added_objects + self.added_devices + self.added_permits + self.added_limits

    @property
    def updated(self) -> int:
        """Registered records changed (on a dry run: that would be)."""
        return len(self.updates)

    @property
    def errors(self) -> int:
        """Rows with errors, not applied."""
        return len(self.problems)


def import_file(
    registry: Registry, path: str | os.PathLike[str], *, region: BoundingBox = CHINA_BBOX,
    dry_run: bool = False, errors_path: str | os.PathLike[str] | None = None,
    actor: str | None = None, reason: str = "",
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
    actor : str, optional
        Who makes the changes: required when a row changes a registered record; the history
        of new records names ``system`` without it.
    reason : str
        Why (the history's reason); by default ``导入 <file name>``.

    Raises
    ------
    RegistryFileError
        The file cannot be read (see :func:`~ecohub.registry.layout.read_registry_file`).
    ActorRequired
        Rows change registered records and ``actor`` is empty (nothing is written).
    """
    plan = plan_import(registry, read_registry_file(path), region=region)
    if not dry_run:
        if plan.updates and not (actor and actor.strip()):
            raise ActorRequired(len(plan.updates))
        _apply(registry, plan, actor or "system", reason or f"导入 {Path(path).name}")
    written = None
    if errors_path is not None and plan.problems:
        write_problems(plan.problems, errors_path)
        written = Path(errors_path)
    return ImportReport(
        added_objects=len(plan.new_objects), added_devices=len(plan.new_devices),
        added_permits=len(plan.new_permits), added_limits=len(plan.new_limits),
        updates=tuple(plan.updates), unchanged=plan.unchanged,
        problems=tuple(plan.problems), dry_run=dry_run, errors_file=written,
    )


def _apply(registry: Registry, plan: ImportPlan, actor: str, reason: str) -> None:
    """Objects, then devices, permits and limits: each may name records of the sheets before."""
    updates = {entity: [u for u in plan.updates if u.entity == entity]
               for entity in ("object", "device", "permit", "limit")}
    if plan.new_objects:
        registry.add_objects(plan.new_objects, actor=actor, reason=reason)
    for update in updates["object"]:
        registry.update_object(update.key, update.changes, actor=actor, reason=reason)
    if plan.new_devices:
        ids = {o.code: o.id for o in registry.objects()}
        registry.add_devices((d.spec(ids[d.object_code]) for d in plan.new_devices),
                             actor=actor, reason=reason)
    for update in updates["device"]:
        registry.update_device(update.key, update.changes, actor=actor, reason=reason)
    if plan.new_permits:
        registry.add_permits(plan.new_permits, actor=actor, reason=reason)
    for update in updates["permit"]:
        registry.update_permit(update.key, update.changes, actor=actor, reason=reason)
    if plan.new_limits:
        registry.add_limits(plan.new_limits, actor=actor, reason=reason)
    for update in updates["limit"]:
        registry.update_limit(update.key, update.changes, actor=actor, reason=reason)


def write_problems(problems: list[RowProblem] | tuple[RowProblem, ...],
                   path: str | os.PathLike[str]) -> None:
    """Write rows that were not applied as a registry workbook with a 错误原因 column."""
    sheets = {}
    for sheet, columns in SHEETS.items():
        rows = [{**{c: p.cells.get(c, "") for c in columns}, ERROR_COLUMN: p.reason}
                for p in problems if p.sheet == sheet]
        if rows:
            sheets[sheet] = pl.DataFrame(
                rows, schema={c: pl.String for c in (*columns, ERROR_COLUMN)})
    write_registry_workbook(path, sheets, instructions=False)


@dataclass(frozen=True)
class _Registered:
    """What the registry holds, read once for a plan; retired records by their keys."""

    objects: dict[str, ObjectSpec]
    retired_objects: set[str]
    devices: dict[str, Device]
    retired_devices: set[str]
    permits: dict[str, Permit]
    retired_permits: set[str]
    limits: dict[str, DischargeLimit]
    retired_limits: set[str]

    @classmethod
    def read(cls, registry: Registry) -> _Registered:
        objects = registry.objects(include_retired=True)
        code_of_id = {o.id: o.code for o in objects}
        permits = registry.permits(include_retired=True)
        limits = registry.limits(include_retired=True)
        return cls(
            objects={o.code: _spec_of(o, code_of_id) for o in objects if o.retired_at is None},
            retired_objects={o.code for o in objects if o.retired_at is not None},
            devices=registry.devices(), retired_devices=set(registry.retired_devices()),
            permits={p.number: p for p in permits if p.retired_at is None},
            retired_permits={p.number for p in permits if p.retired_at is not None},
            limits={lim.key: lim for lim in limits if lim.retired_at is None},
            retired_limits={lim.key for lim in limits if lim.retired_at is not None},
        )


def plan_import(registry: Registry, sheets: list[SheetRows], *,
                region: BoundingBox = CHINA_BBOX) -> ImportPlan:
    """Check the rows of a registry file against the rules and the registry.

    Objects are checked before devices, permits and limits, so that these may name an
    object of the same file; limits after permits, so that a limit may name a permit of it.
    """
    plan = ImportPlan()
    registered = _Registered.read(registry)
    by_sheet = {s.sheet: s for s in sheets}
    good_objects: dict[str, ObjectSpec] = {}
    if OBJECTS_SHEET in by_sheet:
        good_objects = _plan_objects(plan, by_sheet[OBJECTS_SHEET], registered, region)
    objects = {**registered.objects, **good_objects}
    if DEVICES_SHEET in by_sheet:
        _plan_devices(plan, by_sheet[DEVICES_SHEET], objects, registered)
    good_permits: dict[str, PermitSpec] = {}
    if PERMITS_SHEET in by_sheet:
        good_permits = _plan_permits(plan, by_sheet[PERMITS_SHEET], objects, registered)
    if LIMITS_SHEET in by_sheet:
        permits = {**{n: p.source_code for n, p in registered.permits.items()},
                   **{n: p.source_code for n, p in good_permits.items()}}
        _plan_limits(plan, by_sheet[LIMITS_SHEET], objects, permits, registered)
    return plan


def _spec_of(obj: MonitoredObject, code_of_id: Mapping[int, str]) -> ObjectSpec:
    return ObjectSpec(
        code=obj.code, name=obj.name, object_type=obj.object_type, longitude=obj.longitude,
        latitude=obj.latitude, city=obj.city, city_code=obj.city_code, county=obj.county,
        department=obj.department, parent_code=code_of_id.get(obj.parent_id),
        attributes=obj.attributes,
    )


def _shown(value: object) -> str:
    """A value as the cell text people see."""
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_OBJECT_FIELDS = {"名称": "name", "类型": "object_type", "经度": "longitude", "纬度": "latitude",
                  "城市": "city", "行政区划代码": "city_code", "区县": "county",
                  "所属部门": "department", "上级编码": "parent_code"}


def _object_update(number: int, cells: Mapping[str, str], new: ObjectSpec,
                   old: ObjectSpec) -> PlannedUpdate | None:
    """The update a row makes to a registered object (columns missing from the file stay)."""
    changes: dict[str, object] = {}
    shown: dict[str, tuple[str, str]] = {}
    for header, name in _OBJECT_FIELDS.items():
        if header in cells and getattr(new, name) != getattr(old, name):
            changes[name] = getattr(new, name)
            before, after = getattr(old, name), getattr(new, name)
            if name == "object_type":
                before, after = OBJECT_TYPES[before], OBJECT_TYPES[after]
            shown[header] = (_shown(before), _shown(after))
    credit = new.attributes.get("credit_code")
    if "统一社会信用代码" in cells and credit != old.attributes.get("credit_code"):
        attributes = {k: v for k, v in old.attributes.items() if k != "credit_code"}
        changes["attributes"] = {**attributes, **({"credit_code": credit} if credit else {})}
        shown["统一社会信用代码"] = (_shown(old.attributes.get("credit_code")), _shown(credit))
    if not changes:
        return None
    return PlannedUpdate(OBJECTS_SHEET, number, "object", new.code, changes, shown)


def _plan_objects(plan: ImportPlan, sheet: SheetRows, registered: _Registered,
                  region: BoundingBox) -> dict[str, ObjectSpec]:
    """Check object rows; return the good ones (new, updated or unchanged) by code."""
    checked: list[tuple[int, dict[str, str], ObjectSpec | None, list[str]]] = []
    first_row: dict[str, tuple[int, ObjectSpec | None]] = {}
    for number, cells in enumerate(sheet.rows, sheet.first_row):
        if not cells:
            continue
        spec, reasons = _object_spec(cells, region)
        code = cells.get("编码", "")
        reasons.extend(_repeated(first_row, "编码", code, number, spec))
        if code in registered.retired_objects:
            reasons.append(f"编码：{code} 已停用；如需恢复请用 ecohub registry object reinstate")
        checked.append((number, cells, spec, reasons))
    # an outlet's enterprise may come later in the file: check parents once all rows are read
    fine = {s.code: s for _, _, s, r in checked if s is not None and not r}
    good: dict[str, ObjectSpec] = {}
    for number, cells, spec, reasons in checked:
        if spec is not None and spec.parent_code is not None and not reasons:
            parent = fine.get(spec.parent_code) or registered.objects.get(spec.parent_code)
            if parent is None:
                where = "本文件中该行有错误" if spec.parent_code in first_row else "未登记"
                reasons.append(f"上级编码：{spec.parent_code} {where}")
            elif parent.object_type != "pollution_source":
                kind = OBJECT_TYPES[parent.object_type]
                reasons.append(f"上级编码：{spec.parent_code} 是{kind}，应为污染源")
        if reasons or spec is None:
            plan.problems.append(RowProblem(OBJECTS_SHEET, number, cells, tuple(reasons)))
            continue
        old = registered.objects.get(spec.code)
        if old is None:
            plan.new_objects.append(spec)
        elif update := _object_update(number, cells, spec, old):
            plan.updates.append(update)
        else:
            plan.unchanged += 1
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


def _plan_devices(plan: ImportPlan, sheet: SheetRows, objects: Mapping[str, ObjectSpec],
                  registered: _Registered) -> None:
    first_row: dict[str, tuple[int, DeviceRow | None]] = {}
    for number, cells in enumerate(sheet.rows, sheet.first_row):
        if not cells:
            continue
        device, reasons = _device(cells)
        mn = cells.get("MN", "")
        reasons.extend(_repeated(first_row, "MN", mn, number, device))
        object_code = cells.get("对象编码", "")
        if object_code in registered.retired_objects:
            reasons.append(f"对象编码：{object_code} 已停用")
        elif object_code and object_code not in objects:
            reasons.append(f"对象编码：{object_code} 未登记（或在{OBJECTS_SHEET}表中该行有错误）")
        if mn in registered.retired_devices:
            reasons.append(f"MN：{mn} 已停用；如需恢复请用 ecohub registry device reinstate")
        old = registered.devices.get(mn)
        if old is None and device is not None and not device.password:
            reasons.append("密码：新登记的数采仪必填")
        if reasons or device is None:
            plan.problems.append(RowProblem(DEVICES_SHEET, number, cells, tuple(reasons)))
        elif old is None:
            plan.new_devices.append(device)
        elif update := _device_update(number, device, old):
            plan.updates.append(update)
        else:
            plan.unchanged += 1


def _device_update(number: int, new: DeviceRow, old: Device) -> PlannedUpdate | None:
    """The update a row makes to a registered device; empty optional cells keep the values."""
    changes: dict[str, object] = {}
    shown: dict[str, tuple[str, str]] = {}
    for header, name, value, before in (
        ("对象编码", "object_code", new.object_code, old.object_code),
        ("因子", "factors", new.factors, old.factors),
        ("协议版本", "protocol", new.protocol, old.protocol),
        ("分钟数据间隔", "minute_interval", new.minute_interval, old.minute_interval),
        ("协议配置", "profile", new.profile, old.profile),
        ("接受偏差", "accept", new.accept, old.accept),
    ):
        if value is not None and value != before:
            changes[name] = value
            shown[header] = (_shown(before), _shown(value))
    offset = new.utc_offset_minutes
    if offset is not None and offset != old.utc_offset_minutes:
        changes["utc_offset_minutes"] = offset
        shown["时区"] = (format_utc_offset(old.utc_offset_minutes), format_utc_offset(offset))
    if new.password and not old.verify_password(new.password):
        changes["password"] = new.password
        shown["密码"] = (SECRET, SECRET)
    if not changes:
        return None
    return PlannedUpdate(DEVICES_SHEET, number, "device", new.mn, changes, shown)


def _device(cells: Mapping[str, str]) -> tuple[DeviceRow | None, list[str]]:
    reasons = [f"{c}：必填" for c in ("MN", "对象编码", "因子") if not cells.get(c)]
    mn = cells.get("MN", "")
    if len(mn) > 64:
        reasons.append(f"MN：{len(mn)} 个字符，最多 64 个")
    factors = _items(cells.get("因子", ""))
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        reasons.append(f"因子：{', '.join(unknown)} 不是 HJ 212-2017 附录 B 的因子编码")
    protocol = cells.get("协议版本") or None
    if protocol not in (None, "2017", "2005"):
        reasons.append(f"协议版本：{protocol!r} 应为 2017 或 2005")
    interval_text = cells.get("分钟数据间隔", "")
    interval = int(interval_text) if interval_text.isdigit() else 0
    if interval_text and (interval <= 0 or 60 % interval):
        reasons.append(f"分钟数据间隔：{interval_text!r} 应为能整除 60 的分钟数")
    profile = cells.get("协议配置") or None
    if profile is not None and profile not in PROFILES:
        reasons.append(f"协议配置：{profile!r} 应为 {'、'.join(PROFILES)}")
    accept = _items(cells["接受偏差"]) if "接受偏差" in cells else None
    unknown = [k for k in accept or () if k not in DEVIATION_KINDS]
    if unknown:
        reasons.append(f"接受偏差：{', '.join(unknown)} 不是已知的偏差类型（如 crc.modbus）")
    offset = None
    if cells.get("时区"):
        try:
            offset = parse_utc_offset(cells["时区"])
        except ValueError as error:
            reasons.append(f"时区：{error}")
    if reasons:
        return None, reasons
    return DeviceRow(cells["对象编码"], mn, cells.get("密码", ""), factors, protocol,
                     interval or None, profile, accept, offset), reasons


def _items(text: str) -> tuple[str, ...]:
    """The items of a list cell (separated by commas, 、, semicolons or spaces)."""
    return tuple(item for item in _LIST_SEPARATORS.split(text) if item)


def _day(cells: Mapping[str, str], column: str, reasons: list[str]) -> date | None:
    text = cells.get(column, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        reasons.append(f"{column}：{text!r} 应为日期 YYYY-MM-DD")
        return None


def _plan_permits(plan: ImportPlan, sheet: SheetRows, objects: Mapping[str, ObjectSpec],
                  registered: _Registered) -> dict[str, PermitSpec]:
    """Check permit rows; return the good ones by number."""
    first_row: dict[str, tuple[int, PermitSpec | None]] = {}
    good: dict[str, PermitSpec] = {}
    for number, cells in enumerate(sheet.rows, sheet.first_row):
        if not cells:
            continue
        reasons = [f"{c}：必填" for c in ("许可证编号", "企业编码") if not cells.get(c)]
        permit_number, source_code = cells.get("许可证编号", ""), cells.get("企业编码", "")
        if len(permit_number) > 64:
            reasons.append(f"许可证编号：{len(permit_number)} 个字符，最多 64 个")
        valid_from, valid_to = _day(cells, "有效期起", reasons), _day(cells, "有效期止", reasons)
        if valid_from and valid_to and valid_to < valid_from:
            reasons.append(f"有效期止：{valid_to} 早于有效期起 {valid_from}")
        source = objects.get(source_code)
        if source_code in registered.retired_objects:
            reasons.append(f"企业编码：{source_code} 已停用")
        elif source_code and source is None:
            reasons.append(f"企业编码：{source_code} 未登记（或在{OBJECTS_SHEET}表中该行有错误）")
        elif source is not None and source.object_type != "pollution_source":
            reasons.append(f"企业编码：{source_code} 是{OBJECT_TYPES[source.object_type]}，"
                           "应为污染源")
        if permit_number in registered.retired_permits:
            reasons.append(f"许可证编号：{permit_number} 已停用")
        spec = None if reasons else PermitSpec(permit_number, source_code,
                                               cells.get("发证机关") or None, valid_from, valid_to)
        reasons.extend(_repeated(first_row, "许可证编号", permit_number, number, spec))
        if reasons or spec is None:
            plan.problems.append(RowProblem(PERMITS_SHEET, number, cells, tuple(reasons)))
            continue
        old = registered.permits.get(permit_number)
        if old is None:
            plan.new_permits.append(spec)
        elif update := _record_update(PERMITS_SHEET, number, "permit", permit_number, cells, (
                ("企业编码", "source_code", spec.source_code, old.source_code),
                ("发证机关", "issued_by", spec.issued_by, old.issued_by),
                ("有效期起", "valid_from", spec.valid_from, old.valid_from),
                ("有效期止", "valid_to", spec.valid_to, old.valid_to))):
            plan.updates.append(update)
        else:
            plan.unchanged += 1
        good[permit_number] = spec
    return good


def _plan_limits(plan: ImportPlan, sheet: SheetRows, objects: Mapping[str, ObjectSpec],
                 permits: Mapping[str, str], registered: _Registered) -> None:
    """Check limit rows; ``permits`` maps the permit numbers known to their enterprise."""
    first_row: dict[str, tuple[int, LimitSpec | None]] = {}
    for number, cells in enumerate(sheet.rows, sheet.first_row):
        if not cells:
            continue
        reasons = [f"{c}：必填" for c in ("排放口编码", "因子", "限值", "单位") if not cells.get(c)]
        outlet_code, factor = cells.get("排放口编码", ""), cells.get("因子", "")
        statistic = cells.get("统计量") or "Avg"
        if factor and factor not in FACTORS:
            reasons.append(f"因子：{factor} 不是 HJ 212-2017 附录 B 的因子编码")
        if statistic not in STATISTICS:
            reasons.append(f"统计量：{statistic!r} 应为 Avg（实测）或 ZsAvg（折算）")
        value = _number(cells, "限值", reasons)
        if value is not None and not value > 0:
            reasons.append(f"限值：{cells['限值']} 应大于 0")
        outlet = objects.get(outlet_code)
        if outlet_code in registered.retired_objects:
            reasons.append(f"排放口编码：{outlet_code} 已停用")
        elif outlet_code and outlet is None:
            reasons.append(f"排放口编码：{outlet_code} 未登记（或在{OBJECTS_SHEET}表中该行有错误）")
        elif outlet is not None and outlet.object_type != "outlet":
            reasons.append(f"排放口编码：{outlet_code} 是{OBJECT_TYPES[outlet.object_type]}，"
                           "应为排放口")
        permit_number = cells.get("许可证编号") or None
        if permit_number is not None:
            if permit_number not in permits:
                reasons.append(f"许可证编号：{permit_number} 未登记（或在{PERMITS_SHEET}表中该行有"
                               "错误）")
            elif outlet is not None and permits[permit_number] != outlet.parent_code:
                reasons.append(f"许可证编号：{permit_number} 不是排放口所属企业 "
                               f"{outlet.parent_code} 的许可证")
        key = limit_key(outlet_code, factor, statistic)
        if key in registered.retired_limits:
            reasons.append(f"排放口编码、因子、统计量：{key} 已停用")
        spec = None if reasons or value is None else LimitSpec(
            outlet_code, factor, statistic, value, cells["单位"], cells.get("标准依据") or None,
            permit_number)
        reasons.extend(_repeated(first_row, "排放口编码、因子、统计量",
                                 key if outlet_code and factor else "", number, spec))
        if reasons or spec is None:
            plan.problems.append(RowProblem(LIMITS_SHEET, number, cells, tuple(reasons)))
            continue
        old = registered.limits.get(key)
        if old is None:
            plan.new_limits.append(spec)
        elif update := _record_update(LIMITS_SHEET, number, "limit", key, cells, (
                ("限值", "value", spec.value, old.value), ("单位", "unit", spec.unit, old.unit),
                ("标准依据", "standard", spec.standard, old.standard),
                ("许可证编号", "permit_number", spec.permit_number, old.permit_number))):
            plan.updates.append(update)
        else:
            plan.unchanged += 1


def _record_update(sheet: str, number: int, entity: str, key: str, cells: Mapping[str, str],
                   fields: tuple[tuple[str, str, object, object], ...]) -> PlannedUpdate | None:
    """The update of the fields (column, name, new, old) that differ; missing columns stay."""
    differ = [(h, n, new, old) for h, n, new, old in fields if h in cells and new != old]
    if not differ:
        return None
    return PlannedUpdate(sheet, number, entity, key, {n: new for _, n, new, _ in differ},
                         {h: (_shown(old), _shown(new)) for h, _, new, old in differ})


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


def records_outside(plan: ImportPlan, registry: Registry,
                    may_change: Callable[[str | None], bool]) -> list[str]:
    """What an import plan would touch in departments the importer may not change.

    ``may_change(department)`` says whether a record of that department may be changed (a data
    manager: its own department only, :meth:`ecohub.identity.Principal.may_change_department`).
    An object counts by its department (before and after a change), a logger by its object's;
    permits and limits are outside for anyone ``may_change(None)`` refuses.

    Returns
    -------
    list of str
        ``object CODE``, ``MN …``, ``permit …``, ``limit …`` or ``<entity> KEY (row N)``, in plan
        order; empty when the whole plan may be applied.
    """
    in_file = {spec.code: spec.department for spec in plan.new_objects}

    def department(code: str) -> str | None:
        if code in in_file:
            return in_file[code]
        found = registry.object_by_code(code)
        return None if found is None else found.department

    outside = [f"object {spec.code}" for spec in plan.new_objects
               if not may_change(spec.department)]
    outside += [f"MN {row.mn}" for row in plan.new_devices
                if not may_change(department(row.object_code))]
    if not may_change(None):
        outside += [f"permit {p.number}" for p in plan.new_permits]
        outside += [f"limit {lim.outlet_code}/{lim.factor}" for lim in plan.new_limits]
    for update in plan.updates:
        if update.entity == "object":
            touched = [department(update.key),
                       update.changes.get("department", department(update.key))]
        elif update.entity == "device":
            device = registry.device(update.key)
            touched = [None if device is None else department(device.object_code)]
        else:
            touched = [None]
        if not all(may_change(d) for d in touched):
            outside.append(f"{update.entity} {update.key} (row {update.row})")
    return outside
