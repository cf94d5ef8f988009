"""The web app: the one map, the pages and the cockpit, in Chinese, on the API a program uses.

Every page is a static shell (``pages/``) with its ES module (``static/``); what a page shows it
reads from ``/api/v1`` with the viewer's session cookie, so a page never shows more than its
viewer may read, and the public view (no sign-in) shows only what the API marks public. The
third-party libraries (ECharts, MapLibre GL, PMTiles) are copied from npm into
``static/vendor/`` by the set-up (``make``), never committed and never fetched from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["PAGES", "mount"]

HERE = Path(__file__).parent
STATIC = HERE / "static"
PAGES: dict[str, str] = {
    "/": "map.html",
    "/login": "login.html",
    "/air": "air.html",
    "/water": "water.html",
    "/sources": "sources.html",
    "/operations": "operations.html",
    "/quality": "quality.html",
    "/cockpit": "cockpit.html",
}
"""URL path → page file under ``pages/``: the web app's whole site map."""

_NOT_SET_UP = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>ecohub</title>
<p>网页应用的前端库尚未安装：请在项目目录运行 <code>make setup</code>（从 npm 安装 ECharts、
MapLibre GL 到 src/ecohub/web/static/vendor/）。</p></html>"""


def mount(app: FastAPI) -> None:
    """Serve the pages at their paths and the static files under ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    vendor_ready = (STATIC / "vendor" / "echarts.min.js").exists()
    for path, name in PAGES.items():
        page = HERE / "pages" / name
        if not page.exists():
            continue
        app.add_api_route(path, _page(page, vendor_ready), methods=["GET"],
                          include_in_schema=False, response_model=None, name=f"page:{name}")


def _page(page: Path, vendor_ready: bool):
    def serve_page() -> Response:
        if not vendor_ready:
            return HTMLResponse(_NOT_SET_UP, status_code=503)
        return FileResponse(page, media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    return serve_page
