"""Request dependencies and their `Annotated` aliases (DbSession, CurrentPrincipal, Now...).

Dependencies that never block are `async` so FastAPI does not hop to a worker thread for them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from supportdesk.auth import tokens
from supportdesk.auth.principal import Principal
from supportdesk.auth.rules import require_scope
from supportdesk.errors import AuthenticationFailed
from supportdesk.tickets.intake import Intake


def system_clock() -> datetime:
    return datetime.now(UTC)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session per request. Opening one does no I/O (it connects at its first statement), so
    this runs on the event loop; closing does I/O only while a transaction is still open (the
    route raised, or did not commit), and only then hops to a worker thread."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.get_intake()
    return intake


DbSession = Annotated[Session, Depends(get_db)]
Now = Annotated[datetime, Depends(get_now)]
CurrentIntake = Annotated[Intake, Depends(get_intake)]


async def get_bearer(request: Request) -> str:
    """The request's bearer token, checked for shape only (no I/O, so on the event loop)."""
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise AuthenticationFailed("send an API token as 'Authorization: Bearer <token>'")
    return raw.strip()


BearerToken = Annotated[str, Depends(get_bearer)]


def authenticated(
    db_session: Session, token: str, scope: str
) -> tuple[Principal, tokens.SenderRow | None]:
    """The principal `token` stands for, holding `scope`, and for a person their sender row
    (`tokens.authenticate_sender`). For a route that looks its caller up in its own thread, with
    the rest of its database work: one thread hop per request, not one for `get_principal` and
    another for the route (the busiest route, ticket creation, does)."""
    principal, sender = tokens.authenticate_sender(db_session, token)
    require_scope(principal, scope)
    return principal, sender


def get_principal(db_session: DbSession, token: BearerToken) -> Principal:
    principal = tokens.authenticate(db_session, token)
    if db_session.get_bind().dialect.name == "sqlite":
        db_session.rollback()  # end the read transaction: SQLite would hold its write lock
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def scoped(scope: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    async def dependency(principal: CurrentPrincipal) -> Principal:
        require_scope(principal, scope)
        return principal

    return dependency


TicketsReader = Annotated[Principal, Depends(scoped("tickets:read"))]
TicketsWriter = Annotated[Principal, Depends(scoped("tickets:write"))]
DirectoryReader = Annotated[Principal, Depends(scoped("directory:read"))]
DirectoryWriter = Annotated[Principal, Depends(scoped("directory:write"))]
PolicyReader = Annotated[Principal, Depends(scoped("policy:read"))]
