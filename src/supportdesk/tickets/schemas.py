"""Ticket request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from supportdesk.core.triage.models import (
    MAX_DESCRIPTION,
    MAX_SUBJECT,
    Category,
    Channel,
    Involvement,
)
from supportdesk.db.types import DbId

Status = Literal[
    "new",
    "awaiting_msp",
    "redirected",
    "help_center",
    "verifying",
    "needs_info",
    "open",
    "pending_customer",
    "escalated",
    "resolved",
    "closed",
]
Severity = Annotated[int, Field(ge=1, le=3)]
FieldValue = Annotated[str, StringConstraints(max_length=2_000)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DESCRIPTION)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketSubmit(_In):
    """A submission from any channel. People submit as themselves; agents and integrations may
    log a submission for `requester_email` (email gateway, phone log)."""

    channel: Channel = "portal"
    subject: Annotated[str, StringConstraints(max_length=MAX_SUBJECT)] = ""
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] = ""
    category: Category | None = None
    severity: Severity | None = None
    fields: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], FieldValue] = (
        Field(default_factory=dict, max_length=50)
    )
    requester_email: Annotated[str, StringConstraints(min_length=3, max_length=320)] | None = None
    msp_involvement: Involvement | None = None
    submitted_at: AwareDatetime | None = None


class TicketUpdate(_In):
    assignee_id: DbId | None = None
    category: Category | None = None
    queue: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    severity: Severity | None = None
    severity_reason: Annotated[str, StringConstraints(min_length=3, max_length=2_000)] | None = None
    #: Why the category changed (optional; kept in the audit event next to the change).
    category_reason: Annotated[str, StringConstraints(min_length=3, max_length=2_000)] | None = None


class TransitionIn(_In):
    status: Status
    reason: Annotated[str, StringConstraints(max_length=2_000)] | None = None


class ReplyIn(_In):
    body: Body
    #: Structured answers to the questions asked (needs-info round trip).
    fields: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], FieldValue] = (
        Field(default_factory=dict, max_length=50)
    )


class NoteIn(_In):
    body: Body


class SplitPart(_In):
    category: Category
    severity: Severity
    queue: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DESCRIPTION)]


class SplitIn(_In):
    parts: list[SplitPart] = Field(min_length=2, max_length=10)


class MergeIn(_In):
    into_ticket_id: DbId


class VerifyIn(_In):
    #: The directory person the requester proved to be (needed when the sender was unknown).
    person_id: DbId | None = None


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: DbId | None
    merged_into_id: DbId | None
    account_id: DbId | None
    tenant_id: DbId | None
    requester_id: DbId | None
    requester_email: str | None
    assignee_id: DbId | None
    channel: str
    tier: str
    msp_involvement: str
    subject: str
    description: str
    fields: dict[str, str]
    status: str
    support_path: str
    channel_allowed: bool
    category: str | None
    queue: str | None
    severity: int | None
    missing: list[str]
    questions: list[str]
    secrets: list[str]
    reply_text: str | None
    policy_version: str
    submitted_at: datetime
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    sla_started_at: datetime | None
    first_responded_at: datetime | None
    first_response_due_at: datetime | None
    first_response_at_risk_at: datetime | None
    first_response_breached: bool
    resolution_due_at: datetime | None
    resolution_at_risk_at: datetime | None
    resolution_breached: bool
    sla_paused: bool
    sla_clock: str | None
    next_due_at: datetime | None
    sla_at_risk: bool
    sla_breached: bool
    children: list[int] = Field(default_factory=list)


class TicketDetail(TicketRead):
    decision: dict[str, Any]


class TicketPage(BaseModel):
    items: list[TicketRead]
    next_cursor: str | None


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    ticket_id: DbId
    author: str
    author_side: str
    visibility: str
    body: str
    created_at: datetime


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    entity: str
    entity_id: DbId
    ticket_id: DbId | None
    actor: str
    action: str
    old: Any
    new: Any
    at: datetime
