"""The triage contract: what a support request looks like coming in, and the decision going out.

These Pydantic models are the edge of the pure core. `TicketIn` validates one request of the
`supportdesk triage` JSON Lines format (also the body of `POST /api/v1/triage`); `TriageDecision`
is what the core answers, with every reason that led to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from supportdesk.core.vocabulary import (  # noqa: F401  (re-exported for callers)
    CATEGORIES,
    ROLES,
    Category,
    Channel,
    Involvement,
    Role,
    SupportPath,
)

Severity = Annotated[int, Field(ge=1, le=3)]

#: Longest subject / description accepted (characters). Longer text is an error, not truncated
#: silently: the requester must know their words were not all read.
MAX_SUBJECT = 500
MAX_DESCRIPTION = 50_000


class Requester(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: str | None = None
    role: Role = "unknown"
    active: bool = True
    verified: bool = True


class Account(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    tier: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class TicketIn(BaseModel):
    """One support request as submitted (portal, email, chat, phone log or API)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    submitted_at: AwareDatetime | None = None
    channel: Channel = "portal"
    requester: Requester
    account: Account
    msp_involvement: Involvement = "none"
    subject: Annotated[str, StringConstraints(max_length=MAX_SUBJECT)] = ""
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] = ""
    category: Category | None = None
    severity: Severity | None = None
    fields: dict[str, Annotated[str, StringConstraints(max_length=2_000)]] = Field(
        default_factory=dict
    )


class Reason(BaseModel):
    """Why one part of the decision is what it is: the policy rule and the evidence."""

    rule: str
    detail: str
    request: int | None = None  # index into TriageDecision.requests, None for the whole ticket


class RequestDecision(BaseModel):
    """One distinct request found in the ticket (a mixed message yields several)."""

    category: Category
    queue: str
    severity: Severity
    first_response_due: datetime | None
    missing: list[str]
    #: Checklist items that would help but are not required (asked "if available").
    helpful: list[str] = Field(default_factory=list)
    #: Plain questions for the missing items, in checklist order.
    questions: list[str] = Field(default_factory=list)
    #: The part of the (redacted) text this request was read from.
    text: str = ""
    #: The classifier's confidence in `category` (1.0 when a hard policy rule decided).
    confidence: float = 1.0


class TriageDecision(BaseModel):
    id: str | None
    support_path: SupportPath
    channel_allowed: bool
    secrets: list[str]
    requests: list[RequestDecision]
    reasons: list[Reason]
    #: The subject and description with every secret replaced by a marker; the only text to store.
    redacted_subject: str = ""
    redacted_description: str = ""
    policy_version: str = ""
