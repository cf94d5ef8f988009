"""The HTTP service over a real uvicorn and a real store: who may do what, errors, formats.

Permission table: ecohub.identity.roles (docs/accounts.md). Problem details: RFC 9457.
"""

from __future__ import annotations

import io

import openpyxl
import polars as pl
import pytest

from ecohub.identity import ROLES, audit, tokens

from .conftest import PASSWORD, Service

# one endpoint per permission class: (method, path, permission)
ENDPOINTS = [
    ("GET", "/api/v1/objects", "registry.read"),
    ("GET", "/api/v1/objects/340100-A01", "registry.read"),
    ("GET", "/api/v1/readings?object=340100-A01&kind=hour", "data.read"),
    ("GET", "/api/v1/latest?type=air_station&factor=a34004", "data.read"),
    ("GET", "/api/v1/assessments/air?from=2026-12-01&to=2026-12-01", "data.read"),
    ("GET", "/api/v1/readings?object=340100-A01&format=csv", "data.export"),
    ("GET", "/api/v1/ingest/status", "ingest.read"),
    ("GET", "/api/v1/ingest/rejected", "ingest.read"),
    ("GET", "/api/v1/audit", "audit.read"),
]
PUBLIC = ["/healthz", "/readyz", "/metrics", "/api/v1/public/stations",
          "/api/v1/assessments/public/air/city-daily?day=2026-12-01", "/api/v1/openapi.json"]


@pytest.mark.parametrize(("method", "path", "permission"), ENDPOINTS)
def test_permission_matrix(service: Service, method: str, path: str, permission: str) -> None:
    with service.client() as anonymous:
        answer = anonymous.request(method, path)
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    for role, granted in ROLES.items():
        if role == "enterprise" and "340100-A01" in path:
            continue  # not its object: below
        with service.client(role) as client:
            answer = client.request(method, path)
        expected = 200 if permission in granted else 403
        assert answer.status_code == expected, (role, path, answer.text)


@pytest.mark.parametrize("path", PUBLIC)
def test_public_endpoints_need_no_sign_in(service: Service, path: str) -> None:
    with service.client() as anonymous:
        assert anonymous.get(path).status_code == 200


def test_public_station_list_shows_only_published_fields(service: Service) -> None:
    with service.client() as anonymous:
        stations = anonymous.get("/api/v1/public/stations").json()["items"]
    assert [s["code"] for s in stations] == ["340100-A01", "340200-A01"]
    assert "department" not in stations[0] and "E1" not in str(stations)


def test_an_enterprise_user_sees_only_its_own_objects_and_data(service: Service) -> None:
    with service.client("enterprise") as client:
        objects = client.get("/api/v1/objects").json()["items"]
        assert sorted(o["code"] for o in objects) == ["E1", "E1-DA001"]
        assert client.get("/api/v1/objects/340100-A01").status_code == 404
        readings = client.get("/api/v1/readings?kind=hour").json()["items"]
        assert {r["object_code"] for r in readings} == {"E1", "E1-DA001"}
        assert client.get("/api/v1/readings?object=340100-A01").status_code == 404


def test_readings_carry_units_flags_and_china_time(service: Service) -> None:
    with service.client("viewer") as client:
        body = client.get("/api/v1/readings?object=340100-A01&factor=a34004&kind=hour"
                          "&from=2026-12-01T08:00&to=2026-12-01T10:00").json()
    assert body["count"] == 2
    first = body["items"][0]
    assert first["period_start"] == "2026-12-01T08:00:00+08:00"
    assert first["value"] == 38.0 and first["unit"] == "µg/m³" and first["device_flag"] == "N"
    assert "qc_flag" in first and "review" in first


def test_keyset_pages_cover_every_reading_once(service: Service) -> None:
    seen, after = [], None
    with service.client("analyst") as client:
        while True:
            params = {"object": "340100-A01", "limit": 10} | ({"after": after} if after else {})
            body = client.get("/api/v1/readings", params=params).json()
            seen += [item["period_start"] for item in body["items"]]
            after = body["next"]
            if after is None:
                break
    assert len(seen) == 24 and len(set(seen)) == 24 and seen == sorted(seen)


def test_latest_value_per_object_in_one_call(service: Service) -> None:
    with service.client("viewer") as client:
        items = client.get("/api/v1/latest?type=空气站&factor=a34004").json()["items"]
    assert {(i["object_code"], i["value"]) for i in items} == {
        ("340100-A01", 53.0), ("340200-A01", 54.0)}
    assert all(i["period_start"] == "2026-12-01T23:00:00+08:00" for i in items)


def test_formats_csv_with_bom_xlsx_and_parquet(service: Service) -> None:
    with service.client("analyst") as client:
        csv = client.get("/api/v1/readings?object=340100-A01&format=csv")
        xlsx = client.get("/api/v1/readings?object=340100-A01",
                          headers={"Accept": "application/vnd.openxmlformats-officedocument"
                                             ".spreadsheetml.sheet"})
        parquet = client.get("/api/v1/readings?object=340100-A01&format=parquet")
    assert csv.content.startswith("\ufeff".encode()) and csv.text.count("\n") == 25
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 25 and sheet.freeze_panes == "A2"
    assert pl.read_parquet(io.BytesIO(parquet.content)).height == 24


def test_a_wrong_parameter_is_a_problem_naming_it(service: Service) -> None:
    with service.client("viewer") as client:
        answers = {
            "kind": client.get("/api/v1/readings?kind=hourly"),
            "from": client.get("/api/v1/readings?from=yesterday"),
            "limit": client.get("/api/v1/readings?limit=0"),
            "factor": client.get("/api/v1/readings?factor=pm25"),
            "type": client.get("/api/v1/latest?type=station"),
            "format": client.get("/api/v1/objects?format=pdf"),
            "stage": client.get("/api/v1/assessments/air/good-days?day=2026-12-01&stage=final"
                                "&edition=2012"),
        }
    for parameter, answer in answers.items():
        assert answer.status_code == 422, (parameter, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == 422 and parameter in problem["detail"]


def test_assessments_name_their_edition(service: Service) -> None:
    with service.client("viewer") as client:
        body = client.get("/api/v1/assessments/air?from=2026-12-01&to=2026-12-01"
                          "&edition=2012").json()
    assert body["editions"] == ["2012"] and body["count"] == 2
    assert {item["edition"] for item in body["items"]} == {"2012"}


def test_browser_session_cookie_and_csrf(service: Service) -> None:
    with service.client() as browser:
        signed_in = browser.post("/api/v1/auth/login",
                                 json={"username": "operator", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        cookie = signed_in.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        csrf = signed_in.json()["csrf_token"]
        assert browser.get("/api/v1/ingest/status").status_code == 200
        forged = browser.post("/api/v1/ingest/release")
        assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
        with_token = browser.post("/api/v1/ingest/release", headers={"X-CSRF-Token": csrf})
        assert with_token.status_code == 503  # past the CSRF check: no gateway in this server
        assert browser.post("/api/v1/auth/logout",
                            headers={"X-CSRF-Token": csrf}).status_code == 204
        assert browser.get("/api/v1/ingest/status").status_code == 401


def test_revoked_and_unknown_tokens_are_refused(service: Service) -> None:
    token, secret = tokens.create_token(service.store, "viewer", name="short", actor="test")
    with service.client() as client:
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/objects", headers=headers).status_code == 200
        tokens.revoke_token(service.store, token.id, actor="test")
        assert client.get("/api/v1/objects", headers=headers).status_code == 401
        bogus = {"Authorization": "Bearer ecohub_nothing_here"}
        assert client.get("/api/v1/objects", headers=bogus).status_code == 401


def test_every_access_is_audited_without_secrets(service: Service) -> None:
    with service.client("analyst") as client:
        client.get("/api/v1/readings?object=340100-A01&factor=a34004&format=csv")
        client.get("/api/v1/audit")  # denied: analysts do not read the audit
    with service.client() as browser:
        browser.post("/api/v1/auth/login", json={"username": "viewer", "password": "wrong"})
    events = audit.events(service.store, limit=100)
    export = next(e for e in events if e.action == "export")
    assert export.actor == "analyst" and export.target == "/api/v1/readings"
    assert export.row_count == 24 and export.outcome == "ok"
    denied = next(e for e in events if e.target == "/api/v1/audit")
    assert denied.outcome == "denied" and denied.status == 403
    assert any(e.action == "sign_in" and e.outcome != "ok" for e in events)
    everything = repr(events)
    assert PASSWORD not in everything and "wrong" not in everything.replace("wrong_", "")
    assert not any(secret in everything for secret in service.tokens.values())


def test_metrics_count_requests_by_route_and_status(service: Service) -> None:
    with service.client("viewer") as client:
        client.get("/api/v1/objects")
        text = client.get("/metrics").text
    assert 'ecohub_http_requests_total{method="GET",route="/api/v1/objects",status="200"}' \
        in text
    assert "ecohub_http_request_seconds_bucket" in text


def test_repeated_wrong_passwords_lock_the_account(service: Service) -> None:
    with service.client() as browser:
        for _ in range(5):
            wrong = browser.post("/api/v1/auth/login",
                                 json={"username": "analyst", "password": "not-it"})
            assert wrong.status_code == 401
        locked = browser.post("/api/v1/auth/login",
                              json={"username": "analyst", "password": PASSWORD})
    assert locked.status_code == 401 and "locked" in locked.json()["detail"]
    assert "set-cookie" not in locked.headers


def test_loggers_list_without_secrets(service: Service) -> None:
    with service.client("viewer") as client:
        items = client.get("/api/v1/devices?type=air_station").json()["items"]
    assert sorted(d["mn"] for d in items) == ["MN-0", "MN-1"]
    assert all("password" not in str(d).lower() for d in items)


def test_quality_scores_and_an_operator_review(service: Service) -> None:
    with service.client("analyst") as analyst:
        scores = analyst.get("/api/v1/quality/scores?from=2026-12-01&to=2026-12-01"
                             "&by=object").json()
        assert scores["count"] == 4 and {"completeness", "score"} <= set(scores["items"][0])
        refused = analyst.post("/api/v1/quality/reviews", json={
            "mn": "MN-0", "factor": "a34004", "period_start": "2026-12-01T08:00",
            "decision": "reject", "reason": "仪器漂移"})
        assert refused.status_code == 403
    with service.client("operator") as operator:
        done = operator.post("/api/v1/quality/reviews", json={
            "mn": "MN-0", "factor": "a34004", "period_start": "2026-12-01T08:00",
            "decision": "reject", "reason": "仪器漂移"})
        assert done.status_code == 201, done.text
        assert done.json()["reading"]["review"] == "reject"
        reading = operator.get("/api/v1/readings?object=340100-A01&from=2026-12-01T08:00"
                               "&to=2026-12-01T09:00").json()["items"][0]
    assert reading["review"] == "reject" and reading["value"] == 38.0
