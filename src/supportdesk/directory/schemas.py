"""Directory request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from supportdesk.core.triage.models import Role
from supportdesk.db.types import DbId

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Email = Annotated[str, StringConstraints(min_length=3, max_length=320, strip_whitespace=True)]
AccountKind = Literal["msp", "partner", "direct"]
AgentRole = Literal["agent", "team_lead", "support_manager", "admin"]
Verification = Literal["verified", "pending", "unverified"]


def _email(value: str) -> str:
    value = value.lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value:
        raise ValueError("not an email address")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(_In):
    name: Name
    kind: AccountKind
    tier: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    owner_agent_id: DbId | None = None


class AccountUpdate(_In):
    name: Name | None = None
    tier: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    owner_agent_id: DbId | None = None


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    kind: str
    tier: str
    owner_agent_id: DbId | None
    created_at: datetime


class TenantCreate(_In):
    account_id: DbId
    name: Name


class TenantRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    account_id: DbId
    name: str
    created_at: datetime


class PersonCreate(_In):
    email: Email
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    role: Role
    account_id: DbId | None = None
    tenant_id: DbId | None = None
    active: bool = True
    verification: Verification = "verified"
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"

    _norm = field_validator("email")(_email)


class PersonUpdate(_In):
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    role: Role | None = None
    active: bool | None = None
    verification: Verification | None = None
    tenant_id: DbId | None = None
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str
    active: bool
    verification: str
    account_id: DbId | None
    tenant_id: DbId | None
    time_zone: str
    created_at: datetime


class AgentCreate(_In):
    email: Email
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    role: AgentRole = "agent"
    team: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "support"
    queues: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        default_factory=list
    )
    on_call: bool = False
    time_zone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    work_hours: Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")] = (
        "09:00-17:00"
    )
    work_days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4]
    )

    _norm = field_validator("email")(_email)


class AgentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str
    team: str
    queues: list[str]
    active: bool
    on_call: bool
    time_zone: str
    work_hours: str
    work_days: list[int]
