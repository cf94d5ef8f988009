"""Organisations: who the platform's users work for.

The bureau, its departments (处室) and units, lower bureaus, other government departments, and
the enterprises whose people see their own data.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from ecohub.identity import audit
from ecohub.identity.roles import Principal
from ecohub.store import IdentityError, Organisation, Store

__all__ = ["KINDS", "add_organisation", "list_organisations"]

KINDS: Final[dict[str, str]] = {
    "bureau": "生态环境局",
    "department": "处室",
    "unit": "直属单位（监测中心、执法支队等）",
    "city_bureau": "市级生态环境局",
    "county_bureau": "区县生态环境分局",
    "government": "其他政府部门",
    "enterprise": "企业",
}
"""Organisation kind → its Chinese name."""

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""An organisation code: letters, digits, ``.``, ``_``, ``-``; at most 64 characters."""


def add_organisation(store: Store, code: str, name: str, *, kind: str,
                     parent: str | None = None, enterprise_code: str | None = None,
                     actor: Principal | str, now: datetime | None = None) -> Organisation:
    """Register an organisation; audited as a ``permission_change``.

    An ``enterprise`` names its pollution source by ``enterprise_code`` (a registered object
    of type ``pollution_source``); other kinds have none.

    Raises
    ------
    IdentityError
        A bad or taken code, an empty name, an unknown kind or parent, a missing or wrong
        enterprise code.
    """
    if not CODE.fullmatch(code or ""):
        raise IdentityError(f"organisation code {code!r}: expected 1 to 64 letters, digits, "
                            "'.', '_' or '-', starting with a letter or digit")
    if not (name or "").strip():
        raise IdentityError(f"organisation {code}: name {name!r} is empty")
    if kind not in KINDS:
        raise IdentityError(f"organisation {code}: kind {kind!r}, expected one of "
                            f"{', '.join(KINDS)}")
    if kind == "enterprise":
        if not enterprise_code:
            raise IdentityError(f"organisation {code}: kind enterprise needs enterprise_code, "
                                "the registry code of its pollution source")
        source = store.registry.object_by_code(enterprise_code)
        if source is None or source.object_type != "pollution_source":
            raise IdentityError(f"organisation {code}: enterprise_code {enterprise_code!r} is "
                                "not a registered pollution source")
    elif enterprise_code is not None:
        raise IdentityError(f"organisation {code}: enterprise_code {enterprise_code!r} given "
                            f"for kind {kind}; only an enterprise has one")
    moment = now or datetime.now(UTC)
    added = store.identity.add_organisation(
        Organisation(code=code, name=name.strip(), kind=kind, parent=parent,
                     enterprise_code=enterprise_code), now=moment)
    audit.record(store, actor=actor, action="permission_change", target="organisation.add",
                 parameters={"code": code, "name": added.name, "kind": kind, "parent": parent,
                             "enterprise_code": enterprise_code},
                 object_ids=[code], now=moment)
    return added


def list_organisations(store: Store) -> list[Organisation]:
    """Every organisation, by code."""
    return store.identity.organisations()
