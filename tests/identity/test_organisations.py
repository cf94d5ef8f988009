"""Organisations and the first administrator."""

from __future__ import annotations

import pytest
from tests.identity.conftest import ADMIN

from ecohub.identity import (
    IdentityError,
    add_organisation,
    events,
    init_admin,
    list_organisations,
    sign_in,
)
from ecohub.identity.users import check_password_rules


def test_organisations_are_listed_by_code(people):
    orgs = list_organisations(people)
    assert [(o.code, o.kind, o.parent) for o in orgs] == [
        ("bureau", "bureau", None), ("dept-air", "department", "bureau"),
        ("ent-1", "enterprise", "bureau")]
    assert orgs[2].enterprise_code == "S1"


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (("bureau", "又一个"), {"kind": "bureau"}, "'bureau': code exists already"),
    (("x y", "名"), {"kind": "unit"}, "code 'x y'"),
    (("u1", " "), {"kind": "unit"}, "name ' ' is empty"),
    (("u1", "监测中心"), {"kind": "centre"}, "kind 'centre'"),
    (("u1", "监测中心"), {"kind": "unit", "parent": "nowhere"}, "parent 'nowhere'"),
    (("e2", "某企业"), {"kind": "enterprise"}, "needs enterprise_code"),
    (("e2", "某企业"), {"kind": "enterprise", "enterprise_code": "NOPE"},
     "enterprise_code 'NOPE' is not a registered pollution source"),
    (("u1", "监测中心"), {"kind": "unit", "enterprise_code": "S1"}, "only an enterprise"),
])
def test_bad_organisations_are_refused(people, args, kwargs, message):
    with pytest.raises(IdentityError, match=message):
        add_organisation(people, *args, actor=ADMIN, **kwargs)
    assert len(list_organisations(people)) == 3


def test_init_admin_once(store):
    one_time = init_admin(store)
    check_password_rules(one_time, "admin")
    (admin,) = store.identity.administrators()
    assert admin.username == "admin" and admin.must_change_password
    assert [o.kind for o in list_organisations(store)] == ["bureau"]
    principal, _ = sign_in(store, "admin", one_time, ip=None)
    assert principal.can("users.manage") and principal.must_change_password
    with pytest.raises(IdentityError, match=r"an administrator exists already \(admin\)"):
        init_admin(store, "second", "Another-Password-1")
    assert [e.target for e in events(store, action="permission_change")] == [
        "user.add", "organisation.add"]
    assert all(one_time not in str(e) for e in events(store))


def test_init_admin_with_a_password_uses_an_existing_bureau(people):
    with pytest.raises(IdentityError, match="too short"):
        init_admin(people, "x", "y")
    assert init_admin(people, "chief", "Head-Password-2026") is None
    assert people.identity.user("chief").organisation == "bureau"
    assert not people.identity.user("chief").must_change_password
