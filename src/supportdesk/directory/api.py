"""Directory routes: accounts, tenants, people, agents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from supportdesk.db.types import DB_ID_MAX
from supportdesk.directory import service
from supportdesk.directory.schemas import (
    AccountCreate,
    AccountRead,
    AccountUpdate,
    AgentCreate,
    AgentRead,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    TenantCreate,
    TenantRead,
)
from supportdesk.web.deps import CurrentIntake, DbSession, DirectoryReader, DirectoryWriter, Now

router = APIRouter(tags=["directory"])
Id = Annotated[int, Path(ge=1, le=DB_ID_MAX)]
Limit = Annotated[int, Query(ge=1, le=200)]
After = Annotated[int, Query(ge=0, le=DB_ID_MAX, description="list ids after this one")]
OptId = Annotated[int | None, Query(ge=1, le=DB_ID_MAX)]


@router.get("/accounts", response_model=list[AccountRead])
def list_accounts(
    db_session: DbSession, principal: DirectoryReader, limit: Limit = 50, after: After = 0
) -> list[AccountRead]:
    rows = service.list_accounts(db_session, principal=principal, limit=limit, after_id=after)
    return [AccountRead.model_validate(r) for r in rows]


@router.post("/accounts", status_code=201, response_model=AccountRead)
def create_account(
    body: AccountCreate,
    db_session: DbSession,
    principal: DirectoryWriter,
    intake: CurrentIntake,
    now: Now,
) -> AccountRead:
    row = service.create_account(
        db_session, data=body, principal=principal, now=now, known_tiers=intake.policy.tiers
    )
    return AccountRead.model_validate(row)


@router.get("/accounts/{account_id}", response_model=AccountRead)
def get_account(account_id: Id, db_session: DbSession, principal: DirectoryReader) -> AccountRead:
    row = service.get_account(db_session, account_id=account_id, principal=principal)
    return AccountRead.model_validate(row)


@router.patch("/accounts/{account_id}", response_model=AccountRead)
def update_account(
    account_id: Id,
    body: AccountUpdate,
    db_session: DbSession,
    principal: DirectoryWriter,
    intake: CurrentIntake,
    now: Now,
) -> AccountRead:
    row = service.update_account(
        db_session,
        account_id=account_id,
        data=body,
        principal=principal,
        now=now,
        known_tiers=intake.policy.tiers,
    )
    return AccountRead.model_validate(row)


@router.get("/tenants", response_model=list[TenantRead])
def list_tenants(
    db_session: DbSession,
    principal: DirectoryReader,
    account_id: OptId = None,
    limit: Limit = 50,
    after: After = 0,
) -> list[TenantRead]:
    rows = service.list_tenants(
        db_session, principal=principal, limit=limit, after_id=after, account_id=account_id
    )
    return [TenantRead.model_validate(r) for r in rows]


@router.post("/tenants", status_code=201, response_model=TenantRead)
def create_tenant(
    body: TenantCreate, db_session: DbSession, principal: DirectoryWriter, now: Now
) -> TenantRead:
    row = service.create_tenant(db_session, data=body, principal=principal, now=now)
    return TenantRead.model_validate(row)


@router.get("/tenants/{tenant_id}", response_model=TenantRead)
def get_tenant(tenant_id: Id, db_session: DbSession, principal: DirectoryReader) -> TenantRead:
    row = service.get_tenant(db_session, tenant_id=tenant_id, principal=principal)
    return TenantRead.model_validate(row)


@router.get("/people", response_model=list[PersonRead])
def list_people(
    db_session: DbSession,
    principal: DirectoryReader,
    account_id: OptId = None,
    tenant_id: OptId = None,
    limit: Limit = 50,
    after: After = 0,
) -> list[PersonRead]:
    rows = service.list_people(
        db_session,
        principal=principal,
        limit=limit,
        after_id=after,
        account_id=account_id,
        tenant_id=tenant_id,
    )
    return [PersonRead.model_validate(r) for r in rows]


@router.post("/people", status_code=201, response_model=PersonRead)
def create_person(
    body: PersonCreate, db_session: DbSession, principal: DirectoryWriter, now: Now
) -> PersonRead:
    row = service.create_person(db_session, data=body, principal=principal, now=now)
    return PersonRead.model_validate(row)


@router.get("/people/{person_id}", response_model=PersonRead)
def get_person(person_id: Id, db_session: DbSession, principal: DirectoryReader) -> PersonRead:
    row = service.get_person(db_session, person_id=person_id, principal=principal)
    return PersonRead.model_validate(row)


@router.patch("/people/{person_id}", response_model=PersonRead)
def update_person(
    person_id: Id, body: PersonUpdate, db_session: DbSession, principal: DirectoryWriter, now: Now
) -> PersonRead:
    row = service.update_person(
        db_session, person_id=person_id, data=body, principal=principal, now=now
    )
    return PersonRead.model_validate(row)


@router.get("/agents", response_model=list[AgentRead])
def list_agents(
    db_session: DbSession, principal: DirectoryReader, limit: Limit = 50, after: After = 0
) -> list[AgentRead]:
    rows = service.list_agents(db_session, principal=principal, limit=limit, after_id=after)
    return [AgentRead.model_validate(r) for r in rows]


@router.post("/agents", status_code=201, response_model=AgentRead)
def create_agent(
    body: AgentCreate, db_session: DbSession, principal: DirectoryWriter, now: Now
) -> AgentRead:
    row = service.create_agent(db_session, data=body, principal=principal, now=now)
    return AgentRead.model_validate(row)
