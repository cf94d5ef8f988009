"""Roles and what they may do: the permission table every endpoint and command checks.

A bureau's platform is used by many people of many departments (处室), by its subordinate units,
by other government systems and by enterprises. Each user has one role within one organisation;
each API client (token) acts for a user and may be narrowed by scopes. What is public — the city
AQI and the public station list, as the national platform publishes them — needs no sign-in and
is marked :data:`PUBLIC` explicitly.

| permission | what it allows | admin. | data manager | operator | analyst | viewer | enterprise |
|---|---|---|---|---|---|---|---|
| ``data.read`` | readings, assessments, quality scores | ✔ | ✔ | ✔ | ✔ | ✔ | own |
| ``data.export`` | bulk CSV/XLSX/Parquet downloads | ✔ | ✔ | | ✔ | | own |
| ``registry.read`` | objects, devices, their history | ✔ | ✔ | ✔ | ✔ | ✔ | own |
| ``registry.write`` | register, change, retire | ✔ | own department | | | | |
| ``qc.review`` | accept or reject QC flags | ✔ | ✔ | ✔ | | | |
| ``ingest.read`` | gateway status, rejected packets | ✔ | ✔ | ✔ | | | |
| ``ingest.release`` | release quarantined packets | ✔ | | ✔ | | | |
| ``audit.read`` | the audit log | ✔ | | | | | |
| ``users.manage`` | organisations, users, roles, tokens | ✔ | | | | | |

"own department": a department data manager changes only registry records whose department is
the manager's organisation. "own": an enterprise user sees only the records and data of the
objects of its own enterprise (the pollution source whose code is the organisation's
``enterprise_code``, its outlets and their devices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

__all__ = ["PERMISSIONS", "PUBLIC", "ROLES", "ROLE_NAMES", "Principal"]

PERMISSIONS: Final[dict[str, str]] = {
    "data.read": "读取监测数据、评价结果与质量评分",
    "data.export": "批量导出数据",
    "registry.read": "查看监测对象、设备及其历史",
    "registry.write": "登记、变更、停用监测对象与设备",
    "qc.review": "审核质控标记",
    "ingest.read": "查看网关状态与未入库报文",
    "ingest.release": "释放隔离报文",
    "audit.read": "查看审计日志",
    "users.manage": "管理组织、用户、角色与令牌",
}
"""Every permission, with its Chinese description."""

PUBLIC: Final = "public"
"""The marker of endpoints that need no sign-in (published data only)."""

ROLES: Final[dict[str, frozenset[str]]] = {
    "administrator": frozenset(PERMISSIONS),
    "data_manager": frozenset({"data.read", "data.export", "registry.read", "registry.write",
                               "qc.review", "ingest.read"}),
    "operator": frozenset({"data.read", "registry.read", "qc.review", "ingest.read",
                           "ingest.release"}),
    "analyst": frozenset({"data.read", "data.export", "registry.read"}),
    "viewer": frozenset({"data.read", "registry.read"}),
    "enterprise": frozenset({"data.read", "data.export", "registry.read"}),
}
"""Role → its permissions (the table above)."""

ROLE_NAMES: Final[dict[str, str]] = {
    "administrator": "系统管理员",
    "data_manager": "处室数据管理员",
    "operator": "运维人员",
    "analyst": "分析人员",
    "viewer": "查看人员",
    "enterprise": "企业用户",
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user, an API client acting for one, or nobody (public)."""

    kind: str
    """``session`` (a browser), ``token`` (a program) or ``anonymous``."""
    username: str | None = None
    role: str | None = None
    organisation: str | None = None
    """The code of the user's organisation."""
    department: str | None = None
    """The department (处室) name registry records carry, for a data manager's own records."""
    enterprise_code: str | None = None
    """For an enterprise user: the code of its pollution source."""
    scopes: frozenset[str] | None = None
    """A token's scopes (a subset of the role's permissions); None: the role's."""
    token_id: int | None = None
    session_id: str | None = field(default=None, repr=False)
    """A browser session's id: the SHA-256 hash of its cookie (never the cookie itself)."""
    must_change_password: bool = False
    """The user signed in with a one-time password and is to choose a new one."""

    @property
    def permissions(self) -> frozenset[str]:
        """What this principal may do: the role's permissions, narrowed by a token's scopes."""
        granted = ROLES.get(self.role or "", frozenset())
        return granted if self.scopes is None else granted & self.scopes

    def can(self, permission: str) -> bool:
        """Whether the principal holds ``permission`` (see the table of the module)."""
        if permission not in PERMISSIONS:
            raise ValueError(f"permission {permission!r}: expected one of "
                             f"{', '.join(PERMISSIONS)}")
        return permission in self.permissions

    def may_change_department(self, department: str | None) -> bool:
        """Whether a registry record of ``department`` may be changed by this principal."""
        if not self.can("registry.write"):
            return False
        return self.role == "administrator" or (department is not None
                                                and department == self.department)

    @property
    def anonymous(self) -> bool:
        """Nobody signed in: only what is :data:`PUBLIC`."""
        return self.kind == "anonymous"
