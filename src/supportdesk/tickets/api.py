"""Ticket routes: parse, call the service, shape the answer. Nothing else."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from supportdesk.db.types import DB_ID_MAX
from supportdesk.tickets import service
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.repository import TicketFilters
from supportdesk.tickets.schemas import (
    AuditEventRead,
    MergeIn,
    MessageRead,
    NoteIn,
    ReplyIn,
    SplitIn,
    Status,
    TicketDetail,
    TicketPage,
    TicketRead,
    TicketSubmit,
    TicketUpdate,
    TransitionIn,
    VerifyIn,
)
from supportdesk.web.deps import (
    BearerToken,
    CurrentIntake,
    DbSession,
    Now,
    TicketsReader,
    TicketsWriter,
    authenticated,
)

router = APIRouter(prefix="/tickets", tags=["tickets"])
TicketId = Annotated[int, Path(ge=1, le=DB_ID_MAX)]


def read_many(db_session: Session, tickets: list[Ticket]) -> list[TicketRead]:
    kids = service.children_of(db_session, tickets=tickets)
    out = []
    for t in tickets:
        item = TicketRead.model_validate(t)
        item.children = kids.get(t.id, [])
        out.append(item)
    return out


def _detail(db_session: Session, ticket: Ticket) -> TicketDetail:
    out = TicketDetail.model_validate(ticket)
    out.children = service.children(db_session, ticket=ticket)
    return out


_TICKET_DETAIL = TypeAdapter(TicketDetail)


@router.post("", status_code=201, response_model=TicketDetail)
def create_ticket(
    body: TicketSubmit,
    db_session: DbSession,
    token: BearerToken,
    intake: CurrentIntake,
    now: Now,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Response:
    # The caller is looked up here, in the route's thread, not by a `TicketsWriter` dependency
    # in a thread hop of its own. (A well-formed but unknown token with an invalid body is thus
    # answered 422, not 401; a missing or malformed Authorization header is still 401 first.)
    principal, caller_row = authenticated(db_session, token, "tickets:write")
    ticket, created, kids = service.submit_with_children(
        db_session,
        data=body,
        principal=principal,
        intake=intake,
        now=now,
        idempotency_key=idempotency_key,
        caller_row=caller_row,
    )
    out = TicketDetail.model_validate(ticket)
    out.children = service.children(db_session, ticket=ticket) if kids is None else kids
    db_session.close()  # hand the connection back now, not after a hop to another thread
    # Serialised here, as FastAPI would for `response_model` (by alias, to JSON), without
    # validating the model again in one more hop to the thread pool.
    answer = Response(
        content=_TICKET_DETAIL.dump_json(out, by_alias=True),
        status_code=201 if created else 200,
        media_type="application/json",
    )
    if not created:
        answer.headers["Idempotent-Replayed"] = "true"
    answer.headers["Location"] = f"/api/v1/tickets/{ticket.id}"
    return answer


@router.get("", response_model=TicketPage)
def list_tickets(
    db_session: DbSession,
    principal: TicketsReader,
    status: Annotated[list[Status] | None, Query()] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    tier: Annotated[str | None, Query(max_length=64)] = None,
    severity: Annotated[int | None, Query(ge=1, le=3)] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    account_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    parent_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> TicketPage:
    filters = TicketFilters(
        status=tuple(status or ()),
        queue=queue,
        tier=tier,
        severity=severity,
        category=category,
        account_id=account_id,
        assignee_id=assignee_id,
        parent_id=parent_id,
    )
    rows, next_cursor = service.list_tickets(
        db_session, principal=principal, filters=filters, limit=limit, cursor=cursor
    )
    return TicketPage(items=read_many(db_session, rows), next_cursor=next_cursor)


@router.get("/{ticket_id}", response_model=TicketDetail)
def get_ticket(
    ticket_id: TicketId, db_session: DbSession, principal: TicketsReader
) -> TicketDetail:
    return _detail(db_session, service.get(db_session, ticket_id=ticket_id, principal=principal))


@router.patch("/{ticket_id}", response_model=TicketDetail)
def update_ticket(
    ticket_id: TicketId,
    body: TicketUpdate,
    db_session: DbSession,
    principal: TicketsWriter,
    intake: CurrentIntake,
    now: Now,
) -> TicketDetail:
    ticket = service.update(
        db_session, ticket_id=ticket_id, data=body, principal=principal, intake=intake, now=now
    )
    return _detail(db_session, ticket)


@router.post("/{ticket_id}/transition", response_model=TicketDetail)
def transition_ticket(
    ticket_id: TicketId,
    body: TransitionIn,
    db_session: DbSession,
    principal: TicketsWriter,
    intake: CurrentIntake,
    now: Now,
) -> TicketDetail:
    ticket = service.transition(
        db_session, ticket_id=ticket_id, data=body, principal=principal, intake=intake, now=now
    )
    return _detail(db_session, ticket)


@router.post("/{ticket_id}/reply", response_model=TicketDetail)
def reply_ticket(
    ticket_id: TicketId,
    body: ReplyIn,
    db_session: DbSession,
    principal: TicketsWriter,
    intake: CurrentIntake,
    now: Now,
) -> TicketDetail:
    ticket = service.reply(
        db_session, ticket_id=ticket_id, data=body, principal=principal, intake=intake, now=now
    )
    return _detail(db_session, ticket)


@router.post("/{ticket_id}/notes", status_code=201, response_model=MessageRead)
def add_note(
    ticket_id: TicketId,
    body: NoteIn,
    db_session: DbSession,
    principal: TicketsWriter,
    intake: CurrentIntake,
    now: Now,
) -> MessageRead:
    msg = service.note(
        db_session,
        ticket_id=ticket_id,
        body=body.body,
        principal=principal,
        intake=intake,
        now=now,
    )
    return MessageRead.model_validate(msg)


@router.get("/{ticket_id}/messages", response_model=list[MessageRead])
def list_messages(
    ticket_id: TicketId, db_session: DbSession, principal: TicketsReader
) -> list[MessageRead]:
    rows = service.messages(db_session, ticket_id=ticket_id, principal=principal)
    return [MessageRead.model_validate(m) for m in rows]


@router.post("/{ticket_id}/split", status_code=201, response_model=list[TicketRead])
def split_ticket(
    ticket_id: TicketId,
    body: SplitIn,
    db_session: DbSession,
    principal: TicketsWriter,
    intake: CurrentIntake,
    now: Now,
) -> list[TicketRead]:
    made = service.split(
        db_session, ticket_id=ticket_id, data=body, principal=principal, intake=intake, now=now
    )
    return read_many(db_session, made)


@router.post("/{ticket_id}/merge", response_model=TicketDetail)
def merge_ticket(
    ticket_id: TicketId,
    body: MergeIn,
    db_session: DbSession,
    principal: TicketsWriter,
    intake: CurrentIntake,
    now: Now,
) -> TicketDetail:
    target = service.merge(
        db_session, ticket_id=ticket_id, data=body, principal=principal, intake=intake, now=now
    )
    return _detail(db_session, target)


@router.post("/{ticket_id}/confirm", response_model=TicketDetail)
def confirm_ticket(
    ticket_id: TicketId,
    db_session: DbSession,
    principal: TicketsWriter,
    intake: CurrentIntake,
    now: Now,
) -> TicketDetail:
    ticket = service.confirm_msp(
        db_session, ticket_id=ticket_id, principal=principal, intake=intake, now=now
    )
    return _detail(db_session, ticket)


@router.post("/{ticket_id}/verify", response_model=TicketDetail)
def verify_ticket(
    ticket_id: TicketId,
    body: VerifyIn,
    db_session: DbSession,
    principal: TicketsWriter,
    intake: CurrentIntake,
    now: Now,
) -> TicketDetail:
    ticket = service.verify_identity(
        db_session, ticket_id=ticket_id, data=body, principal=principal, intake=intake, now=now
    )
    return _detail(db_session, ticket)


@router.get("/{ticket_id}/events", response_model=list[AuditEventRead])
def ticket_events(
    ticket_id: TicketId, db_session: DbSession, principal: TicketsReader
) -> list[AuditEventRead]:
    rows = service.audit_events(db_session, ticket_id=ticket_id, principal=principal)
    return [AuditEventRead.model_validate(e) for e in rows]
