"""Users: argon2 hashes, password rules, lock-out, disabled users, sessions and CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from tests.identity.conftest import ADMIN, PASSWORD, T0, every_cell

from ecohub.identity import (
    IdentityError,
    SignInError,
    add_user,
    authenticate_session,
    change_password,
    check_csrf,
    disable_user,
    list_users,
    reset_password,
    sign_in,
    sign_out,
)
from ecohub.identity.users import LOCK_AFTER, LOCK_FOR, PASSWORD_RULES, check_password_rules


def test_the_password_is_kept_as_a_strong_argon2id_hash(people):
    stored = people.identity.password_hash("alice")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)
    assert not PasswordHasher().check_needs_rehash(stored)  # argon2-cffi's default parameters
    assert all(PASSWORD not in cell for cell in every_cell(people, "users"))


def test_users_are_listed_without_hashes(people):
    users = list_users(people)
    assert [u.username for u in users] == ["alice", "ent", "vic"]
    assert users[0].display_name == "张三" and users[0].organisation == "dept-air"
    assert not hasattr(users[0], "password_hash")


@pytest.mark.parametrize(("password", "rule"), [
    ("Short-1a", "too short"),
    ("alllowercaseletters", "only 1 of the 4 kinds"),
    ("lowercaseand12345", "only 2 of the 4 kinds"),
    ("ALLUPPER-AND-OTHER", "only 2 of the 4 kinds"),
    ("Mallory-Pass-2026", None),  # fine for another user
    ("xx-mallory-XX-99", "contains the username"),
])
def test_password_rules_say_which_rule_is_broken(password, rule):
    if rule is None:
        check_password_rules(password, "alice")
        return
    with pytest.raises(IdentityError, match=rule) as raised:
        check_password_rules(password, "mallory")
    message = str(raised.value)
    assert PASSWORD_RULES in message and password not in message


def test_add_user_refuses_bad_input(people):
    with pytest.raises(IdentityError, match="role 'boss'"):
        add_user(people, "bob", PASSWORD, role="boss", organisation="bureau", actor=ADMIN)
    with pytest.raises(IdentityError, match="organisation 'nowhere'"):
        add_user(people, "bob", PASSWORD, role="viewer", organisation="nowhere", actor=ADMIN)
    with pytest.raises(IdentityError, match="username exists already"):
        add_user(people, "alice", PASSWORD, role="viewer", organisation="bureau", actor=ADMIN)
    with pytest.raises(IdentityError, match="username 'a b'"):
        add_user(people, "a b", PASSWORD, role="viewer", organisation="bureau", actor=ADMIN)
    with pytest.raises(IdentityError, match="role 'enterprise' in organisation bureau"):
        add_user(people, "bob", PASSWORD, role="enterprise", organisation="bureau",
                 actor=ADMIN)
    with pytest.raises(IdentityError, match="role 'viewer' in organisation ent-1"):
        add_user(people, "bob", PASSWORD, role="viewer", organisation="ent-1", actor=ADMIN)
    with pytest.raises(IdentityError, match="too short"):
        add_user(people, "bob", "x", role="viewer", organisation="bureau", actor=ADMIN)
    assert people.identity.user("bob") is None


def test_sign_in_gives_a_principal_and_a_session(people):
    principal, secrets = sign_in(people, "alice", PASSWORD, ip="10.0.0.7", now=T0)
    assert principal.kind == "session" and principal.username == "alice"
    assert principal.role == "data_manager" and principal.organisation == "dept-air"
    assert principal.department == "大气环境处"  # what registry records carry
    assert principal.may_change_department("大气环境处")
    assert not principal.may_change_department("水环境处")
    assert principal.scopes is None and principal.can("registry.write")
    assert secrets.expires_at == T0 + timedelta(hours=12)
    assert secrets.cookie_value not in repr(secrets) and secrets.csrf_token not in repr(secrets)
    assert authenticate_session(people, secrets.cookie_value, now=T0) == principal
    for table in ("sessions", "audit_events"):
        cells = every_cell(people, table)
        assert all(secrets.cookie_value not in c and secrets.csrf_token not in c for c in cells)


def test_an_enterprise_principal_carries_its_source(people):
    principal, _ = sign_in(people, "ent", PASSWORD, ip=None, now=T0)
    assert principal.enterprise_code == "S1" and principal.department is None


def test_a_session_expires_and_is_revoked_by_sign_out(people):
    _, secrets = sign_in(people, "vic", PASSWORD, ip=None, now=T0)
    cookie = secrets.cookie_value
    assert authenticate_session(people, cookie, now=T0 + timedelta(hours=11, minutes=59))
    assert authenticate_session(people, cookie, now=T0 + timedelta(hours=12)) is None
    assert authenticate_session(people, "not-a-cookie", now=T0) is None
    assert authenticate_session(people, "", now=T0) is None
    assert sign_out(people, cookie, now=T0 + timedelta(hours=1))
    assert authenticate_session(people, cookie, now=T0 + timedelta(hours=1)) is None
    assert not sign_out(people, cookie)


def test_last_seen_is_written_at_most_once_a_minute(people):
    _, secrets = sign_in(people, "vic", PASSWORD, ip=None, now=T0)
    (session,) = people.identity.sessions("vic")
    authenticate_session(people, secrets.cookie_value, now=T0 + timedelta(seconds=30))
    assert people.identity.session(session.id_hash).last_seen_at == T0
    authenticate_session(people, secrets.cookie_value, now=T0 + timedelta(seconds=90))
    assert people.identity.session(session.id_hash).last_seen_at == T0 + timedelta(seconds=90)


def test_csrf_token_belongs_to_its_session(people):
    _, one = sign_in(people, "vic", PASSWORD, ip=None, now=T0)
    _, two = sign_in(people, "alice", PASSWORD, ip=None, now=T0)
    assert check_csrf(people, one.cookie_value, one.csrf_token, now=T0)
    assert not check_csrf(people, one.cookie_value, two.csrf_token, now=T0)
    assert not check_csrf(people, one.cookie_value, "", now=T0)
    assert not check_csrf(people, None, one.csrf_token, now=T0)
    assert not check_csrf(people, one.cookie_value, one.csrf_token,
                          now=T0 + timedelta(hours=13))  # expired
    sign_out(people, one.cookie_value, now=T0)
    assert not check_csrf(people, one.cookie_value, one.csrf_token, now=T0)


def test_wrong_password_and_unknown_user_get_the_same_message(people):
    with pytest.raises(SignInError) as wrong:
        sign_in(people, "alice", "Wrong-Password-1", ip=None, now=T0)
    with pytest.raises(SignInError) as unknown:
        sign_in(people, "nobody", "Wrong-Password-1", ip=None, now=T0)
    assert str(wrong.value) == str(unknown.value)
    assert "Wrong-Password-1" not in str(wrong.value)


def test_five_failures_lock_the_account_for_15_minutes(people):
    for i in range(LOCK_AFTER - 1):
        with pytest.raises(SignInError, match="wrong"):
            sign_in(people, "alice", f"Wrong-Password-{i}", ip=None, now=T0)
    assert people.identity.user("alice").failed_attempts == LOCK_AFTER - 1
    with pytest.raises(SignInError, match="now locked .* until 2026-12-01 10:15 China Standard"):
        sign_in(people, "alice", "Wrong-Password-x", ip=None, now=T0)
    # locked: even the right password is refused, and the message says until when
    with pytest.raises(SignInError, match="locked .* until 2026-12-01 10:15 China Standard Time"):
        sign_in(people, "alice", PASSWORD, ip=None, now=T0 + timedelta(minutes=14))
    principal, _ = sign_in(people, "alice", PASSWORD, ip=None, now=T0 + LOCK_FOR)
    assert principal.username == "alice"
    assert people.identity.user("alice").failed_attempts == 0


def test_a_success_resets_the_count_of_failures(people):
    for _ in range(LOCK_AFTER - 1):
        with pytest.raises(SignInError):
            sign_in(people, "vic", "Wrong-Password-1", ip=None, now=T0)
    sign_in(people, "vic", PASSWORD, ip=None, now=T0)
    with pytest.raises(SignInError, match="wrong$"):
        sign_in(people, "vic", "Wrong-Password-1", ip=None, now=T0)  # not locked


def test_a_disabled_user_cannot_sign_in_and_loses_sessions(people):
    _, secrets = sign_in(people, "vic", PASSWORD, ip=None, now=T0)
    disabled = disable_user(people, "vic", actor=ADMIN, now=T0)
    assert disabled.disabled
    assert authenticate_session(people, secrets.cookie_value, now=T0) is None
    with pytest.raises(SignInError, match="vic is disabled"):
        sign_in(people, "vic", PASSWORD, ip=None, now=T0)
    with pytest.raises(IdentityError, match="'ghost': no such user"):
        disable_user(people, "ghost", actor=ADMIN)


def test_reset_password_one_time_and_change(people):
    _, secrets = sign_in(people, "vic", PASSWORD, ip=None, now=T0)
    one_time = reset_password(people, "vic", actor=ADMIN, now=T0)
    assert one_time and people.identity.user("vic").must_change_password
    check_password_rules(one_time, "vic")
    assert authenticate_session(people, secrets.cookie_value, now=T0) is None  # ended
    with pytest.raises(SignInError):
        sign_in(people, "vic", PASSWORD, ip=None, now=T0)
    principal, _ = sign_in(people, "vic", one_time, ip=None, now=T0)
    assert principal.must_change_password
    with pytest.raises(IdentityError, match="current password is wrong"):
        change_password(people, "vic", "Not-The-One-1", "New-Password-2026")
    with pytest.raises(IdentityError, match="is the old one"):
        change_password(people, "vic", one_time, one_time)
    with pytest.raises(IdentityError, match="too short"):
        change_password(people, "vic", one_time, "short")
    change_password(people, "vic", one_time, "New-Password-2026")
    assert not people.identity.user("vic").must_change_password
    principal, _ = sign_in(people, "vic", "New-Password-2026", ip=None, now=T0)
    assert not principal.must_change_password
    assert reset_password(people, "vic", actor=ADMIN, password="Given-Password-7") is None
    assert not people.identity.user("vic").must_change_password
    sign_in(people, "vic", "Given-Password-7", ip=None)


def test_reset_clears_a_lock_out(people):
    for _ in range(LOCK_AFTER):
        with pytest.raises(SignInError):
            sign_in(people, "vic", "Wrong-Password-1", ip=None, now=T0)
    reset_password(people, "vic", actor=ADMIN, password="Given-Password-7")
    sign_in(people, "vic", "Given-Password-7", ip=None, now=T0)


def test_a_short_username_is_not_looked_for_in_the_password():
    check_password_rules("Database-Admin-7", "ad")  # too short to count
    with pytest.raises(IdentityError, match="contains the username"):
        check_password_rules("Database-Admin-7", "Adm")
