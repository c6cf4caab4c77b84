"""Write and read audit events: actor, action, old and new values, instant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportdesk.tickets.models import AuditEvent


def record(
    db_session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: int,
    at: datetime,
    old: Any = None,
    new: Any = None,
    ticket_id: int | None = None,
    account_id: int | None = None,
) -> AuditEvent:
    event = AuditEvent(
        entity=entity,
        entity_id=entity_id,
        ticket_id=ticket_id,
        account_id=account_id,
        actor=actor,
        action=action,
        old=old,
        new=new,
        at=at,
    )
    db_session.add(event)
    return event


def for_ticket(db_session: Session, *, ticket_id: int) -> Sequence[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.id)
    ).all()
