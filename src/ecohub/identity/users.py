"""Users, their passwords, sign-in with lock-out, and browser sessions.

Passwords are kept as argon2id hashes with argon2-cffi's default parameters (RFC 9106's
second recommended option, about 64 MiB and a few tens of milliseconds per check) — unlike the
deliberately light hashes of device passwords (:mod:`ecohub.passwords`), which the gateway
checks per packet. A person signs in rarely; a stolen hash must be slow to guess.

:data:`PASSWORD_RULES` says what a password must be. Five failed sign-ins in a row lock the
account for 15 minutes (:data:`LOCK_AFTER`, :data:`LOCK_FOR`); every attempt is audited, never
with the password. A session is a random cookie value and a CSRF token, kept only as SHA-256
hashes, valid 12 hours (:data:`SESSION_HOURS`) unless revoked by signing out, disabling the
user or resetting the password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecohub.identity import audit
from ecohub.identity.roles import ROLES, Principal
from ecohub.store import IdentityError, Store, User
from ecohub.vocabulary import CHINA_TZ

__all__ = ["LOCK_AFTER", "LOCK_FOR", "MIN_LENGTH", "PASSWORD_RULES", "SESSION_HOURS",
           "USERNAME", "IdentityError", "SessionSecrets", "SignInError", "add_user",
           "authenticate_session", "change_password", "check_csrf", "check_password_rules",
           "disable_user", "generate_password", "list_users", "principal_for",
           "reset_password", "sign_in", "sign_out"]

MIN_LENGTH: Final = 12

PASSWORD_RULES: Final = (
    f"at least {MIN_LENGTH} characters, with at least 3 of the 4 kinds: lower-case letters, "
    "upper-case letters, digits, other characters; and not containing the username (of 3 or "
    "more characters)"
)
"""What a user's password must be (checked by :func:`check_password_rules`)."""

LOCK_AFTER: Final = 5
"""Consecutive failed sign-ins that lock an account."""
LOCK_FOR: Final = timedelta(minutes=15)
"""How long a locked account stays locked."""
SESSION_HOURS: Final = 12
"""How long a browser session is valid after sign-in."""
TOUCH_EVERY: Final = timedelta(minutes=1)
"""``last_seen_at`` / ``last_used_at`` are written at most this often."""

USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
"""A username: letters, digits, ``.``, ``_``, ``@``, ``-``; at most 64 characters."""

_HASHER = PasswordHasher()  # argon2-cffi's defaults: argon2id, RFC 9106 low-memory profile
_DUMMY_HASH = _HASHER.hash("not a password of anyone")  # for unknown users: same timing


class SignInError(IdentityError):
    """A sign-in refused: wrong username or password, locked, or disabled."""


@dataclass(frozen=True)
class SessionSecrets:
    """What the browser gets at sign-in: shown once, kept by ecohub only as hashes."""

    cookie_value: str = field(repr=False)
    csrf_token: str = field(repr=False)
    expires_at: datetime


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise IdentityError(f"now {now.isoformat()}: expected a time with a zone")
    return now.astimezone(UTC)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _cst(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def check_password_rules(password: str, username: str) -> None:
    """Raise :class:`IdentityError` unless ``password`` follows :data:`PASSWORD_RULES`.

    The message says which rule is broken, never the password.
    """
    if len(password) < MIN_LENGTH:
        raise IdentityError(f"password for {username}: {len(password)} characters, too short; "
                            f"a password needs {PASSWORD_RULES}")
    kinds = sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                 any(c.isdigit() for c in password),
                 any(not c.isalnum() for c in password)))
    if kinds < 3:
        raise IdentityError(f"password for {username}: only {kinds} of the 4 kinds of "
                            f"character; a password needs {PASSWORD_RULES}")
    if len(username) >= 3 and username.lower() in password.lower():
        raise IdentityError(f"password for {username}: contains the username; a password "
                            f"needs {PASSWORD_RULES}")


def generate_password() -> str:
    """A random one-time password of 16 characters that follows :data:`PASSWORD_RULES`."""
    alphabet = string.ascii_letters + string.digits + "-_.!@#%+="
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password)
                and any(not c.isalnum() for c in password)):
            return password


def _require_user(store: Store, username: str) -> User:
    user = store.identity.user(username)
    if user is None:
        raise IdentityError(f"user {username!r}: no such user")
    return user


def principal_for(store: Store, user: User, kind: str, *,
                  scopes: frozenset[str] | None = None, token_id: int | None = None,
                  session_id: str | None = None) -> Principal:
    """The :class:`Principal` of ``user``.

    With role, organisation, its department name (for an organisation of kind ``department``,
    as registry records name it) and enterprise code.
    """
    organisation = store.identity.organisation(user.organisation)
    department = enterprise_code = None
    if organisation is not None:
        department = organisation.name if organisation.kind == "department" else None
        enterprise_code = organisation.enterprise_code
    return Principal(kind=kind, username=user.username, role=user.role,
                     organisation=user.organisation, department=department,
                     enterprise_code=enterprise_code, scopes=scopes, token_id=token_id,
                     session_id=session_id, must_change_password=user.must_change_password)


def add_user(store: Store, username: str, password: str, *, role: str, organisation: str,
             display_name: str = "", actor: Principal | str,
             must_change_password: bool = False, now: datetime | None = None) -> User:
    """Add a user with ``password`` (checked against :data:`PASSWORD_RULES`, kept as argon2id).

    ``must_change_password``: the password is a one-time one (:func:`generate_password`), to be
    changed at the first sign-in. An ``enterprise`` user belongs to an organisation of kind
    ``enterprise`` and only such users do. Audited as a ``permission_change``.
    """
    if not USERNAME.fullmatch(username or ""):
        raise IdentityError(f"username {username!r}: expected 1 to 64 letters, digits, '.', "
                            "'_', '@' or '-', starting with a letter or digit")
    if role not in ROLES:
        raise IdentityError(f"user {username}: role {role!r}, expected one of "
                            f"{', '.join(ROLES)}")
    org = store.identity.organisation(organisation)
    if org is None:
        raise IdentityError(f"user {username}: organisation {organisation!r} is not a known "
                            "organisation (ecohub admin org list)")
    if org.retired_at is not None:
        raise IdentityError(f"user {username}: organisation {organisation!r} is retired")
    if (role == "enterprise") != (org.kind == "enterprise"):
        raise IdentityError(f"user {username}: role {role!r} in organisation {organisation} "
                            f"of kind {org.kind}; the role enterprise goes with organisations "
                            "of kind enterprise, and only there")
    check_password_rules(password, username)
    moment = _now(now)
    user = store.identity.add_user(username=username, display_name=display_name.strip(),
                                   organisation=organisation, role=role,
                                   password_hash=_HASHER.hash(password),
                                   must_change_password=must_change_password, now=moment)
    audit.record(store, actor=actor, action="permission_change", target="user.add",
                 parameters={"username": username, "role": role, "organisation": organisation,
                             "display_name": user.display_name},
                 object_ids=[username], now=moment)
    return user


def list_users(store: Store) -> list[User]:
    """Every user, by username (no password hashes)."""
    return store.identity.users()


def disable_user(store: Store, username: str, *, actor: Principal | str,
                 now: datetime | None = None) -> User:
    """Disable a user (kept, never deleted): no sign-in, sessions revoked, tokens refused."""
    _require_user(store, username)
    moment = _now(now)
    user = store.identity.disable_user(username, now=moment)
    audit.record(store, actor=actor, action="permission_change", target="user.disable",
                 parameters={"username": username}, object_ids=[username], now=moment)
    return user


def reset_password(store: Store, username: str, *, actor: Principal | str,
                   password: str | None = None, now: datetime | None = None) -> str | None:
    """Set a user's password (an administrator's act).

    Revokes the user's sessions and clears a lock-out.

    With no ``password``, a one-time password is generated, to be changed at the next sign-in,
    and returned (show it once); otherwise None.
    """
    _require_user(store, username)
    one_time = password is None
    new = generate_password() if password is None else password
    check_password_rules(new, username)
    moment = _now(now)
    store.identity.set_password(username, _HASHER.hash(new), must_change=one_time, now=moment)
    store.identity.revoke_sessions(username, now=moment)
    audit.record(store, actor=actor, action="permission_change", target="user.reset_password",
                 parameters={"username": username, "one_time": one_time},
                 object_ids=[username], now=moment)
    return new if one_time else None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def change_password(store: Store, username: str, old: str, new: str, *,
                    now: datetime | None = None) -> None:
    """A user changes their own password.

    ``old`` must be right, ``new`` follow the rules and differ from ``old``. Clears
    ``must_change_password``; audited (without either password).
    """
    moment = _now(now)
    stored = store.identity.password_hash(username)
    if stored is None or not _verify(stored, old):
        audit.record(store, actor=username if stored is not None else None,
                     action="password_change", target="user.change_password",
                     parameters={"username": username}, object_ids=[username],
                     outcome="denied", now=moment)
        raise IdentityError(f"user {username!r}: the current password is wrong")
    if new == old:
        raise IdentityError(f"password for {username}: the new password is the old one")
    check_password_rules(new, username)
    store.identity.set_password(username, _HASHER.hash(new), must_change=False, now=moment)
    audit.record(store, actor=_principal_or_name(store, username), action="password_change",
                 target="user.change_password", object_ids=[username], now=moment)


def _principal_or_name(store: Store, username: str) -> Principal:
    user = store.identity.user(username)
    if user is None:
        return Principal(kind="anonymous", username=username)
    return principal_for(store, user, "session")


def sign_in(store: Store, username: str, password: str, *, ip: str | None,
            now: datetime | None = None) -> tuple[Principal, SessionSecrets]:
    """Check a user's password and open a browser session.

    Refused (:class:`SignInError`) for an unknown user or wrong password (one message for
    both), a locked account (the message says until when, China Standard Time) or a disabled
    user. The audit event of a refusal names the reason: ``unknown_user``, ``wrong_password``,
    ``wrong_password_locked``, ``locked`` or ``disabled``. :data:`LOCK_AFTER` failures in a
    row lock the account for :data:`LOCK_FOR`. Every attempt is audited with its outcome,
    never with the password.
    """
    moment = _now(now)
    user = store.identity.user(username)

    def refuse(message: str, reason: str) -> SignInError:
        audit.record(store, actor=Principal(kind="anonymous", username=user.username)
                     if user is not None else None,
                     action="sign_in", target="session.sign_in",
                     parameters={"username": username, "reason": reason},
                     object_ids=[username] if user is not None else (), outcome="denied",
                     ip=ip, now=moment)
        return SignInError(message)

    wrong = "sign-in refused: the username or password is wrong"
    if user is None:
        _verify(_DUMMY_HASH, password)  # take as long as for a known user
        raise refuse(wrong, "unknown_user")
    if user.locked_until is not None and user.locked_until > moment:
        raise refuse(f"sign-in refused: user {username} is locked after {LOCK_AFTER} failed "
                     f"sign-ins until {_cst(user.locked_until)} China Standard Time", "locked")
    stored = store.identity.password_hash(username) or _DUMMY_HASH
    if not _verify(stored, password):
        after = store.identity.record_failure(username, now=moment, lock_after=LOCK_AFTER,
                                              lock_for=LOCK_FOR)
        if after.locked_until is not None and after.locked_until > moment:
            raise refuse(f"sign-in refused: the username or password is wrong; user "
                         f"{username} is now locked after {LOCK_AFTER} failed sign-ins until "
                         f"{_cst(after.locked_until)} China Standard Time",
                         "wrong_password_locked")
        raise refuse(wrong, "wrong_password")
    if user.disabled:
        raise refuse(f"sign-in refused: user {username} is disabled", "disabled")
    if _HASHER.check_needs_rehash(stored):
        store.identity.set_password(username, _HASHER.hash(password), must_change=False,
                                    now=moment, rehash_only=True)
    store.identity.record_success(username)
    cookie_value, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = moment + timedelta(hours=SESSION_HOURS)
    record = store.identity.add_session(id_hash=_sha256(cookie_value), username=username,
                                        csrf_token_hash=_sha256(csrf_token),
                                        expires_at=expires_at, ip=ip, now=moment)
    principal = principal_for(store, store.identity.user(username) or user, "session",
                              session_id=record.id_hash)
    audit.record(store, actor=principal, action="sign_in", target="session.sign_in",
                 object_ids=[username], ip=ip, now=moment)
    return principal, SessionSecrets(cookie_value, csrf_token, expires_at)


def sign_out(store: Store, cookie_value: str, *, ip: str | None = None,
             now: datetime | None = None) -> bool:
    """End a browser session; False if it was not open. Audited."""
    moment = _now(now)
    id_hash = _sha256(cookie_value)
    record = store.identity.session(id_hash)
    ended = store.identity.revoke_session(id_hash, now=moment)
    if record is not None:
        user = store.identity.user(record.username)
        actor = (principal_for(store, user, "session", session_id=id_hash)
                 if user is not None else None)
        audit.record(store, actor=actor, action="sign_out", target="session.sign_out",
                     object_ids=[record.username], outcome="ok" if ended else "failed",
                     ip=ip, now=moment)
    return ended


def authenticate_session(store: Store, cookie_value: str | None, *,
                         now: datetime | None = None) -> Principal | None:
    """The principal of a session cookie, or None.

    None for an unknown, expired or revoked session, or when its user is disabled. Notes
    ``last_seen_at`` at most once a minute.
    """
    if not cookie_value:
        return None
    moment = _now(now)
    record = store.identity.session(_sha256(cookie_value))
    if record is None or record.revoked_at is not None or record.expires_at <= moment:
        return None
    user = store.identity.user(record.username)
    if user is None or user.disabled:
        return None
    if moment - record.last_seen_at >= TOUCH_EVERY:
        store.identity.touch_session(record.id_hash, now=moment)
    return principal_for(store, user, "session", session_id=record.id_hash)


def check_csrf(store: Store, cookie_value: str | None, csrf_token: str | None, *,
               now: datetime | None = None) -> bool:
    """Whether ``csrf_token`` was issued with the open session of ``cookie_value``.

    Compared in constant time (:func:`hmac.compare_digest`).
    """
    if not cookie_value or not csrf_token:
        return False
    record = store.identity.session(_sha256(cookie_value))
    if record is None or record.revoked_at is not None or record.expires_at <= _now(now):
        return False
    return hmac.compare_digest(record.csrf_token_hash, _sha256(csrf_token))
