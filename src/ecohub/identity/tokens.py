"""API tokens: how a program acts for a user, narrowed by scopes, for a limited time.

A token is ``ecohub_<prefix>_<secret>``: an 8-character prefix (shown in lists, used to name
the token when revoking it) and 43 characters of URL-safe randomness (256 bits). It is shown
once, when created; ecohub keeps only its SHA-256 hash. Every token expires (90 days by
default); it stops working when revoked, when it expires, or when its user is disabled.

A program sends its token with every request, so a verified token is remembered for
:data:`VERIFIED_FOR_S` seconds instead of being looked up each time (three reads of the
operational database). Any identity change made through the same store — a revocation, a user
disabled, by the server's API or by the process serving it — forgets every remembered token at
once; a revocation made by another process (the ``ecohub`` command beside a running server)
takes effect there within :data:`VERIFIED_FOR_S`. A program that keeps asking never waits for
the look-up: once its token has been remembered :data:`RENEW_AFTER_S`, one request is told to
renew it (:func:`renewal_due`) and does so beside the answers (:func:`authenticate_token` with
``renew=True``), while the others go on with the memory, which is still within its
:data:`VERIFIED_FOR_S`.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Final

from ecohub.identity import audit
from ecohub.identity.roles import PERMISSIONS, ROLES, Principal
from ecohub.identity.users import TOUCH_EVERY, principal_for
from ecohub.store import ApiToken, Identity, IdentityError, Store

__all__ = ["DEFAULT_DAYS", "MAX_DAYS", "RENEW_AFTER_S", "TOKEN_PREFIX", "VERIFIED_FOR_S",
           "authenticate_token", "create_token", "list_tokens", "remembered_token",
           "renewal_due", "revoke_token"]

TOKEN_PREFIX: Final = "ecohub_"
DEFAULT_DAYS: Final = 90
MAX_DAYS: Final = 366
"""The longest a token may live: a token that never expires is not offered."""
VERIFIED_FOR_S: Final = 5.0
"""How long a verified token is taken as valid without a look-up (seconds; see the module)."""
RENEW_AFTER_S: Final = 3.0
"""Age (seconds) from which a remembered token is renewed ahead of its lapse (see the module)."""
_REMEMBERED_AT_MOST = 10_000
"""Tokens remembered per store; past that the memory starts again (bounded, never stale)."""


class _Verified:
    """Tokens verified lately, by hash: (identity generation, when, principal, expiry)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, tuple[int, float, Principal, datetime]] = {}
        self.renewing: set[str] = set()


_VERIFIED: weakref.WeakKeyDictionary[Identity, _Verified] = weakref.WeakKeyDictionary()
_VERIFIED_LOCK = threading.Lock()


def _verified(identity: Identity) -> _Verified:
    with _VERIFIED_LOCK:
        kept = _VERIFIED.get(identity)
        if kept is None:
            kept = _VERIFIED[identity] = _Verified()
        return kept


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now.astimezone(UTC)


def _hash(token: str) -> str:
    # A token is 256 random bits, not a password a person chose: a fast hash is right (nothing
    # to guess, and the check is an index lookup); argon2 would only slow every API call.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, username: str, *, name: str,
                 scopes: Iterable[str] | None = None, days: int = DEFAULT_DAYS,
                 actor: Principal | str, now: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``username``; return it and its secret (shown once, never again).

    ``scopes``: permissions the token is limited to, each held by the user's role; None: all
    of the role's. Audited as ``token_create`` (without the secret).
    """
    user = store.identity.user(username)
    if user is None:
        raise IdentityError(f"user {username!r}: no such user")
    if user.disabled:
        raise IdentityError(f"user {username}: disabled, cannot have a new token")
    if not (name or "").strip():
        raise IdentityError(f"token for {username}: name {name!r} is empty; say what it is for")
    if not 1 <= days <= MAX_DAYS:
        raise IdentityError(f"token for {username}: days {days}, expected 1 to {MAX_DAYS}")
    held = ROLES[user.role]
    if scopes is None:
        chosen = sorted(held)
    else:
        chosen = sorted(set(scopes))
        for scope in chosen:
            if scope not in PERMISSIONS:
                raise IdentityError(f"token for {username}: scope {scope!r} is not a "
                                    f"permission; expected one of {', '.join(PERMISSIONS)}")
            if scope not in held:
                raise IdentityError(f"token for {username}: scope {scope!r} is not a "
                                    f"permission of role {user.role} ({', '.join(sorted(held))})")
        if not chosen:
            raise IdentityError(f"token for {username}: no scopes given")
    moment = _now(now)
    for _ in range(5):  # a prefix collision is rare (32 bits); pick again
        prefix = secrets.token_hex(4)
        if store.identity.token(prefix) is None:
            break
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = store.identity.add_token(username=username, name=name.strip(),
                                     token_hash=_hash(secret), prefix=prefix, scopes=chosen,
                                     expires_at=moment + timedelta(days=days), now=moment)
    audit.record(store, actor=actor, action="token_create", target="token.create",
                 parameters={"username": username, "name": token.name, "scopes": chosen,
                             "days": days, "prefix": prefix},
                 object_ids=[str(token.id)], now=moment)
    return token, secret


def list_tokens(store: Store, username: str | None = None) -> list[ApiToken]:
    """The tokens (of ``username``, or everyone's), without secrets."""
    return store.identity.tokens(username)


def revoke_token(store: Store, token_id_or_prefix: int | str, *, actor: Principal | str,
                 now: datetime | None = None) -> ApiToken:
    """Revoke a token named by its id or prefix; audited as ``token_revoke``."""
    key = str(token_id_or_prefix).strip()
    if key.startswith(TOKEN_PREFIX):  # a whole token pasted: take its prefix, keep no secret
        key = key[len(TOKEN_PREFIX):].split("_", 1)[0]
    moment = _now(now)
    token = store.identity.revoke_token(key, now=moment)
    audit.record(store, actor=actor, action="token_revoke", target="token.revoke",
                 parameters={"token": token.prefix, "username": token.username},
                 object_ids=[str(token.id)], now=moment)
    return token


def authenticate_token(store: Store, bearer: str | None, *, now: datetime | None = None,
                       renew: bool = False) -> Principal | None:
    """The principal of a bearer token, or None.

    None for a malformed, unknown, revoked or expired token, or when its user is disabled.
    Notes ``last_used_at`` at most once a minute. Without ``now``, a token verified within
    :data:`VERIFIED_FOR_S` and no identity change of this store since is not looked up again
    (see the module), unless ``renew``: looked up, and remembered again (or forgotten).
    """
    if not bearer or not bearer.startswith(TOKEN_PREFIX) or len(bearer) > 200:
        return None
    digest = _hash(bearer)
    verified = _verified(store.identity) if now is None else None  # a given time: look up
    try:
        return _authenticate(store, digest, verified, _now(now), renew)
    finally:
        if renew and verified is not None:
            with verified.lock:
                verified.renewing.discard(digest)


def _authenticate(store: Store, digest: str, verified: _Verified | None, moment: datetime,
                  renew: bool) -> Principal | None:
    generation = store.identity.generation  # before the look-up: a change during it counts
    if verified is not None and not renew and \
            (kept := _remembered(store, verified, digest)) is not None:
        return kept
    checked = time.monotonic()
    token = store.identity.token_by_hash(digest)
    user = None if token is None else store.identity.user(token.username)
    if token is None or token.revoked_at is not None or token.expires_at <= moment or \
            user is None or user.disabled:
        if verified is not None:
            with verified.lock:
                verified.tokens.pop(digest, None)
        return None
    if token.last_used_at is None or moment - token.last_used_at >= TOUCH_EVERY:
        store.identity.touch_token(token.id, now=moment)
    principal = principal_for(store, user, "token", scopes=frozenset(token.scopes),
                              token_id=token.id)
    if verified is not None:
        with verified.lock:
            if len(verified.tokens) >= _REMEMBERED_AT_MOST:
                verified.tokens.clear()
            verified.tokens[digest] = (generation, checked, principal, token.expires_at)
    return principal


def remembered_token(store: Store, bearer: str) -> Principal | None:
    """The principal of a bearer token verified lately (see the module), without any look-up.

    None when :func:`authenticate_token` has to look: unknown here, or no longer remembered.
    Lets the HTTP service answer a known program without a database read or a thread.
    """
    if not bearer.startswith(TOKEN_PREFIX) or len(bearer) > 200:
        return None
    return _remembered(store, _verified(store.identity), _hash(bearer))


def renewal_due(store: Store, bearer: str) -> bool:
    """Whether this request should renew the remembered token (see the module).

    True once per renewal: for a token remembered for :data:`RENEW_AFTER_S` or more that no
    other request is renewing. The caller then calls :func:`authenticate_token` with
    ``renew=True`` beside its answer (a worker thread), which ends the renewal.
    """
    verified = _verified(store.identity)
    digest = _hash(bearer)
    kept = verified.tokens.get(digest)
    if kept is None or time.monotonic() - kept[1] < RENEW_AFTER_S:
        return False
    with verified.lock:
        if digest in verified.renewing:
            return False
        verified.renewing.add(digest)
        return True


def _remembered(store: Store, verified: _Verified, digest: str) -> Principal | None:
    kept = verified.tokens.get(digest)
    if kept is None or kept[0] != store.identity.generation or \
            time.monotonic() - kept[1] >= VERIFIED_FOR_S or kept[3] <= datetime.now(UTC):
        return None
    return kept[2]
