"""Helpers for the integration tests (the fixtures live in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportdesk.notifications.models import OutboxMessage
from supportdesk.tickets import service
from supportdesk.tickets.models import AuditEvent, Ticket
from supportdesk.tickets.schemas import TicketSubmit


def submit(
    db_session: Session, world: Any, who: str, description: str, intake: Any, now: Any, **kw: Any
) -> Ticket:
    data = TicketSubmit(subject=kw.pop("subject", "Help"), description=description, **kw)
    ticket, created = service.submit(
        db_session, data=data, principal=world.p[who], intake=intake, now=now
    )
    assert created
    return ticket


def outbox_rows(db_session: Session, **where: Any) -> list[OutboxMessage]:
    q = select(OutboxMessage).order_by(OutboxMessage.id)
    for k, v in where.items():
        q = q.where(getattr(OutboxMessage, k) == v)
    return list(db_session.scalars(q).all())


def events(db_session: Session, ticket_id: int, action: str | None = None) -> list[AuditEvent]:
    q = select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.id)
    if action:
        q = q.where(AuditEvent.action == action)
    return list(db_session.scalars(q).all())


@pytest.fixture
def sub(db_session: Session, world: Any, intake: Any, clock: Any) -> Any:
    """`sub(who, text, **fields)` submits as `who` at the fake clock's now."""

    def _sub(who: str, description: str, **kw: Any) -> Ticket:
        return submit(db_session, world, who, description, intake, clock.now, **kw)

    return _sub
