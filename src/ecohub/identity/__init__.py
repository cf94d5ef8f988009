"""Who is asking: organisations, users, roles, API tokens and browser sessions; the audit log.

The permission table is :mod:`ecohub.identity.roles`. The records live in the operational
database (:mod:`ecohub.store`); the HTTP service (:mod:`ecohub.api`) and the ``ecohub admin``
and ``ecohub audit`` commands call the functions here.
"""

from ecohub.identity.roles import PERMISSIONS, PUBLIC, ROLE_NAMES, ROLES, Principal

__all__ = ["PERMISSIONS", "PUBLIC", "ROLES", "ROLE_NAMES", "Principal"]
