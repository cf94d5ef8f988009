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


def test_an_administrator_imports_a_workbook_a_data_manager_may_not(service: Service,
                                                                     tmp_path) -> None:
    template = tmp_path / "registry.xlsx"
    write_template(template)
    files = {"file": ("registry.xlsx", template.read_bytes(),
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    with service.client("data_manager") as manager:
        assert manager.post("/api/v1/registry/import", files=files).status_code == 403
    with service.client("administrator") as admin:
        report = admin.post("/api/v1/registry/import?dry_run=true", files=files)
        assert report.status_code == 200, report.text
        assert report.json()["dry_run"] is True and report.json()["errors"] == 0
        wrong = admin.post("/api/v1/registry/import",
                           files={"file": ("notes.txt", io.BytesIO(b"x"), "text/plain")})
        assert wrong.status_code == 422 and "notes.txt" in wrong.json()["detail"]
