"""Who is asking, and may they: the dependencies every router uses.

Programs send ``Authorization: Bearer <token>`` (:mod:`ecohub.identity.tokens`); browsers carry
the session cookie set at sign-in (HttpOnly, SameSite=Strict) and send its CSRF token in the
``X-CSRF-Token`` header with every request that changes something. Nobody else gets more than
what is marked public (:data:`ecohub.identity.PUBLIC`). The permission table is
:mod:`ecohub.identity.roles`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

import anyio
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPBearer

from ecohub.api.problems import Problem
from ecohub.identity import Principal
from ecohub.store import Store

__all__ = ["CSRF_HEADER", "SESSION_COOKIE", "caller", "get_store", "public",
           "remembered_program", "require"]

SESSION_COOKIE = "ecohub_session"
CSRF_HEADER = "X-CSRF-Token"
_ANONYMOUS = Principal(kind="anonymous")
log = logging.getLogger(__name__)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_BEARER = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="`ecohub admin token create`: a token per program, shown once")
_SESSION = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session",
                        description="browser session of POST /api/v1/auth/login; changing "
                                    f"requests also send its CSRF token as {CSRF_HEADER}")


async def get_store(request: Request) -> Store:
    """The store the server was started over."""
    return request.app.state.store


async def caller(request: Request) -> Principal:
    """The principal of the request: bearer token, else session cookie, else anonymous.

    A bearer token that is unknown, expired or revoked is a 401 (a program should learn that
    its credential is bad, not silently see public data). A session cookie that no longer
    holds is treated as no sign-in. Changing requests of a session need its CSRF token.

    A token verified lately is known without a thread (:func:`ecohub.identity.tokens.
    remembered_token`); every look-up in the database runs on a worker thread.
    """
    from ecohub.identity import tokens

    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    store = request.app.state.store
    principal = _ANONYMOUS
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise Problem(401, "Authorization: expected 'Bearer <token>'",
                          headers={"WWW-Authenticate": "Bearer"})
        found = remembered_program(store, authorization)
        if found is None:
            found = await anyio.to_thread.run_sync(tokens.authenticate_token, store,
                                                   credential.strip())
        if found is None:
            raise Problem(401, "the bearer token is unknown, expired or revoked",
                          headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        principal = found
    elif cookie := request.cookies.get(SESSION_COOKIE):
        principal = await anyio.to_thread.run_sync(_session_principal, store, request, cookie)
    request.state.principal = principal
    return principal


def remembered_program(store: Store, authorization: str) -> Principal | None:
    """The principal of an ``Authorization: Bearer …`` value whose token was verified lately.

    No look-up, no thread (:func:`ecohub.identity.tokens.remembered_token`); None when it has
    to be looked up (or is no bearer token). When the memory is due for renewal
    (:func:`~ecohub.identity.tokens.renewal_due`), this request renews it on a worker thread
    beside its answer, so that no request of a busy program waits for the look-up.
    """
    from ecohub.identity import tokens

    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        return None
    found = tokens.remembered_token(store, credential)
    if found is not None and tokens.renewal_due(store, credential):
        renewal = asyncio.get_running_loop().create_task(anyio.to_thread.run_sync(
            functools.partial(tokens.authenticate_token, store, credential, renew=True)))
        _RENEWALS.add(renewal)
        renewal.add_done_callback(_renewed)
    return found


_RENEWALS: set[asyncio.Task] = set()
"""Renewals running (referenced until they end)."""


def _renewed(renewal: asyncio.Task) -> None:
    _RENEWALS.discard(renewal)
    if not renewal.cancelled() and renewal.exception() is not None:
        log.warning("a remembered token could not be renewed (looked up at its next use): %r",
                    renewal.exception())


def _session_principal(store: Store, request: Request, cookie: str) -> Principal:
    from ecohub.identity import users

    found = users.authenticate_session(store, cookie)
    if found is None:
        return _ANONYMOUS
    if request.method not in _SAFE_METHODS and not users.check_csrf(
            store, cookie, request.headers.get(CSRF_HEADER, "")):
        raise Problem(403, f"{CSRF_HEADER}: missing or not this session's CSRF token")
    return found


def require(permission: str) -> Callable[[Request], Principal]:
    """A dependency: the caller, who must hold ``permission`` (401 anonymous, 403 without)."""

    async def dependency(principal: Principal = Depends(caller),  # noqa: B008
                   _bearer: object = Depends(_BEARER),  # noqa: B008 — in the OpenAPI document
                   _session: object = Depends(_SESSION)) -> Principal:  # noqa: B008
        if principal.anonymous:
            raise Problem(401, f"sign in or send a bearer token: this needs {permission}",
                          headers={"WWW-Authenticate": "Bearer"})
        if not principal.can(permission):
            raise Problem(403, f"role {principal.role!r} does not grant {permission}"
                          + ("" if principal.scopes is None else
                             " within this token's scopes"))
        return principal

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency


async def public(principal: Principal = Depends(caller)) -> Principal:  # noqa: B008
    """A dependency of public endpoints: anyone; the caller is still known for the audit."""
    return principal
