"""Directory queries (never commit)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from supportdesk.auth.principal import Principal
from supportdesk.auth.rules import account_filter, person_filter, tenant_filter
from supportdesk.directory.models import Account, Agent, Person, Tenant


def get_account(db_session: Session, *, account_id: int, principal: Principal) -> Account | None:
    return db_session.scalar(
        select(Account).where(Account.id == account_id, account_filter(principal))
    )


def list_accounts(
    db_session: Session, *, principal: Principal, limit: int, after_id: int = 0
) -> Sequence[Account]:
    q = select(Account).where(account_filter(principal), Account.id > after_id)
    return db_session.scalars(q.order_by(Account.id).limit(limit)).all()


def get_tenant(db_session: Session, *, tenant_id: int, principal: Principal) -> Tenant | None:
    return db_session.scalar(select(Tenant).where(Tenant.id == tenant_id, tenant_filter(principal)))


def list_tenants(
    db_session: Session,
    *,
    principal: Principal,
    limit: int,
    after_id: int = 0,
    account_id: int | None = None,
) -> Sequence[Tenant]:
    q = select(Tenant).where(tenant_filter(principal), Tenant.id > after_id)
    if account_id is not None:
        q = q.where(Tenant.account_id == account_id)
    return db_session.scalars(q.order_by(Tenant.id).limit(limit)).all()


def get_person(db_session: Session, *, person_id: int, principal: Principal) -> Person | None:
    return db_session.scalar(select(Person).where(Person.id == person_id, person_filter(principal)))


def list_people(
    db_session: Session,
    *,
    principal: Principal,
    limit: int,
    after_id: int = 0,
    account_id: int | None = None,
    tenant_id: int | None = None,
) -> Sequence[Person]:
    q = select(Person).where(person_filter(principal), Person.id > after_id)
    if account_id is not None:
        q = q.where(Person.account_id == account_id)
    if tenant_id is not None:
        q = q.where(Person.tenant_id == tenant_id)
    return db_session.scalars(q.order_by(Person.id).limit(limit)).all()


def person_by_email(db_session: Session, *, email: str) -> Person | None:
    return db_session.scalar(select(Person).where(Person.email == email.strip().lower()))


#: What triage and a new ticket need of a sender: person id, role, flags, tenant, account.
_SENDER = (
    select(
        Person.id,
        Person.email,
        Person.role,
        Person.active,
        Person.verification,
        Person.tenant_id,
        Account.id,
        Account.name,
        Account.tier,
    )
    .outerjoin(Account, Account.id == Person.account_id)
    .where(Person.email == bindparam("email"))
)


#: person id, email, role, active, verification, tenant id; account id, name, tier (outer join).
SenderRow = Row[int, str, str, bool, str, int | None, int | None, str | None, str | None]


def sender_row(db_session: Session, *, email: str) -> SenderRow | None:
    """The sender's columns (see `_SENDER`) by email, in one indexed query that builds no ORM
    objects: it runs on every submission. Run on the session's connection: a plain Core
    statement gains nothing from the ORM's execution layer, which cost about as much again."""
    return db_session.connection().execute(_SENDER, {"email": email.strip().lower()}).first()


def agents_for_queue(db_session: Session, *, queue: str | None) -> Sequence[Agent]:
    agents = db_session.scalars(select(Agent).where(Agent.active.is_(True))).all()
    return [a for a in agents if queue is None or queue in (a.queues or [])]


def list_agents(db_session: Session, *, limit: int, after_id: int = 0) -> Sequence[Agent]:
    q = select(Agent).where(Agent.id > after_id).order_by(Agent.id).limit(limit)
    return db_session.scalars(q).all()
