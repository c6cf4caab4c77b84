"""Submission → triage → stored ticket, for every support path."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from supportdesk.errors import IdempotencyConflict, InvalidInput
from supportdesk.tickets import service
from supportdesk.tickets.models import AuditEvent, IdempotencyKey, Ticket, TicketMessage
from supportdesk.tickets.schemas import TicketSubmit, VerifyIn

from .conftest import events, outbox_rows

USAGE = "Why did credits drop for tenant Contoso yesterday?"
MIXED = (
    "Why did usage spike for tenant Contoso last week? Separately, invoice 8812 charged us "
    "twice for the Pro package seats, please refund one charge."
)


def test_accepted_request_opens_with_sla_from_submission(db_session, world, sub, clock):
    ticket = sub("north_msp", USAGE)
    assert ticket.status == "open"
    assert ticket.support_path == "accept"
    assert (ticket.category, ticket.queue, ticket.severity) == ("credits_usage", "usage", 3)
    assert ticket.sla_started_at == clock.now
    # The stored clock agrees with the triage core's own first-response deadline.
    core_due = ticket.decision["requests"][0]["first_response_due"]
    assert ticket.first_response_due_at == datetime.fromisoformat(core_due)
    assert ticket.sla_clock == "first_response"
    assert ticket.next_due_at == ticket.first_response_due_at
    assert ticket.resolution_due_at > ticket.first_response_due_at
    assert ticket.decision["reasons"], "the whole decision with reasons is stored"
    actions = [e.action for e in events(db_session, ticket.id)]
    assert actions[:2] == ["ticket.created", "status.changed"]


def test_secrets_are_redacted_before_storage_and_the_requester_is_told(db_session, sub):
    ticket = sub("north_msp", USAGE + " Our admin password: Summer2026! if you need it.")
    assert "Summer2026!" not in ticket.description
    assert "[redacted password]" in ticket.description
    assert ticket.secrets == ["password"]
    assert "Summer2026!" not in str(ticket.decision)
    bodies = [m.body for m in db_session.query(TicketMessage).filter_by(ticket_id=ticket.id)]
    assert any("removed secrets" in b for b in bodies)
    assert outbox_rows(db_session, kind="ticket.secrets_redacted")


def test_mixed_request_becomes_parent_with_linked_children(db_session, world, sub):
    parent = sub("north_msp", MIXED)
    kids = [
        service.get(db_session, ticket_id=i, principal=world.p["admin"])
        for i in service.children(db_session, ticket=parent)
    ]
    assert [(k.category, k.queue) for k in kids] == [
        ("credits_usage", "usage"),
        ("billing", "billing"),
    ]
    for k in kids:
        assert k.parent_id == parent.id
        assert k.severity is not None
        assert k.sla_started_at is not None and k.first_response_due_at is not None
    assert parent.next_due_at is None, "the parent is a container; its children carry the SLA"


def test_tenant_admin_waits_for_msp_confirmation_which_starts_the_sla(
    db_session, world, sub, intake, clock
):
    ticket = sub("contoso_admin", "SSO login fails for all users at Contoso since this morning.")
    assert ticket.status == "awaiting_msp"
    assert ticket.sla_started_at is None and ticket.next_due_at is None
    notes = outbox_rows(db_session, kind="ticket.awaiting_msp")
    assert [n.recipient for n in notes] == ["north_msp@north.example"]
    confirmed_at = clock.advance(hours=2)
    ticket = service.confirm_msp(
        db_session,
        ticket_id=ticket.id,
        principal=world.p["north_msp"],
        intake=intake,
        now=confirmed_at,
    )
    assert ticket.status in {"open", "needs_info"}
    assert ticket.msp_involvement == "confirmed"
    assert ticket.sla_started_at == confirmed_at
    assert ticket.first_response_due_at > confirmed_at
    assert events(db_session, ticket.id, "ticket.msp_confirmed")


def test_another_accounts_msp_admin_cannot_confirm(db_session, world, sub, intake, clock):
    from supportdesk.errors import NotFound

    ticket = sub("contoso_admin", "SSO login fails for all users at Contoso since this morning.")
    with pytest.raises(NotFound):
        service.confirm_msp(
            db_session,
            ticket_id=ticket.id,
            principal=world.p["blue_msp"],
            intake=intake,
            now=clock.now,
        )


def test_end_user_is_redirected_to_their_msp_with_a_reply(db_session, sub):
    ticket = sub("contoso_end", "My laptop app crashes when I open reports.")
    assert ticket.status == "redirected"
    assert ticket.reply_text and "MSP" in ticket.reply_text.upper()
    assert ticket.sla_started_at is None
    assert outbox_rows(db_session, kind="ticket.redirect_to_msp")


def test_free_tier_goes_to_the_help_center(sub):
    ticket = sub("trey_msp", "How do I configure a retention policy?")
    assert ticket.status == "help_center"
    assert ticket.next_due_at is None


def test_unverified_requester_waits_for_an_identity_check(db_session, world, sub, intake, clock):
    ticket = sub("pending", USAGE)
    assert ticket.status == "verifying"
    ticket = service.verify_identity(
        db_session,
        ticket_id=ticket.id,
        data=VerifyIn(),
        principal=world.p["lead"],
        intake=intake,
        now=clock.advance(minutes=30),
    )
    assert ticket.status == "open"
    assert world.people["pending"].verification == "verified"
    assert ticket.sla_started_at == clock.now


def test_unknown_sender_logged_by_an_agent_must_be_verified_as_a_directory_person(
    db_session, world, intake, clock
):
    data = TicketSubmit(
        channel="email", subject="help", description=USAGE, requester_email="who@nowhere.example"
    )
    ticket, _ = service.submit(
        db_session, data=data, principal=world.p["admin"], intake=intake, now=clock.now
    )
    assert ticket.status == "verifying" and ticket.account_id is None
    with pytest.raises(InvalidInput) as err:
        service.verify_identity(
            db_session,
            ticket_id=ticket.id,
            data=VerifyIn(),
            principal=world.p["admin"],
            intake=intake,
            now=clock.now,
        )
    assert err.value.field == "person_id"
    ticket = service.verify_identity(
        db_session,
        ticket_id=ticket.id,
        data=VerifyIn(person_id=world.people["north_msp"].id),
        principal=world.p["admin"],
        intake=intake,
        now=clock.now,
    )
    assert ticket.account_id == world.accounts["north"].id
    assert ticket.status == "open"


def test_people_submit_only_as_themselves(db_session, world, intake, clock):
    data = TicketSubmit(description=USAGE, requester_email="blue_msp@blue.example")
    with pytest.raises(InvalidInput) as err:
        service.submit(
            db_session, data=data, principal=world.p["north_msp"], intake=intake, now=clock.now
        )
    assert err.value.field == "requester_email"


def test_idempotent_retry_returns_the_first_ticket(db_session, world, intake, clock):
    data = TicketSubmit(subject="s", description=USAGE)
    first, created = service.submit(
        db_session,
        data=data,
        principal=world.p["north_msp"],
        intake=intake,
        now=clock.now,
        idempotency_key="abc",
    )
    again, created_again = service.submit(
        db_session,
        data=data,
        principal=world.p["north_msp"],
        intake=intake,
        now=clock.now + timedelta(seconds=5),
        idempotency_key="abc",
    )
    assert created and not created_again and again.id == first.id
    with pytest.raises(IdempotencyConflict):
        service.submit(
            db_session,
            data=TicketSubmit(subject="other", description=USAGE),
            principal=world.p["north_msp"],
            intake=intake,
            now=clock.now,
            idempotency_key="abc",
        )
    # The key is per principal: someone else's "abc" is a different request.
    other, created_other = service.submit(
        db_session,
        data=data,
        principal=world.p["fabrikam_admin"],
        intake=intake,
        now=clock.now,
        idempotency_key="abc",
    )
    assert created_other and other.id != first.id
    # The retries wrote nothing: two tickets, two keys, and audit events of those two only.
    assert db_session.scalar(select(func.count()).select_from(Ticket)) == 2
    keys = db_session.execute(select(IdempotencyKey.principal, IdempotencyKey.ticket_id)).all()
    assert sorted(keys) == sorted(
        [(world.p["north_msp"].key, first.id), (world.p["fabrikam_admin"].key, other.id)]
    )
    audited = set(
        db_session.scalars(select(AuditEvent.ticket_id).where(AuditEvent.ticket_id.is_not(None)))
    )
    assert audited == {first.id, other.id}
