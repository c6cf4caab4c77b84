"""The SLA sweep: mark at-risk and breached tickets and escalate, with set-based SQL.

Statements touch only tickets whose running clock crossed a threshold since the last sweep
(indexed on `next_at_risk_at` / `next_due_at`, per queue too, guarded by `escalation_level`), so
a sweep over a million open tickets is a handful of statements: per escalation step, one
INSERT .. SELECT into the outbox per recipient and group of queues sharing that recipient, then
two UPDATEs, all in one transaction; dedupe keys make a repeated sweep harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, literal, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from supportdesk.db.types import JSONType, UTCDateTime
from supportdesk.jobs.escalation import Step, recipients_for, steps
from supportdesk.notifications.models import OutboxMessage
from supportdesk.tickets.models import Ticket

LEVEL = {"at_risk": 1, "breach": 2}


@dataclass(frozen=True)
class SweepResult:
    at_risk: int
    breached: int
    notifications: int


def _step_filter(step: Step) -> ColumnElement[bool]:
    cond: ColumnElement[bool] = true()
    if step.only_tiers is not None:
        cond = and_(cond, Ticket.tier.in_(step.only_tiers))
    if step.only_severities is not None:
        cond = and_(cond, Ticket.severity.in_(step.only_severities))
    return cond


def _crossed(at: str, now: datetime) -> ColumnElement[bool]:
    column = Ticket.next_at_risk_at if at == "at_risk" else Ticket.next_due_at
    return and_(
        column <= literal(now, UTCDateTime()),
        Ticket.sla_clock.is_not(None),
        Ticket.escalation_level < LEVEL[at],
    )


def _queue_groups(
    db_session: Session, step: Step, queues: list[str], now: datetime
) -> list[tuple[list[tuple[str, datetime]], ColumnElement[bool]]]:
    """Recipients per group of queues that share them, with the SQL filter for the group.
    `None` stands for every other queue (unknown to the policy, or none)."""
    groups: dict[tuple[tuple[str, datetime], ...], list[str | None]] = {}
    for queue in [*queues, None]:
        recipients = tuple(
            (agent.email, when) for agent, when in recipients_for(db_session, step, queue, now)
        )
        if recipients:
            groups.setdefault(recipients, []).append(queue)
    out: list[tuple[list[tuple[str, datetime]], ColumnElement[bool]]] = []
    for recipients, members in groups.items():
        named = [q for q in members if q is not None]
        if len(members) == len(queues) + 1:
            cond: ColumnElement[bool] = true()
        else:
            parts: list[ColumnElement[bool]] = []
            if named:
                parts.append(Ticket.queue.in_(named))
            if None in members:
                parts.append(or_(Ticket.queue.is_(None), Ticket.queue.not_in(queues)))
            cond = or_(*parts)
        out.append((list(recipients), cond))
    return out


def _notify(
    db_session: Session,
    step: Step,
    cond: ColumnElement[bool],
    queues: list[str],
    now: datetime,
) -> int:
    """INSERT .. SELECT one outbox row per crossed ticket and recipient (deduplicated)."""
    dialect = db_session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    count = 0
    for recipients, queue_cond in _queue_groups(db_session, step, queues, now):
        for email, not_before in recipients:
            key = (
                literal("esc:")
                + cast(Ticket.id, String)
                + literal(f":{step.step}:")
                + Ticket.sla_clock
                + literal(f":{email}")
            )
            src = select(
                key,
                literal(email),
                literal(f"escalation.{step.step}"),
                Ticket.id,
                literal({"step": step.step, "at": step.at}, JSONType),
                literal(now, UTCDateTime()),
                literal(not_before, UTCDateTime()),
                literal(0),
            ).where(cond, queue_cond)
            stmt = (
                ins(OutboxMessage)
                .from_select(
                    [
                        "dedupe_key",
                        "recipient",
                        "kind",
                        "ticket_id",
                        "payload",
                        "created_at",
                        "not_before",
                        "attempts",
                    ],
                    src,
                )
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .execution_options(preserve_rowcount=True)
            )
            result: Any = db_session.execute(stmt)
            count += max(result.rowcount or 0, 0)
    return count


def sweep(db_session: Session, *, policy: Any, now: datetime) -> SweepResult:
    """Mark and escalate every ticket whose running clock crossed at-risk or its deadline."""
    all_steps = steps(policy)
    queues = sorted(getattr(policy, "queues", {}) or {})
    sent = 0
    for at in ("at_risk", "breach"):
        for step in (s for s in all_steps if s.at == at):
            cond = and_(_crossed(at, now), _step_filter(step))
            sent += _notify(db_session, step, cond, queues, now)
    breach_values: dict[Any, Any] = {
        Ticket.escalation_level: LEVEL["breach"],
        Ticket.sla_breached: True,
        Ticket.sla_at_risk: True,
        Ticket.first_response_breached: case(
            (Ticket.sla_clock == "first_response", True), else_=Ticket.first_response_breached
        ),
        Ticket.resolution_breached: case(
            (Ticket.sla_clock == "resolution", True), else_=Ticket.resolution_breached
        ),
    }
    breached: Any = db_session.execute(
        update(Ticket).where(_crossed("breach", now)).values(breach_values),
        execution_options={"synchronize_session": False},
    )
    at_risk: Any = db_session.execute(
        update(Ticket)
        .where(_crossed("at_risk", now))
        .values({Ticket.escalation_level: LEVEL["at_risk"], Ticket.sla_at_risk: True}),
        execution_options={"synchronize_session": False},
    )
    db_session.commit()
    return SweepResult(
        at_risk=max(at_risk.rowcount or 0, 0),
        breached=max(breached.rowcount or 0, 0),
        notifications=sent,
    )
