"""The audit log: every sign-in on the record without a secret; parameters scrubbed."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from tests.identity.conftest import ADMIN, PASSWORD, T0, every_cell

from ecohub.identity import (
    IdentityError,
    Principal,
    SignInError,
    create_token,
    events,
    events_frame,
    record,
    scrub,
    sign_in,
)
from ecohub.identity.audit import COLUMNS
from ecohub.store.identity import Identity


def test_sign_in_success_and_failure_are_audited_without_the_password(people):
    wrong = "Wrong-But-Close-42"
    with pytest.raises(SignInError):
        sign_in(people, "alice", wrong, ip="10.1.1.1", now=T0)
    with pytest.raises(SignInError):
        sign_in(people, "nobody", wrong, ip="10.1.1.2", now=T0)
    _, secrets = sign_in(people, "alice", PASSWORD, ip="10.1.1.1", now=T0 + timedelta(seconds=1))
    _, token = create_token(people, "alice", name="x", actor=ADMIN, now=T0)
    signs = events(people, action="sign_in")
    assert [(e.actor, e.actor_kind, e.outcome, e.ip) for e in signs] == [  # newest first
        ("alice", "session", "ok", "10.1.1.1"),
        (None, "anonymous", "denied", "10.1.1.2"),
        ("alice", "anonymous", "denied", "10.1.1.1"),
    ]
    assert signs[2].parameters == {"username": "alice", "reason": "wrong_password"}
    assert signs[0].organisation == "dept-air"
    secrets_ = [PASSWORD, wrong, token, secrets.cookie_value, secrets.csrf_token]
    for table in ("audit_events", "sessions", "api_tokens", "users"):
        for cell in every_cell(people, table):
            for secret in secrets_:
                assert secret not in cell, f"{table} holds a secret"


def test_record_scrubs_secret_looking_parameters_nested_too(people):
    principal = Principal(kind="token", username="alice", role="analyst",
                          organisation="dept-air", token_id=7)
    event = record(people, actor=principal, action="export", target="/api/v1/readings",
                   method="GET", parameters={
                       "factor": "a34004", "Password": "sec-p1", "nested": {
                           "API_TOKEN": "sec-t1",
                       "list": [{"csrf_token": "sec-c1"}, {"pw": "sec-p2"}],
                           "ok": 1},
                       "Authorization": "Bearer x", "session_cookie": "sec-k", "passwd": "sec-p3",
                       "client_secret": "sec-s"},
                   object_ids=["A1", 2], row_count=100, status=200, ip="::1", now=T0)
    assert event.parameters == {
        "factor": "a34004", "Password": "***", "nested": {
            "API_TOKEN": "***", "list": [{"csrf_token": "***"}, {"pw": "***"}], "ok": 1},
        "Authorization": "***", "session_cookie": "***", "passwd": "***",
        "client_secret": "***"}
    (stored,) = events(people, action="export")
    assert stored == event
    assert stored.actor_kind == "token" and stored.token_id == 7
    assert stored.object_ids == ("A1", "2") and stored.row_count == 100
    for cell in every_cell(people, "audit_events"):
        assert "sec-" not in cell and "Bearer x" not in cell


def test_scrub_leaves_other_values():
    assert scrub({"since": "2026-12-01", "n": [1, 2]}) == {"since": "2026-12-01", "n": [1, 2]}


def test_actor_kinds(people):
    assert record(people, actor="ops", action="read", target="ecohub audit list",
                  now=T0).actor_kind == "cli"
    anonymous = record(people, actor=None, action="read", target="/api/v1/public/aqi", now=T0)
    assert (anonymous.actor, anonymous.actor_kind) == (None, "anonymous")
    with pytest.raises(IdentityError, match="outcome 'maybe'"):
        record(people, actor=None, action="read", target="/", outcome="maybe")


def test_events_filter_and_order(people):
    for minutes, actor, action in ((0, "a", "read"), (10, "b", "read"), (20, "a", "export")):
        record(people, actor=actor, action=action, target="t", now=T0 + timedelta(minutes=minutes))
    # the people fixture recorded its own changes (actor ADMIN) at T0
    assert [e.action for e in events(people, actor="a")] == ["export", "read"]
    assert [e.actor for e in events(people, since=T0 + timedelta(minutes=5))] == ["a", "b"]
    assert [e.actor for e in events(people, since=T0 + timedelta(minutes=5),
                                    until=T0 + timedelta(minutes=20))] == ["b"]
    assert len(events(people, action="read", limit=1)) == 1
    with pytest.raises(IdentityError, match="limit 0"):
        events(people, limit=0)


def test_events_frame_has_chinese_labels_and_china_time(people):
    record(people, actor="ops", action="read", target="x", parameters={"q": "站点"}, now=T0)
    frame = events_frame(people, actor="ops")
    assert frame.columns == list(COLUMNS.values())
    assert frame["时间"].dtype == pl.Datetime("us", "Asia/Shanghai")
    assert frame["时间"][0].hour == 10
    assert frame.row(0, named=True)["操作"] == "查询"
    assert frame.row(0, named=True)["访问方式"] == "命令行"
    assert frame.row(0, named=True)["参数"] == '{"q": "站点"}'


def test_the_audit_log_has_no_update_or_delete():
    names = [name for name in dir(Identity) if "event" in name]
    assert names == ["append_event", "append_event_soon", "events", "flush_events"]


def test_admin_changes_are_audited(people):
    changes = events(people, action="permission_change")
    assert {(e.target, e.object_ids) for e in changes} >= {
        ("organisation.add", ("bureau",)), ("user.add", ("alice",))}
    assert all(e.actor == ADMIN and e.actor_kind == "cli" for e in changes)


def test_events_recorded_soon_are_all_kept_after_a_burst(people):
    import threading
    import time

    from ecohub.identity.audit import record_soon
    from ecohub.store.identity import AUDIT_FLUSH_S

    before = len(events(people, limit=100_000))

    def burst(n: int) -> None:
        for i in range(300):
            record_soon(people, actor="burst", action="read", target=f"/t/{n}",
                        parameters={"i": i, "token": "secret"})

    threads = [threading.Thread(target=burst, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = events(people, actor="burst", limit=100_000)  # a read writes the queue first
    assert len(kept) == 2400 and len(events(people, limit=100_000)) == before + 2400
    assert {e.parameters["token"] for e in kept} == {"***"}
    record_soon(people, actor="later", action="read", target="/t")
    time.sleep(AUDIT_FLUSH_S * 10)  # the writer, without any read
    assert sum(cell == "later" for cell in every_cell(people, "audit_events")) == 1


def test_object_ids_made_once_are_kept_as_any_others(people):
    import json

    from ecohub.identity.audit import record_soon
    from ecohub.store import ObjectIds
    from ecohub.store.identity import json_text

    shared = ObjectIds.of(range(1, 301))  # one answer's objects, sent many times
    assert shared == tuple(str(i) for i in range(1, 301)) and ObjectIds.of(shared) is shared
    assert json_text(shared) == json.dumps([str(i) for i in range(1, 301)])
    assert json_text({"a": [1, "二"]}) == json.dumps({"a": [1, "二"]})
    for _ in range(3):
        record_soon(people, actor="map", action="read", target="/api/v1/latest",
                    object_ids=shared, row_count=300)
    record_soon(people, actor="map", action="read", target="/api/v1/readings",
                object_ids=[7, 8])
    kept = events(people, actor="map")
    assert [e.object_ids for e in kept] == [("7", "8")] + [shared] * 3
