"""Authorisation rules as data-driven predicates and SQL filters.

Anything a caller may not see is reported as *not found* by the services, never as forbidden:
a 403 would confirm that another account's ticket exists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from supportdesk.auth.principal import Principal
from supportdesk.directory.models import Account, Person, Tenant
from supportdesk.errors import PermissionDenied
from supportdesk.tickets.models import Ticket


def require_scope(principal: Principal, scope: str) -> None:
    if not principal.has(scope):
        raise PermissionDenied(f"this token lacks the {scope!r} scope", code="missing_scope")


def require_agent(principal: Principal, action: str) -> None:
    if not principal.is_agent:
        raise PermissionDenied(f"only support agents may {action}", code="agents_only")


def require_admin(principal: Principal, action: str) -> None:
    if not principal.sees_all:
        raise PermissionDenied(f"only administrators may {action}", code="admins_only")


def ticket_filter(principal: Principal) -> ColumnElement[bool]:
    if principal.sees_all:
        return true()
    if principal.is_agent:
        clauses: list[ColumnElement[bool]] = [Ticket.assignee_id == principal.id]
        if principal.queues:
            clauses.append(Ticket.queue.in_(principal.queues))
        return or_(*clauses)
    if principal.is_account_admin and principal.account_id is not None:
        return Ticket.account_id == principal.account_id
    if principal.role == "tenant_admin" and principal.tenant_id is not None:
        return Ticket.tenant_id == principal.tenant_id
    return Ticket.requester_id == principal.id


def can_see_ticket(principal: Principal, ticket: Ticket) -> bool:
    if principal.sees_all:
        return True
    if principal.is_agent:
        return ticket.assignee_id == principal.id or (
            ticket.queue is not None and ticket.queue in principal.queues
        )
    if principal.is_account_admin and principal.account_id is not None:
        return ticket.account_id == principal.account_id
    if principal.role == "tenant_admin" and principal.tenant_id is not None:
        return ticket.tenant_id == principal.tenant_id
    return ticket.requester_id == principal.id


def account_filter(principal: Principal) -> ColumnElement[bool]:
    if principal.is_agent:
        return true()
    if principal.account_id is None:
        return false()
    return Account.id == principal.account_id


def tenant_filter(principal: Principal) -> ColumnElement[bool]:
    if principal.is_agent:
        return true()
    if principal.is_account_admin and principal.account_id is not None:
        return Tenant.account_id == principal.account_id
    if principal.tenant_id is not None:
        return Tenant.id == principal.tenant_id
    return false()


def person_filter(principal: Principal) -> ColumnElement[bool]:
    if principal.is_agent:
        return true()
    if principal.is_account_admin and principal.account_id is not None:
        return Person.account_id == principal.account_id
    if principal.role == "tenant_admin" and principal.tenant_id is not None:
        return Person.tenant_id == principal.tenant_id
    return Person.id == principal.id


def can_manage_directory(principal: Principal, account_id: int | None) -> bool:
    """Agents with directory:write manage everything; account admins manage their account."""
    if principal.is_agent:
        return principal.has("directory:write") or principal.sees_all
    return principal.is_account_admin and account_id == principal.account_id
