"""Registry changes over HTTP: the department rule, history with the user, no secrets back."""

from __future__ import annotations

import io

from ecohub.identity import audit
from ecohub.registry import write_template

from .conftest import Service


def test_a_data_manager_changes_only_its_own_department(service: Service) -> None:
    with service.client("data_manager") as manager:
        own = manager.patch("/api/v1/objects/340100-A01",
                            json={"changes": {"name": "合肥市监测站（新址）"}, "reason": "迁址"})
        assert own.status_code == 200, own.text
        assert own.json()["changes"]["name"] == ["合肥市监测站", "合肥市监测站（新址）"]
        other = manager.patch("/api/v1/objects/E1", json={"changes": {"name": "改名"}})
        assert other.status_code == 403 and "执法处" in other.json()["detail"]
        away = manager.patch("/api/v1/objects/340100-A01",
                             json={"changes": {"department": "执法处"}})
        assert away.status_code == 403
    with service.client("administrator") as admin:
        assert admin.patch("/api/v1/objects/E1",
                           json={"changes": {"name": "某化工股份有限公司"}}).status_code == 200
    (change, *_) = service.store.registry.history("object", "340100-A01")
    assert change.actor == "data_manager" and change.reason == "迁址"


def test_roles_without_registry_write_are_refused(service: Service) -> None:
    body = {"changes": {"name": "x"}}
    with service.client() as anonymous:
        assert anonymous.patch("/api/v1/objects/340100-A01", json=body).status_code == 401
    for role in ("operator", "analyst", "viewer", "enterprise"):
        with service.client(role) as client:
            assert client.patch("/api/v1/objects/340100-A01", json=body).status_code == 403


def test_a_logger_registered_and_changed_over_http_keeps_no_secret(service: Service) -> None:
    with service.client("data_manager") as manager:
        added = manager.post("/api/v1/devices", json={
            "mn": "Y80110010000010", "object_code": "340100-A01", "password": "s3cret",
            "factors": ["a34004"], "profile": "modbus"})
        assert added.status_code == 201, added.text
        changed = manager.patch("/api/v1/devices/Y80110010000010",
                                json={"changes": {"password": "n3wpass"}})
        assert changed.json()["changes"]["password"] == ["***", "***"]
        retired = manager.post("/api/v1/devices/Y80110010000010/retire",
                               json={"reason": "拆除"})
        assert retired.status_code == 200 and retired.json()["changes"][0]["action"] == "retire"
        bad = manager.post("/api/v1/devices", json={
            "mn": "X1", "object_code": "340100-A01", "password": "p", "factors": ["pm25"]})
        assert bad.status_code == 400 and "pm25" in bad.json()["detail"]
    assert service.store.registry.device("Y80110010000010").profile == "modbus"
    recorded = repr(audit.events(service.store, limit=100)) + repr(
        service.store.registry.history())
    assert "s3cret" not in recorded and "n3wpass" not in recorded


def test_workbook_import_keeps_the_department_rule(service: Service, tmp_path) -> None:
    template = tmp_path / "registry.xlsx"
    write_template(template)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def csv(department: str) -> dict:
        rows = f"编码,名称,类型,城市,所属部门\nX-{department},新站,空气站,合肥市,{department}\n"
        return {"file": ("objects.csv", rows.encode("utf-8"), "text/csv")}

    with service.client("data_manager") as manager:
        empty = manager.post("/api/v1/registry/import?dry_run=true",
                             files={"file": ("registry.xlsx", template.read_bytes(), xlsx)})
        assert empty.status_code == 200 and empty.json()["errors"] == 0
        own = manager.post("/api/v1/registry/import", files=csv("大气环境处"))
        assert own.status_code == 200 and own.json()["added"] == 1, own.text
        other = manager.post("/api/v1/registry/import", files=csv("执法处"))
        assert other.status_code == 403 and "object X-执法处" in other.json()["detail"]
    assert service.store.registry.object_by_code("X-执法处") is None
    with service.client("administrator") as admin:
        assert admin.post("/api/v1/registry/import", files=csv("执法处")).status_code == 200
        wrong = admin.post("/api/v1/registry/import",
                           files={"file": ("notes.txt", io.BytesIO(b"x"), "text/plain")})
        assert wrong.status_code == 422 and "notes.txt" in wrong.json()["detail"]
    assert service.store.registry.history("object", "X-大气环境处")[0].actor == "data_manager"
