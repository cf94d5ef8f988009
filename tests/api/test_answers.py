"""Answers kept until their data changes (ecohub.api.answers): never older than the store."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pyarrow as pa

from ecohub.api.routers.readings import LATEST_FRESH_S
from ecohub.identity import audit, tokens
from ecohub.store import QC_FLAG_SCHEMA, READING_SCHEMA

from .conftest import DAY, Service

YEAR = "/api/v1/readings?object=340100-A01&factor=a34004&kind=hour"
LATEST = "/api/v1/latest?type=air_station&factor=a34004"


def write(service: Service, code: str, hour: int, value: float) -> None:
    """One more hourly PM2.5 reading of the object ``code`` (its logger MN-<index>)."""
    mn = {"340100-A01": "MN-0", "340200-A01": "MN-1"}[code]
    service.store.measurements.write(pa.Table.from_pylist([{
        "mn": mn, "object_id": service.store.registry.object_by_code(code).id,
        "factor": "a34004", "kind": "hour", "period_start": DAY + dt.timedelta(hours=hour),
        "period_s": 3600, "statistic": "Avg", "value": value, "device_flag": "N",
        "received_at": DAY + dt.timedelta(hours=hour + 1), "packet_id": None}],
        schema=READING_SCHEMA))


def wait_if_the_store_cannot_tell(service: Service) -> None:
    """PostgreSQL (other processes write): a kept /latest answer lives LATEST_FRESH_S."""
    if service.store.measurements.generation() is None:
        time.sleep(LATEST_FRESH_S + 0.1)


def test_a_new_reading_shows_up_in_the_next_answer(service: Service) -> None:
    with service.client("analyst") as client:
        first = client.get(YEAR)
        assert first.json()["count"] == 24 and first.headers["etag"]
        again = client.get(YEAR)
        assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
        write(service, "340200-A01", 30, 99.0)  # another object: this answer holds
        assert client.get(YEAR).content == first.content
        write(service, "340100-A01", 24, 77.0)
        after = client.get(YEAR).json()
        assert after["count"] == 25 and after["items"][-1]["value"] == 77.0
        wait_if_the_store_cannot_tell(service)
        latest = {i["object_code"]: i["value"] for i in client.get(LATEST).json()["items"]}
        assert latest == {"340100-A01": 77.0, "340200-A01": 99.0}


def test_flags_and_reviews_show_up_in_the_next_answer(service: Service) -> None:
    hour8 = DAY + dt.timedelta(hours=8)
    path = f"{YEAR}&from=2026-12-01T08:00&to=2026-12-01T09:00"
    with service.client("analyst") as client:
        assert client.get(path).json()["items"][0]["qc_flag"] is None
        service.store.measurements.write_flags(pa.Table.from_pylist([{
            "mn": "MN-0", "factor": "a34004", "kind": "hour", "period_start": hour8,
            "statistic": "Avg", "qc_flag": 3, "qc_tests": "{}", "qc_valid": True,
            "qc_version": "test", "checked_at": DAY}], schema=QC_FLAG_SCHEMA))
        assert client.get(path).json()["items"][0]["qc_flag"] == 3
        service.store.measurements.add_review(
            {"mn": "MN-0", "factor": "a34004", "kind": "hour", "period_start": hour8,
             "statistic": "Avg"}, "accept", "operator", "checked on site", DAY)
        assert client.get(path).json()["items"][0]["review"] == "accept"


def test_if_none_match_gets_304_and_every_answer_is_audited(service: Service) -> None:
    with service.client("analyst") as client:
        etag = client.get(YEAR).headers["etag"]
        unchanged = client.get(YEAR, headers={"If-None-Match": etag})
        assert unchanged.status_code == 304 and not unchanged.content
        assert client.get(YEAR, headers={"If-None-Match": '"other"'}).status_code == 200
    reads = [e for e in audit.events(service.store, actor="analyst", limit=100)
             if e.target == "/api/v1/readings"]
    assert len(reads) == 3
    assert {(e.row_count, e.object_ids) for e in reads} == {(24, (str(reads[0].object_ids[0]),))}


def test_a_kept_answer_is_not_shown_to_another_view(service: Service) -> None:
    with service.client("analyst") as analyst, service.client("enterprise") as enterprise:
        assert len(analyst.get(LATEST).json()["items"]) == 2
        assert enterprise.get(LATEST).json()["items"] == []  # E1 has no air station
        readings = enterprise.get("/api/v1/readings?kind=hour").json()["items"]
        assert {r["object_code"] for r in readings} == {"E1", "E1-DA001"}


def test_gzip_only_for_a_client_that_asks(service: Service) -> None:
    with service.client("analyst") as client:
        plain = client.get(YEAR, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.headers["vary"] == "Accept-Encoding"
        packed = client.get(YEAR, headers={"Accept-Encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert int(packed.headers["content-length"]) < len(plain.content)
        assert packed.json() == plain.json()  # httpx undoes the gzip
        assert packed.headers["etag"] != plain.headers["etag"]
        refused = client.get(YEAR, headers={"Accept-Encoding": "gzip;q=0"})
        assert "content-encoding" not in refused.headers


def test_a_kept_answer_goes_only_to_callers_its_route_would_answer(service: Service) -> None:
    csv = f"{YEAR}&format=csv"
    with service.client("analyst") as analyst:
        first = analyst.get(csv)
        assert first.status_code == 200 and analyst.get(csv).content == first.content
    with service.client("viewer") as viewer:  # data.read without data.export
        for _ in range(2):  # the second time its token is remembered: checked before routing
            refused = viewer.get(csv)
            assert refused.status_code == 403 and "data.export" in refused.json()["detail"]
    _, narrow = tokens.create_token(service.store, "analyst", name="registry only",
                                    scopes=["registry.read"], actor="test")
    with httpx.Client(base_url=service.url, timeout=30,
                      headers={"Authorization": f"Bearer {narrow}"}) as client:
        for _ in range(2):
            assert client.get(YEAR).status_code == 403
        assert client.get("/api/v1/objects").status_code == 200  # the token is a good one
    with httpx.Client(base_url=service.url, timeout=30) as anonymous:
        assert anonymous.get(YEAR).status_code == 401
    metrics = httpx.get(f"{service.url}/metrics", timeout=30).text
    sent = [line for line in metrics.splitlines() if line.startswith("ecohub_http_requests")
            and 'route="/api/v1/readings"' in line and 'status="200"' in line]
    assert sent and float(sent[0].rsplit(" ", 1)[1]) >= 2  # counted under its route


def test_many_asking_at_once_for_an_answer_being_made_share_it(service: Service,
                                                               monkeypatch) -> None:
    measurements = service.store.measurements
    reads: list[float] = []
    read = measurements.readings

    def slow_read(*args, **kwargs):  # a long series: the others arrive while it is read
        reads.append(time.monotonic())
        time.sleep(0.3)
        return read(*args, **kwargs)

    monkeypatch.setattr(measurements, "readings", slow_read)
    with service.client("analyst") as client:
        assert client.get(LATEST).status_code == 200  # the token is remembered
        write(service, "340100-A01", 30, 55.0)
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda _: client.get(YEAR), range(12)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert answers[0].json()["items"][-1]["value"] == 55.0
    # One answer made for all twelve; where the store cannot tell whether a write came
    # between (PostgreSQL), each makes its own.
    assert len(reads) == (1 if measurements.generation() is not None else 12)
    audited = [e for e in audit.events(service.store, actor="analyst", limit=200)
               if e.target == "/api/v1/readings"]
    assert len(audited) == 12 and {e.row_count for e in audited} == {25}
