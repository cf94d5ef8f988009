"""Sign-in and sign-out of browsers (session cookie + CSRF token), and who am I."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from ecohub.api.problems import Problem
from ecohub.api.security import SESSION_COOKIE, caller, get_store
from ecohub.identity import Principal
from ecohub.store import Store

router = APIRouter(prefix="/auth", tags=["认证 authentication"])


class Credentials(BaseModel):
    """A user's name and password."""

    username: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    password: str = Field(min_length=1, max_length=1000, pattern=r"^[^\x00]*$")


class Me(BaseModel):
    """Who the caller is and what it may do."""

    kind: str
    username: str | None
    role: str | None
    organisation: str | None
    permissions: list[str]


class SignedIn(Me):
    """A new browser session: send ``csrf_token`` as ``X-CSRF-Token`` with changing requests."""

    csrf_token: str
    expires_at: datetime


def _me(principal: Principal) -> dict:
    return {"kind": principal.kind, "username": principal.username, "role": principal.role,
            "organisation": principal.organisation,
            "permissions": sorted(principal.permissions)}


@router.post("/login", summary="登录 sign in", response_model=SignedIn,
             responses={401: {"description": "wrong name or password, or locked"}})
def login(credentials: Credentials, request: Request, response: Response,
          store: Store = Depends(get_store)) -> dict:  # noqa: B008
    """Check the password (argon2; locked after repeated failures) and open a session."""
    from ecohub.identity import users

    ip = request.client.host if request.client else None
    try:
        principal, secrets = users.sign_in(store, credentials.username, credentials.password,
                                           ip=ip)
    except users.IdentityError as error:
        raise Problem(401, str(error)) from None
    response.set_cookie(SESSION_COOKIE, secrets.cookie_value, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https",
                        expires=secrets.expires_at, path="/")
    return {**_me(principal), "csrf_token": secrets.csrf_token,
            "expires_at": secrets.expires_at}


@router.post("/logout", summary="退出 sign out", status_code=204)
def logout(request: Request, response: Response,
           principal: Principal = Depends(caller),  # noqa: B008 — checks the CSRF token
           store: Store = Depends(get_store)) -> Response:  # noqa: B008
    """End the browser session (its cookie no longer signs in)."""
    from ecohub.identity import users

    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and principal.kind == "session":
        users.sign_out(store, cookie)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", summary="当前身份 who am I", response_model=Me)
def me(principal: Principal = Depends(caller)) -> dict:  # noqa: B008
    """The caller: anonymous, a session's user or a token's, with its permissions."""
    return _me(principal)
