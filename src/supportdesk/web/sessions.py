"""Server-side sessions and sign-in rate limiting, both in the database.

The browser holds only a random session id (256 bits) in a `__Host-` cookie: Secure, HttpOnly,
SameSite=Lax, Path=/. The database stores its SHA-256, never the id itself, so a leaked table
cannot be replayed. A new id is issued at every sign-in (and the anonymous one dropped), so an id
planted before sign-in (session fixation) is worthless afterwards.

Failed sign-ins are rows too, so every worker process and host behind a load balancer counts
the same attempts: `limit_reached` counts recent failures per (email, IP) and per email.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from supportdesk.auth.principal import (
    DEFAULT_AGENT_SCOPES,
    DEFAULT_PERSON_SCOPES,
    Principal,
)
from supportdesk.auth.tokens import principal_for_agent, principal_for_person
from supportdesk.db.base import Base
from supportdesk.db.types import UTCDateTime
from supportdesk.directory.models import Agent, Person

SESSION_COOKIE = "__Host-sd_session"
#: Sessions end this long after sign-in, however active (re-authenticate daily).
SESSION_LIFETIME = timedelta(hours=12)
#: ... or after this long without a request.
SESSION_IDLE = timedelta(hours=2)
#: `last_seen_at` is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=5)

#: Failed sign-ins allowed per (email, IP) in the window, and per email from anywhere.
MAX_FAILURES_PER_PAIR = 5
MAX_FAILURES_PER_EMAIL = 20
FAILURE_WINDOW = timedelta(minutes=15)


class WebSession(Base):
    __tablename__ = "web_sessions"

    #: SHA-256 (hex) of the cookie value.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class SigninFailure(Base):
    __tablename__ = "signin_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Lower-cased email as typed (whether or not it exists) and the client address.
    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_signin_failures_email_at", "email", "at"),
        Index("ix_signin_failures_at", "at"),
    )


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """Who a request's session stands for."""

    principal: Principal
    name: str
    time_zone: str
    csrf_token: str
    session_hash: str


def create(
    db_session: Session,
    *,
    agent: Agent | None = None,
    person: Person | None = None,
    now: datetime,
    ip: str = "",
    user_agent: str = "",
) -> str:
    """Start a session for an agent or a person (flushes). Returns the raw cookie value."""
    if (agent is None) == (person is None):
        raise ValueError("a session belongs to exactly one agent or person")
    raw = secrets.token_urlsafe(32)
    db_session.add(
        WebSession(
            id_hash=_digest(raw),
            agent_id=agent.id if agent else None,
            person_id=person.id if person else None,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_LIFETIME,
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    db_session.flush()
    return raw


def load(db_session: Session, raw: str | None, *, now: datetime) -> SignedIn | None:
    """The signed-in identity of a cookie value, or None (unknown, expired, idle, inactive)."""
    if not raw or len(raw) > 128:
        return None
    row = db_session.get(WebSession, _digest(raw))
    if row is None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= SESSION_IDLE:
        db_session.delete(row)
        db_session.commit()
        return None
    signed: SignedIn | None = None
    if row.agent_id is not None:
        agent = db_session.get(Agent, row.agent_id)
        if agent is not None and agent.active:
            signed = SignedIn(
                principal=principal_for_agent(agent, frozenset(DEFAULT_AGENT_SCOPES)),
                name=agent.name or agent.email,
                time_zone=agent.time_zone or "UTC",
                csrf_token=row.csrf_token,
                session_hash=row.id_hash,
            )
    elif row.person_id is not None:
        person = db_session.get(Person, row.person_id)
        if person is not None and person.active:
            signed = SignedIn(
                principal=principal_for_person(person, frozenset(DEFAULT_PERSON_SCOPES)),
                name=person.name or person.email,
                time_zone=person.time_zone or "UTC",
                csrf_token=row.csrf_token,
                session_hash=row.id_hash,
            )
    if signed is None:
        db_session.delete(row)
        db_session.commit()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db_session.commit()
    return signed


def end(db_session: Session, raw: str | None) -> None:
    """Sign out: the session row is deleted (commits)."""
    if raw:
        db_session.execute(delete(WebSession).where(WebSession.id_hash == _digest(raw)))
        db_session.commit()


def end_all_for(db_session: Session, *, agent_id: int | None, person_id: int | None) -> None:
    """Every session of one identity (after a password change or deactivation; no commit)."""
    q = delete(WebSession)
    if agent_id is not None:
        q = q.where(WebSession.agent_id == agent_id)
    elif person_id is not None:
        q = q.where(WebSession.person_id == person_id)
    else:
        return
    db_session.execute(q)


def purge_expired(db_session: Session, *, now: datetime) -> int:
    """Housekeeping for a scheduled job: drop expired sessions and old failures (no commit)."""
    result = db_session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    db_session.execute(delete(SigninFailure).where(SigninFailure.at < now - FAILURE_WINDOW))
    return int(getattr(result, "rowcount", 0) or 0)


# --- sign-in rate limiting -------------------------------------------------------------------


def limit_reached(db_session: Session, *, email: str, ip: str, now: datetime) -> bool:
    """True when this (email, IP) pair or this email has failed too often recently."""
    since = now - FAILURE_WINDOW
    email = email.strip().lower()[:320]
    pair = db_session.scalar(
        select(func.count())
        .select_from(SigninFailure)
        .where(SigninFailure.email == email, SigninFailure.ip == ip[:64], SigninFailure.at > since)
    )
    if (pair or 0) >= MAX_FAILURES_PER_PAIR:
        return True
    total = db_session.scalar(
        select(func.count())
        .select_from(SigninFailure)
        .where(SigninFailure.email == email, SigninFailure.at > since)
    )
    return (total or 0) >= MAX_FAILURES_PER_EMAIL


def record_failure(db_session: Session, *, email: str, ip: str, now: datetime) -> None:
    db_session.add(SigninFailure(email=email.strip().lower()[:320], ip=ip[:64], at=now))
    db_session.commit()


def clear_failures(db_session: Session, *, email: str, ip: str) -> None:
    """A successful sign-in forgives this pair's earlier failures (no commit)."""
    db_session.execute(
        delete(SigninFailure).where(
            SigninFailure.email == email.strip().lower()[:320], SigninFailure.ip == ip[:64]
        )
    )
