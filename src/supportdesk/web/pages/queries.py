"""Read-only queries the pages need beyond the ticket service's (never commit).

Every ticket query goes through `auth.rules.ticket_filter`, the same rule the service and the API
use, so a page can never show more than the caller may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportdesk.auth.principal import Principal
from supportdesk.auth.rules import tenant_filter, ticket_filter
from supportdesk.directory.models import Account, Agent, Person, Tenant
from supportdesk.tickets import lifecycle
from supportdesk.tickets.models import Ticket

PORTAL_GROUPS = {
    "active": sorted(lifecycle.WORKING),
    "done": sorted(lifecycle.FINISHED),
}


def my_tickets(
    db_session: Session,
    *,
    principal: Principal,
    group: str,
    limit: int,
    before_id: int | None,
) -> tuple[list[Ticket], int | None]:
    """Tickets the person may see, newest first, keyset-paged on id."""
    q = select(Ticket).where(ticket_filter(principal))
    statuses = PORTAL_GROUPS.get(group)
    if statuses:
        q = q.where(Ticket.status.in_(statuses))
    if before_id is not None:
        q = q.where(Ticket.id < before_id)
    rows = list(db_session.scalars(q.order_by(Ticket.id.desc()).limit(limit + 1)).all())
    more = None
    if len(rows) > limit:
        rows = rows[:limit]
        more = rows[-1].id
    return rows, more


def awaiting_confirmation(db_session: Session, *, principal: Principal) -> list[Ticket]:
    """Tickets of the admin's account that wait for the MSP/partner owner to confirm."""
    if not principal.is_account_admin:
        return []
    q = (
        select(Ticket)
        .where(ticket_filter(principal), Ticket.status == "awaiting_msp")
        .order_by(Ticket.id)
        .limit(200)
    )
    return list(db_session.scalars(q).all())


def awaiting_count(db_session: Session, *, principal: Principal) -> int:
    if not principal.is_account_admin:
        return 0
    q = (
        select(func.count())
        .select_from(Ticket)
        .where(ticket_filter(principal), Ticket.status == "awaiting_msp")
    )
    return int(db_session.scalar(q) or 0)


def tenants_for(db_session: Session, *, principal: Principal) -> Sequence[Tenant]:
    q = select(Tenant).where(tenant_filter(principal)).order_by(Tenant.name).limit(500)
    return db_session.scalars(q).all()


def person_and_account(
    db_session: Session, *, person_id: int
) -> tuple[Person | None, Account | None]:
    person = db_session.get(Person, person_id)
    account = db_session.get(Account, person.account_id) if person and person.account_id else None
    return person, account


def names_for(
    db_session: Session, tickets: Sequence[Ticket]
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Display names of the accounts, tenants and assignees of some tickets (three queries)."""
    acc_ids = {t.account_id for t in tickets if t.account_id}
    ten_ids = {t.tenant_id for t in tickets if t.tenant_id}
    ag_ids = {t.assignee_id for t in tickets if t.assignee_id}

    def names(model: Any, ids: set[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = db_session.execute(select(model.id, model.name).where(model.id.in_(ids)))
        return {int(i): str(n) for i, n in rows}

    accounts = names(Account, acc_ids)
    tenants = names(Tenant, ten_ids)
    agents = names(Agent, ag_ids)
    return accounts, tenants, agents


def active_agents(db_session: Session) -> Sequence[Agent]:
    q = select(Agent).where(Agent.active.is_(True)).order_by(Agent.name).limit(500)
    return db_session.scalars(q).all()


def accounts_all(db_session: Session) -> Sequence[Account]:
    return db_session.scalars(select(Account).order_by(Account.name).limit(1000)).all()


#: Queue counts stop at this number ("1,000+"): a bounded count walks an index range instead of
#: the whole table, so the summary stays cheap at a million tickets.
COUNT_CAP = 1000


@dataclass(frozen=True)
class QueueCount:
    name: str
    label: str
    working: int
    at_risk: int
    breached: int
    cap: int = COUNT_CAP


def _bounded(db_session: Session, where: list[Any]) -> int:
    inner = select(Ticket.id).where(*where).limit(COUNT_CAP + 1).subquery()
    return int(db_session.scalar(select(func.count()).select_from(inner)) or 0)


def queue_counts(
    db_session: Session, *, principal: Principal, policy: object, now: datetime
) -> list[QueueCount]:
    """Per queue the agent works: tickets being worked (counted up to `COUNT_CAP` along the
    queue index), running clocks past their at-risk point and past their deadline (grouped
    counts that walk the deadline indexes, which only cover the few clocks near or past due)."""
    seen = ticket_filter(principal)
    working = Ticket.status.in_(sorted(lifecycle.WORKING))

    def by_queue(*where: Any) -> dict[str, int]:
        q = select(Ticket.queue, func.count()).where(seen, working, *where)
        return {str(k): int(n) for k, n in db_session.execute(q.group_by(Ticket.queue))}

    # One range condition each, so each walks its own index; a clock past its deadline is
    # also past its at-risk point, so "at risk, not yet overdue" is the difference.
    past_risk = by_queue(Ticket.next_at_risk_at <= now)
    overdue = by_queue(Ticket.next_due_at <= now)
    at_risk = {k: n - overdue.get(k, 0) for k, n in past_risk.items()}
    out = []
    for name, spec in getattr(policy, "queues", {}).items():
        if not principal.sees_all and name not in principal.queues:
            continue
        out.append(
            QueueCount(
                name,
                spec.label,
                _bounded(db_session, [Ticket.queue == name, seen, working]),
                at_risk.get(name, 0),
                overdue.get(name, 0),
            )
        )
    return out


def actor_names(db_session: Session, keys: Sequence[str]) -> dict[str, str]:
    """Display names for audit/message actors ("agent:3", "person:7", "system")."""
    agent_ids = {int(k[6:]) for k in keys if k.startswith("agent:") and k[6:].isdigit()}
    person_ids = {int(k[7:]) for k in keys if k.startswith("person:") and k[7:].isdigit()}
    out = {"system": "supportdesk"}
    if agent_ids:
        q = select(Agent.id, Agent.name, Agent.email).where(Agent.id.in_(agent_ids))
        for i, name, email in db_session.execute(q):
            out[f"agent:{i}"] = str(name or email)
    if person_ids:
        q = select(Person.id, Person.name, Person.email).where(Person.id.in_(person_ids))
        for i, name, email in db_session.execute(q):
            out[f"person:{i}"] = str(name or email)
    return out


def visible_tickets(
    db_session: Session, *, principal: Principal, ids: Sequence[int]
) -> list[Ticket]:
    """These tickets (e.g. a parent's children, found by the parent_id index), in id order,
    as far as the caller may see them: a lookup by primary key, never an ordered scan."""
    if not ids:
        return []
    q = select(Ticket).where(Ticket.id.in_(list(ids)), ticket_filter(principal))
    return list(db_session.scalars(q.order_by(Ticket.id)).all())
