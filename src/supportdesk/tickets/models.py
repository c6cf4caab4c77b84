"""Ticket tables: tickets, their messages, audit events and idempotency keys.

SLA instants are denormalised onto the ticket (recomputed from the event log on every change) so
sweeps and queue listings are plain indexed SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supportdesk.db.base import Base
from supportdesk.db.types import JSONType, UTCDateTime


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    requester_email: Mapped[str | None] = mapped_column(String(320))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)

    channel: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(64))
    msp_involvement: Mapped[str] = mapped_column(String(16), default="none")
    #: Redacted text only: secrets are replaced by markers before anything is stored.
    subject: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    claimed_category: Mapped[str | None] = mapped_column(String(32))
    claimed_severity: Mapped[int | None] = mapped_column(Integer)
    fields: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)

    status: Mapped[str] = mapped_column(String(24), index=True)
    support_path: Mapped[str] = mapped_column(String(32))
    channel_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[int | None] = mapped_column(Integer)
    missing: Mapped[list[str]] = mapped_column(JSONType, default=list)
    questions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    secrets: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: The whole triage decision with its reasons, as the core answered it.
    decision: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    policy_version: Mapped[str] = mapped_column(String(64), default="")
    #: The reply text for redirected / help-center tickets.
    reply_text: Mapped[str | None] = mapped_column(Text)

    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # --- SLA (recomputed from the event log; never patched by hand) ---
    sla_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Which clock runs now: "first_response", "resolution" or NULL.
    sla_clock: Mapped[str | None] = mapped_column(String(16))
    #: The clock that runs next: its at-risk instant and deadline (NULL when nothing runs).
    next_at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Listing order: next_due_at, or a far-future sentinel when nothing runs (never NULL).
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sla_at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Highest escalation step already raised for the running clock (0 = none).
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_tickets_queue_sort", "queue", "sort_at", "id"),
        Index("ix_tickets_sort", "sort_at", "id"),
        Index("ix_tickets_account_sort", "account_id", "sort_at", "id"),
        Index("ix_tickets_next_at_risk_at", "next_at_risk_at"),
        Index("ix_tickets_next_due_at", "next_due_at"),
        # The sweep's per-queue escalation inserts (SQLite has no range statistics and would
        # otherwise walk a whole queue).
        Index("ix_tickets_queue_next_at_risk_at", "queue", "next_at_risk_at"),
        Index("ix_tickets_queue_next_due_at", "queue", "next_due_at"),
    )


class TicketMessage(Base):
    """A public reply or an internal note (redacted text)."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    author_side: Mapped[str] = mapped_column(String(16))  # agent | customer | system
    visibility: Mapped[str] = mapped_column(String(16))  # public | internal
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Every change: who, what, old and new values, when. The SLA clock reads this log."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    old: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new: Mapped[Any] = mapped_column(JSONType, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    principal: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("principal", "key", name="uq_idempotency_keys_principal_key"),
    )
