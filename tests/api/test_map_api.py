"""The map's endpoints over real HTTP, both back-ends: state, visibility, limits, compliance,
regions, and the live event stream fed by the gateway."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time

import httpx

from ecohub.ingest.hj212_server import GatewayConfig
from ecohub.protocols import hj212
from ecohub.store import LimitSpec, PermitSpec, Region, Store

from .conftest import free_port, populate, running

# HJ 633-2026 Table 1 / Appendix A, copied here independently of ecohub.standards.aqi
GOOD_YELLOW = "#FFFF00"   # 良, AQI 51-100
HEAVY_PURPLE = "#99004C"  # 重度污染, AQI 201-300


def test_the_state_of_every_visible_object(service):
    with service.client("viewer") as client:
        answer = client.get("/api/v1/map/objects")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    items = {row["code"]: row for row in body["items"]}
    assert set(items) == {"340100-A01", "340200-A01", "E1", "E1-DA001"}
    # PM2.5 of the last hour: 30 + 0 + 23 = 53 µg/m³ → IAQI 50 + (53 − 35) · 50 / 25 = 86 (良);
    # the station's logger measures PM2.5 only, the other indicators are not monitored
    hefei = items["340100-A01"]
    assert (hefei["value"], hefei["status"], hefei["colour"]) == (86, "aqi_2", GOOD_YELLOW)
    assert hefei["standard"] == "HJ 633-2026" and hefei["period_start"].endswith("+08:00")
    assert hefei["period_start"].startswith("2026-12-01T23:00")
    assert items["340200-A01"]["value"] == 88  # 54 µg/m³ → 50 + 19 · 2 = 88
    assert items["E1-DA001"]["status"] == "no_limit"  # no permit limit registered
    assert hefei["online"] is False  # its last reading is days old
    air = next(t for t in body["legend"] if t["object_type"] == "air_station")
    assert air["standard"] == "HJ 633-2026"
    assert {e["name"]: e["colour"] for e in air["entries"]}["重度污染"] == HEAVY_PURPLE


def test_an_enterprise_sees_its_own_and_the_public_only_published_stations(service):
    with service.client("enterprise") as client:
        codes = {r["code"] for r in client.get("/api/v1/map/objects").json()["items"]}
    assert codes == {"E1", "E1-DA001"}
    with service.client() as anonymous:
        assert anonymous.get("/api/v1/map/objects").status_code == 401
        public = anonymous.get("/api/v1/public/map/objects").json()["items"]
        assert {r["code"] for r in public} == {"340100-A01", "340200-A01"}
        assert "online" not in public[0] and "last_received" not in public[0]
        assert anonymous.get("/api/v1/compliance/outlets").status_code == 401
        assert anonymous.get("/api/v1/map/limits?object=E1-DA001").status_code == 401


def test_limits_for_the_charts_and_outlet_compliance(service):
    store = service.store
    store.registry.add_permit(PermitSpec("P-1", "E1"))
    # the outlet's PM2.5 arrives in ng/m³ (HJ 212-2017 Table B.2); the limit is in µg/m³
    store.registry.add_limit(LimitSpec("E1-DA001", "a34004", "Avg", 0.05, "µg/m³", "许可",
                                       "P-1"))
    with service.client("analyst") as client:
        limits = client.get("/api/v1/map/limits?object=E1-DA001").json()["items"]
        assert [(lim["limit"], lim["unit"]) for lim in limits] == [(50.0, "ng/m³")]
        air = client.get("/api/v1/map/limits?object=340100-A01&day=2026-12-01").json()
        air = air["items"]
        assert {(lim["averaging"], lim["limit"]) for lim in air} == {("day", 60.0)}
        assert "GB 3095-2026" in air[0]["standard"]
        rows = client.get("/api/v1/compliance/outlets?day=2026-12-01").json()["items"]
        # the outlet's hour h (CST) is 30 + 3 + h ng/m³: over 50 from h = 18 to 23 (6 hours)
        assert [(r["object_code"], r["worst_value"], r["hours"], r["hours_exceeded"],
                 r["status"]) for r in rows] == [("E1-DA001", 0.056, 24, 6, "exceeded")]
        csv = client.get("/api/v1/compliance/outlets?day=2026-12-01&format=csv")
        assert csv.status_code == 200 and "E1-DA001" in csv.text
        state = client.get("/api/v1/map/objects?type=outlet").json()["items"]
        assert [r["status"] for r in state] == ["no_data"]  # today (not 1 December): no data
        assert client.get("/api/v1/map/limits?object=NOPE").status_code == 404
    with service.client("enterprise") as client:
        assert [r["object_code"] for r in
                client.get("/api/v1/compliance/outlets?day=2026-12-01").json()["items"]] == \
            ["E1-DA001"]


def test_regions_are_a_schematic_until_outlines_are_imported(service):
    with service.client() as anonymous:
        schematic = anonymous.get("/api/v1/map/regions").json()
        assert schematic["schematic"] is True and schematic["note"] == "示意（非真实行政边界）"
        assert {f["properties"]["name"] for f in schematic["features"]} == \
            {"合肥市（示意）", "芜湖市（示意）"}
        square = [[117.0, 31.7], [117.4, 31.7], [117.4, 32.0], [117.0, 31.7]]
        service.store.regions.replace([Region("合肥市", {"type": "Polygon",
                                                        "coordinates": [square]})], actor="t")
        imported = anonymous.get("/api/v1/map/regions").json()
        assert imported["schematic"] is False
        assert [f["properties"]["name"] for f in imported["features"]] == ["合肥市"]
        assert anonymous.get("/api/v1/map/config").json() == {"basemap": None}


def hour_upload(mn: str, value: float, hour: dt.datetime) -> bytes:
    """A CN 2061 hour upload of PM2.5."""
    stamp = hour.strftime("%Y%m%d%H%M%S")
    return hj212.frame(
        f"QN={stamp}000;ST=22;CN=2061;PW=123456;MN={mn};Flag=5;"
        f"CP=&&DataTime={stamp};a34004-Avg={value},a34004-Flag=N&&".encode())


def exchange(link: socket.socket, data: bytes) -> None:
    link.sendall(data)
    reader = hj212.FrameReader()
    while not reader.feed(link.recv(4096)):
        pass


def listen(url: str, headers: dict, into: list, ready: threading.Event) -> None:
    with httpx.stream("GET", f"{url}/api/v1/events", headers=headers, timeout=30) as stream:
        ready.set()
        for line in stream.iter_lines():
            if line.startswith("data: "):
                into.append((time.monotonic(), json.loads(line[6:])["objects"]))


def test_new_readings_are_pushed_to_those_who_may_see_them(store: Store):
    secrets = populate(store)
    port = free_port()
    with running(store, GatewayConfig(host="127.0.0.1", port=port)) as url:
        seen: dict[str, list] = {"viewer": [], "enterprise": [], "public": []}
        threads = []
        for who, events in seen.items():
            ready = threading.Event()
            headers = {} if who == "public" else {"Authorization": f"Bearer {secrets[who]}"}
            thread = threading.Thread(target=listen, args=(url, headers, events, ready),
                                      daemon=True)
            thread.start()
            assert ready.wait(10)
            threads.append(thread)
        time.sleep(0.3)
        hour = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
                .replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1))
        sent = time.monotonic()
        with socket.create_connection(("127.0.0.1", port)) as link:
            exchange(link, hour_upload("MN-0", 200, hour))  # 340100-A01
            exchange(link, hour_upload("MN-3", 90, hour))   # the outlet E1-DA001
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(
                {c for _, codes in events for c in codes} >= want for events, want in
                ((seen["viewer"], {"340100-A01", "E1-DA001"}),
                 (seen["enterprise"], {"E1-DA001"}), (seen["public"], {"340100-A01"}))):
            time.sleep(0.05)
        got = {who: {c for _, codes in events for c in codes} for who, events in seen.items()}
        assert got == {"viewer": {"340100-A01", "E1-DA001"}, "enterprise": {"E1-DA001"},
                       "public": {"340100-A01"}}
        assert seen["public"][0][0] - sent < 5
        with httpx.Client(base_url=url, timeout=30) as client:
            hefei = client.get("/api/v1/public/map/objects?code=340100-A01").json()["items"][0]
        # 200 µg/m³ → 200 + (200 − 150) · 100 / 100 = 250 (重度污染)
        assert (hefei["value"], hefei["colour"]) == (250, HEAVY_PURPLE)
    for thread in threads:  # the server's stop ends every stream
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_the_kept_map_state_follows_readings_and_registry_changes(store: Store, monkeypatch):
    """A map state is shared while the registry and the gateway's commits stand; readings
    stored past the gateway show after MAP_FRESH_S."""
    import pyarrow as pa

    from ecohub.api.routers import map as map_router
    from ecohub.store import READING_SCHEMA

    monkeypatch.setattr(map_router, "MAP_FRESH_S", 60.0)  # only a change may renew it here
    secrets = populate(store)
    port = free_port()
    headers = {"Authorization": f"Bearer {secrets['viewer']}"}
    with running(store, GatewayConfig(host="127.0.0.1", port=port)) as url, \
            httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        def state() -> dict[str, dict]:
            return {r["code"]: r for r in client.get("/api/v1/map/objects").json()["items"]}

        assert state()["340100-A01"]["value"] == 86
        # the gateway stores a reading: the next state has it (no wait for MAP_FRESH_S)
        hour = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
                .replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1))
        with socket.create_connection(("127.0.0.1", port)) as link:
            exchange(link, hour_upload("MN-0", 200, hour))
        deadline = time.monotonic() + 5
        while state()["340100-A01"]["value"] != 250 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (state()["340100-A01"]["value"], state()["340100-A01"]["colour"]) == (
            250, HEAVY_PURPLE)
        # a registry change renews it at once: the outlet gets a limit
        assert state()["E1-DA001"]["status"] == "no_limit"
        store.registry.add_permit(PermitSpec("P-1", "E1"))
        store.registry.add_limit(LimitSpec("E1-DA001", "a34004", "Avg", 50.0, "µg/m³",
                                           "许可", "P-1"))
        assert state()["E1-DA001"]["status"] != "no_limit"
        # a reading stored past the gateway (an upload, another process) shows after the
        # freshness the state is kept for
        wuhu = store.registry.object_by_code("340200-A01")
        store.measurements.write(pa.Table.from_pylist([{
            "mn": "MN-1", "object_id": wuhu.id, "factor": "a34004", "kind": "hour",
            "period_start": hour, "period_s": 3600, "statistic": "Avg", "value": 200.0,
            "device_flag": "N", "received_at": hour + dt.timedelta(hours=1),
            "packet_id": None}], schema=READING_SCHEMA))
        assert state()["340200-A01"]["value"] == 88  # kept
        monkeypatch.setattr(map_router, "MAP_FRESH_S", 0.0)
        assert state()["340200-A01"]["value"] == 250
