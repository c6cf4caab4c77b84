"""Ticket use cases: load -> core -> persist -> audit -> notify, one transaction each.

Every function takes the session, the acting `Principal`, the `Intake` (policy + model) where
triage or SLA data is needed, and `now` (the caller's clock). Tickets the caller may not see are
reported as not found. SLA instants are recomputed from the event log after every change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    true,
)
from sqlalchemy import column as sql_column
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from supportdesk.auth.principal import ACCOUNT_ADMIN_ROLES, Principal
from supportdesk.auth.rules import require_agent
from supportdesk.core.triage.models import MAX_DESCRIPTION, TicketIn, TriageDecision
from supportdesk.core.triage.models import Account as AccountIn
from supportdesk.directory.models import Account, Agent, Person
from supportdesk.directory.service import (
    ResolvedRequester,
    resolve_requester,
    resolved_from_row,
)
from supportdesk.errors import (
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from supportdesk.notifications import outbox
from supportdesk.tickets import audit, lifecycle, repository
from supportdesk.tickets.intake import Intake
from supportdesk.tickets.models import AuditEvent, IdempotencyKey, Ticket, TicketMessage
from supportdesk.tickets.repository import TicketFilters
from supportdesk.tickets.schemas import (
    MergeIn,
    ReplyIn,
    SplitIn,
    TicketSubmit,
    TicketUpdate,
    TransitionIn,
    VerifyIn,
)
from supportdesk.tickets.sla import (
    FAR_FUTURE,
    STOPPED_STATUSES,
    evaluate,
    pauses_from_history,
)

#: The tier assumed for a sender the directory does not know (the path is verify_identity anyway).
UNKNOWN_TIER = "free"
STATUS_ACTION = "status.changed"
DEFAULT_REPLIES = {
    "redirect_to_msp": (
        "Thanks for reaching out. Support for your organisation is provided by your managed "
        "service provider: please contact them first; they will open a ticket with us if needed."
    ),
    "help_center_only": (
        "Your plan includes self-service support: the Help Center has guides for most questions. "
        "To get ticket support, talk to our sales team about a support plan."
    ),
    "await_msp_confirmation": (
        "We have asked your service provider to confirm this request. Once they do, the ticket "
        "opens and our response-time target starts."
    ),
    "verify_identity": (
        "Before we can help we need to verify your identity. An agent will contact you."
    ),
}


# --- helpers -------------------------------------------------------------------------------

#: `Session.info` key of the writes waiting for a new ticket's id (see `_when_stored`).
_DEFERRED = "supportdesk.tickets.deferred"
#: `Session.info` key of the audit events `submit` inserts in one batch before its commit.
_AUDIT_ROWS = "supportdesk.tickets.audit_rows"


def _when_stored(db_session: Session, ticket: Ticket, write: Callable[[], None]) -> None:
    """Run `write` (rows that name the ticket's id) now; or, while `submit` builds a new ticket
    before its INSERT, once `_store` has inserted it, in the order the writes were asked for.

    So a new ticket is inserted once with its final columns (no INSERT of a blank row followed by
    an UPDATE of two dozen columns), and its audit events and messages go in one batch."""
    queue: list[Callable[[], None]] | None = db_session.info.get(_DEFERRED)
    if ticket.id is None and queue is not None:
        queue.append(write)
    else:
        write()


_TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
_KEYS: Table = IdempotencyKey.__table__  # type: ignore[assignment]
#: (attribute, column) of every ticket column but the id, with the column's Python default.
_TICKET_COLUMNS = [
    (prop.key, prop.columns[0])
    for prop in sa_inspect(Ticket).column_attrs
    if not prop.columns[0].primary_key
]


#: Built once, values passed as parameters (`.values(...)` per call cost more than the INSERT).
_INSERT_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
_INSERT_KEY = insert(_KEYS)
#: `Session.info` key of the idempotency key row `submit` writes with its new ticket.
_KEY_ROW = "supportdesk.tickets.key_row"
#: The key's own parameters; its `created_at` is the ticket's (both are `now`).
_KEY_COLUMNS = ("principal", "key", "request_hash")


#: `Session.info` key of the audit events `submit` asks for its new ticket before the INSERT.
_NEW_AUDIT = "supportdesk.tickets.new_audit"
_AUDIT: Table = AuditEvent.__table__  # type: ignore[assignment]
_EVENT_COLUMNS = [
    "entity",
    "entity_id",
    "ticket_id",
    "account_id",
    "actor",
    "action",
    "old",
    "new",
    "at",
]


def _ticket_insert(with_key: bool, with_events: bool) -> Select[int]:
    """PostgreSQL: INSERT the ticket, its idempotency key and its first audit events in one
    statement (data-modifying CTEs): `WITH t AS (INSERT INTO tickets ... RETURNING id, ...),
    k AS (INSERT INTO idempotency_keys SELECT ..., t.id FROM t), e AS (INSERT INTO audit_events
    SELECT ..., t.id ... FROM t, jsonb_to_recordset(...) ORDER BY i) SELECT id FROM t`. One
    round trip, not three; a retry of a key already used fails on the key's unique index in
    this very statement, before any other write. Ticket parameters are named `t_<column>`; the
    key's principal, key and request hash are one text array `k`; the events one JSON array `a`
    (inserted in its order, so their ids keep the order they were asked for).

    At most 50 parameters (`psycopg._queries.MAX_CACHED_STATEMENT_PARAMS`): psycopg re-parses a
    statement with more on every execution instead of caching its conversion, which cost more
    than the round trips saved (a unit test checks the count)."""
    ticket = (
        insert(_TICKETS)
        .values(
            {
                column.key: bindparam(f"t_{column.key}", type_=column.type)
                for _, column in _TICKET_COLUMNS
            }
        )
        .returning(_TICKETS.c.id, _TICKETS.c.created_at, _TICKETS.c.account_id)
        .cte("new_ticket")
    )
    statement = select(ticket.c.id)
    if with_key:
        key_values = select(cast(bindparam("k"), postgresql.ARRAY(Text())).label("k")).subquery(
            "key_values"
        )
        key = insert(_KEYS).from_select(
            [*_KEY_COLUMNS, "created_at", "ticket_id"],
            select(
                *(key_values.c.k[literal_column(str(i + 1))] for i in range(len(_KEY_COLUMNS))),
                ticket.c.created_at,
                ticket.c.id,
            ).join_from(ticket, key_values, true()),
        )
        statement = statement.add_cte(key.cte("new_key"))
    if with_events:
        rows = (
            func.jsonb_to_recordset(bindparam("a", type_=postgresql.JSONB()))
            .table_valued(
                sql_column("i", Integer()),
                sql_column("actor", Text()),
                sql_column("action", Text()),
                sql_column("old", postgresql.JSONB()),
                sql_column("new", postgresql.JSONB()),
                sql_column("at", DateTime(timezone=True)),
            )
            .render_derived(name="new_event_rows", with_types=True)
        )
        json_null = literal_column("'null'::jsonb", postgresql.JSONB())  # as a None binds
        events = insert(_AUDIT).from_select(
            _EVENT_COLUMNS,
            select(
                literal_column("'ticket'"),
                ticket.c.id,
                ticket.c.id,
                ticket.c.account_id,
                rows.c.actor,
                rows.c.action,
                func.coalesce(rows.c.old, json_null),
                func.coalesce(rows.c.new, json_null),
                rows.c.at,
            )
            .join_from(ticket, rows, true())
            .order_by(rows.c.i),
        )
        statement = statement.add_cte(events.cte("new_events"))
    return statement


_INSERT_TICKET_WITH = {
    (key, events): _ticket_insert(key, events)
    for key in (False, True)
    for events in (False, True)
    if key or events
}


def _utc_text(at: object) -> str:
    """An aware instant as ISO text in UTC (what `UTCDateTime` would bind; naive is refused)."""
    assert isinstance(at, datetime)
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r}: store aware UTC instants only")
    return at.astimezone(UTC).isoformat()


def _insert_new(db_session: Session, ticket: Ticket) -> None:
    """INSERT a new ticket as one Core statement (what the ORM's flush would write: the columns
    set, the others' defaults, RETURNING the id), then attach it as a loaded, persistent object,
    so later changes are UPDATEs. The unit of work cost more than the statement; and the statement
    runs on the session's connection, as do this module's other Core inserts: the ORM's execution
    layer (about 0.1 ms a statement) adds nothing to them. On PostgreSQL the idempotency key and
    the audit events `submit` left in `Session.info` go in the same statement (`_ticket_insert`);
    elsewhere the events join the batch `submit` inserts before its commit."""
    state = ticket.__dict__
    values = {}
    for key, column in _TICKET_COLUMNS:
        if key not in state:
            default = column.default
            if default is None:
                value = None
            elif default.is_callable:
                value = default.arg(None)
            else:
                value = default.arg
            setattr(ticket, key, value)
        values[column.key] = state[key]
    connection = db_session.connection()
    key_row: dict[str, object] | None = db_session.info.get(_KEY_ROW)
    asked = db_session.info.get(_NEW_AUDIT) or []
    events = [event for owner, event in asked if owner is ticket]
    db_session.info[_NEW_AUDIT] = [(owner, event) for owner, event in asked if owner is not ticket]
    if connection.dialect.name == "postgresql" and (key_row is not None or events):
        params: dict[str, object] = {f"t_{name}": value for name, value in values.items()}
        if key_row is not None:
            del db_session.info[_KEY_ROW]  # written here: `submit` must not insert it again
            params["k"] = [key_row[name] for name in _KEY_COLUMNS]
        if events:
            params["a"] = [
                {**event, "i": i, "at": _utc_text(event["at"])} for i, event in enumerate(events)
            ]
        statement = _INSERT_TICKET_WITH[(key_row is not None, bool(events))]
        ticket.id = connection.execute(statement, params).scalar_one()
    else:
        ticket.id = connection.execute(_INSERT_TICKET, values).scalar_one()
        batch: list[dict[str, object]] = db_session.info[_AUDIT_ROWS]
        batch.extend(
            audit.row(
                entity="ticket",
                entity_id=ticket.id,
                ticket_id=ticket.id,
                account_id=ticket.account_id,
                **event,
            )
            for event in events
        )
    make_transient_to_detached(ticket)
    db_session.add(ticket)


def _store(db_session: Session, ticket: Ticket) -> None:
    """Insert the new ticket (which gives it its id), then run the writes that waited for it."""
    _insert_new(db_session, ticket)
    for write in db_session.info.pop(_DEFERRED, None) or ():
        write()


def _visible(db_session: Session, ticket_id: int, principal: Principal) -> Ticket:
    ticket = repository.get(db_session, ticket_id=ticket_id, principal=principal)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def _audit(
    db_session: Session,
    ticket: Ticket,
    principal: Principal | str,
    action: str,
    now: datetime,
    old: object = None,
    new: object = None,
) -> None:
    actor = principal if isinstance(principal, str) else principal.key
    asked: list[tuple[Ticket, dict[str, object]]] | None = db_session.info.get(_NEW_AUDIT)
    if ticket.id is None and asked is not None:
        # `submit`'s new ticket: the event goes in with the ticket's INSERT (`_insert_new`).
        asked.append(
            (ticket, {"actor": actor, "action": action, "old": old, "new": new, "at": now})
        )
        return

    def write() -> None:
        event = audit.row(
            actor=actor,
            action=action,
            entity="ticket",
            entity_id=ticket.id,
            ticket_id=ticket.id,
            account_id=ticket.account_id,
            old=old,
            new=new,
            at=now,
        )
        batch: list[dict[str, object]] | None = db_session.info.get(_AUDIT_ROWS)
        if batch is None:
            db_session.add(AuditEvent(**event))
        else:
            batch.append(event)

    _when_stored(db_session, ticket, write)


def _set_status(
    db_session: Session,
    ticket: Ticket,
    new: str,
    actor: Principal | str,
    now: datetime,
    reason: str | None = None,
) -> None:
    old = ticket.status
    if old == new:
        return
    lifecycle.check(old, new)
    ticket.status = new
    ticket.updated_at = now
    if new == "resolved":
        ticket.resolved_at = now
    elif new == "closed":
        ticket.closed_at = now
    elif old == "resolved":
        ticket.resolved_at = None
    payload: dict[str, object] = {"status": new}
    if reason:
        payload["reason"] = reason
    _audit(db_session, ticket, actor, STATUS_ACTION, now, old={"status": old}, new=payload)


def _message(
    db_session: Session,
    ticket: Ticket,
    *,
    author: str,
    side: str,
    visibility: str,
    body: str,
    now: datetime,
) -> TicketMessage:
    msg = TicketMessage(
        ticket_id=ticket.id,
        author=author,
        author_side=side,
        visibility=visibility,
        body=body,
        created_at=now,
    )

    def write() -> None:
        msg.ticket_id = ticket.id
        db_session.add(msg)

    _when_stored(db_session, ticket, write)
    return msg


def _notify_requester(
    db_session: Session, ticket: Ticket, kind: str, now: datetime, payload: dict[str, object]
) -> None:
    if not ticket.requester_email:
        return
    recipient = ticket.requester_email

    def write() -> None:
        outbox.enqueue(
            db_session,
            dedupe_key=f"t{ticket.id}:{kind}:{now.isoformat()}",
            recipient=recipient,
            kind=kind,
            ticket_id=ticket.id,
            payload=payload,
            now=now,
        )

    _when_stored(db_session, ticket, write)


def _status_history(db_session: Session, ticket: Ticket) -> list[tuple[datetime, str]]:
    db_session.flush()
    rows = db_session.execute(
        select(AuditEvent.at, AuditEvent.new)
        .where(AuditEvent.ticket_id == ticket.id, AuditEvent.action == STATUS_ACTION)
        .order_by(AuditEvent.id)
    ).all()
    return [(at, str((new or {}).get("status"))) for at, new in rows]


def recompute_sla(
    db_session: Session,
    ticket: Ticket,
    intake: Intake,
    now: datetime,
    *,
    history: list[tuple[datetime, str]] | None = None,
    has_children: bool | None = None,
) -> None:
    """Derive every SLA column from the status history, the targets and the calendar.

    `history` and `has_children` may be passed when the caller knows them (a ticket created in
    this transaction), saving two queries; otherwise they are read from the database."""
    cal = intake.calendar(ticket.tier)
    fr_target = res_target = None
    if ticket.severity is not None:
        fr_target = intake.target(ticket.tier, ticket.severity, "first_response")
        res_target = intake.target(ticket.tier, ticket.severity, "resolution")
    if has_children is None:
        has_children = bool(repository.children_ids(db_session, ticket_id=ticket.id))
    if (
        ticket.sla_started_at is None
        or cal is None
        or fr_target is None
        or has_children
        or ticket.merged_into_id is not None
    ):
        ticket.first_response_due_at = ticket.first_response_at_risk_at = None
        ticket.resolution_due_at = ticket.resolution_at_risk_at = None
        ticket.next_due_at = ticket.next_at_risk_at = None
        ticket.sla_clock = None
        ticket.sla_paused = False
        ticket.sla_at_risk = False
        ticket.sort_at = FAR_FUTURE
        return
    start = ticket.sla_started_at
    if history is None:
        history = _status_history(db_session, ticket)
    pauses, paused_now = pauses_from_history(history, now, start)
    stopped = ticket.status in STOPPED_STATUSES
    finished_at = (ticket.resolved_at or ticket.closed_at or now) if stopped else None
    fraction = intake.at_risk_fraction
    fr = evaluate(
        kind="first_response",
        tier_calendar=cal,
        target=fr_target,
        start=start,
        pauses=pauses,
        stop=ticket.first_responded_at or finished_at,
        now=now,
        at_risk_fraction=fraction,
    )
    ticket.first_response_due_at = fr.due_at
    ticket.first_response_at_risk_at = fr.at_risk_at
    ticket.first_response_breached = fr.breached
    running = None
    res = None
    if res_target is not None:
        res = evaluate(
            kind="resolution",
            tier_calendar=cal,
            target=res_target,
            start=start,
            pauses=pauses,
            stop=finished_at,
            now=now,
            at_risk_fraction=fraction,
        )
        ticket.resolution_due_at = res.due_at
        ticket.resolution_at_risk_at = res.at_risk_at
        ticket.resolution_breached = res.breached
    else:
        ticket.resolution_due_at = ticket.resolution_at_risk_at = None
        ticket.resolution_breached = False
    if not stopped and not paused_now:
        running = fr if fr.stopped_at is None else res
    ticket.sla_paused = paused_now and not stopped
    new_clock = running.kind if running is not None else None
    if new_clock != ticket.sla_clock:
        ticket.escalation_level = 0
        ticket.sla_clock = new_clock
    ticket.next_due_at = running.due_at if running is not None else None
    ticket.next_at_risk_at = running.at_risk_at if running is not None else None
    ticket.sort_at = ticket.next_due_at or FAR_FUTURE
    ticket.sla_at_risk = running is not None and now >= running.at_risk_at
    ticket.sla_breached = ticket.first_response_breached or ticket.resolution_breached


def _reply_for(intake: Intake, path: str) -> str:
    policy = intake.policy
    replies = getattr(policy, "replies", {}) or {}
    for rule in getattr(policy, "support_path", ()):
        if rule.path == path and getattr(rule, "reply", None):
            return str(replies.get(rule.reply, rule.reply))
    return str(replies.get(path, DEFAULT_REPLIES.get(path, "")))


def _account_admin_emails(db_session: Session, account_id: int | None) -> list[str]:
    if account_id is None:
        return []
    q = select(Person.email).where(
        Person.account_id == account_id,
        Person.role.in_(sorted(ACCOUNT_ADMIN_ROLES)),
        Person.active.is_(True),
        Person.verification == "verified",
    )
    return list(db_session.scalars(q.order_by(Person.id)).all())


def _page_on_call(db_session: Session, ticket: Ticket, intake: Intake, now: datetime) -> None:
    """Escalation steps at `open` (e.g. Premium S1 pages on-call at once)."""
    from supportdesk.jobs.escalation import open_steps, recipients_for

    steps = open_steps(intake.policy, ticket.tier, ticket.severity)
    if not steps:
        return
    queue, severity = ticket.queue, ticket.severity

    def write() -> None:
        for step in steps:
            for agent, not_before in recipients_for(db_session, step, queue, now):
                outbox.enqueue(
                    db_session,
                    dedupe_key=f"esc:{ticket.id}:{step.step}:{agent.email}",
                    recipient=agent.email,
                    kind=f"escalation.{step.step}",
                    ticket_id=ticket.id,
                    payload={"ticket_id": ticket.id, "step": step.step, "severity": severity},
                    now=now,
                    not_before=not_before,
                )

    _when_stored(db_session, ticket, write)


def _start_sla(db_session: Session, ticket: Ticket, intake: Intake, now: datetime) -> None:
    if ticket.sla_started_at is None and intake.target(
        ticket.tier, ticket.severity or 3, "first_response"
    ):
        ticket.sla_started_at = now
        _audit(db_session, ticket, "system", "sla.started", now, new={"at": now.isoformat()})
        _page_on_call(db_session, ticket, intake, now)


def _decision_json(decision: TriageDecision) -> dict[str, object]:
    return decision.model_dump(mode="json", exclude={"redacted_subject", "redacted_description"})


def _ticket_in(ticket: Ticket, resolved: ResolvedRequester, description: str) -> TicketIn:
    return TicketIn(
        id=str(ticket.id) if ticket.id else None,
        submitted_at=ticket.submitted_at,
        channel=ticket.channel,
        requester=resolved.requester,
        account=AccountIn(name=resolved.account_name, tier=resolved.account_tier or ticket.tier),
        msp_involvement=ticket.msp_involvement,
        subject=ticket.subject,
        description=description[-MAX_DESCRIPTION:],
        category=ticket.claimed_category,
        severity=ticket.claimed_severity,
        fields=dict(ticket.fields or {}),
    )


def _apply_request(ticket: Ticket, decision: TriageDecision, index: int) -> None:
    req = decision.requests[index]
    ticket.category = req.category
    ticket.queue = req.queue
    ticket.severity = req.severity
    ticket.missing = list(req.missing)
    ticket.questions = list(req.questions)


def _ask_for_missing(db_session: Session, ticket: Ticket, now: datetime) -> None:
    body = "To help you we need a few details:\n" + "\n".join(f"- {q}" for q in ticket.questions)
    _message(
        db_session, ticket, author="system", side="system", visibility="public", body=body, now=now
    )
    _notify_requester(
        db_session, ticket, "ticket.needs_info", now, {"questions": list(ticket.questions)}
    )


def _apply_decision(
    db_session: Session,
    ticket: Ticket,
    decision: TriageDecision,
    intake: Intake,
    actor: Principal | str,
    now: datetime,
    *,
    fresh: bool = False,
) -> list[Ticket]:
    """Store the decision on the ticket and move it to the status its path asks for.
    Returns the tickets touched (the ticket and any children created). `fresh`: the ticket was
    created in this transaction, so its whole status history happened at `now`."""
    ticket.support_path = decision.support_path
    ticket.channel_allowed = decision.channel_allowed
    ticket.secrets = sorted(set(ticket.secrets or []) | set(decision.secrets))
    ticket.decision = _decision_json(decision)
    ticket.policy_version = decision.policy_version
    ticket.subject = decision.redacted_subject
    ticket.description = decision.redacted_description
    ticket.updated_at = now
    path = decision.support_path
    touched = [ticket]
    if path != "accept":
        ticket.missing, ticket.questions = [], []
        if decision.requests:
            first = decision.requests[0]
            ticket.category, ticket.queue = first.category, first.queue
            ticket.severity = first.severity
    if path == "accept":
        if len(decision.requests) <= 1:
            if decision.requests:
                _apply_request(ticket, decision, 0)
            _set_status(db_session, ticket, "needs_info" if ticket.missing else "open", actor, now)
            _start_sla(db_session, ticket, intake, now)
            if ticket.missing:
                _ask_for_missing(db_session, ticket, now)
        else:
            _apply_request(ticket, decision, 0)
            ticket.missing, ticket.questions = [], []
            _set_status(db_session, ticket, "open", actor, now)
            if ticket.id is None:
                _store(db_session, ticket)  # the children name their parent
            for i, req in enumerate(decision.requests):
                child = _new_child(ticket, now, req.text or ticket.description, i)
                db_session.add(child)
                db_session.flush()
                _apply_request(child, decision, i)
                child.decision = {
                    "request": req.model_dump(mode="json"),
                    "reasons": [
                        r.model_dump(mode="json")
                        for r in decision.reasons
                        if r.request in (None, i)
                    ],
                }
                _audit(
                    db_session, child, actor, "ticket.created", now, new={"parent_id": ticket.id}
                )
                _set_status(
                    db_session, child, "needs_info" if child.missing else "open", actor, now
                )
                _start_sla(db_session, child, intake, now)
                if child.missing:
                    _ask_for_missing(db_session, child, now)
                touched.append(child)
            _audit(
                db_session,
                ticket,
                actor,
                "ticket.split",
                now,
                new={"children": [c.id for c in touched[1:]]},
            )
    elif path == "await_msp_confirmation":
        _set_status(db_session, ticket, "awaiting_msp", actor, now)
        subject = ticket.subject

        def ask_msp() -> None:
            for email in _account_admin_emails(db_session, ticket.account_id):
                outbox.enqueue(
                    db_session,
                    dedupe_key=f"t{ticket.id}:msp_confirm:{email}",
                    recipient=email,
                    kind="ticket.awaiting_msp",
                    ticket_id=ticket.id,
                    payload={"ticket_id": ticket.id, "subject": subject},
                    now=now,
                )

        _when_stored(db_session, ticket, ask_msp)
    elif path == "redirect_to_msp":
        _set_status(db_session, ticket, "redirected", actor, now)
    elif path == "help_center_only":
        _set_status(db_session, ticket, "help_center", actor, now)
    else:
        _set_status(db_session, ticket, "verifying", actor, now)
    if path != "accept":
        ticket.reply_text = _reply_for(intake, path)
        _message(
            db_session,
            ticket,
            author="system",
            side="system",
            visibility="public",
            body=ticket.reply_text,
            now=now,
        )
        _notify_requester(db_session, ticket, f"ticket.{path}", now, {"reply": ticket.reply_text})
    if decision.secrets:
        kinds = ", ".join(decision.secrets)
        _message(
            db_session,
            ticket,
            author="system",
            side="system",
            visibility="public",
            body=f"We removed secrets from your message before storing it ({kinds}). "
            "Please rotate them: they were sent in clear text.",
            now=now,
        )
        _notify_requester(
            db_session, ticket, "ticket.secrets_redacted", now, {"kinds": decision.secrets}
        )
    for t in touched:
        if fresh:
            recompute_sla(
                db_session,
                t,
                intake,
                now,
                history=[(now, t.status)],
                has_children=t is ticket and len(touched) > 1,
            )
        else:
            recompute_sla(db_session, t, intake, now)
    return touched


def _new_child(parent: Ticket, now: datetime, text: str, index: int) -> Ticket:
    return Ticket(
        parent_id=parent.id,
        account_id=parent.account_id,
        tenant_id=parent.tenant_id,
        requester_id=parent.requester_id,
        requester_email=parent.requester_email,
        channel=parent.channel,
        tier=parent.tier,
        msp_involvement=parent.msp_involvement,
        subject=f"{parent.subject} (part {index + 1})" if parent.subject else f"Part {index + 1}",
        description=text,
        claimed_category=None,
        claimed_severity=None,
        fields=dict(parent.fields or {}),
        status="new",
        support_path=parent.support_path,
        channel_allowed=parent.channel_allowed,
        missing=[],
        questions=[],
        secrets=list(parent.secrets or []),
        decision={},
        policy_version=parent.policy_version,
        submitted_at=parent.submitted_at,
        created_at=now,
        updated_at=now,
        sla_started_at=parent.sla_started_at if parent.merged_into_id is None else None,
        sort_at=FAR_FUTURE,
        escalation_level=0,
    )


# --- intake --------------------------------------------------------------------------------


def request_hash(data: TicketSubmit) -> str:
    raw = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def _requester_email(data: TicketSubmit, principal: Principal) -> str | None:
    if principal.is_agent:
        if not data.requester_email:
            raise InvalidInput(
                "agents and integrations must say who the request is from",
                field="requester_email",
            )
        return data.requester_email.strip().lower()
    if data.requester_email and data.requester_email.strip().lower() != principal.email:
        raise InvalidInput("you can only submit requests as yourself", field="requester_email")
    if data.msp_involvement is not None:
        raise InvalidInput("only agents may set msp_involvement", field="msp_involvement")
    return principal.email


def submit(
    db_session: Session,
    *,
    data: TicketSubmit,
    principal: Principal,
    intake: Intake,
    now: datetime,
    idempotency_key: str | None = None,
) -> tuple[Ticket, bool]:
    """Triage a submission and store it. Returns (ticket, created); a retry with the same
    Idempotency-Key and body returns the first ticket with created=False."""
    ticket, created, _ = submit_with_children(
        db_session,
        data=data,
        principal=principal,
        intake=intake,
        now=now,
        idempotency_key=idempotency_key,
    )
    return ticket, created


def submit_with_children(
    db_session: Session,
    *,
    data: TicketSubmit,
    principal: Principal,
    intake: Intake,
    now: datetime,
    idempotency_key: str | None = None,
    caller_row: Sequence[Any] | None = None,
) -> tuple[Ticket, bool, list[int] | None]:
    """`submit`, and the ids of the children a new ticket was split into (None for a replay,
    whose children are read with `children`): the route answers without reading back what it
    has just written.

    One transaction of few statements: the new ticket is triaged and built in memory, inserted
    once with its final columns, then its idempotency key, audit events and messages are inserted
    in a batch each at commit (outbox rows as they are enqueued). The key is not looked up first:
    a retry (concurrent or late) fails on the key's unique index, its transaction is rolled back
    and it is answered as a replay. Retries are rare, so the first submission saves a round trip
    and a retry pays for a triage it throws away.

    `caller_row`: the calling person's own sender row, read with their token
    (`auth.tokens.authenticate_sender`); a submission as oneself then needs no lookup."""
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
        raise InvalidInput("Idempotency-Key must be 1..255 characters", field="Idempotency-Key")
    email = _requester_email(data, principal)
    if caller_row is not None and not principal.is_agent and email == principal.email:
        resolved = resolved_from_row(caller_row, email)
    else:
        resolved = resolve_requester(db_session, email=email)
    submitted_at = data.submitted_at or now
    ticket = Ticket(
        account_id=resolved.account_id,
        tenant_id=resolved.tenant_id,
        requester_id=resolved.person_id,
        requester_email=email,
        channel=data.channel,
        tier=resolved.account_tier or UNKNOWN_TIER,
        msp_involvement=data.msp_involvement or "none",
        subject=data.subject,
        description="",
        claimed_category=data.category,
        claimed_severity=data.severity,
        fields=dict(data.fields),
        status="new",
        support_path="",
        missing=[],
        questions=[],
        secrets=[],
        decision={},
        submitted_at=submitted_at,
        created_at=now,
        updated_at=now,
        sort_at=FAR_FUTURE,
        escalation_level=0,
    )
    decision = intake.triage(_ticket_in(ticket, resolved, data.description), now)
    ticket.subject = decision.redacted_subject
    ticket.description = decision.redacted_description
    db_session.info[_DEFERRED] = []
    audit_rows: list[dict[str, object]] = []
    db_session.info[_AUDIT_ROWS] = audit_rows
    db_session.info[_NEW_AUDIT] = []
    if idempotency_key is not None:
        db_session.info[_KEY_ROW] = {
            "principal": principal.key,
            "key": idempotency_key,
            "request_hash": request_hash(data),
        }
    touched = [ticket]
    try:
        _audit(
            db_session,
            ticket,
            principal,
            "ticket.created",
            now,
            new={
                "channel": ticket.channel,
                "requester": email,
                "submitted_at": submitted_at.isoformat(),
            },
        )
        touched = _apply_decision(db_session, ticket, decision, intake, principal, now, fresh=True)
        if ticket.id is None:
            _store(db_session, ticket)
        audit.insert_rows(db_session, audit_rows)
        key_row: dict[str, object] | None = db_session.info.pop(_KEY_ROW, None)
        if key_row is not None:  # not written with the ticket (SQLite)
            db_session.connection().execute(
                _INSERT_KEY, {**key_row, "created_at": now, "ticket_id": ticket.id}
            )
        db_session.commit()
    except IntegrityError:
        # A retry with a key already used (concurrent or late) fails on the key's unique index:
        # answered as a replay of the first submission.
        _roll_back_inserts(db_session, touched)
        existing = (
            _replay(db_session, principal, idempotency_key, data) if idempotency_key else None
        )
        if existing is None:
            raise
        return existing, False, None
    finally:
        db_session.info.pop(_DEFERRED, None)
        db_session.info.pop(_AUDIT_ROWS, None)
        db_session.info.pop(_KEY_ROW, None)
        db_session.info.pop(_NEW_AUDIT, None)
    return ticket, True, sorted(t.id for t in touched[1:])


def _roll_back_inserts(db_session: Session, inserted: list[Ticket]) -> None:
    """Roll back, and drop the tickets this transaction inserted from the session: `_insert_new`
    attached them as persistent, which a rollback keeps (it only expunges pending objects), and
    their ids may be handed out again."""
    db_session.rollback()
    for ticket in inserted:
        if ticket in db_session:
            db_session.expunge(ticket)


_KEY_LOOKUP = select(IdempotencyKey.request_hash, IdempotencyKey.ticket_id).where(
    IdempotencyKey.principal == bindparam("principal"), IdempotencyKey.key == bindparam("key")
)


def _replay(
    db_session: Session, principal: Principal, key: str, data: TicketSubmit
) -> Ticket | None:
    row = db_session.execute(_KEY_LOOKUP, {"principal": principal.key, "key": key}).first()
    if row is None:
        return None
    stored_hash, ticket_id = row
    if stored_hash != request_hash(data):
        raise IdempotencyConflict(
            "this Idempotency-Key was already used with a different request body",
            field="Idempotency-Key",
        )
    ticket = db_session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None:
        raise NotFound("the ticket created with this Idempotency-Key no longer exists")
    return ticket


def triage_only(
    db_session: Session, *, ticket: TicketIn, intake: Intake, now: datetime
) -> TriageDecision:
    """The decision the core would make, without storing anything."""
    return intake.triage(ticket, now)


# --- reading -------------------------------------------------------------------------------


def get(db_session: Session, *, ticket_id: int, principal: Principal) -> Ticket:
    return _visible(db_session, ticket_id, principal)


def list_tickets(
    db_session: Session,
    *,
    principal: Principal,
    filters: TicketFilters,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Ticket], str | None]:
    return repository.list_page(
        db_session, principal=principal, filters=filters, limit=limit, cursor=cursor
    )


def children(db_session: Session, *, ticket: Ticket) -> list[int]:
    return repository.children_ids(db_session, ticket_id=ticket.id)


def children_of(db_session: Session, *, tickets: Sequence[Ticket]) -> dict[int, list[int]]:
    return repository.children_map(db_session, ticket_ids=[t.id for t in tickets])


def messages(
    db_session: Session, *, ticket_id: int, principal: Principal
) -> Sequence[TicketMessage]:
    ticket = _visible(db_session, ticket_id, principal)
    return repository.messages(db_session, ticket_id=ticket.id, internal=principal.is_agent)


def audit_events(
    db_session: Session, *, ticket_id: int, principal: Principal
) -> Sequence[AuditEvent]:
    ticket = _visible(db_session, ticket_id, principal)
    return audit.for_ticket(db_session, ticket_id=ticket.id)


# --- agent actions -------------------------------------------------------------------------


def update(
    db_session: Session,
    *,
    ticket_id: int,
    data: TicketUpdate,
    principal: Principal,
    intake: Intake,
    now: datetime,
) -> Ticket:
    """Assign, re-categorise (re-routes to the category's queue unless a queue is given; an
    optional reason is audited with it), change severity (a reason is required). One
    transaction."""
    ticket = _visible(db_session, ticket_id, principal)
    require_agent(principal, "change tickets")
    changes = data.model_dump(exclude_unset=True)
    reason = changes.pop("severity_reason", None)
    category_reason = changes.pop("category_reason", None)
    if "assignee_id" in changes and changes["assignee_id"] is not None:
        agent = db_session.get(Agent, changes["assignee_id"])
        if agent is None or not agent.active:
            raise InvalidInput("no active agent with this id", field="assignee_id")
    if "category" in changes and changes["category"] is None:
        raise InvalidInput("category cannot be cleared", field="category")
    if "severity" in changes:
        if changes["severity"] is None:
            raise InvalidInput("severity cannot be cleared", field="severity")
        if changes["severity"] != ticket.severity and not reason:
            raise InvalidInput("changing severity needs a reason", field="severity_reason")
    if "queue" in changes:
        if changes["queue"] is None:
            raise InvalidInput("queue cannot be cleared", field="queue")
        if changes["queue"] not in intake.policy.queues:
            raise InvalidInput(f"unknown queue {changes['queue']!r}", field="queue")
    if "category" in changes and "queue" not in changes:
        changes["queue"] = intake.queue_for(changes["category"])
    old = {k: getattr(ticket, k) for k in changes}
    diff = {k: v for k, v in changes.items() if old[k] != v}
    if not diff:
        return ticket
    for k, v in diff.items():
        setattr(ticket, k, v)
    ticket.updated_at = now
    actions = {"assignee_id": "assigned", "category": "recategorised", "severity": "severity"}
    action = next((actions[k] for k in actions if k in diff), "updated")
    new: dict[str, object] = dict(diff)
    if "severity" in diff:
        new["reason"] = reason
    elif "category" in diff and category_reason:
        new["reason"] = category_reason
    _audit(
        db_session,
        ticket,
        principal,
        f"ticket.{action}",
        now,
        old={k: old[k] for k in diff},
        new=new,
    )
    if "assignee_id" in diff and diff["assignee_id"] is not None:
        agent = db_session.get(Agent, diff["assignee_id"])
        if agent is not None:
            outbox.enqueue(
                db_session,
                dedupe_key=f"t{ticket.id}:assigned:{agent.id}:{now.isoformat()}",
                recipient=agent.email,
                kind="ticket.assigned",
                ticket_id=ticket.id,
                payload={"ticket_id": ticket.id},
                now=now,
            )
    recompute_sla(db_session, ticket, intake, now)
    db_session.commit()
    return ticket


def transition(
    db_session: Session,
    *,
    ticket_id: int,
    data: TransitionIn,
    principal: Principal,
    intake: Intake,
    now: datetime,
) -> Ticket:
    ticket = _visible(db_session, ticket_id, principal)
    if principal.is_agent:
        if data.status not in lifecycle.AGENT_TARGETS:
            raise InvalidInput(
                f"{data.status} is reached through its own action, not set by hand",
                field="status",
            )
    elif not (
        data.status in lifecycle.CUSTOMER_TARGETS and ticket.status in lifecycle.CUSTOMER_FROM
    ):
        raise PermissionDenied("you may only reopen or close a resolved ticket")
    _set_status(db_session, ticket, data.status, principal, now, reason=data.reason)
    if data.status in {"resolved", "closed"}:
        _notify_requester(db_session, ticket, f"ticket.{data.status}", now, {})
        _resolve_parent_when_done(db_session, ticket, now)
    recompute_sla(db_session, ticket, intake, now)
    db_session.commit()
    return ticket


def _resolve_parent_when_done(db_session: Session, child: Ticket, now: datetime) -> None:
    """A split ticket is resolved when the last of its children is resolved or closed."""
    if child.parent_id is None:
        return
    parent = db_session.get(Ticket, child.parent_id)
    if parent is None or parent.status in lifecycle.FINISHED:
        return
    db_session.flush()
    open_siblings = db_session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.parent_id == parent.id, Ticket.status.not_in(["resolved", "closed"]))
    )
    if not open_siblings and "resolved" in lifecycle.TRANSITIONS[parent.status]:
        _set_status(db_session, parent, "resolved", "system", now, reason="all parts done")


def reply(
    db_session: Session,
    *,
    ticket_id: int,
    data: ReplyIn,
    principal: Principal,
    intake: Intake,
    now: datetime,
) -> Ticket:
    """A public reply. From an agent: the first one stops the first-response clock. From the
    requester's side: resumes a paused ticket, reopens a resolved one, and answers a
    needs-info request (the checklist is re-run on the merged text and fields)."""
    ticket = _visible(db_session, ticket_id, principal)
    if ticket.status == "closed":
        raise lifecycle_error("closed tickets take no replies")
    body, kinds = intake.redact(data.body)
    if kinds:
        ticket.secrets = sorted(set(ticket.secrets or []) | set(kinds))
    side = "agent" if principal.is_agent else "customer"
    _message(
        db_session, ticket, author=principal.key, side=side, visibility="public", body=body, now=now
    )
    _audit(db_session, ticket, principal, "ticket.replied", now, new={"side": side})
    ticket.updated_at = now
    if principal.is_agent:
        if data.fields:
            raise InvalidInput("only the requester's side answers with fields", field="fields")
        if ticket.first_responded_at is None and ticket.sla_started_at is not None:
            ticket.first_responded_at = now
            _audit(
                db_session,
                ticket,
                principal,
                "sla.first_response",
                now,
                new={"at": now.isoformat()},
            )
        _notify_requester(db_session, ticket, "ticket.reply", now, {"body": body[:500]})
    else:
        if ticket.status == "needs_info":
            _merge_info(db_session, ticket, body, data.fields, principal, intake, now)
        elif ticket.status in {"pending_customer", "resolved"}:
            _set_status(db_session, ticket, "open", principal, now, reason="customer replied")
        if kinds:
            _message(
                db_session,
                ticket,
                author="system",
                side="system",
                visibility="public",
                body=f"We removed secrets from your reply before storing it ({', '.join(kinds)}).",
                now=now,
            )
    recompute_sla(db_session, ticket, intake, now)
    db_session.commit()
    return ticket


def lifecycle_error(message: str) -> Exception:
    from supportdesk.errors import InvalidTransition

    return InvalidTransition(message, field="status")


def _merge_info(
    db_session: Session,
    ticket: Ticket,
    body: str,
    fields: dict[str, str],
    principal: Principal,
    intake: Intake,
    now: datetime,
) -> None:
    old_missing = list(ticket.missing)
    ticket.fields = {**(ticket.fields or {}), **fields}
    combined = f"{ticket.description}\n\n{body}".strip()
    if len(combined) > MAX_DESCRIPTION:
        raise InvalidInput("the ticket text would become too long", field="body")
    resolved = _resolved_for(db_session, ticket)
    decision = intake.triage(_ticket_in(ticket, resolved, combined), now)
    ticket.description = decision.redacted_description
    ticket.secrets = sorted(set(ticket.secrets or []) | set(decision.secrets))
    req = next(
        (r for r in decision.requests if r.category == ticket.category),
        decision.requests[0] if decision.requests else None,
    )
    ticket.missing = list(req.missing) if req else []
    ticket.questions = list(req.questions) if req else []
    _audit(
        db_session,
        ticket,
        principal,
        "ticket.info_received",
        now,
        old={"missing": old_missing},
        new={"missing": ticket.missing, "fields": sorted(fields)},
    )
    if ticket.missing:
        _ask_for_missing(db_session, ticket, now)
    else:
        _set_status(db_session, ticket, "open", principal, now, reason="information complete")


def _resolved_for(db_session: Session, ticket: Ticket) -> ResolvedRequester:
    # The lookup reads columns, not identity-mapped objects: write pending directory changes
    # (an identity check just marked the sender verified) first, since sessions don't autoflush.
    db_session.flush()
    return resolve_requester(db_session, email=ticket.requester_email)


def note(
    db_session: Session,
    *,
    ticket_id: int,
    body: str,
    principal: Principal,
    intake: Intake,
    now: datetime,
) -> TicketMessage:
    ticket = _visible(db_session, ticket_id, principal)
    require_agent(principal, "write internal notes")
    text, kinds = intake.redact(body)
    msg = _message(
        db_session,
        ticket,
        author=principal.key,
        side="agent",
        visibility="internal",
        body=text,
        now=now,
    )
    ticket.updated_at = now
    _audit(db_session, ticket, principal, "ticket.noted", now, new={"secrets": kinds})
    db_session.commit()
    return msg


def split(
    db_session: Session,
    *,
    ticket_id: int,
    data: SplitIn,
    principal: Principal,
    intake: Intake,
    now: datetime,
) -> list[Ticket]:
    """Split a ticket into linked children, each with its own category, queue, severity and
    SLA (started when the parent's started). The parent becomes their container."""
    ticket = _visible(db_session, ticket_id, principal)
    require_agent(principal, "split tickets")
    if ticket.status in lifecycle.FINISHED or ticket.parent_id is not None:
        raise lifecycle_error("only a working top-level ticket can be split")
    if repository.children_ids(db_session, ticket_id=ticket.id):
        raise lifecycle_error("this ticket is already split")
    made: list[Ticket] = []
    for i, part in enumerate(data.parts):
        queue = part.queue or intake.queue_for(part.category)
        if queue not in intake.policy.queues:
            raise InvalidInput(f"unknown queue {queue!r}", field=f"parts.{i}.queue")
        text, _ = intake.redact(part.text)
        child = _new_child(ticket, now, text, i)
        child.category, child.queue, child.severity = part.category, queue, part.severity
        child.first_responded_at = ticket.first_responded_at
        db_session.add(child)
        db_session.flush()
        _audit(db_session, child, principal, "ticket.created", now, new={"parent_id": ticket.id})
        _set_status(db_session, child, "open", principal, now)
        if child.sla_started_at is None and ticket.status not in {"awaiting_msp", "verifying"}:
            _start_sla(db_session, child, intake, now)
        made.append(child)
    _audit(
        db_session, ticket, principal, "ticket.split", now, new={"children": [c.id for c in made]}
    )
    for t in [*made, ticket]:
        recompute_sla(db_session, t, intake, now)
    db_session.commit()
    return made


def merge(
    db_session: Session,
    *,
    ticket_id: int,
    data: MergeIn,
    principal: Principal,
    intake: Intake,
    now: datetime,
) -> Ticket:
    """Merge `ticket_id` into another ticket: the source is closed and points at the target."""
    source = _visible(db_session, ticket_id, principal)
    target = _visible(db_session, data.into_ticket_id, principal)
    require_agent(principal, "merge tickets")
    if source.id == target.id:
        raise InvalidInput("a ticket cannot be merged into itself", field="into_ticket_id")
    if target.status == "closed" or target.merged_into_id is not None:
        raise InvalidInput("the target ticket is closed", field="into_ticket_id")
    if source.account_id != target.account_id:
        raise InvalidInput("tickets of different accounts cannot be merged", field="into_ticket_id")
    source.merged_into_id = target.id
    _set_status(db_session, source, "closed", principal, now, reason=f"merged into {target.id}")
    _audit(db_session, source, principal, "ticket.merged", now, new={"into": target.id})
    _audit(db_session, target, principal, "ticket.merged_from", now, new={"from": source.id})
    _message(
        db_session,
        target,
        author=principal.key,
        side="agent",
        visibility="internal",
        body=f"Merged from ticket {source.id}: {source.subject}\n\n{source.description}",
        now=now,
    )
    recompute_sla(db_session, source, intake, now)
    recompute_sla(db_session, target, intake, now)
    db_session.commit()
    return target


# --- intake follow-ups ---------------------------------------------------------------------


def confirm_msp(
    db_session: Session, *, ticket_id: int, principal: Principal, intake: Intake, now: datetime
) -> Ticket:
    """One action by an MSP/partner admin of the ticket's account (or an agent): re-triage with
    msp_involvement=confirmed; the SLA clock starts now."""
    ticket = _visible(db_session, ticket_id, principal)
    if not principal.is_agent and not (
        principal.is_account_admin and principal.account_id == ticket.account_id
    ):
        raise PermissionDenied("only your service provider's admins can confirm this request")
    if ticket.status != "awaiting_msp":
        raise lifecycle_error("this ticket is not waiting for a provider's confirmation")
    old = ticket.msp_involvement
    ticket.msp_involvement = "confirmed"
    _audit(
        db_session,
        ticket,
        principal,
        "ticket.msp_confirmed",
        now,
        old={"msp_involvement": old},
        new={"msp_involvement": "confirmed"},
    )
    return _retriage(db_session, ticket, principal, intake, now)


def verify_identity(
    db_session: Session,
    *,
    ticket_id: int,
    data: VerifyIn,
    principal: Principal,
    intake: Intake,
    now: datetime,
) -> Ticket:
    """An agent's "identity verified": the requester is marked verified (or linked to the
    directory person they proved to be) and the ticket is re-triaged."""
    ticket = _visible(db_session, ticket_id, principal)
    require_agent(principal, "verify identities")
    if ticket.status != "verifying":
        raise lifecycle_error("this ticket is not waiting for an identity check")
    person: Person | None
    if data.person_id is not None:
        person = db_session.get(Person, data.person_id)
        if person is None:
            raise InvalidInput(f"person {data.person_id} not found", field="person_id")
    else:
        person = db_session.get(Person, ticket.requester_id) if ticket.requester_id else None
        if person is None:
            raise InvalidInput(
                "the sender is not in the directory: say which person they are",
                field="person_id",
            )
    if not person.active:
        raise InvalidInput("this person is not active", field="person_id")
    old = {"requester_id": ticket.requester_id, "verification": person.verification}
    person.verification = "verified"
    ticket.requester_id = person.id
    ticket.requester_email = person.email
    ticket.account_id = person.account_id
    ticket.tenant_id = person.tenant_id
    account = db_session.get(Account, person.account_id) if person.account_id else None
    ticket.tier = account.tier if account else ticket.tier
    _audit(
        db_session,
        ticket,
        principal,
        "ticket.identity_verified",
        now,
        old=old,
        new={"requester_id": person.id, "verification": "verified"},
    )
    return _retriage(db_session, ticket, principal, intake, now)


def _retriage(
    db_session: Session, ticket: Ticket, principal: Principal, intake: Intake, now: datetime
) -> Ticket:
    resolved = _resolved_for(db_session, ticket)
    decision = intake.triage(_ticket_in(ticket, resolved, ticket.description), now)
    _apply_decision(db_session, ticket, decision, intake, principal, now)
    db_session.commit()
    return ticket
