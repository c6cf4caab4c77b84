"""The `/api/v1` router: each package's routes plus health, triage, policy, queues, audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select, text

from supportdesk.auth import api as auth_api
from supportdesk.auth.rules import require_agent, ticket_filter
from supportdesk.core.triage.models import TicketIn, TriageDecision
from supportdesk.db.types import DB_ID_MAX
from supportdesk.directory import api as directory_api
from supportdesk.tickets import api as tickets_api
from supportdesk.tickets import lifecycle, service
from supportdesk.tickets.models import AuditEvent, Ticket
from supportdesk.tickets.repository import TicketFilters
from supportdesk.tickets.schemas import AuditEventRead, TicketPage
from supportdesk.web.deps import (
    CurrentIntake,
    DbSession,
    Now,
    PolicyReader,
    TicketsReader,
)

router = APIRouter(prefix="/api/v1")
router.include_router(tickets_api.router)
router.include_router(directory_api.router)
router.include_router(auth_api.router)

misc = APIRouter(tags=["service"])


class Health(BaseModel):
    status: str
    database: str
    policy_version: str | None


@misc.get("/health", response_model=Health)
def health(db_session: DbSession, intake: CurrentIntake) -> Health:
    db_ok = "ok"
    try:
        db_session.execute(text("SELECT 1"))
    except Exception:  # the health check reports, it does not fail
        db_ok = "unavailable"
    return Health(
        status="ok" if db_ok == "ok" else "degraded",
        database=db_ok,
        policy_version=getattr(intake.policy, "version", None),
    )


@misc.post("/triage", response_model=TriageDecision, tags=["triage"])
def triage(
    body: TicketIn, principal: TicketsReader, intake: CurrentIntake, now: Now
) -> TriageDecision:
    """The decision the desk would make for this request, without storing anything."""
    return intake.triage(body, now)


@misc.get("/policy", tags=["policy"])
def get_policy(principal: PolicyReader, intake: CurrentIntake) -> dict[str, Any]:
    dumped: dict[str, Any] = intake.policy.model_dump(mode="json")
    return dumped


class PolicyText(BaseModel):
    yaml: str = Field(max_length=1_000_000)


class PolicyCheck(BaseModel):
    valid: bool
    version: str | None = None
    problems: list[str] = Field(default_factory=list)


@misc.post("/policy/validate", response_model=PolicyCheck, tags=["policy"])
def validate_policy(body: PolicyText, principal: PolicyReader) -> PolicyCheck:
    from supportdesk.core.policy import PolicyError, load_policy_text

    try:
        policy = load_policy_text(body.yaml, "request")
    except PolicyError as exc:
        return PolicyCheck(valid=False, problems=list(exc.problems))
    except (ValueError, TypeError) as exc:
        return PolicyCheck(valid=False, problems=[str(exc)])
    return PolicyCheck(valid=True, version=policy.version)


class QueueRead(BaseModel):
    name: str
    label: str
    team: str
    working: int
    at_risk: int
    breached: int


@misc.get("/queues", response_model=list[QueueRead], tags=["queues"])
def list_queues(
    db_session: DbSession, principal: TicketsReader, intake: CurrentIntake
) -> list[QueueRead]:
    require_agent(principal, "see queues")
    q = (
        select(
            Ticket.queue,
            func.count(),
            func.count().filter(Ticket.sla_at_risk.is_(True)),
            func.count().filter(Ticket.sla_breached.is_(True)),
        )
        .where(ticket_filter(principal), Ticket.status.in_(sorted(lifecycle.WORKING)))
        .group_by(Ticket.queue)
    )
    counts = {row[0]: row[1:] for row in db_session.execute(q).all()}
    out = []
    for name, spec in intake.policy.queues.items():
        if not principal.sees_all and name not in principal.queues:
            continue
        working, at_risk, breached = counts.get(name, (0, 0, 0))
        out.append(
            QueueRead(
                name=name,
                label=spec.label,
                team=spec.team,
                working=working,
                at_risk=at_risk,
                breached=breached,
            )
        )
    return out


@misc.get("/queues/{queue}/tickets", response_model=TicketPage, tags=["queues"])
def queue_tickets(
    queue: Annotated[str, Path(max_length=64)],
    db_session: DbSession,
    principal: TicketsReader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> TicketPage:
    """Working tickets of one queue, the nearest SLA deadline first."""
    require_agent(principal, "see queues")
    filters = TicketFilters(status=tuple(sorted(lifecycle.WORKING)), queue=queue)
    rows, next_cursor = service.list_tickets(
        db_session, principal=principal, filters=filters, limit=limit, cursor=cursor
    )
    return TicketPage(items=tickets_api.read_many(db_session, rows), next_cursor=next_cursor)


@misc.get("/audit-events", response_model=list[AuditEventRead], tags=["audit"])
def audit_events(
    db_session: DbSession,
    principal: TicketsReader,
    ticket_id: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: Annotated[int, Query(ge=0, le=DB_ID_MAX)] = 0,
) -> list[AuditEventRead]:
    """Audit events the caller may see: administrators all; others those of visible tickets."""
    q = select(AuditEvent).where(AuditEvent.id > after)
    if not principal.sees_all:
        visible = select(Ticket.id).where(ticket_filter(principal))
        q = q.where(AuditEvent.ticket_id.in_(visible))
    if ticket_id is not None:
        q = q.where(AuditEvent.ticket_id == ticket_id)
    if entity is not None:
        q = q.where(AuditEvent.entity == entity)
    rows = db_session.scalars(q.order_by(AuditEvent.id).limit(limit)).all()
    return [AuditEventRead.model_validate(e) for e in rows]


router.include_router(misc)
