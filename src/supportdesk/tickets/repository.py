"""Ticket queries (never commit)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import Session

from supportdesk.auth.principal import Principal
from supportdesk.auth.rules import ticket_filter
from supportdesk.db.types import UTCDateTime
from supportdesk.errors import InvalidInput
from supportdesk.tickets.models import Ticket, TicketMessage


@dataclass(frozen=True)
class TicketFilters:
    status: Sequence[str] = ()
    queue: str | None = None
    tier: str | None = None
    severity: int | None = None
    category: str | None = None
    account_id: int | None = None
    assignee_id: int | None = None
    parent_id: int | None = None


def get(db_session: Session, *, ticket_id: int, principal: Principal) -> Ticket | None:
    return db_session.scalar(select(Ticket).where(Ticket.id == ticket_id, ticket_filter(principal)))


def encode_cursor(sort_at: datetime, ticket_id: int) -> str:
    raw = json.dumps([sort_at.isoformat(), ticket_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, tid = json.loads(raw)
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None or not isinstance(tid, int):
            raise ValueError
        return parsed, tid
    except (ValueError, TypeError) as exc:
        raise InvalidInput("malformed cursor", field="cursor") from exc


def list_page(
    db_session: Session,
    *,
    principal: Principal,
    filters: TicketFilters,
    limit: int,
    cursor: str | None,
) -> tuple[list[Ticket], str | None]:
    """One page ordered by SLA deadline (the running clock's due instant), then id."""
    q = select(Ticket).where(ticket_filter(principal))
    if filters.status:
        q = q.where(Ticket.status.in_(list(filters.status)))
    for col, value in (
        (Ticket.queue, filters.queue),
        (Ticket.tier, filters.tier),
        (Ticket.severity, filters.severity),
        (Ticket.category, filters.category),
        (Ticket.account_id, filters.account_id),
        (Ticket.assignee_id, filters.assignee_id),
        (Ticket.parent_id, filters.parent_id),
    ):
        if value is not None:
            q = q.where(col == value)
    if cursor:
        at, tid = decode_cursor(cursor)
        bound = tuple_(literal(at, UTCDateTime()), literal(tid))
        q = q.where(tuple_(Ticket.sort_at, Ticket.id) > bound)
    rows = list(db_session.scalars(q.order_by(Ticket.sort_at, Ticket.id).limit(limit + 1)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last.sort_at, last.id)
    return rows, next_cursor


def children_ids(db_session: Session, *, ticket_id: int) -> list[int]:
    q = select(Ticket.id).where(Ticket.parent_id == ticket_id)
    return sorted(db_session.scalars(q).all())


def children_map(db_session: Session, *, ticket_ids: Sequence[int]) -> dict[int, list[int]]:
    """Child ids of many tickets in one query (for listing pages)."""
    out: dict[int, list[int]] = {}
    if not ticket_ids:
        return out
    # No ORDER BY: SQLite would rather scan the table in id order than use the parent index.
    q = select(Ticket.parent_id, Ticket.id).where(Ticket.parent_id.in_(list(ticket_ids)))
    for parent_id, child_id in sorted(db_session.execute(q).all(), key=lambda r: r[1]):
        if parent_id is not None:
            out.setdefault(parent_id, []).append(child_id)
    return out


def messages(db_session: Session, *, ticket_id: int, internal: bool) -> Sequence[TicketMessage]:
    q = select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
    if not internal:
        q = q.where(TicketMessage.visibility == "public")
    return db_session.scalars(q.order_by(TicketMessage.id)).all()
