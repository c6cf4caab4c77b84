"""Write to the outbox inside the caller's transaction; deliver later, at least once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from supportdesk.notifications.models import OutboxMessage
from supportdesk.notifications.ports import Notification, Notifier

MAX_ATTEMPTS = 20


def enqueue(
    db_session: Session,
    *,
    dedupe_key: str,
    recipient: str,
    kind: str,
    now: datetime,
    ticket_id: int | None = None,
    payload: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> None:
    """Add a message unless one with the same key exists (does not commit)."""
    values = {
        "dedupe_key": dedupe_key[:200],
        "recipient": recipient,
        "kind": kind,
        "ticket_id": ticket_id,
        "payload": payload or {},
        "created_at": now,
        "not_before": not_before or now,
        "attempts": 0,
    }
    dialect = db_session.get_bind().dialect.name
    ins = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = ins(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    db_session.execute(stmt)


def dispatch(db_session: Session, *, notifier: Notifier, now: datetime, batch: int = 500) -> int:
    """Deliver due messages; mark each delivered after the notifier accepts it. Commits.
    Returns how many were delivered. On PostgreSQL concurrent dispatchers skip locked rows."""
    q = (
        select(OutboxMessage)
        .where(
            OutboxMessage.delivered_at.is_(None),
            OutboxMessage.not_before <= now,
            OutboxMessage.attempts < MAX_ATTEMPTS,
        )
        .order_by(OutboxMessage.id)
        .limit(batch)
    )
    if db_session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    delivered = 0
    for row in db_session.scalars(q).all():
        note = Notification(
            dedupe_key=row.dedupe_key,
            recipient=row.recipient,
            kind=row.kind,
            ticket_id=row.ticket_id,
            payload=dict(row.payload or {}),
        )
        try:
            notifier.send(note)
        except Exception as exc:  # the transport's failure: retry on the next run
            row.attempts += 1
            row.last_error = str(exc)[:500]
            continue
        row.attempts += 1
        row.delivered_at = now
        delivered += 1
    db_session.commit()
    return delivered


def pending(db_session: Session) -> list[OutboxMessage]:
    q = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None)).order_by(OutboxMessage.id)
    return list(db_session.scalars(q).all())
