"""Directory use cases: one transaction each (committed here), each change audited."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportdesk.auth.principal import Principal
from supportdesk.auth.rules import can_manage_directory, require_agent
from supportdesk.core.triage.models import Requester
from supportdesk.directory import repository
from supportdesk.directory.models import Account, Agent, Person, Tenant
from supportdesk.directory.schemas import (
    AccountCreate,
    AccountUpdate,
    AgentCreate,
    PersonCreate,
    PersonUpdate,
    TenantCreate,
)
from supportdesk.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from supportdesk.tickets import audit


def _deny_or_hide(principal: Principal, account_id: int | None, action: str) -> None:
    if not can_manage_directory(principal, account_id):
        raise PermissionDenied(f"you may not {action}", code="forbidden")


def _account_of(row: Account | Tenant | Person | Agent) -> int | None:
    return row.id if isinstance(row, Account) else getattr(row, "account_id", None)


def _create(
    db_session: Session,
    row: Account | Tenant | Person | Agent,
    *,
    entity: str,
    new: dict[str, object],
    principal: Principal,
    now: datetime,
    duplicate: str | None = None,
) -> None:
    """Insert `row`, audit `<entity>.created` with its values, commit. With `duplicate`, a
    unique-key clash (a concurrent insert of the same email) becomes AlreadyExists."""
    db_session.add(row)
    try:
        db_session.flush()
    except IntegrityError as exc:
        db_session.rollback()
        if duplicate is None:
            raise
        raise AlreadyExists(duplicate, field="email") from exc
    audit.record(
        db_session,
        actor=principal.key,
        action=f"{entity}.created",
        entity=entity,
        entity_id=row.id,
        account_id=_account_of(row),
        new=new,
        at=now,
    )
    db_session.commit()


def _change(
    db_session: Session,
    row: Account | Person,
    changes: dict[str, object],
    *,
    entity: str,
    principal: Principal,
    now: datetime,
) -> None:
    """Apply `changes` to `row`, audit `<entity>.updated` with old and new values, commit."""
    old = {k: getattr(row, k) for k in changes}
    for k, v in changes.items():
        setattr(row, k, v)
    audit.record(
        db_session,
        actor=principal.key,
        action=f"{entity}.updated",
        entity=entity,
        entity_id=row.id,
        account_id=_account_of(row),
        old=old,
        new=changes,
        at=now,
    )
    db_session.commit()


# --- accounts ------------------------------------------------------------------------------


def get_account(db_session: Session, *, account_id: int, principal: Principal) -> Account:
    row = repository.get_account(db_session, account_id=account_id, principal=principal)
    if row is None:
        raise NotFound(f"account {account_id} not found")
    return row


def _check_account_fields(
    db_session: Session, changes: dict[str, object], known_tiers: Collection[str] | None
) -> None:
    owner = changes.get("owner_agent_id")
    if owner is not None and db_session.get(Agent, owner) is None:
        raise InvalidInput(f"agent {owner} not found", field="owner_agent_id")
    tier = changes.get("tier")
    if tier is not None and known_tiers is not None and tier not in known_tiers:
        raise InvalidInput(
            f"unknown tier {tier!r}; the policy has {', '.join(sorted(known_tiers))}",
            field="tier",
        )


def create_account(
    db_session: Session,
    *,
    data: AccountCreate,
    principal: Principal,
    now: datetime,
    known_tiers: Collection[str] | None = None,
) -> Account:
    """Create an account; `known_tiers` (the policy's tiers) refuses unknown tier names."""
    require_agent(principal, "create accounts")
    _deny_or_hide(principal, None, "create accounts")
    _check_account_fields(db_session, data.model_dump(), known_tiers)
    row = Account(**data.model_dump(), created_at=now)
    _create(db_session, row, entity="account", new=data.model_dump(), principal=principal, now=now)
    return row


def update_account(
    db_session: Session,
    *,
    account_id: int,
    data: AccountUpdate,
    principal: Principal,
    now: datetime,
    known_tiers: Collection[str] | None = None,
) -> Account:
    row = get_account(db_session, account_id=account_id, principal=principal)
    require_agent(principal, "change accounts")
    _deny_or_hide(principal, row.id, "change accounts")
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise InvalidInput("name cannot be cleared", field="name")
    if "tier" in changes and changes["tier"] is None:
        raise InvalidInput("tier cannot be cleared", field="tier")
    _check_account_fields(db_session, changes, known_tiers)
    _change(db_session, row, changes, entity="account", principal=principal, now=now)
    return row


def list_accounts(
    db_session: Session, *, principal: Principal, limit: int = 50, after_id: int = 0
) -> Sequence[Account]:
    return repository.list_accounts(db_session, principal=principal, limit=limit, after_id=after_id)


# --- tenants -------------------------------------------------------------------------------


def get_tenant(db_session: Session, *, tenant_id: int, principal: Principal) -> Tenant:
    row = repository.get_tenant(db_session, tenant_id=tenant_id, principal=principal)
    if row is None:
        raise NotFound(f"tenant {tenant_id} not found")
    return row


def create_tenant(
    db_session: Session, *, data: TenantCreate, principal: Principal, now: datetime
) -> Tenant:
    get_account(db_session, account_id=data.account_id, principal=principal)  # 404 if hidden
    _deny_or_hide(principal, data.account_id, "add tenants to this account")
    row = Tenant(account_id=data.account_id, name=data.name, created_at=now)
    _create(db_session, row, entity="tenant", new=data.model_dump(), principal=principal, now=now)
    return row


def list_tenants(
    db_session: Session,
    *,
    principal: Principal,
    limit: int = 50,
    after_id: int = 0,
    account_id: int | None = None,
) -> Sequence[Tenant]:
    return repository.list_tenants(
        db_session, principal=principal, limit=limit, after_id=after_id, account_id=account_id
    )


# --- people --------------------------------------------------------------------------------


def get_person(db_session: Session, *, person_id: int, principal: Principal) -> Person:
    row = repository.get_person(db_session, person_id=person_id, principal=principal)
    if row is None:
        raise NotFound(f"person {person_id} not found")
    return row


def _check_tenant(
    db_session: Session, account_id: int | None, tenant_id: int | None, principal: Principal
) -> None:
    if tenant_id is None:
        return
    tenant = repository.get_tenant(db_session, tenant_id=tenant_id, principal=principal)
    if tenant is None:
        raise InvalidInput(f"tenant {tenant_id} not found", field="tenant_id")
    if account_id is not None and tenant.account_id != account_id:
        raise InvalidInput("the tenant belongs to another account", field="tenant_id")


def create_person(
    db_session: Session, *, data: PersonCreate, principal: Principal, now: datetime
) -> Person:
    if data.account_id is not None and (
        repository.get_account(db_session, account_id=data.account_id, principal=principal) is None
    ):
        raise InvalidInput(f"account {data.account_id} not found", field="account_id")
    _deny_or_hide(principal, data.account_id, "add people to this account")
    _check_tenant(db_session, data.account_id, data.tenant_id, principal)
    if repository.person_by_email(db_session, email=data.email) is not None:
        raise AlreadyExists(f"{data.email} is already in the directory", field="email")
    row = Person(**data.model_dump(), created_at=now)
    _create(
        db_session,
        row,
        entity="person",
        new=data.model_dump(),
        principal=principal,
        now=now,
        duplicate=f"{data.email} is already in the directory",
    )
    return row


def update_person(
    db_session: Session,
    *,
    person_id: int,
    data: PersonUpdate,
    principal: Principal,
    now: datetime,
) -> Person:
    row = get_person(db_session, person_id=person_id, principal=principal)
    _deny_or_hide(principal, row.account_id, "change this person")
    changes = data.model_dump(exclude_unset=True)
    if "tenant_id" in changes:
        _check_tenant(db_session, row.account_id, changes["tenant_id"], principal)
    _change(db_session, row, changes, entity="person", principal=principal, now=now)
    return row


def list_people(
    db_session: Session,
    *,
    principal: Principal,
    limit: int = 50,
    after_id: int = 0,
    account_id: int | None = None,
    tenant_id: int | None = None,
) -> Sequence[Person]:
    return repository.list_people(
        db_session,
        principal=principal,
        limit=limit,
        after_id=after_id,
        account_id=account_id,
        tenant_id=tenant_id,
    )


# --- agents --------------------------------------------------------------------------------


def create_agent(
    db_session: Session, *, data: AgentCreate, principal: Principal, now: datetime
) -> Agent:
    require_agent(principal, "add agents")
    if not principal.sees_all:
        raise PermissionDenied("only administrators may add agents", code="admins_only")
    row = Agent(**data.model_dump(), created_at=now)
    _create(
        db_session,
        row,
        entity="agent",
        new=data.model_dump(),
        principal=principal,
        now=now,
        duplicate=f"{data.email} is already an agent",
    )
    return row


def list_agents(
    db_session: Session, *, principal: Principal, limit: int = 50, after_id: int = 0
) -> Sequence[Agent]:
    require_agent(principal, "list agents")
    return repository.list_agents(db_session, limit=limit, after_id=after_id)


# --- requester resolution ------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedRequester:
    """Who a submission comes from, as the triage core needs it, plus directory links (ids and
    the account's name and tier; no ORM objects)."""

    requester: Requester
    person_id: int | None
    tenant_id: int | None
    account_id: int | None
    account_name: str | None
    account_tier: str | None


def resolve_requester(db_session: Session, *, email: str | None) -> ResolvedRequester:
    """Look the sender up by email. Unknown senders are role `unknown` and must verify."""
    row = repository.sender_row(db_session, email=email) if email else None
    return resolved_from_row(row, email)


def resolved_from_row(row: Sequence[Any] | None, email: str | None) -> ResolvedRequester:
    """The requester of a sender row (`repository.sender_row`'s columns, or None: unknown)."""
    if row is None:
        return ResolvedRequester(
            requester=Requester(email=email, role="unknown", active=True, verified=False),
            person_id=None,
            tenant_id=None,
            account_id=None,
            account_name=None,
            account_tier=None,
        )
    (person_id, p_email, role, active, verification, tenant_id, account_id, name, tier) = row
    return ResolvedRequester(
        requester=Requester(
            email=p_email, role=role, active=active, verified=verification == "verified"
        ),
        person_id=person_id,
        tenant_id=tenant_id,
        account_id=account_id,
        account_name=name,
        account_tier=tier,
    )
