"""API tokens: `sd_` + 32 random bytes, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from supportdesk.auth.models import ApiToken
from supportdesk.auth.principal import (
    ACCOUNT_ADMIN_ROLES,
    DEFAULT_AGENT_SCOPES,
    DEFAULT_PERSON_SCOPES,
    SCOPES,
    Principal,
)
from supportdesk.directory.models import Account, Agent, Person
from supportdesk.errors import AuthenticationFailed, InvalidInput

PREFIX = "sd_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str  # the only time the raw value exists
    scopes: list[str]


def issue(
    db_session: Session,
    *,
    name: str,
    now: datetime,
    person_id: int | None = None,
    agent_id: int | None = None,
    scopes: list[str] | None = None,
) -> IssuedToken:
    """Create a token for a person or an agent (flushes, does not commit)."""
    if (person_id is None) == (agent_id is None):
        raise InvalidInput("a token belongs to exactly one person or agent", field="person_id")
    if scopes is None:
        scopes = list(DEFAULT_AGENT_SCOPES if agent_id is not None else DEFAULT_PERSON_SCOPES)
        person = db_session.get(Person, person_id) if person_id is not None else None
        if person is not None and person.role in ACCOUNT_ADMIN_ROLES:
            scopes.append("directory:write")  # account admins manage their own people
    for s in scopes:
        if s not in SCOPES:
            raise InvalidInput(f"unknown scope {s!r}", field="scopes")
    raw = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[:8],
        scopes=scopes,
        person_id=person_id,
        agent_id=agent_id,
        created_at=now,
    )
    db_session.add(row)
    db_session.flush()
    return IssuedToken(id=row.id, name=name, token=raw, scopes=scopes)


def principal_for_agent(agent: Agent, scopes: frozenset[str]) -> Principal:
    return Principal(
        kind="agent",
        id=agent.id,
        email=agent.email,
        role=agent.role,
        queues=tuple(agent.queues or ()),
        scopes=scopes,
    )


def principal_for_person(person: Person, scopes: frozenset[str]) -> Principal:
    return Principal(
        kind="person",
        id=person.id,
        email=person.email,
        role=person.role,
        account_id=person.account_id,
        tenant_id=person.tenant_id,
        scopes=scopes,
    )


#: Built once, not per request (building it took about a third of the lookup's CPU).
_BY_HASH = (
    select(
        ApiToken.revoked_at,
        ApiToken.scopes,
        ApiToken.agent_id,
        Agent.id,
        Agent.email,
        Agent.role,
        Agent.queues,
        Agent.active,
        Person.id,
        Person.email,
        Person.role,
        Person.account_id,
        Person.tenant_id,
        Person.active,
        # A person's sender row (`directory.repository.sender_row`'s columns, less those above):
        # a submission as oneself then needs no lookup of its own.
        Person.verification,
        Account.id,
        Account.name,
        Account.tier,
    )
    .outerjoin(Agent, Agent.id == ApiToken.agent_id)
    .outerjoin(Person, Person.id == ApiToken.person_id)
    .outerjoin(Account, Account.id == Person.account_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def authenticate(db_session: Session, raw: str) -> Principal:
    """The principal a bearer token stands for; inactive owners and revoked tokens fail."""
    return authenticate_sender(db_session, raw)[0]


#: A person's directory row as `directory.repository.sender_row` reads it: person id, email,
#: role, active, verification, tenant id; account id, name, tier.
SenderRow = tuple[Any, ...]


def authenticate_sender(db_session: Session, raw: str) -> tuple[Principal, SenderRow | None]:
    """`authenticate`, and for a person the sender row a submission of theirs needs (None for
    an agent).

    One indexed lookup (the unique `token_hash`) reading only the columns a principal needs:
    this runs on every API request, where loading three ORM entities cost more than the query.
    Run on the session's connection, past the ORM's execution layer (nothing here is an entity).
    """
    found = db_session.connection().execute(_BY_HASH, {"token_hash": hash_token(raw)}).first()
    if found is None or found[0] is not None:
        raise AuthenticationFailed("invalid or revoked API token")
    row: tuple[Any, ...] = tuple(found)  # eighteen columns: past what `Row` types by position
    (_, token_scopes, agent_id, a_id, a_email, a_role, a_queues, a_active) = row[:8]
    (p_id, p_email, p_role, p_account, p_tenant, p_active) = row[8:14]
    (p_verification, acc_id, acc_name, acc_tier) = row[14:]
    scopes = frozenset(token_scopes or ())
    if agent_id is not None:
        if a_id is None or not a_active:
            raise AuthenticationFailed("the token's agent is not active")
        agent = Principal(
            kind="agent",
            id=a_id,
            email=a_email,
            role=a_role,
            queues=tuple(a_queues or ()),
            scopes=scopes,
        )
        return agent, None
    if p_id is None or not p_active:
        raise AuthenticationFailed("the token's person is not active")
    person = Principal(
        kind="person",
        id=p_id,
        email=p_email,
        role=p_role,
        account_id=p_account,
        tenant_id=p_tenant,
        scopes=scopes,
    )
    sender = (p_id, p_email, p_role, p_active, p_verification, p_tenant, acc_id, acc_name, acc_tier)
    return person, sender


def revoke(db_session: Session, *, token_id: int, now: datetime) -> None:
    row = db_session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
