"""Token and identity bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from supportdesk.db.types import DbId


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    #: Owner of the new token; neither = the caller themself.
    person_id: DbId | None = None
    agent_id: DbId | None = None
    scopes: list[Annotated[str, StringConstraints(max_length=32)]] | None = None


class TokenIssued(BaseModel):
    id: int
    name: str
    token: str
    scopes: list[str]


class Me(BaseModel):
    kind: str
    id: int
    email: str
    role: str
    account_id: int | None
    tenant_id: int | None
    queues: list[str]
    scopes: list[str]
