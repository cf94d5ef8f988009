"""Every access on the record: who, how, what, with which outcome (the audit log).

Each event names the actor (a username, or None for the public), how they came
(``actor_kind``: a browser ``session``, an API ``token``, ``anonymous``, or the ``cli`` run by an
operating-system user), the action (:data:`ACTIONS`), the target (endpoint or command), the
parameters — scrubbed of anything that looks secret (:func:`scrub`) — the objects touched, the
row count and the outcome. The log is append-only: nothing in ecohub changes or deletes an
event. Auditors read it with :func:`events` or export it (:func:`events_frame`,
``ecohub audit list --out audit.xlsx``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl

from ecohub.identity.roles import Principal
from ecohub.store import AuditEvent, IdentityError, ObjectIds, Store

__all__ = ["ACTIONS", "ACTOR_KINDS", "COLUMNS", "OUTCOMES", "SCRUBBED", "events",
           "events_frame", "record", "record_soon", "scrub"]

ACTIONS: Final[dict[str, str]] = {
    "read": "查询",
    "export": "导出",
    "change": "变更",
    "sign_in": "登录",
    "sign_out": "退出",
    "password_change": "修改密码",
    "permission_change": "权限变更",
    "token_create": "创建令牌",
    "token_revoke": "吊销令牌",
}
"""The actions the log knows, with their Chinese names (others are kept as given)."""

ACTOR_KINDS: Final[dict[str, str]] = {
    "session": "浏览器会话", "token": "接口令牌", "anonymous": "匿名", "cli": "命令行",
}

OUTCOMES: Final[dict[str, str]] = {
    "ok": "成功", "denied": "拒绝", "failed": "失败", "error": "出错",
}

SCRUBBED: Final = "***"
"""What the log keeps instead of a secret-looking parameter's value."""

_SECRET_KEY = re.compile(r"password|passwd|pw|token|secret|authorization|cookie|csrf",
                         re.IGNORECASE)

COLUMNS: Final[dict[str, str]] = {
    "id": "编号", "at": "时间", "actor": "用户", "actor_kind": "访问方式",
    "organisation": "所属组织", "token_id": "令牌编号", "ip": "IP地址", "action": "操作",
    "target": "访问对象", "method": "方法", "parameters": "参数", "object_ids": "涉及对象",
    "row_count": "记录数", "outcome": "结果", "status": "状态码",
}
"""Event field → its Chinese column label in exports."""


def scrub(value: Any) -> Any:
    """``value`` with every mapping entry whose key looks secret replaced by ``"***"``.

    A key looks secret if it contains (case-insensitive) password, passwd, pw, token, secret,
    authorization, cookie or csrf; mappings inside mappings and lists are scrubbed too.

    >>> scrub({"q": "PM2.5", "auth": {"Password": "x", "list": [{"api_token": "y"}]}})
    {'q': 'PM2.5', 'auth': {'Password': '***', 'list': [{'api_token': '***'}]}}
    """
    if isinstance(value, Mapping):
        return {str(key): SCRUBBED if _SECRET_KEY.search(str(key)) else scrub(item)
                for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def record(store: Store, *, actor: Principal | str | None, action: str, target: str,
           method: str | None = None, parameters: Mapping[str, Any] | None = None,
           object_ids: Iterable[object] = (), row_count: int | None = None,
           outcome: str = "ok", status: int | None = None, ip: str | None = None,
           now: datetime | None = None) -> AuditEvent:
    """Append one event to the audit log.

    Parameters
    ----------
    actor : Principal, str or None
        A :class:`Principal` (its kind, username, organisation and token are kept); a string:
        an operating-system user running the ``ecohub`` command (``actor_kind`` ``cli``);
        None: nobody signed in.
    action : str
        What was done, usually one of :data:`ACTIONS`.
    target : str
        The endpoint or command.
    parameters : mapping, optional
        The request's parameters; scrubbed of secrets (:func:`scrub`) before they are kept.
    outcome : str
        ``ok``, ``denied``, ``failed`` or ``error``.
    status : int, optional
        The HTTP status or the command's exit code.
    """
    return store.identity.append_event(**_event(
        actor=actor, action=action, target=target, method=method, parameters=parameters,
        object_ids=object_ids, row_count=row_count, outcome=outcome, status=status, ip=ip,
        now=now))


def record_soon(store: Store, *, actor: Principal | str | None, action: str, target: str,
                method: str | None = None, parameters: Mapping[str, Any] | None = None,
                object_ids: Iterable[object] = (), row_count: int | None = None,
                outcome: str = "ok", status: int | None = None, ip: str | None = None,
                now: datetime | None = None) -> None:
    """:func:`record` without waiting for the insert (what the HTTP service does per request).

    The event is queued and written in a batch within a fraction of a second; every read of the
    log (:func:`events`) and the close of the store write the queue first, so nothing is lost
    and a read never misses an event recorded before it.
    """
    store.identity.append_event_soon(**_event(
        actor=actor, action=action, target=target, method=method, parameters=parameters,
        object_ids=object_ids, row_count=row_count, outcome=outcome, status=status, ip=ip,
        now=now))


def _event(*, actor: Principal | str | None, action: str, target: str, method: str | None,
           parameters: Mapping[str, Any] | None, object_ids: Iterable[object],
           row_count: int | None, outcome: str, status: int | None, ip: str | None,
           now: datetime | None) -> dict[str, Any]:
    """The event's fields as kept (see :func:`record`)."""
    if outcome not in OUTCOMES:
        raise IdentityError(f"audit outcome {outcome!r}: expected one of {', '.join(OUTCOMES)}")
    if not action:
        raise IdentityError("audit action '': expected a word such as read or change")
    if isinstance(actor, Principal):
        name, kind = actor.username, actor.kind
        token_id, organisation = actor.token_id, actor.organisation
    elif isinstance(actor, str):
        name, kind, token_id, organisation = actor, "cli", None, None
    else:
        name, kind, token_id, organisation = None, "anonymous", None, None
    return {"at": now or datetime.now(UTC), "actor": name, "actor_kind": kind,
            "token_id": token_id, "organisation": organisation, "ip": ip, "action": action,
            "target": target, "method": method, "parameters": scrub(dict(parameters or {})),
            "object_ids": ObjectIds.of(object_ids), "row_count": row_count,
            "outcome": outcome, "status": status}


def events(store: Store, *, actor: str | None = None, since: datetime | None = None,
           until: datetime | None = None, action: str | None = None,
           limit: int = 1000) -> list[AuditEvent]:
    """The events newest first, at most ``limit``.

    Of ``actor``, from ``since`` (inclusive) to ``until`` (exclusive), of one ``action``.
    """
    if limit < 1:
        raise IdentityError(f"audit limit {limit}: expected a positive number of events")
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise IdentityError(f"audit {name} {moment.isoformat()}: expected a time with a "
                                "zone (China Standard Time is +08:00)")
    return store.identity.events(actor=actor, since=since, until=until, action=action,
                                 limit=limit)


def events_frame(store: Store, *, actor: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, action: str | None = None,
                 limit: int = 1000) -> pl.DataFrame:
    """:func:`events` as a table for people (an auditor's export).

    Chinese column labels (:data:`COLUMNS`), times in China Standard Time, actions, access
    kinds and outcomes in Chinese.
    """
    import json

    rows = events(store, actor=actor, since=since, until=until, action=action, limit=limit)
    frame = pl.DataFrame(
        {
            "id": [e.id for e in rows],
            "at": [e.at for e in rows],
            "actor": [e.actor for e in rows],
            "actor_kind": [ACTOR_KINDS.get(e.actor_kind, e.actor_kind) for e in rows],
            "organisation": [e.organisation for e in rows],
            "token_id": [e.token_id for e in rows],
            "ip": [e.ip for e in rows],
            "action": [ACTIONS.get(e.action, e.action) for e in rows],
            "target": [e.target for e in rows],
            "method": [e.method for e in rows],
            "parameters": [json.dumps(e.parameters, ensure_ascii=False) if e.parameters else ""
                           for e in rows],
            "object_ids": [", ".join(e.object_ids) for e in rows],
            "row_count": [e.row_count for e in rows],
            "outcome": [OUTCOMES.get(e.outcome, e.outcome) for e in rows],
            "status": [e.status for e in rows],
        },
        schema={"id": pl.Int64, "at": pl.Datetime("us", "UTC"), "actor": pl.String,
                "actor_kind": pl.String, "organisation": pl.String, "token_id": pl.Int64,
                "ip": pl.String, "action": pl.String, "target": pl.String,
                "method": pl.String, "parameters": pl.String, "object_ids": pl.String,
                "row_count": pl.Int64, "outcome": pl.String, "status": pl.Int64},
    )
    frame = frame.with_columns(pl.col("at").dt.convert_time_zone("Asia/Shanghai"))  # CST, UTC+8
    return frame.rename(COLUMNS)
