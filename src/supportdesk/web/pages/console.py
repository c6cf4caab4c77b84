"""The agents' console: queues ordered by SLA deadline, the ticket view with its triage
decision, audit timeline and actions, and the dashboard.

Listing goes through `tickets.service.list_tickets` (keyset cursor on (sort_at, id), the same
index the API uses), so a page costs the same at a thousand tickets or a million.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from supportdesk.core.triage.models import MAX_DESCRIPTION
from supportdesk.db.types import DB_ID_MAX
from supportdesk.errors import InvalidInput
from supportdesk.tickets import lifecycle, service
from supportdesk.tickets.repository import TicketFilters
from supportdesk.tickets.schemas import (
    MergeIn,
    ReplyIn,
    SplitIn,
    SplitPart,
    TicketUpdate,
    TransitionIn,
)
from supportdesk.web import uploads
from supportdesk.web.deps import CurrentIntake, DbSession, Now
from supportdesk.web.pages import dashboard, queries
from supportdesk.web.pages.common import (
    CSRF_GUARD,
    AgentViewer,
    PageRoute,
    Viewer,
    done_reading,
    flash_of,
    now_of,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False, dependencies=[CSRF_GUARD])

TicketId = Annotated[int, Path(ge=1, le=DB_ID_MAX)]
PAGE_SIZE = 50
Reason = Annotated[str, Form(min_length=3, max_length=2000)]
Body = Annotated[str, Form(min_length=1, max_length=MAX_DESCRIPTION)]


def _filters(
    viewer: Any,
    queue: str,
    tier: str,
    severity: str,
    category: str,
    account: str,
    status: str,
    assignee: str,
) -> TicketFilters:
    statuses: tuple[str, ...]
    if status in ("", "working"):
        statuses = tuple(sorted(lifecycle.WORKING))
    elif status == "any":
        statuses = ()
    elif status in lifecycle.STATUSES:
        statuses = (status,)
    else:
        raise InvalidInput("unknown status", field="status")
    assignee_id: int | None = None
    if assignee == "me":
        assignee_id = viewer.principal.id
    elif assignee:
        assignee_id = _int(assignee, "assignee")
    return TicketFilters(
        status=statuses,
        queue=queue or None,
        tier=tier or None,
        severity=_int(severity, "severity") if severity else None,
        category=category or None,
        account_id=_int(account, "account") if account else None,
        assignee_id=assignee_id,
    )


def _int(value: str, field: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a number", field=field) from None
    if not 1 <= n <= DB_ID_MAX:
        raise InvalidInput(f"{field} is out of range", field=field)
    return n


Q = Annotated[str, Query(max_length=64)]


@router.get("/console")
def queue_page(
    request: Request,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
    queue: Q = "",
    tier: Q = "",
    severity: Q = "",
    category: Q = "",
    account: Q = "",
    status: Q = "working",
    assignee: Q = "",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    now_of(request, now)
    policy = intake.policy
    if not queue and not viewer.principal.sees_all and viewer.principal.queues:
        queue = viewer.principal.queues[0]
    filters = _filters(viewer, queue, tier, severity, category, account, status, assignee)
    rows, next_cursor = service.list_tickets(
        db_session, principal=viewer.principal, filters=filters, limit=PAGE_SIZE, cursor=cursor
    )
    accounts, tenants, agents = queries.names_for(db_session, rows)
    all_accounts = queries.accounts_all(db_session)
    all_agents = queries.active_agents(db_session)
    done_reading(db_session)
    params = {
        "queue": queue,
        "tier": tier,
        "severity": severity,
        "category": category,
        "account": account,
        "status": status,
        "assignee": assignee,
    }
    queues = [
        (name, spec.label)
        for name, spec in policy.queues.items()
        if viewer.principal.sees_all or name in viewer.principal.queues
    ]
    return render(
        request,
        "console/queue.html",
        {
            "title": policy.queues[queue].label + " queue" if queue in policy.queues else "Queues",
            "nav": "queue",
            "tickets": rows,
            "next_cursor": next_cursor,
            "params": params,
            "queues": queues,
            "tiers": list(policy.tiers),
            "categories": [(k, c.label) for k, c in policy.categories.items()],
            "statuses": lifecycle.STATUSES,
            "accounts": all_accounts,
            "agents": all_agents,
            "account_names": accounts,
            "tenant_names": tenants,
            "agent_names": agents,
            "flash": flash_of(request, viewer),
            "first_page": cursor is None,
        },
    )


@router.get("/console/queue-summary")
def queue_summary(
    request: Request, db_session: DbSession, viewer: AgentViewer, intake: CurrentIntake, now: Now
) -> Response:
    """Counts per queue (bounded), loaded after the page so they never delay it."""
    counts = queries.queue_counts(
        db_session, principal=viewer.principal, policy=intake.policy, now=now
    )
    done_reading(db_session)
    return render(request, "console/_summary.html", {"counts": counts})


@router.get("/console/tickets/{ticket_id}")
def ticket_view(
    request: Request,
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
) -> Response:
    now_of(request, now)
    ticket = service.get(db_session, ticket_id=ticket_id, principal=viewer.principal)
    messages = service.messages(db_session, ticket_id=ticket.id, principal=viewer.principal)
    events = service.audit_events(db_session, ticket_id=ticket.id, principal=viewer.principal)
    children = queries.visible_tickets(
        db_session,
        principal=viewer.principal,
        ids=service.children(db_session, ticket=ticket),
    )
    files = uploads.for_ticket(db_session, ticket_id=ticket.id)
    accounts, tenants, agents = queries.names_for(db_session, [ticket])
    all_agents = queries.active_agents(db_session)
    actors = queries.actor_names(
        db_session, [e.actor for e in events] + [m.author for m in messages]
    )
    done_reading(db_session)
    policy = intake.policy
    decision = ticket.decision or {}
    reasons = decision.get("reasons") or []
    requests_ = decision.get("requests") or ([decision["request"]] if "request" in decision else [])
    split_parts = [
        {"category": r.get("category"), "severity": r.get("severity"), "text": r.get("text", "")}
        for r in requests_
    ]
    if len(split_parts) < 2:
        split_parts = [
            {"category": ticket.category, "severity": ticket.severity, "text": ticket.description},
            {"category": "", "severity": 3, "text": ""},
        ]
    return render(
        request,
        "console/ticket.html",
        {
            "title": f"#{ticket.id} {ticket.subject}",
            "nav": "queue",
            "ticket": ticket,
            "messages": messages,
            "events": events,
            "children": children,
            "files": files,
            "account_name": accounts.get(ticket.account_id or 0, "—"),
            "tenant_name": tenants.get(ticket.tenant_id or 0),
            "assignee_name": agents.get(ticket.assignee_id or 0),
            "agents": all_agents,
            "actors": actors,
            "reasons": reasons,
            "requests": requests_,
            "split_parts": split_parts,
            "categories": [(k, c.label) for k, c in policy.categories.items()],
            "queues": [(k, q.label) for k, q in policy.queues.items()],
            "policy": policy,
            "flash": flash_of(request, viewer),
            "can_split": ticket.status not in lifecycle.FINISHED
            and ticket.parent_id is None
            and not children,
        },
    )


def _back(viewer: Viewer, ticket_id: int, flash: str) -> Response:
    return redirect(f"/console/tickets/{ticket_id}", flash=flash, key=viewer.csrf_token)


@router.post("/console/tickets/{ticket_id}/assign")
def assign(
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
    assignee: Annotated[str, Form(max_length=20)],
) -> Response:
    agent_id = viewer.principal.id if assignee == "me" else _int(assignee, "assignee")
    service.update(
        db_session,
        ticket_id=ticket_id,
        data=TicketUpdate(assignee_id=agent_id),
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    return _back(viewer, ticket_id, "Assigned.")


@router.post("/console/tickets/{ticket_id}/category")
def recategorise(
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
    category: Annotated[str, Form(max_length=32)],
    reason: Reason,
) -> Response:
    """The reason is audited with the change, in the same transaction."""
    if category not in intake.policy.categories:
        raise InvalidInput("choose a category", field="category")
    service.update(
        db_session,
        ticket_id=ticket_id,
        data=TicketUpdate(category=category, category_reason=reason),
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    return _back(viewer, ticket_id, "Category changed; the ticket moved to the category's queue.")


@router.post("/console/tickets/{ticket_id}/severity")
def change_severity(
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
    severity: Annotated[int, Form(ge=1, le=3)],
    reason: Reason,
) -> Response:
    service.update(
        db_session,
        ticket_id=ticket_id,
        data=TicketUpdate(severity=severity, severity_reason=reason),
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    return _back(viewer, ticket_id, f"Severity set to {severity}; SLA targets recomputed.")


async def form_data(request: Request) -> FormData:
    return await request.form()


@router.post("/console/tickets/{ticket_id}/split")
def split(
    ticket_id: TicketId,
    form: Annotated[FormData, Depends(form_data)],
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
) -> Response:
    """Parts arrive as part-N.category / part-N.severity / part-N.text; empty parts are skipped."""
    parts: list[SplitPart] = []
    for n in range(10):
        text = str(form.get(f"part-{n}.text") or "").strip()
        if not text:
            continue
        category = str(form.get(f"part-{n}.category") or "")
        if category not in intake.policy.categories:
            raise InvalidInput(f"part {n + 1}: choose a category", field=f"part-{n}.category")
        sev = _int(str(form.get(f"part-{n}.severity") or "3"), "severity")
        parts.append(SplitPart(category=category, severity=min(sev, 3), text=text))
    if len(parts) < 2:
        raise InvalidInput("a split needs at least two parts with text", field="parts")
    made = service.split(
        db_session,
        ticket_id=ticket_id,
        data=SplitIn(parts=parts),
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    ids = ", ".join(f"#{t.id}" for t in made)
    return _back(viewer, ticket_id, f"Split into {ids}.")


@router.post("/console/tickets/{ticket_id}/merge")
def merge(
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
    into: Annotated[int, Form(ge=1, le=DB_ID_MAX)],
) -> Response:
    target = service.merge(
        db_session,
        ticket_id=ticket_id,
        data=MergeIn(into_ticket_id=into),
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    return _back(viewer, target.id, f"Ticket #{ticket_id} was merged into this one.")


@router.post("/console/tickets/{ticket_id}/reply")
def reply(
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
    body: Body,
) -> Response:
    service.reply(
        db_session,
        ticket_id=ticket_id,
        data=ReplyIn(body=body),
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    return _back(viewer, ticket_id, "Reply sent to the requester.")


@router.post("/console/tickets/{ticket_id}/note")
def note(
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
    body: Body,
) -> Response:
    service.note(
        db_session,
        ticket_id=ticket_id,
        body=body,
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    return _back(viewer, ticket_id, "Internal note added.")


TRANSITIONS = {
    "pending": ("pending_customer", "Waiting for the customer; the SLA clock is paused."),
    "resolve": ("resolved", "Resolved."),
    "reopen": ("open", "Reopened."),
    "escalate": ("escalated", "Escalated."),
    "close": ("closed", "Closed."),
}


@router.post("/console/tickets/{ticket_id}/status/{action}")
def change_status(
    ticket_id: TicketId,
    action: Annotated[str, Path(pattern="^(pending|resolve|reopen|escalate|close)$")],
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    status, message = TRANSITIONS[action]
    service.transition(
        db_session,
        ticket_id=ticket_id,
        data=TransitionIn(status=status, reason=reason or None),
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    return _back(viewer, ticket_id, message)


@router.post("/console/tickets/{ticket_id}/confirm")
def confirm(
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: AgentViewer,
    intake: CurrentIntake,
    now: Now,
) -> Response:
    service.confirm_msp(
        db_session, ticket_id=ticket_id, principal=viewer.principal, intake=intake, now=now
    )
    return _back(viewer, ticket_id, "Confirmed on the provider's behalf; the SLA has started.")


@router.get("/console/dashboard")
def dashboard_page(
    request: Request, db_session: DbSession, viewer: AgentViewer, intake: CurrentIntake, now: Now
) -> Response:
    now_of(request, now)
    charts = dashboard.build(db_session, principal=viewer.principal, policy=intake.policy, now=now)
    done_reading(db_session)
    return render(
        request,
        "console/dashboard.html",
        {"title": "Dashboard", "nav": "dashboard", "charts": charts},
    )
