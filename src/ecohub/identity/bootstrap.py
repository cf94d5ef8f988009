"""The first administrator of a new deployment (``ecohub admin init``)."""

from __future__ import annotations

from datetime import UTC, datetime

from ecohub.identity.organisations import add_organisation
from ecohub.identity.users import add_user, generate_password
from ecohub.store import IdentityError, Store

__all__ = ["BUREAU_CODE", "init_admin"]

BUREAU_CODE = "bureau"
"""The code of the bureau organisation :func:`init_admin` creates when there is none."""


def init_admin(store: Store, username: str = "admin", password: str | None = None, *,
               actor: str = "system", now: datetime | None = None) -> str | None:
    """Create the first administrator, and the bureau organisation if there is none.

    Refused when an administrator exists already. With no ``password`` a one-time password is
    generated (to be changed at the first sign-in) and returned; otherwise None.
    """
    existing = store.identity.administrators()
    if existing:
        names = ", ".join(user.username for user in existing)
        raise IdentityError(f"an administrator exists already ({names}); add further users "
                            "with `ecohub admin user add`")
    moment = now or datetime.now(UTC)
    bureaus = [org for org in store.identity.organisations() if org.kind == "bureau"]
    if bureaus:
        bureau = bureaus[0].code
    else:
        bureau = add_organisation(store, BUREAU_CODE, "生态环境局", kind="bureau", actor=actor,
                                  now=moment).code
    one_time = password is None
    chosen = generate_password() if password is None else password
    add_user(store, username, chosen, role="administrator", organisation=bureau,
             display_name="系统管理员", actor=actor, must_change_password=one_time, now=moment)
    return chosen if one_time else None
