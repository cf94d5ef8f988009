"""Device passwords (HJ 212 PW): argon2 hashes in the registry.

A data logger sends its PW in clear in every packet, so the gateway checks one per packet:
light argon2 parameters keep the first check per device at about half a millisecond, and the
verdict is cached in memory afterwards (:meth:`ecohub.store.Device.verify_password`; the gateway
runs first checks on threads, as argon2 releases the GIL while it hashes).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_DEVICE_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def hash_device_password(password: str) -> str:
    """The argon2id hash to keep in the registry."""
    return _DEVICE_HASHER.hash(password)


def check_device_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a malformed hash)."""
    try:
        return _DEVICE_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
