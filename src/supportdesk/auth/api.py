"""Token and identity routes."""

from __future__ import annotations

from fastapi import APIRouter

from supportdesk.auth import service
from supportdesk.auth.schemas import Me, TokenCreate, TokenIssued
from supportdesk.web.deps import CurrentPrincipal, DbSession, Now

router = APIRouter(tags=["auth"])


@router.get("/me", response_model=Me)
def me(principal: CurrentPrincipal) -> Me:
    return Me(
        kind=principal.kind,
        id=principal.id,
        email=principal.email,
        role=principal.role,
        account_id=principal.account_id,
        tenant_id=principal.tenant_id,
        queues=list(principal.queues),
        scopes=sorted(principal.scopes),
    )


@router.post("/tokens", status_code=201, response_model=TokenIssued)
def issue_token(
    body: TokenCreate, db_session: DbSession, principal: CurrentPrincipal, now: Now
) -> TokenIssued:
    issued = service.issue_token(db_session, data=body, principal=principal, now=now)
    return TokenIssued(id=issued.id, name=issued.name, token=issued.token, scopes=issued.scopes)
