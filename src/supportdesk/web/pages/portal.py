"""The requester portal: create a ticket with live triage, my tickets, the ticket page with
replies to needs-info requests, and the MSP's "awaiting your confirmation" inbox.

Routes only translate: they read the form, call `tickets.service` (which authorises, triages,
stores, audits and notifies in one transaction) and render or redirect.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from supportdesk.core.triage import RulesOnlyModel, triage
from supportdesk.core.triage.models import (
    MAX_DESCRIPTION,
    MAX_SUBJECT,
    Requester,
    TicketIn,
)
from supportdesk.core.triage.models import (
    Account as AccountIn,
)
from supportdesk.db.types import DB_ID_MAX
from supportdesk.errors import InvalidInput, NotFound
from supportdesk.tickets import service
from supportdesk.tickets.schemas import ReplyIn, TicketSubmit
from supportdesk.web import uploads
from supportdesk.web.deps import CurrentIntake, DbSession, Now
from supportdesk.web.pages import queries
from supportdesk.web.pages.common import (
    CSRF_GUARD,
    CurrentViewer,
    CustomerViewer,
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
OPERATING_SYSTEMS = ("Windows", "macOS", "Linux", "iOS", "Android", "ChromeOS", "Other")
#: Form field -> ticket `fields` key. Tenant answers both tenant checklist items.
FIELD_KEYS = {
    "best_time": "best_time_to_contact",
    "device_id": "device_id",
    "operating_system": "operating_system",
}


def _ticket_fields(
    tenant_name: str, best_time: str, device_id: str, operating_system: str
) -> dict[str, str]:
    fields: dict[str, str] = {}
    if tenant_name:
        fields["affected_tenant"] = tenant_name
        fields["workspace_or_tenant"] = tenant_name
        fields["tenant"] = tenant_name
    for key, value in (
        ("best_time", best_time),
        ("device_id", device_id),
        ("operating_system", operating_system),
    ):
        if value.strip():
            fields[FIELD_KEYS[key]] = value.strip()[:2000]
    return fields


def _tenant_name(db_session: Any, viewer: Viewer, tenant_id: str) -> str:
    if not tenant_id:
        return ""
    for t in queries.tenants_for(db_session, principal=viewer.principal):
        if str(t.id) == tenant_id:
            return str(t.name)
    raise InvalidInput("choose one of your organizations", field="tenant_id")


def _form_context(
    request: Request, db_session: Any, viewer: Viewer, intake: Any, now: Any
) -> dict[str, Any]:
    person, account = queries.person_and_account(db_session, person_id=viewer.principal.id)
    tenants = queries.tenants_for(db_session, principal=viewer.principal)
    policy = intake.policy
    # The support path before a word is typed: end users, free accounts and unverified people
    # learn the right way before they write a ticket.
    preview = _triage(viewer, person, account, intake, now, subject="", description="")
    done_reading(db_session)
    return {
        "title": "Create a support ticket",
        "tenants": tenants,
        "categories": [(k, c.label) for k, c in policy.categories.items()],
        "severities": [(k, policy.severity_definition(k)) for k in (1, 2, 3)],
        "operating_systems": OPERATING_SYSTEMS,
        "path": preview.support_path if preview else "accept",
        "path_reply": _path_reply(policy, preview.support_path) if preview else "",
        "accept": uploads.ACCEPT_ATTR,
        "max_mb": uploads.MAX_FILE_BYTES // (1024 * 1024),
        "max_files": uploads.MAX_FILES,
        "max_subject": MAX_SUBJECT,
        "max_description": MAX_DESCRIPTION,
        "idempotency_key": secrets.token_urlsafe(16),
        "secret_patterns": _secret_patterns(policy),
        "account": account,
        "form": {},
        "errors": {},
    }


def _path_reply(policy: Any, path: str) -> str:
    for rule in policy.support_path:
        if rule.path == path:
            reply = rule.reply or policy.replies.get(path) or rule.explain
            return str(reply)
    return ""


def _secret_patterns(policy: Any) -> list[str]:
    """The policy's secret patterns in JavaScript syntax, so the page can mask secrets before
    text leaves the browser for the live preview (the server redacts again regardless)."""
    out = []
    for kind in policy.secrets:
        for p in kind.patterns:
            out.append(p.replace("(?P<", "(?<").replace("\\Z", "$(?![\\s\\S])"))
    return out


def _triage(
    viewer: Viewer,
    person: Any,
    account: Any,
    intake: Any,
    now: Any,
    *,
    subject: str,
    description: str,
    category: str | None = None,
    severity: int | None = None,
    fields: dict[str, str] | None = None,
) -> Any:
    """The core's decision for what is typed so far. With no text yet only the support path
    matters, so the text model is not consulted."""
    if account is None:
        return None
    ticket = TicketIn(
        channel="portal",
        requester=Requester(
            email=viewer.principal.email,
            role=viewer.principal.role,
            active=bool(person.active) if person else True,
            verified=bool(person.verified) if person else False,
        ),
        account=AccountIn(name=account.name, tier=account.tier),
        msp_involvement="none",
        subject=subject[:MAX_SUBJECT],
        description=description[:MAX_DESCRIPTION],
        category=category,
        severity=severity,
        fields=fields or {},
    )
    if not (subject.strip() or description.strip()):
        return triage(ticket, intake.policy, now, RulesOnlyModel())
    return intake.triage(ticket, now)


def _int_or_none(value: str, lo: int, hi: int) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if lo <= n <= hi else None


@router.get("/portal/new")
def new_ticket_form(
    request: Request, db_session: DbSession, viewer: CustomerViewer, intake: CurrentIntake, now: Now
) -> Response:
    now_of(request, now)
    return render(
        request, "portal/new.html", _form_context(request, db_session, viewer, intake, now)
    )


@router.post("/portal/triage")
def live_triage(
    request: Request,
    db_session: DbSession,
    viewer: CustomerViewer,
    intake: CurrentIntake,
    now: Now,
    subject: Annotated[str, Form(max_length=MAX_SUBJECT)] = "",
    description: Annotated[str, Form(max_length=MAX_DESCRIPTION)] = "",
    category: Annotated[str, Form(max_length=32)] = "",
    severity: Annotated[str, Form(max_length=2)] = "",
    tenant_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The decision the core would make for the text so far; nothing is stored or logged."""
    person, account = queries.person_and_account(db_session, person_id=viewer.principal.id)
    tenant = _tenant_name(db_session, viewer, tenant_id) if tenant_id else ""
    done_reading(db_session)
    cat = category if category in intake.policy.categories else None
    decision = _triage(
        viewer,
        person,
        account,
        intake,
        now,
        subject=subject,
        description=description,
        category=cat,
        severity=_int_or_none(severity, 1, 3),
        fields=_ticket_fields(tenant, "", "", ""),
    )
    typed = bool(subject.strip() or description.strip())
    return render(
        request,
        "portal/_triage.html",
        {
            "decision": decision,
            "typed": typed,
            "chosen_category": cat,
            "claimed": _int_or_none(severity, 1, 3),
            "policy": intake.policy,
            "path_reply": _path_reply(intake.policy, decision.support_path) if decision else "",
        },
    )


@router.post("/portal/new")
def submit_ticket(
    request: Request,
    db_session: DbSession,
    viewer: CustomerViewer,
    intake: CurrentIntake,
    now: Now,
    subject: Annotated[str, Form(max_length=MAX_SUBJECT)],
    description: Annotated[str, Form(max_length=MAX_DESCRIPTION)],
    idempotency_key: Annotated[str, Form(min_length=8, max_length=64)],
    category: Annotated[str, Form(max_length=32)] = "",
    severity: Annotated[str, Form(max_length=2)] = "",
    tenant_id: Annotated[str, Form(max_length=20)] = "",
    best_time: Annotated[str, Form(max_length=200)] = "",
    device_id: Annotated[str, Form(max_length=200)] = "",
    operating_system: Annotated[str, Form(max_length=40)] = "",
    attachments: list[UploadFile] | None = None,
) -> Response:
    now_of(request, now)
    files = [f for f in (attachments or []) if f.filename]
    errors: dict[str, str] = {}
    if not subject.strip():
        errors["subject"] = "Give the ticket a short subject."
    if not description.strip():
        errors["description"] = "Describe what happened and what you need."
    if len(files) > uploads.MAX_FILES:
        errors["attachments"] = f"Attach at most {uploads.MAX_FILES} files."
    if operating_system and operating_system not in OPERATING_SYSTEMS:
        errors["operating_system"] = "Choose an operating system from the list."
    tenant = ""
    try:
        tenant = _tenant_name(db_session, viewer, tenant_id)
    except InvalidInput as exc:
        errors["tenant_id"] = exc.message
    stored: list[uploads.Stored] = []
    if not errors:
        try:
            for f in files:
                stored.append(uploads.save(f.file, f.filename))
        except InvalidInput as exc:
            errors["attachments"] = exc.message
    if errors:
        for s in stored:
            uploads.discard(s)
        return _form_again(request, db_session, viewer, intake, now, errors, locals())
    try:
        data = TicketSubmit(
            channel="portal",
            subject=subject.strip(),
            description=description.strip(),
            category=category if category in intake.policy.categories else None,
            severity=_int_or_none(severity, 1, 3),
            fields=_ticket_fields(tenant, best_time, device_id, operating_system),
        )
        ticket, created = service.submit(
            db_session,
            data=data,
            principal=viewer.principal,
            intake=intake,
            now=now,
            idempotency_key=f"portal:{idempotency_key}",
        )
        if created:
            for s in stored:
                uploads.record(
                    db_session,
                    ticket_id=ticket.id,
                    stored=s,
                    uploaded_by=viewer.principal.key,
                    now=now,
                )
            db_session.commit()
        else:
            for s in stored:
                uploads.discard(s)
    except (ValidationError, InvalidInput) as exc:
        for s in stored:
            uploads.discard(s)
        db_session.rollback()
        message = exc.message if isinstance(exc, InvalidInput) else "Please check the form."
        return _form_again(request, db_session, viewer, intake, now, {"form": message}, locals())
    except BaseException:
        for s in stored:
            uploads.discard(s)
        raise
    return redirect(
        f"/portal/tickets/{ticket.id}",
        flash=f"Ticket #{ticket.id} was created.",
        key=viewer.csrf_token,
    )


def _form_again(
    request: Request,
    db_session: Any,
    viewer: Viewer,
    intake: Any,
    now: Any,
    errors: dict[str, str],
    given: dict[str, Any],
) -> Response:
    """The form again with what was typed (files must be chosen again) and what is wrong."""
    ctx = _form_context(request, db_session, viewer, intake, now)
    keys = (
        "subject",
        "description",
        "category",
        "severity",
        "tenant_id",
        "best_time",
        "device_id",
        "operating_system",
        "idempotency_key",
    )
    ctx["form"] = {k: given.get(k, "") for k in keys}
    ctx["idempotency_key"] = given.get("idempotency_key") or ctx["idempotency_key"]
    ctx["errors"] = errors
    return render(request, "portal/new.html", ctx, status_code=422)


@router.get("/portal")
def my_tickets(
    request: Request,
    db_session: DbSession,
    viewer: CustomerViewer,
    now: Now,
    show: Annotated[str, Query(pattern="^(active|done|all)$")] = "active",
    before: Annotated[int | None, Query(ge=1, le=DB_ID_MAX)] = None,
) -> Response:
    now_of(request, now)
    rows, more = queries.my_tickets(
        db_session, principal=viewer.principal, group=show, limit=25, before_id=before
    )
    accounts, tenants, _ = queries.names_for(db_session, rows)
    waiting = queries.awaiting_count(db_session, principal=viewer.principal)
    done_reading(db_session)
    return render(
        request,
        "portal/list.html",
        {
            "title": "My tickets",
            "tickets": rows,
            "more": more,
            "show": show,
            "tenants": tenants,
            "waiting": waiting,
            "flash": flash_of(request, viewer),
        },
    )


@router.get("/portal/confirmations")
def confirmations(
    request: Request, db_session: DbSession, viewer: CustomerViewer, now: Now
) -> Response:
    now_of(request, now)
    if not viewer.principal.is_account_admin:
        raise NotFound("only account admins confirm tickets")
    rows = queries.awaiting_confirmation(db_session, principal=viewer.principal)
    _, tenants, _ = queries.names_for(db_session, rows)
    done_reading(db_session)
    return render(
        request,
        "portal/confirmations.html",
        {
            "title": "Awaiting your confirmation",
            "tickets": rows,
            "tenants": tenants,
            "flash": flash_of(request, viewer),
        },
    )


@router.post("/portal/tickets/{ticket_id}/confirm")
def confirm(
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: CustomerViewer,
    intake: CurrentIntake,
    now: Now,
) -> Response:
    ticket = service.confirm_msp(
        db_session, ticket_id=ticket_id, principal=viewer.principal, intake=intake, now=now
    )
    due = ticket.first_response_due_at
    from supportdesk.web.pages.view import localtime

    note = f"Ticket #{ticket.id} confirmed: our team now works on it."
    if due is not None:
        note += f" First response due {localtime(due, viewer.time_zone)}."
    return redirect("/portal/confirmations", flash=note, key=viewer.csrf_token)


@router.get("/portal/tickets/{ticket_id}")
def ticket_page(
    request: Request,
    ticket_id: TicketId,
    db_session: DbSession,
    viewer: CustomerViewer,
    now: Now,
) -> Response:
    now_of(request, now)
    ticket = service.get(db_session, ticket_id=ticket_id, principal=viewer.principal)
    messages = service.messages(db_session, ticket_id=ticket.id, principal=viewer.principal)
    children = service.children(db_session, ticket=ticket)
    files = uploads.for_ticket(db_session, ticket_id=ticket.id)
    _, tenants, _ = queries.names_for(db_session, [ticket])
    actors = queries.actor_names(db_session, [m.author for m in messages])
    done_reading(db_session)
    return render(
        request,
        "portal/ticket.html",
        {
            "title": f"#{ticket.id} {ticket.subject}",
            "ticket": ticket,
            "messages": messages,
            "children": children,
            "files": files,
            "actors": actors,
            "tenant": tenants.get(ticket.tenant_id or 0),
            "flash": flash_of(request, viewer),
            "can_confirm": viewer.principal.is_account_admin and ticket.status == "awaiting_msp",
        },
    )


async def form_data(request: Request) -> FormData:
    return await request.form()


@router.post("/portal/tickets/{ticket_id}/reply")
def reply(
    ticket_id: TicketId,
    form: Annotated[FormData, Depends(form_data)],
    db_session: DbSession,
    viewer: CustomerViewer,
    intake: CurrentIntake,
    now: Now,
) -> Response:
    """A reply; answers to the needs-info questions arrive as `answer.<item>` fields and are
    stored both as structured fields (the checklist reads them) and in the message text."""
    ticket = service.get(db_session, ticket_id=ticket_id, principal=viewer.principal)
    questions = dict(zip(ticket.missing or [], ticket.questions or [], strict=False))
    answers: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith("answer.") and isinstance(value, str) and value.strip():
            item = key.removeprefix("answer.")
            if item in questions:
                answers[item] = value.strip()[:2000]
    body = str(form.get("body") or "").strip()
    parts = [f"{questions[k]}\n{v}" for k, v in answers.items()]
    if body:
        parts.append(body)
    text = "\n\n".join(parts)
    if not text:
        raise InvalidInput("Write a reply or answer a question first.", field="body")
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput("Your reply is too long.", field="body")
    service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body=text, fields=answers),
        principal=viewer.principal,
        intake=intake,
        now=now,
    )
    return redirect(
        f"/portal/tickets/{ticket.id}", flash="Your reply was sent.", key=viewer.csrf_token
    )


@router.get("/attachments/{attachment_id}")
def download(
    attachment_id: Annotated[int, Path(ge=1, le=DB_ID_MAX)],
    db_session: DbSession,
    viewer: CurrentViewer,
) -> Response:
    """Only as a download: never inline, never sniffed, sandboxed if opened anyway."""
    row = db_session.get(uploads.Attachment, attachment_id)
    if row is None:
        raise NotFound("no such attachment")
    service.get(db_session, ticket_id=row.ticket_id, principal=viewer.principal)  # 404 if hidden
    done_reading(db_session)
    path = uploads.path_of(row)
    if not path.is_file():
        raise NotFound("the file is no longer stored")
    return FileResponse(
        path, media_type="application/octet-stream", headers=uploads.download_headers(row)
    )
