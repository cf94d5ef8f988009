"""Identity records: organisations, users, API tokens, browser sessions, and the audit log.

What goes in and comes out are frozen records (:class:`Organisation`, :class:`User`,
:class:`ApiToken`, :class:`SessionRecord`, :class:`AuditEvent`); the ORM rows of
:mod:`ecohub.store.models` stay inside this module. The rules — password strength, lock-out,
scopes, what is audited — are :mod:`ecohub.identity`'s; this module only keeps the records.

Secrets are never stored: users' passwords as argon2id hashes, token and session secrets as
SHA-256 hashes (the callers hash them). The audit log is append-only: there are functions to
append events and functions to read them, none to change or delete one.

The HTTP service puts every request on the audit log. So that no request waits for an insert,
:meth:`Identity.append_event_soon` queues the event and a writer thread inserts the queue in
one transaction every :data:`AUDIT_FLUSH_S` (or at :data:`AUDIT_BATCH` events); every read of
the log, and closing, writes the queue first, so a reader never misses an event appended
before its read.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from ecohub.store import models

__all__ = ["AUDIT_BATCH", "AUDIT_FLUSH_S", "ApiToken", "AuditEvent", "Identity",
           "IdentityError", "ObjectIds", "Organisation", "SessionRecord", "User",
           "json_text"]

log = logging.getLogger(__name__)

AUDIT_FLUSH_S = 0.1
"""How long a queued audit event waits at most before the writer inserts it (seconds)."""
AUDIT_BATCH = 500
"""Queued audit events that make the writer insert at once."""


class IdentityError(ValueError):
    """An identity request that cannot be done: unknown or duplicate record, a rule broken."""


@dataclass(frozen=True)
class Organisation:
    """An organisation whose people use the platform."""

    code: str
    name: str
    kind: str
    """One of :data:`ecohub.store.models.ORGANISATION_KINDS`."""
    parent: str | None = None
    """The code of the organisation it belongs to."""
    enterprise_code: str | None = None
    """For kind ``enterprise``: the registry code of its pollution source."""
    created_at: datetime | None = None
    retired_at: datetime | None = None


@dataclass(frozen=True)
class User:
    """A user as lists and checks see it (the password hash is not part of it)."""

    username: str
    display_name: str
    organisation: str
    role: str
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None
    must_change_password: bool = False

    @property
    def disabled(self) -> bool:
        """Whether the user is disabled (no sign-in, no tokens)."""
        return self.disabled_at is not None


@dataclass(frozen=True)
class ApiToken:
    """An API token without its secret."""

    id: int
    username: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class SessionRecord:
    """A browser session as stored: hashes of the cookie and CSRF token, never the values."""

    id_hash: str
    username: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    revoked_at: datetime | None = None
    ip: str | None = None
    csrf_token_hash: str = field(default="", repr=False)


@dataclass(frozen=True)
class AuditEvent:
    """One access or change on the record."""

    id: int
    at: datetime
    actor: str | None
    actor_kind: str
    """``session``, ``token``, ``anonymous`` or ``cli``."""
    action: str
    target: str
    outcome: str
    token_id: int | None = None
    organisation: str | None = None
    ip: str | None = None
    method: str | None = None
    parameters: dict = field(default_factory=dict)
    object_ids: tuple[str, ...] = ()
    row_count: int | None = None
    status: int | None = None


class ObjectIds(tuple[str, ...]):
    """Object ids as an audit event keeps them (strings), made once for many events.

    The HTTP service sends one kept answer many times a second, and each sending is an
    audit event naming the same objects (300 for a map's ``/latest``): made from the answer
    once, the ids are neither converted nor written as JSON again per event (:func:`json_text`,
    the store's JSON writer). ``ObjectIds.of(ids)`` takes ids of any type.
    """

    @classmethod
    def of(cls, ids: Iterable[object]) -> ObjectIds:
        """``ids`` as strings (itself, if it is one already)."""
        return ids if isinstance(ids, cls) else cls(map(str, ids))

    @functools.cached_property
    def json(self) -> str:
        """The ids as a JSON array, written once."""
        return json.dumps(list(self))


def json_text(value: object) -> str:
    """The store's JSON writer (its engines' ``json_serializer``): ``json.dumps``.

    The text of an :class:`ObjectIds` is made once.
    """
    return value.json if isinstance(value, ObjectIds) else json.dumps(value)


class Identity:
    """The identity records of the operational database (:attr:`ecohub.store.Store.identity`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.generation = 0
        """Moves after every change of organisations, users, tokens or sessions made through
        this object (not of the audit log, nor the last-used times): what a cache of verified
        credentials in this process compares (:func:`ecohub.identity.tokens.authenticate_token`).
        Changes made by other processes do not move it."""
        self._queue: list[dict[str, Any]] = []
        self._queued = threading.Condition()
        self._inserting = threading.Lock()  # one batch at a time: a flush waits for the writer's
        self._writer: threading.Thread | None = None
        self._closing = False

    @contextmanager
    def _changing(self) -> Iterator[Session]:
        """A transaction that changes identity records.

        :attr:`generation` moves once it is committed (or not), so a credential read before
        the change is not kept past it.
        """
        try:
            with Session(self.engine) as session, session.begin():
                yield session
        finally:
            self.generation += 1

    # -- organisations -------------------------------------------------------------------

    def add_organisation(self, organisation: Organisation, *, now: datetime) -> Organisation:
        """Keep a new organisation; its code must be new and its parent known."""
        with self._changing() as session:
            if _org_row(session, organisation.code) is not None:
                raise IdentityError(f"organisation {organisation.code!r}: code exists already")
            if organisation.parent is not None and _org_row(session, organisation.parent) is None:
                raise IdentityError(f"organisation {organisation.code!r}: parent "
                                    f"{organisation.parent!r} is not a known organisation")
            row = models.Organisation(
                code=organisation.code, name=organisation.name, kind=organisation.kind,
                parent_code=organisation.parent, enterprise_code=organisation.enterprise_code,
                created_at=now)
            session.add(row)
            session.flush()
            return _organisation(row)

    def organisations(self) -> list[Organisation]:
        """Every organisation, by code."""
        with Session(self.engine) as session:
            rows = session.scalars(select(models.Organisation).order_by(models.Organisation.code))
            return [_organisation(row) for row in rows]

    def organisation(self, code: str) -> Organisation | None:
        """The organisation ``code``, or None."""
        with Session(self.engine) as session:
            row = _org_row(session, code)
            return None if row is None else _organisation(row)

    # -- users ---------------------------------------------------------------------------

    def add_user(self, *, username: str, display_name: str, organisation: str, role: str,
                 password_hash: str, must_change_password: bool, now: datetime) -> User:
        """Keep a new user; the username must be new and the organisation known."""
        with self._changing() as session:
            if _user_row(session, username) is not None:
                raise IdentityError(f"user {username!r}: username exists already")
            if _org_row(session, organisation) is None:
                raise IdentityError(f"user {username!r}: organisation {organisation!r} is not "
                                    "a known organisation")
            row = models.User(
                username=username, display_name=display_name, organisation=organisation,
                role=role, password_hash=password_hash, disabled_at=None, failed_attempts=0,
                locked_until=None, password_changed_at=now,
                must_change_password=int(must_change_password), created_at=now)
            session.add(row)
            session.flush()
            return _user(row)

    def users(self) -> list[User]:
        """Every user, by username."""
        with Session(self.engine) as session:
            return [_user(row) for row in
                    session.scalars(select(models.User).order_by(models.User.username))]

    def user(self, username: str) -> User | None:
        """The user ``username``, or None."""
        with Session(self.engine) as session:
            row = _user_row(session, username)
            return None if row is None else _user(row)

    def password_hash(self, username: str) -> str | None:
        """The stored argon2 hash of the user's password (for checking it), or None."""
        with Session(self.engine) as session:
            return session.scalar(select(models.User.password_hash)
                                  .where(models.User.username == username))

    def administrators(self) -> list[User]:
        """The users of role ``administrator``, disabled ones included."""
        return [user for user in self.users() if user.role == "administrator"]

    def set_password(self, username: str, password_hash: str, *, must_change: bool,
                     now: datetime, rehash_only: bool = False) -> None:
        """Replace the user's password hash; clears any lock-out.

        ``rehash_only``: the same password under new hash parameters (nothing else changes).
        """
        values: dict = {"password_hash": password_hash}
        if not rehash_only:
            values.update(password_changed_at=now, must_change_password=int(must_change),
                          failed_attempts=0, locked_until=None)
        self._update_user(username, values)

    def disable_user(self, username: str, *, now: datetime) -> User:
        """Mark the user disabled (kept, never deleted) and revoke their sessions."""
        with self._changing() as session:
            row = _require_user(session, username)
            if row.disabled_at is None:
                row.disabled_at = now
            session.execute(update(models.UserSession)
                            .where(models.UserSession.username == username,
                                   models.UserSession.revoked_at.is_(None))
                            .values(revoked_at=now))
            session.flush()
            return _user(row)

    def record_failure(self, username: str, *, now: datetime, lock_after: int,
                       lock_for) -> User:
        """Count a failed sign-in; the ``lock_after``-th in a row locks until now + lock_for."""
        with self._changing() as session:
            row = session.scalar(select(models.User).where(models.User.username == username)
                                 .with_for_update())
            if row is None:
                raise IdentityError(f"user {username!r}: no such user")
            row.failed_attempts = (row.failed_attempts or 0) + 1
            if row.failed_attempts >= lock_after:
                row.locked_until = now + lock_for
                row.failed_attempts = 0
            session.flush()
            return _user(row)

    def record_success(self, username: str) -> None:
        """A sign-in succeeded: the count of failures starts again."""
        self._update_user(username, {"failed_attempts": 0, "locked_until": None})

    def _update_user(self, username: str, values: dict) -> None:
        with self._changing() as session:
            done = session.execute(update(models.User).where(models.User.username == username)
                                   .values(**values))
            if done.rowcount == 0:
                raise IdentityError(f"user {username!r}: no such user")

    # -- API tokens ----------------------------------------------------------------------

    def add_token(self, *, username: str, name: str, token_hash: str, prefix: str,
                  scopes: Sequence[str], expires_at: datetime, now: datetime) -> ApiToken:
        """Keep a new token's hash (the secret itself is never stored)."""
        with self._changing() as session:
            _require_user(session, username)
            if session.scalar(select(models.ApiToken.id)
                              .where(models.ApiToken.prefix == prefix)) is not None:
                raise IdentityError(f"token prefix {prefix!r} exists already")
            row = models.ApiToken(username=username, name=name, token_hash=token_hash,
                                  prefix=prefix, scopes=list(scopes), expires_at=expires_at,
                                  revoked_at=None, created_at=now, last_used_at=None)
            session.add(row)
            session.flush()
            return _token(row)

    def tokens(self, username: str | None = None) -> list[ApiToken]:
        """The tokens (of ``username``, or everyone's), oldest first."""
        query = select(models.ApiToken).order_by(models.ApiToken.id)
        if username is not None:
            query = query.where(models.ApiToken.username == username)
        with Session(self.engine) as session:
            return [_token(row) for row in session.scalars(query)]

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        """The token whose secret hashes to ``token_hash``, or None."""
        with Session(self.engine) as session:
            row = session.scalar(select(models.ApiToken)
                                 .where(models.ApiToken.token_hash == token_hash))
            return None if row is None else _token(row)

    def token(self, id_or_prefix: int | str) -> ApiToken | None:
        """The token by its id or its prefix, or None."""
        with Session(self.engine) as session:
            row = _token_row(session, id_or_prefix)
            return None if row is None else _token(row)

    def revoke_token(self, id_or_prefix: int | str, *, now: datetime) -> ApiToken:
        """Revoke a token (kept, never deleted); revoking twice keeps the first time."""
        with self._changing() as session:
            row = _token_row(session, id_or_prefix)
            if row is None:
                raise IdentityError(f"token {id_or_prefix!r}: no token has this id or prefix")
            if row.revoked_at is None:
                row.revoked_at = now
            session.flush()
            return _token(row)

    def touch_token(self, token_id: int, *, now: datetime) -> None:
        """Note when the token was last used."""
        with Session(self.engine) as session, session.begin():
            session.execute(update(models.ApiToken).where(models.ApiToken.id == token_id)
                            .values(last_used_at=now))

    # -- sessions ------------------------------------------------------------------------

    def add_session(self, *, id_hash: str, username: str, csrf_token_hash: str,
                    expires_at: datetime, ip: str | None, now: datetime) -> SessionRecord:
        """Keep a new browser session (hashes only)."""
        with self._changing() as session:
            _require_user(session, username)
            row = models.UserSession(id_hash=id_hash, username=username,
                                     csrf_token_hash=csrf_token_hash, created_at=now,
                                     expires_at=expires_at, last_seen_at=now, revoked_at=None,
                                     ip=ip)
            session.add(row)
            session.flush()
            return _session(row)

    def session(self, id_hash: str) -> SessionRecord | None:
        """The session whose cookie hashes to ``id_hash``, or None."""
        with Session(self.engine) as session:
            row = session.get(models.UserSession, id_hash)
            return None if row is None else _session(row)

    def sessions(self, username: str | None = None) -> list[SessionRecord]:
        """The sessions (of ``username``, or everyone's), oldest first."""
        query = select(models.UserSession).order_by(models.UserSession.created_at)
        if username is not None:
            query = query.where(models.UserSession.username == username)
        with Session(self.engine) as session:
            return [_session(row) for row in session.scalars(query)]

    def revoke_session(self, id_hash: str, *, now: datetime) -> bool:
        """Revoke a session; False if there is no such session or it was revoked already."""
        with self._changing() as session:
            done = session.execute(update(models.UserSession)
                                   .where(models.UserSession.id_hash == id_hash,
                                          models.UserSession.revoked_at.is_(None))
                                   .values(revoked_at=now))
            return done.rowcount > 0

    def revoke_sessions(self, username: str, *, now: datetime) -> int:
        """Revoke every open session of a user; how many were open."""
        with self._changing() as session:
            done = session.execute(update(models.UserSession)
                                   .where(models.UserSession.username == username,
                                          models.UserSession.revoked_at.is_(None))
                                   .values(revoked_at=now))
            return done.rowcount

    def touch_session(self, id_hash: str, *, now: datetime) -> None:
        """Note when the session was last seen."""
        with Session(self.engine) as session, session.begin():
            session.execute(update(models.UserSession)
                            .where(models.UserSession.id_hash == id_hash)
                            .values(last_seen_at=now))

    # -- the audit log (append-only) ----------------------------------------------------

    def append_event(self, *, at: datetime, actor: str | None, actor_kind: str, action: str,
                     target: str, outcome: str, token_id: int | None = None,
                     organisation: str | None = None, ip: str | None = None,
                     method: str | None = None, parameters: dict | None = None,
                     object_ids: Sequence[str] = (), row_count: int | None = None,
                     status: int | None = None) -> AuditEvent:
        """Append one event; there is no function to change or delete one."""
        with Session(self.engine) as session, session.begin():
            row = models.AuditEvent(
                at=at, actor=actor, actor_kind=actor_kind, token_id=token_id,
                organisation=organisation, ip=ip, action=action, target=target, method=method,
                parameters=dict(parameters or {}), object_ids=ObjectIds.of(object_ids),
                row_count=row_count, outcome=outcome, status=status)
            session.add(row)
            session.flush()
            return _event(row)

    def append_event_soon(self, *, at: datetime, actor: str | None, actor_kind: str,
                          action: str, target: str, outcome: str, token_id: int | None = None,
                          organisation: str | None = None, ip: str | None = None,
                          method: str | None = None, parameters: dict | None = None,
                          object_ids: Sequence[str] = (), row_count: int | None = None,
                          status: int | None = None) -> None:
        """Queue one event for the writer thread (see the module); returns at once.

        The event is in the log within :data:`AUDIT_FLUSH_S`, and before any read of the log
        or the close of the store that starts after this call.
        """
        event = {"at": at, "actor": actor, "actor_kind": actor_kind, "token_id": token_id,
                 "organisation": organisation, "ip": ip, "action": action, "target": target,
                 "method": method, "parameters": dict(parameters or {}),
                 "object_ids": ObjectIds.of(object_ids), "row_count": row_count,
                 "outcome": outcome, "status": status}
        with self._queued:
            if self._closing:
                raise RuntimeError("the store is closed: the audit event cannot be kept")
            self._queue.append(event)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_queued, daemon=True,
                                                name="ecohub-audit-writer")
                self._writer.start()
            if len(self._queue) in (1, AUDIT_BATCH):  # the writer waits for the first, and
                self._queued.notify()               # then for a batch or AUDIT_FLUSH_S

    def flush_events(self) -> None:
        """Insert the queued events now (the reads of the log call this first)."""
        with self._inserting:
            with self._queued:
                batch, self._queue = self._queue, []
            self._insert(batch)

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        """Insert the batch in one transaction.

        On failure the batch goes back to the queue's head (nothing is lost) and the error is
        raised.
        """
        if not batch:
            return
        try:
            with Session(self.engine) as session, session.begin():
                session.execute(insert(models.AuditEvent), batch)
        except BaseException:
            with self._queued:
                self._queue[:0] = batch
            raise

    def _write_queued(self) -> None:
        while True:
            with self._queued:
                while not self._queue and not self._closing:
                    self._queued.wait()
                if not self._queue:
                    return  # closing, and nothing left
                if len(self._queue) < AUDIT_BATCH and not self._closing:
                    self._queued.wait(AUDIT_FLUSH_S)  # let a batch gather
            try:
                self.flush_events()
            except Exception:  # kept in the queue: the next round tries again
                log.exception("audit events not written yet (%d queued); retrying",
                              len(self._queue))
                with self._queued:
                    if self._closing:  # close() reports it
                        return
                    self._queued.wait(1.0)

    def close(self) -> None:
        """Write the queued events and stop the writer (the store closes)."""
        with self._queued:
            self._closing = True
            writer = self._writer
            self._queued.notify()
        if writer is not None:
            writer.join()
        self.flush_events()

    def events(self, *, actor: str | None = None, since: datetime | None = None,
               until: datetime | None = None, action: str | None = None,
               limit: int = 1000) -> list[AuditEvent]:
        """Events newest first: of ``actor``, at or after ``since``, before ``until``."""
        self.flush_events()
        query = select(models.AuditEvent)
        if actor is not None:
            query = query.where(models.AuditEvent.actor == actor)
        if since is not None:
            query = query.where(models.AuditEvent.at >= since)
        if until is not None:
            query = query.where(models.AuditEvent.at < until)
        if action is not None:
            query = query.where(models.AuditEvent.action == action)
        query = query.order_by(models.AuditEvent.at.desc(), models.AuditEvent.id.desc())
        with Session(self.engine) as session:
            return [_event(row) for row in session.scalars(query.limit(limit))]


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC; PostgreSQL aware times: both as aware UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _org_row(session: Session, code: str) -> models.Organisation | None:
    return session.scalar(select(models.Organisation).where(models.Organisation.code == code))


def _user_row(session: Session, username: str) -> models.User | None:
    return session.scalar(select(models.User).where(models.User.username == username))


def _require_user(session: Session, username: str) -> models.User:
    row = _user_row(session, username)
    if row is None:
        raise IdentityError(f"user {username!r}: no such user")
    return row


def _token_row(session: Session, id_or_prefix: int | str) -> models.ApiToken | None:
    key = str(id_or_prefix)
    if key.isdigit():
        row = session.get(models.ApiToken, int(key))
        if row is not None:
            return row
    return session.scalar(select(models.ApiToken).where(models.ApiToken.prefix == key))


def _organisation(row: models.Organisation) -> Organisation:
    return Organisation(code=row.code, name=row.name, kind=row.kind, parent=row.parent_code,
                        enterprise_code=row.enterprise_code, created_at=_utc(row.created_at),
                        retired_at=_utc(row.retired_at))


def _user(row: models.User) -> User:
    return User(username=row.username, display_name=row.display_name,
                organisation=row.organisation, role=row.role,
                created_at=_utc(row.created_at),  # type: ignore[arg-type]
                password_changed_at=_utc(row.password_changed_at),  # type: ignore[arg-type]
                disabled_at=_utc(row.disabled_at), failed_attempts=row.failed_attempts or 0,
                locked_until=_utc(row.locked_until),
                must_change_password=bool(row.must_change_password))


def _token(row: models.ApiToken) -> ApiToken:
    return ApiToken(id=row.id, username=row.username, name=row.name, prefix=row.prefix,
                    scopes=tuple(row.scopes or ()),
                    expires_at=_utc(row.expires_at),  # type: ignore[arg-type]
                    created_at=_utc(row.created_at),  # type: ignore[arg-type]
                    revoked_at=_utc(row.revoked_at), last_used_at=_utc(row.last_used_at))


def _session(row: models.UserSession) -> SessionRecord:
    return SessionRecord(id_hash=row.id_hash, username=row.username,
                         created_at=_utc(row.created_at),  # type: ignore[arg-type]
                         expires_at=_utc(row.expires_at),  # type: ignore[arg-type]
                         last_seen_at=_utc(row.last_seen_at),  # type: ignore[arg-type]
                         revoked_at=_utc(row.revoked_at), ip=row.ip,
                         csrf_token_hash=row.csrf_token_hash)


def _event(row: models.AuditEvent) -> AuditEvent:
    return AuditEvent(id=row.id, at=_utc(row.at),  # type: ignore[arg-type]
                      actor=row.actor, actor_kind=row.actor_kind, action=row.action,
                      target=row.target, outcome=row.outcome, token_id=row.token_id,
                      organisation=row.organisation, ip=row.ip, method=row.method,
                      parameters=dict(row.parameters or {}),
                      object_ids=tuple(row.object_ids or ()), row_count=row.row_count,
                      status=row.status)
