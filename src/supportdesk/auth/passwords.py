"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory profile).

Hashes carry their own parameters, so raising the cost later only needs `needs_rehash` at the
next sign-in. `verify` always spends the same work, also for unknown accounts (`verify(None, pw)`
checks against a dummy hash), so response time does not reveal which emails exist.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: Longest password accepted; longer input is refused before hashing (hashing cost is bounded).
MAX_PASSWORD = 1024
MIN_PASSWORD = 10


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4 (argon2-cffi defaults)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a real password: equalises timing for unknown accounts")


def hash_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValueError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return _hasher().hash(password)


def rehash(password: str) -> str:
    """A fresh hash of a password that just verified (no length policy: it is already theirs)."""
    return _hasher().hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash`. Unknown account or no password: False, after
    the same amount of work."""
    if len(password) > MAX_PASSWORD:
        return False
    target = stored_hash or _dummy_hash()
    try:
        ok = _hasher().verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return bool(ok) and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
