"""Benchmark: the web app in a real browser (issue 15): the map, a detail panel, the cockpit.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python bench/web.py              # 2,000 objects, 5 runs each
    PYTHONPATH=src .venv/bin/python bench/web.py --objects 500 --runs 3

Set-up (not timed): a fresh embedded store with ``--objects`` monitored objects around Anhui's
16 cities — 40 % air stations (six factors), 20 % water stations (pH, DO, NH3-N, COD), 15 %
noise stations (Leq, zone class 2), 10 % pollution sources and 15 % outlets (SO2, NOx with a
permit limit each) — one logger each, and the last 24 hours of hourly readings written directly
with ``store.measurements.write``; an analyst. The server is :func:`ecohub.server.serve` (the
HTTP service, no gateway) in this process's thread; the browser is Debian's Chromium driven by
Playwright with the tests' arguments (software WebGL).

Figures (median and worst of ``--runs``):

* map: navigation start → ``body[data-ready]`` (markers drawn; ``performance.now()`` in the
  page), a fresh browser context (empty cache) each run, signed in. Target ≤ 2 s.
* panel: opening a detail panel → its ``data-ready`` (readings, limits, record fetched and the
  charts drawn), objects of each type in turn. Target ≤ 500 ms.
* cockpit: navigation start → ``body[data-ready]`` of ``/cockpit`` if the page exists on this
  branch. Target ≤ 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.api.conftest import free_port  # noqa: E402
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PASSWORD = "Correct-Horse-9-Battery"
CST = dt.timezone(dt.timedelta(hours=8))
TYPES = (("air_station", 0.40, {"a34004": 45, "a34002": 80, "a21026": 10, "a21004": 30,
                                "a05024": 90, "a21005": 0.8}),
         ("water_station", 0.20, {"w01001": 7.5, "w01009": 6.5, "w21003": 0.6, "w01018": 15}),
         ("noise_station", 0.15, {"Leq": 56}),
         ("pollution_source", 0.10, {}),
         ("outlet", 0.15, {"a21026": 30, "a21002": 60}))


def set_up(data_dir: str, objects: int, seed: int = 15) -> list[str]:
    """Register the objects and write their last 24 hours; returns a code per type."""
    from ecohub.identity import organisations, users
    from ecohub.region import ANHUI_CITIES
    from ecohub.store import (
        READING_SCHEMA,
        DeviceSpec,
        LimitSpec,
        ObjectSpec,
        PermitSpec,
        open_store,
    )

    rng = np.random.default_rng(seed)
    store = open_store(data_dir=data_dir, migrate=True)
    specs, sources = [], []
    for kind, share, _ in TYPES:
        for i in range(int(objects * share)):
            code, name, lon, lat = ANHUI_CITIES[i % len(ANHUI_CITIES)]
            x, y = lon + rng.normal(0, 0.18), lat + rng.normal(0, 0.15)
            prefix = kind.split("_")[0][:1].upper()
            parent = None
            if kind == "outlet":
                parent = sources[i % len(sources)]
            spec = ObjectSpec(f"{code}-{prefix}{i:04d}", f"{name}{kind[:3]}{i}", kind,
                              round(x, 5), round(y, 5), name, code, parent_code=parent,
                              attributes={"zone_class": "2"} if kind == "noise_station" else {})
            if kind == "pollution_source":
                sources.append(spec.code)
            specs.append(spec)
    ids = store.registry.add_objects(specs)
    factors = {kind: f for kind, _, f in TYPES}
    store.registry.add_devices([
        DeviceSpec(f"MN{i:06d}", oid, "123456", tuple(factors[s.object_type]) or ("a21026",))
        for i, (s, oid) in enumerate(zip(specs, ids, strict=True))])
    store.registry.add_permits([PermitSpec(f"P-{c}", c) for c in sources])
    outlets = [s for s in specs if s.object_type == "outlet"]
    store.registry.add_limits(
        [LimitSpec(s.code, "a21026", "Avg", 35.0, "mg/m³", "超低排放", f"P-{s.parent_code}")
         for s in outlets]
        + [LimitSpec(s.code, "a21002", "Avg", 50.0, "mg/m³", "超低排放", f"P-{s.parent_code}")
           for s in outlets])
    end = dt.datetime.now(CST).replace(minute=0, second=0, microsecond=0)
    rows = []
    for i, (spec, oid) in enumerate(zip(specs, ids, strict=True)):
        for factor, level in factors[spec.object_type].items():
            values = (level + rng.normal(0, 0.4, 24) if factor == "w01001"
                      else level * rng.lognormal(0, 0.35, 24))
            for h in range(24):
                start = end - dt.timedelta(hours=24 - h)
                rows.append({"mn": f"MN{i:06d}", "object_id": oid, "factor": factor,
                             "kind": "hour", "period_start": start, "period_s": 3600,
                             "statistic": "Avg", "value": float(values[h]),
                             "device_flag": "N", "received_at": start + dt.timedelta(hours=1),
                             "packet_id": None})
    store.measurements.write(pa.Table.from_pylist(rows, schema=READING_SCHEMA))
    organisations.add_organisation(store, "BUREAU", "某市生态环境局", kind="bureau", actor="b")
    users.add_user(store, "analyst", PASSWORD, role="analyst", organisation="BUREAU", actor="b")
    store.close()
    print(f"set-up: {len(specs):,} objects, {len(rows):,} hourly readings", flush=True)
    return [next(s.code for s in specs if s.object_type == kind) for kind, _, f in TYPES if f]


def serve_in_thread(data_dir: str, port: int):
    from ecohub.server import HttpConfig, serve
    from ecohub.store import open_store

    holder: dict[str, object] = {}

    def run() -> None:
        async def main() -> None:
            store = open_store(data_dir=data_dir)
            stop = asyncio.Event()
            holder["stop"], holder["loop"] = stop, asyncio.get_running_loop()
            try:
                await serve(store, None, HttpConfig("127.0.0.1", port), stop=stop)
            finally:
                store.close()

        asyncio.run(main())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    import httpx

    for _ in range(400):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    return holder, thread


def figures(name: str, values: list[float], target: float) -> str:
    line = (f"{name}: median {statistics.median(values):.0f} ms, worst {max(values):.0f} ms "
            f"over {len(values)} runs (target ≤ {target:.0f} ms) "
            f"[{', '.join(f'{v:.0f}' for v in values)}]")
    print(line, flush=True)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from ecohub.web import HERE as WEB

    data_dir = tempfile.mkdtemp(prefix="ecohub-bench-web-")
    codes = set_up(data_dir, args.objects)
    port = free_port()
    holder, thread = serve_in_thread(data_dir, port)
    url = f"http://127.0.0.1:{port}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def signed_in_page():
            context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                          viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and print("console:", m.text))
            page.on("pageerror", lambda e: print("page error:", e))
            page.goto(f"{url}/login?next=/login")
            page.get_by_label("用户名").fill("analyst")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{url}/login")
            return context, page

        map_ms, panel_ms, cockpit_ms = [], [], []
        for run in range(args.runs):
            context, page = signed_in_page()
            page.goto(f"{url}/")
            page.wait_for_selector("body[data-ready]", timeout=60_000, state="attached")
            if page.evaluate("document.body.dataset.ready") != "1":
                raise SystemExit("map: " + page.locator("#map").inner_text())
            map_ms.append(page.evaluate("window.ecohubTiming.ready"))
            count = page.evaluate("document.querySelector('#map-status').textContent")
            if run == 0:
                print(f"map page: {count}", flush=True)
                print(page.evaluate("""performance.getEntriesByType('resource')
                    .filter(e => e.duration > 50).map(e => e.name.replace(location.origin, '')
                    + ' ' + Math.round(e.startTime) + '+' + Math.round(e.duration)).join('\\n')"""))
                page.screenshot(path=str(Path(data_dir) / "bench-map.png"))
            for code in codes:
                page.fill("#search", code)
                page.press("#search", "Enter")
                page.wait_for_selector("#panel[data-ready='1']", timeout=60_000)
                panel_ms.append(page.evaluate("window.ecohubTiming.panel"))
                page.keyboard.press("Escape")
            context.close()
        cockpit = (WEB / "pages" / "cockpit.html").exists()
        if cockpit:
            for _ in range(args.runs):
                context, page = signed_in_page()
                page.goto(f"{url}/cockpit")
                page.wait_for_selector("body[data-ready]", timeout=60_000)
                cockpit_ms.append(page.evaluate(
                    "performance.now() - (window.ecohubCockpitReadyLag || 0)"))
                context.close()
        browser.close()
    figures("map page interactive", map_ms, 2000)
    figures("detail panel with charts", panel_ms, 500)
    if cockpit:
        figures("cockpit (to the moment measured after data-ready)", cockpit_ms, 2000)
    else:
        print("cockpit: page not present")
    loop = holder["loop"]
    loop.call_soon_threadsafe(holder["stop"].set)  # type: ignore[union-attr]
    thread.join(timeout=30)


if __name__ == "__main__":
    main()
