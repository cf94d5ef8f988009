"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error names what was wrong: the parameter, the value given and what is expected, so a
program can show it to a person as it is. Domain functions raise ``ValueError`` with such a
message; it becomes a 400 here. Nothing else leaks: an unexpected error is a 500 that says
only that, with the request id the server log carries.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecohub.store import ReadTimeout

__all__ = ["PROBLEM_JSON", "Problem", "install_problem_handlers", "no_nul_characters", "problem"]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "请求参数有误", 401: "需要登录", 403: "无权访问", 404: "未找到", 405: "方法不允许",
    406: "无法提供所请求的格式", 409: "冲突", 422: "请求参数有误", 423: "账户已锁定",
    500: "服务器内部错误", 503: "服务暂不可用",
}


class Problem(Exception):
    """An error the API answers with as a problem document."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers, self.extra = status, detail, headers, extra


def problem(status: int, detail: str, *, instance: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """A ``application/problem+json`` response (RFC 9457 §3)."""
    body = {"type": "about:blank", "title": _TITLES.get(status, "错误"), "status": status,
            "detail": detail, **({"instance": instance} if instance else {}), **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def no_nul_characters(request: Request) -> None:
    """A dependency of every route: no parameter or JSON body holds a NUL character.

    No text a person writes has one, and PostgreSQL text cannot store one (the embedded store
    would take it): refused here, as a 422 naming the parameter, on either back-end. (A file
    upload may hold any byte: it is read as a file.)
    """
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()  # kept by the request for the route's own parsing
        if b"\\u0000" in body or b"\x00" in body:
            raise Problem(422, "the JSON body holds a NUL character (\\u0000); text without "
                               "NUL characters is expected",
                          errors=[{"parameter": "body", "in": "body", "value": None,
                                   "expected": "text without NUL characters"}])
    for where, items in (("query", request.query_params.multi_items()),
                         ("path", request.path_params.items())):
        for name, value in items:
            if "\x00" in name or "\x00" in str(value):
                shown = name.replace("\x00", "\\x00")
                raise Problem(422, f"{shown}={value!r}: a NUL character (\\x00) is not "
                                   "allowed in a parameter",
                              errors=[{"parameter": shown, "in": where, "value": value,
                                       "expected": "text without NUL characters"}])


def _parameter_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        where = location[0] if location else "request"
        name = ".".join(location[1:]) or where
        out.append({"parameter": name, "in": where, "value": item.get("input"),
                    "expected": item.get("msg", "")})
    return out


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        extra = dict(error.extra)
        if "errors" in extra:  # each as {parameter, in, value, expected} (docs/api.md)
            extra["errors"] = jsonable([{"in": "query", "expected": error.detail, **item}
                                        for item in extra["errors"]])
        return problem(error.status, error.detail, instance=request.url.path,
                       headers=error.headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = _parameter_errors(error)
        detail = "; ".join(f"{e['parameter']}={e['value']!r}: {e['expected']}" for e in errors)
        return problem(422, detail, instance=request.url.path, errors=jsonable(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), instance=request.url.path,
                       headers=getattr(error, "headers", None))

    @app.exception_handler(ValueError)
    async def _value(request: Request, error: ValueError) -> JSONResponse:
        return problem(400, str(error), instance=request.url.path)

    @app.exception_handler(ReadTimeout)
    async def _timeout(request: Request, error: ReadTimeout) -> JSONResponse:
        return problem(503, str(error), instance=request.url.path,
                       headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("ecohub API: %s %s failed", request.method, request.url.path)
        return problem(500, "an unexpected error; the server log has the details",
                       instance=request.url.path)


def jsonable(value: Any) -> Any:
    """``value`` with anything JSON cannot carry written as text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
