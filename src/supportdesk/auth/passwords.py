"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory profile).

Hashes carry their own parameters, so raising the cost later only needs `needs_rehash` at the
next sign-in. `verify` always spends the same work, also for unknown accounts (`verify(None, pw)`
checks against a dummy hash), so response time does not reveal which emails exist.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportdesk.directory.models import Agent, Person

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


#: The password `set_demo_passwords` gives every demo person and agent (demo data only).
DEMO_PASSWORD = "supportdesk-demo"


def set_password(db_session: Session, *, who: Agent | Person, password: str) -> None:
    """Set a person's or agent's password and end their web sessions (no commit)."""
    from supportdesk.web import sessions

    who.password_hash = hash_password(password)
    sessions.end_all_for(
        db_session,
        agent_id=who.id if isinstance(who, Agent) else None,
        person_id=who.id if isinstance(who, Person) else None,
    )


def set_demo_passwords(db_session: Session, password: str = DEMO_PASSWORD) -> int:
    """Give every active person and agent without a password `password` (one hash), so the
    web desk can be tried on demo data. Returns how many were set (flushes, no commit)."""
    hashed = hash_password(password)
    agents = db_session.scalars(
        select(Agent).where(Agent.password_hash.is_(None), Agent.active.is_(True))
    ).all()
    people = db_session.scalars(
        select(Person).where(Person.password_hash.is_(None), Person.active.is_(True))
    ).all()
    for agent in agents:
        agent.password_hash = hashed
    for person in people:
        person.password_hash = hashed
    n = len(agents) + len(people)
    db_session.flush()
    return n
