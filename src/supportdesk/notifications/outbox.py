"""Write to the outbox inside the caller's transaction; deliver later, at least once.

A message whose delivery fails is tried again after an exponential backoff (`retry_delay`);
after `MAX_ATTEMPTS` failures it becomes a dead letter (`dead_at` set): kept, listed by
`dead_letters`, tried again only when an operator re-queues it (`requeue`). No message is ever
deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from supportdesk.notifications.models import OutboxMessage
from supportdesk.notifications.ports import Notification, Notifier

log = logging.getLogger("supportdesk.notifications")

#: Failed attempts after which a message is dead-lettered (about 14 h of retries, see below).
MAX_ATTEMPTS = 20
RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)

_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]
#: The enqueue INSERT per dialect, built once (values are passed as parameters).
_ENQUEUE = {
    "postgresql": pg_insert(_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"]),
    "sqlite": sqlite_insert(_TABLE).on_conflict_do_nothing(index_elements=["dedupe_key"]),
}


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before trying again a message that has failed `attempts` times.

    Exponential with a cap: 1 min after the first failure, then 2, 4, 8, 16, 32 min, and 1 h
    from the seventh failure on. With `MAX_ATTEMPTS` = 20 a message is tried for about 14 h
    (63 min + 13 h) before it is dead-lettered: long enough to ride out a transport outage,
    gentle enough not to hammer a transport that is down. Deterministic (no jitter) so tests
    and operators can tell when the next attempt is due.
    """
    if attempts < 1:
        return timedelta(0)
    # Cap the exponent too: 2**n for a huge n would be a huge int before the min() applies.
    return min(RETRY_FIRST * 2 ** min(attempts - 1, 16), RETRY_CAP)


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
    # On the session's connection: a Core statement gains nothing from the ORM's execution layer.
    connection = db_session.connection()
    connection.execute(_ENQUEUE[connection.dialect.name], values)


def dispatch(db_session: Session, *, notifier: Notifier, now: datetime, batch: int = 500) -> int:
    """Deliver due messages; mark each delivered after the notifier accepts it. Commits.

    A failure counts an attempt, records the error and postpones the message by
    `retry_delay(attempts)`; the `MAX_ATTEMPTS`-th failure dead-letters it instead.
    Returns how many were delivered. On PostgreSQL concurrent dispatchers skip locked rows."""
    q = (
        select(OutboxMessage)
        .where(
            OutboxMessage.delivered_at.is_(None),
            OutboxMessage.dead_at.is_(None),
            OutboxMessage.not_before <= now,
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
        row.attempts += 1
        try:
            notifier.send(note)
        except Exception as exc:  # the transport's failure: retry after the backoff
            row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.dead_at = now
                log.warning(
                    "outbox message %s (%s to %s) dead after %s attempts: %s",
                    row.id,
                    row.kind,
                    row.recipient,
                    row.attempts,
                    row.last_error,
                )
            else:
                row.not_before = now + retry_delay(row.attempts)
            continue
        row.delivered_at = now
        delivered += 1
    db_session.commit()
    return delivered


def pending(db_session: Session, *, limit: int | None = None) -> list[OutboxMessage]:
    """Messages still to be delivered (due or waiting for their instant), dead letters aside,
    oldest first."""
    q = (
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.dead_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(db_session.scalars(q).all())


def dead_letters(db_session: Session, *, limit: int | None = None) -> list[OutboxMessage]:
    """Messages that exhausted their attempts, oldest first."""
    q = (
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.dead_at.is_not(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(db_session.scalars(q).all())


def requeue(db_session: Session, *, ids: Sequence[int] | None, now: datetime) -> list[int]:
    """Give dead letters a fresh set of attempts, due at `now`; `ids=None` re-queues every dead
    letter. Other ids (unknown, delivered, not dead) are left alone. Returns the ids re-queued,
    in order. The last error is kept for the record. Commits."""
    cond = [OutboxMessage.delivered_at.is_(None), OutboxMessage.dead_at.is_not(None)]
    if ids is not None:
        if not ids:
            return []
        cond.append(OutboxMessage.id.in_(list(ids)))
    stmt = (
        update(OutboxMessage)
        .where(*cond)
        .values(dead_at=None, attempts=0, not_before=now)
        .returning(OutboxMessage.id)
    )
    done = sorted(db_session.scalars(stmt).all())
    db_session.commit()
    return done
