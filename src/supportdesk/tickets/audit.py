"""Write and read audit events: actor, action, old and new values, instant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from supportdesk.tickets.models import AuditEvent

_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)


def record(db_session: Session, **fields: Any) -> AuditEvent:
    """Add one event to the session; `fields` are `row`'s keyword arguments (checked there)."""
    event = AuditEvent(**row(**fields))
    db_session.add(event)
    return event


def row(
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
) -> dict[str, Any]:
    """The columns of one event: what `record` adds, or one row for `insert_rows`."""
    return {
        "entity": entity,
        "entity_id": entity_id,
        "ticket_id": ticket_id,
        "account_id": account_id,
        "actor": actor,
        "action": action,
        "old": old,
        "new": new,
        "at": at,
    }


def insert_rows(db_session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert events in one executemany (Core: no ORM objects, ids in list order), on the
    session's connection: the ORM's execution layer adds nothing to a Core insert but CPU."""
    if rows:
        db_session.connection().execute(_INSERT, list(rows))


def for_ticket(db_session: Session, *, ticket_id: int) -> Sequence[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.id)
    ).all()
