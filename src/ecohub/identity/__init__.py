"""Who is asking: organisations, users, roles, API tokens and browser sessions; the audit log.

The permission table is :mod:`ecohub.identity.roles`. The records live in the operational
database (:attr:`ecohub.store.Store.identity`); the HTTP service (:mod:`ecohub.api`) and the
``ecohub admin`` and ``ecohub audit`` commands call the functions here:

* :mod:`~ecohub.identity.organisations` — :func:`add_organisation`, :func:`list_organisations`
* :mod:`~ecohub.identity.users` — users, password rules, sign-in with lock-out, sessions, CSRF
* :mod:`~ecohub.identity.tokens` — API tokens
* :mod:`~ecohub.identity.audit` — :func:`record` an access, read :func:`events`
* :mod:`~ecohub.identity.bootstrap` — :func:`init_admin`, the first administrator

Errors are :class:`IdentityError` (a ``ValueError``) with a message naming the field and value;
no function logs or returns a secret except the one-time password or token it creates.
"""

from ecohub.identity.audit import events, events_frame, record, scrub
from ecohub.identity.bootstrap import init_admin
from ecohub.identity.organisations import KINDS, add_organisation, list_organisations
from ecohub.identity.roles import PERMISSIONS, PUBLIC, ROLE_NAMES, ROLES, Principal
from ecohub.identity.tokens import authenticate_token, create_token, list_tokens, revoke_token
from ecohub.identity.users import (
    PASSWORD_RULES,
    SessionSecrets,
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
from ecohub.store import ApiToken, AuditEvent, IdentityError, Organisation, User

__all__ = [
    "KINDS", "PASSWORD_RULES", "PERMISSIONS", "PUBLIC", "ROLES", "ROLE_NAMES", "ApiToken",
    "AuditEvent", "IdentityError", "Organisation", "Principal", "SessionSecrets", "SignInError",
    "User", "add_organisation", "add_user", "authenticate_session", "authenticate_token",
    "change_password", "check_csrf", "create_token", "disable_user", "events", "events_frame",
    "init_admin", "list_organisations", "list_tokens", "list_users", "record", "reset_password",
    "revoke_token", "scrub", "sign_in", "sign_out",
]
