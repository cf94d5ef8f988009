"""Registry changes (一源一档): the domain functions and validation the commands use.

Register, change, retire and reinstate objects and loggers; their history; import a registry
workbook.

Changes need ``registry.write``. A department data manager changes only records of its own
department (an object's ``department``; a logger's object's) and cannot move a record to
another department; administrators change any. Every change is kept in the registry's history
with the signed-in user as its actor, and on the audit record. Passwords never come back.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi import Path as InPath
from pydantic import BaseModel, ConfigDict, Field

from ecohub.api.formats import moment
from ecohub.api.problems import Problem
from ecohub.api.security import get_store, require
from ecohub.identity import Principal
from ecohub.store import DeviceSpec, ObjectSpec, RegistryChange, Store

router = APIRouter(tags=["登记 registry"])

Writer = Annotated[Principal, Depends(require("registry.write"))]
ObjectCode = Annotated[str, InPath(description="对象编码", examples=["340100-A01"])]
OutletCode = Annotated[str, InPath(description="对象编码", examples=["E1-DA001"])]
LoggerMN = Annotated[str, InPath(description="数采仪 MN", examples=["MN-1"])]
StoreDep = Annotated[Store, Depends(get_store)]


class NewObject(BaseModel):
    """A monitored object to register."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "340100-A99", "name": "合肥市新建站", "object_type": "air_station",
        "longitude": 117.2, "latitude": 31.8, "city": "合肥市", "city_code": "340100",
        "department": "大气环境处", "reason": "新建站点"}]})

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    object_type: str = Field(description="air_station, water_station, pollution_source, "
                                         "outlet, noise_station")
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    city: str | None = None
    city_code: str | None = None
    county: str | None = None
    department: str | None = None
    parent_code: str | None = None
    attributes: dict[str, Any] = {}
    reason: str = ""


class NewDevice(BaseModel):
    """A data logger to register at an object (the password is kept only as its hash)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "mn": "Y80110010000099", "object_code": "340100-A01", "password": "123456",
        "factors": ["a34004"], "profile": "default", "reason": "新装数采仪"}]})

    mn: str = Field(min_length=1, max_length=64)
    object_code: str
    password: str = Field(min_length=1, max_length=64)
    factors: list[str]
    protocol: str = "2017"
    minute_interval: int = 10
    profile: str = "default"
    accept: list[str] = []
    utc_offset_minutes: int = 480
    reason: str = ""


class Change(BaseModel):
    """Fields to change (name → new value) and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "changes": {"county": "蜀山区"}, "reason": "核对登记"}]})

    changes: dict[str, Any] = Field(min_length=1)
    reason: str = ""


class DeviceChange(Change):
    """Fields of a logger to change (password, profile, accept, zone …) and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "changes": {"minute_interval": 10}, "reason": "核对登记"}]})


class Reason(BaseModel):
    """Why (kept in the history); ``cascade`` retires an object's loggers and outlets too."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "停运",
                                                               "cascade": True}]})

    reason: str = ""
    cascade: bool = False


def _change(change: RegistryChange | None) -> dict:
    if change is None:
        return {"changed": False}
    return {"changed": True, "id": change.id, "changed_at": change.changed_at,
            "action": change.action, "entity": change.entity, "key": change.key,
            "changes": {k: list(v) for k, v in change.changes.items()}}


def _own(principal: Principal, department: str | None, what: str) -> None:
    if not principal.may_change_department(department):
        raise Problem(403, f"{what} belongs to department {department!r}; a data manager of "
                           f"{principal.department!r} changes only its own department's records")


def _object_department(store: Store, code: str) -> str | None:
    found = store.registry.object_by_code(code)
    if found is None:
        raise Problem(404, f"object {code!r} is not registered")
    return found.department


def _device_department(store: Store, mn: str) -> str | None:
    device = store.registry.device(mn)
    if device is None:
        raise Problem(404, f"MN {mn!r} is not registered")
    return _object_department(store, device.object_code)


@router.post("/objects", summary="登记监测对象 register an object", status_code=201,
             responses={404: {}})
def add_object(body: NewObject, request: Request, principal: Writer, store: StoreDep) -> dict:
    """Register one object (its history names the signed-in user)."""
    _own(principal, body.department, f"object {body.code!r}")
    spec = ObjectSpec(**body.model_dump(exclude={"reason"}))
    (object_id,) = store.registry.add_objects([spec], actor=principal.username or "?",
                                              reason=body.reason)
    request.state.object_ids = [object_id]
    return {"id": object_id, "code": body.code}


@router.patch("/objects/{code}", summary="变更监测对象 change an object", responses={404: {}})
def change_object(code: ObjectCode, body: Change, request: Request, principal: Writer,
                  store: StoreDep) -> dict:
    """Change fields of an object, keeping the history (old → new)."""
    _own(principal, _object_department(store, code), f"object {code!r}")
    if "department" in body.changes:
        _own(principal, body.changes["department"], "the new department")
    change = store.registry.update_object(code, body.changes, actor=principal.username or "?",
                                          reason=body.reason)
    return _change(change)


@router.post("/devices", summary="登记数采仪 register a logger", status_code=201,
             responses={404: {}})
def add_device(body: NewDevice, principal: Writer, store: StoreDep) -> dict:
    """Register one data logger at an object; the running gateway accepts it within seconds."""
    _own(principal, _object_department(store, body.object_code), f"object {body.object_code!r}")
    found = store.registry.object_by_code(body.object_code)
    assert found is not None
    spec = DeviceSpec(body.mn, found.id, body.password, tuple(body.factors), body.protocol,
                      body.minute_interval, body.profile, tuple(body.accept),
                      body.utc_offset_minutes)
    store.registry.add_devices([spec], actor=principal.username or "?", reason=body.reason)
    return {"mn": body.mn, "object_code": body.object_code}


@router.patch("/devices/{mn}", summary="变更数采仪 change a logger", responses={404: {}})
def change_device(mn: LoggerMN, body: DeviceChange, principal: Writer, store: StoreDep) -> dict:
    """Change a logger (password, profile, accepted deviations, zone, factors …)."""
    _own(principal, _device_department(store, mn), f"MN {mn!r}")
    if "object_code" in body.changes:
        _own(principal, _object_department(store, str(body.changes["object_code"])),
             "the new object")
    change = store.registry.update_device(mn, body.changes, actor=principal.username or "?",
                                          reason=body.reason)
    return _change(change)


@router.post("/objects/{code}/retire", summary="停用监测对象 retire an object",
             responses={404: {}})
def retire_object(code: OutletCode, body: Reason, principal: Writer, store: StoreDep) -> dict:
    """Retire an object (nothing is deleted; ``cascade`` retires its loggers and outlets)."""
    return _status_change("retire", "object", code, body, principal, store)


@router.post("/objects/{code}/reinstate", summary="恢复监测对象 reinstate an object",
             responses={404: {}})
def reinstate_object(code: OutletCode, body: Reason, principal: Writer, store: StoreDep) -> dict:
    """Bring a retired object back into service."""
    return _status_change("reinstate", "object", code, body, principal, store)


@router.post("/devices/{mn}/retire", summary="停用数采仪 retire a logger",
             responses={404: {}})
def retire_device(mn: LoggerMN, body: Reason, principal: Writer, store: StoreDep) -> dict:
    """Retire a logger: its packets are rejected (reason ``retired``) from then on."""
    return _status_change("retire", "device", mn, body, principal, store)


@router.post("/devices/{mn}/reinstate", summary="恢复数采仪 reinstate a logger",
             responses={404: {}})
def reinstate_device(mn: LoggerMN, body: Reason, principal: Writer, store: StoreDep) -> dict:
    """Bring a retired logger back into service."""
    return _status_change("reinstate", "device", mn, body, principal, store)


def _status_change(action: str, entity: str, key: str, body: Reason, principal: Principal,
                   store: Store) -> dict:
    department = (_object_department(store, key) if entity == "object"
                  else _device_department(store, key))
    _own(principal, department, f"{entity} {key!r}")
    actor = principal.username or "?"
    if action == "retire":
        changes = store.registry.retire(entity, key, actor=actor, reason=body.reason,
                                        cascade=body.cascade)
    else:
        changes = [store.registry.reinstate(entity, key, actor=actor, reason=body.reason)]
    return {"changes": [_change(c) for c in changes]}


@router.get("/devices", summary="数采仪列表 list loggers")
def list_devices(
    request: Request,
    principal: Annotated[Principal, Depends(require("registry.read"))],
    store: StoreDep,
    object: Annotated[str | None, Query(description="对象编码")] = None,
    type: Annotated[str | None, Query(description="空气站 / air_station …")] = None,
    profile: Annotated[str | None, Query(description="default | standard | modbus")] = None,
) -> dict:
    """Registered data loggers (never their passwords), with their protocol profiles."""
    from ecohub.api.routers.objects import object_type, visible_objects

    objects = {o.id: o for o in visible_objects(store, principal, object_type(type))}
    devices = [d for d in store.registry.devices().values()
               if d.object_id in objects and (object is None or d.object_code == object)
               and (profile is None or d.profile == profile)]
    request.state.row_count = len(devices)
    return {"count": len(devices), "items": [
        {"mn": d.mn, "object_code": d.object_code, "object_name": d.object_name,
         "object_type": d.object_type, "factors": list(d.factors), "protocol": d.protocol,
         "minute_interval": d.minute_interval, "profile": d.profile, "accept": list(d.accept),
         "utc_offset_minutes": d.utc_offset_minutes} for d in devices]}


@router.get("/registry/history", summary="登记历史 history")
def history(
    principal: Annotated[Principal, Depends(require("registry.read"))],
    store: StoreDep,
    entity: Annotated[Literal["object", "device", "permit", "limit"] | None,
                      Query(description="记录类型")] = None,
    key: Annotated[str | None, Query(description="编码、MN 或许可证号")] = None,
    since: Annotated[str | None, Query(description="起（北京时间）")] = None,
) -> dict:
    """Changes of registry records, newest first: who, when, why, old → new."""
    changes = store.registry.history(entity, key, moment(since, "since"))
    return {"count": len(changes), "items": [
        {**_change(c), "actor": c.actor, "reason": c.reason} for c in changes]}


@router.post("/registry/import", summary="导入登记表 import a registry workbook",
             responses={400: {}})
async def import_workbook(
    file: Annotated[UploadFile, File(description="登记表（.xlsx 模板格式或 .csv）")],
    principal: Writer,
    store: StoreDep,
    dry_run: Annotated[bool, Query(description="只检查，不写入")] = False,
    reason: Annotated[str, Query()] = "",
) -> dict:
    """Check every row and register the good ones, as ``ecohub registry import`` does.

    A data manager's workbook may hold only its own department's objects and their loggers
    (permits and limits: administrators); a file touching another department is refused whole,
    naming the rows.
    """
    from ecohub.registry import import_file, plan_import, read_registry_file, records_outside

    suffix = Path(file.filename or "registry.xlsx").suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise Problem(422, f"file {file.filename!r}: expected an .xlsx or .csv registry file",
                      errors=[{"parameter": "file", "value": file.filename}])
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"upload{suffix}"
        path.write_bytes(await file.read())
        if principal.role != "administrator":
            plan = plan_import(store.registry, read_registry_file(path))
            foreign = records_outside(plan, store.registry, principal.may_change_department)
            if foreign:
                raise Problem(403, f"the file touches records outside department "
                                   f"{principal.department!r}: {'; '.join(foreign[:10])}")
        report = import_file(store.registry, path, dry_run=dry_run,
                             actor=principal.username, reason=reason or f"导入 {file.filename}")
    return {"dry_run": report.dry_run, "added": report.added, "updated": report.updated,
            "unchanged": report.unchanged, "errors": report.errors,
            "problems": [dataclasses.asdict(p) for p in report.problems]}
