"""API tokens: shown once, kept as a hash, limited by the role, expiring, revocable."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from tests.identity.conftest import ADMIN, T0, every_cell

from ecohub.identity import (
    IdentityError,
    authenticate_token,
    create_token,
    disable_user,
    list_tokens,
    revoke_token,
)

TOKEN = re.compile(r"ecohub_([0-9a-f]{8})_([A-Za-z0-9_-]{43})")


def test_a_token_is_shown_once_and_kept_as_its_sha256(people):
    token, secret = create_token(people, "alice", name="省平台对接", actor=ADMIN, now=T0)
    match = TOKEN.fullmatch(secret)
    assert match and match.group(1) == token.prefix
    assert token.expires_at == T0 + timedelta(days=90)
    assert set(token.scopes) == {"data.read", "data.export", "registry.read", "registry.write",
                                 "qc.review", "ingest.read"}  # the role's
    cells = every_cell(people, "api_tokens") + every_cell(people, "audit_events")
    assert all(secret not in cell and match.group(2) not in cell for cell in cells)
    assert hashlib.sha256(secret.encode()).hexdigest() in cells
    assert secret not in repr(list_tokens(people))


def test_authenticate_token_gives_the_users_principal_narrowed_by_scopes(people):
    token, secret = create_token(people, "alice", name="读数", scopes=["data.read"],
                                 actor=ADMIN, now=T0)
    principal = authenticate_token(people, secret, now=T0)
    assert principal.kind == "token" and principal.username == "alice"
    assert principal.token_id == token.id and principal.department == "大气环境处"
    assert principal.can("data.read") and not principal.can("registry.write")
    assert authenticate_token(people, secret[:-1] + ("A" if secret[-1] != "A" else "B"),
                              now=T0) is None
    assert authenticate_token(people, "Bearer " + secret, now=T0) is None
    assert authenticate_token(people, None) is None


def test_scopes_must_be_permissions_of_the_role(people):
    with pytest.raises(IdentityError, match="scope 'users.manage' is not a permission of role "
                                            "viewer"):
        create_token(people, "vic", name="x", scopes=["data.read", "users.manage"], actor=ADMIN)
    with pytest.raises(IdentityError, match="scope 'data.write' is not a permission;"):
        create_token(people, "vic", name="x", scopes=["data.write"], actor=ADMIN)
    with pytest.raises(IdentityError, match="no scopes"):
        create_token(people, "vic", name="x", scopes=[], actor=ADMIN)
    with pytest.raises(IdentityError, match="days 0"):
        create_token(people, "vic", name="x", days=0, actor=ADMIN)
    with pytest.raises(IdentityError, match="name '' is empty"):
        create_token(people, "vic", name="", actor=ADMIN)
    with pytest.raises(IdentityError, match="'ghost': no such user"):
        create_token(people, "ghost", name="x", actor=ADMIN)
    assert list_tokens(people) == []


def test_a_token_expires(people):
    _, secret = create_token(people, "vic", name="短期", days=1, actor=ADMIN, now=T0)
    assert authenticate_token(people, secret, now=T0 + timedelta(hours=23)) is not None
    assert authenticate_token(people, secret, now=T0 + timedelta(days=1)) is None


def test_revoke_by_id_or_prefix(people):
    one, secret_one = create_token(people, "vic", name="一", actor=ADMIN, now=T0)
    two, secret_two = create_token(people, "vic", name="二", actor=ADMIN, now=T0)
    assert revoke_token(people, one.id, actor=ADMIN, now=T0).revoked_at == T0
    assert revoke_token(people, two.prefix, actor=ADMIN, now=T0).revoked_at == T0
    assert authenticate_token(people, secret_one, now=T0) is None
    assert authenticate_token(people, secret_two, now=T0) is None
    with pytest.raises(IdentityError, match="token 'nope': no token"):
        revoke_token(people, "nope", actor=ADMIN)
    assert [t.name for t in list_tokens(people, "vic")] == ["一", "二"]
    assert list_tokens(people, "alice") == []


def test_a_disabled_users_tokens_are_refused(people):
    _, secret = create_token(people, "vic", name="x", actor=ADMIN, now=T0)
    disable_user(people, "vic", actor=ADMIN, now=T0)
    assert authenticate_token(people, secret, now=T0) is None
    with pytest.raises(IdentityError, match="disabled"):
        create_token(people, "vic", name="y", actor=ADMIN)


def test_last_used_is_written_at_most_once_a_minute(people):
    token, secret = create_token(people, "vic", name="x", actor=ADMIN, now=T0)
    authenticate_token(people, secret, now=T0)
    authenticate_token(people, secret, now=T0 + timedelta(seconds=59))
    assert people.identity.token(token.id).last_used_at == T0
    authenticate_token(people, secret, now=T0 + timedelta(seconds=60))
    assert people.identity.token(token.id).last_used_at == T0 + timedelta(seconds=60)


def test_a_remembered_token_is_refused_at_once_when_revoked_or_its_user_disabled(people):
    token, secret = create_token(people, "alice", name="remembered", actor=ADMIN)
    assert authenticate_token(people, secret).username == "alice"
    assert authenticate_token(people, secret).username == "alice"  # remembered
    revoke_token(people, token.prefix, actor=ADMIN)
    assert authenticate_token(people, secret) is None
    _, other = create_token(people, "vic", name="remembered too", actor=ADMIN)
    assert authenticate_token(people, other).username == "vic"
    disable_user(people, "vic", actor=ADMIN)
    assert authenticate_token(people, other) is None


def revoke_elsewhere(people, prefix: str) -> None:
    """Revoke the token from another process's store, as the `ecohub` command opens it."""
    from ecohub.store import Store

    other = Store(people.settings, registry_only=True)
    try:
        revoke_token(other, prefix, actor=ADMIN)
    finally:
        other.close()


def test_a_revocation_by_another_process_holds_within_the_documented_time(people,
                                                                          monkeypatch):
    import time

    from ecohub.identity import tokens

    monkeypatch.setattr(tokens, "VERIFIED_FOR_S", 0.3)
    token, secret = create_token(people, "alice", name="elsewhere", actor=ADMIN)
    assert authenticate_token(people, secret) is not None
    revoke_elsewhere(people, token.prefix)
    time.sleep(0.35)
    assert authenticate_token(people, secret) is None


def test_a_busy_program_renews_its_token_ahead_and_a_revocation_still_holds(people,
                                                                             monkeypatch):
    import time

    from ecohub.identity import tokens

    monkeypatch.setattr(tokens, "RENEW_AFTER_S", 0.2)
    token, secret = create_token(people, "alice", name="busy", actor=ADMIN)
    assert authenticate_token(people, secret) is not None
    assert not tokens.renewal_due(people, secret)  # remembered just now
    time.sleep(0.25)
    assert tokens.renewal_due(people, secret)
    assert not tokens.renewal_due(people, secret)  # one request renews, not every one
    assert tokens.remembered_token(people, secret).username == "alice"  # meanwhile: memory
    revoke_elsewhere(people, token.prefix)
    assert tokens.remembered_token(people, secret) is not None  # not seen yet (≤ 5 s)
    assert authenticate_token(people, secret, renew=True) is None  # the renewal sees it …
    assert tokens.remembered_token(people, secret) is None  # … and forgets at once
    assert not tokens.renewal_due(people, secret)


def test_a_renewal_restarts_the_memory(people, monkeypatch):
    import time

    from ecohub.identity import tokens

    monkeypatch.setattr(tokens, "RENEW_AFTER_S", 0.1)
    monkeypatch.setattr(tokens, "VERIFIED_FOR_S", 0.3)
    _, secret = create_token(people, "alice", name="renewed", actor=ADMIN)
    authenticate_token(people, secret)
    time.sleep(0.15)
    assert tokens.renewal_due(people, secret)
    assert authenticate_token(people, secret, renew=True).username == "alice"
    time.sleep(0.2)  # 0.35 s after the first look-up, 0.2 s after the renewal
    assert tokens.remembered_token(people, secret).username == "alice"
