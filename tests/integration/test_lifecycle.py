"""Agent actions, the status machine, needs-info round trips, pause/resume, split and merge."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportdesk.errors import InvalidInput, InvalidTransition, PermissionDenied
from supportdesk.tickets import lifecycle, service
from supportdesk.tickets.schemas import (
    MergeIn,
    ReplyIn,
    SplitIn,
    SplitPart,
    TicketUpdate,
    TransitionIn,
)

from .conftest import events

HOWTO = "How do I configure a retention policy for our own account?"
NO_DATE = "Why did our credits drop?"


def test_status_machine_is_data_and_refuses_invalid_transitions():
    assert set(lifecycle.TRANSITIONS) == set(lifecycle.STATUSES)
    for targets in lifecycle.TRANSITIONS.values():
        assert targets <= set(lifecycle.STATUSES)
    with pytest.raises(InvalidTransition):
        lifecycle.check("closed", "open")
    with pytest.raises(InvalidTransition):
        lifecycle.check("redirected", "open")


def test_needs_info_round_trip_asks_exactly_the_missing_items(
    db_session, world, sub, intake, clock
):
    ticket = sub("north_msp", NO_DATE)
    assert ticket.status == "needs_info"
    assert ticket.missing == ["date_time"]
    assert len(ticket.questions) == 1
    assert ticket.sla_paused and ticket.next_due_at is None, "waiting on the customer"
    msgs = service.messages(db_session, ticket_id=ticket.id, principal=world.p["north_msp"])
    assert ticket.questions[0] in msgs[-1].body
    ticket = service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="It started yesterday morning."),
        principal=world.p["north_msp"],
        intake=intake,
        now=clock.advance(hours=1),
    )
    assert ticket.status == "open"
    assert ticket.missing == []
    assert "yesterday morning" in ticket.description
    (info,) = events(db_session, ticket.id, "ticket.info_received")
    assert info.old == {"missing": ["date_time"]} and info.new["missing"] == []
    assert not ticket.sla_paused and ticket.next_due_at is not None


def test_needs_info_reply_still_incomplete_asks_again(db_session, world, sub, intake, clock):
    ticket = sub("north_msp", NO_DATE)
    ticket = service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="Please hurry."),
        principal=world.p["north_msp"],
        intake=intake,
        now=clock.advance(minutes=5),
    )
    assert ticket.status == "needs_info" and ticket.missing == ["date_time"]
    ticket = service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="see fields", fields={"date_time": "2026-11-17 09:00"}),
        principal=world.p["north_msp"],
        intake=intake,
        now=clock.advance(minutes=5),
    )
    assert ticket.status == "open", "structured fields answer the checklist too"


def test_first_public_agent_reply_stops_the_first_response_clock(
    db_session, world, sub, intake, clock
):
    ticket = sub("blue_msp", HOWTO)  # premium: 24x7 targets in hours
    fr_due = ticket.first_response_due_at
    replied_at = clock.advance(minutes=30)
    ticket = service.note(
        db_session,
        ticket_id=ticket.id,
        body="internal: checking",
        principal=world.p["admin"],
        intake=intake,
        now=replied_at,
    ) and service.get(db_session, ticket_id=ticket.id, principal=world.p["admin"])
    assert ticket.first_responded_at is None, "an internal note is not a response"
    ticket = service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="Here is how: ..."),
        principal=world.p["support_agent"],
        intake=intake,
        now=replied_at,
    )
    assert ticket.first_responded_at == replied_at
    assert ticket.first_response_due_at == fr_due and not ticket.first_response_breached
    assert ticket.sla_clock == "resolution" and ticket.next_due_at == ticket.resolution_due_at


def test_pending_customer_pauses_and_a_customer_reply_resumes(
    db_session, world, sub, intake, clock
):
    ticket = sub("blue_msp", HOWTO)
    service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="Which retention period?"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(minutes=10),
    )
    due_before = service.get(db_session, ticket_id=ticket.id, principal=world.p["admin"])
    due_before = due_before.resolution_due_at
    ticket = service.transition(
        db_session,
        ticket_id=ticket.id,
        data=TransitionIn(status="pending_customer"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(minutes=20),
    )
    assert ticket.sla_paused and ticket.next_due_at is None
    ticket = service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="90 days please."),
        principal=world.p["blue_msp"],
        intake=intake,
        now=clock.advance(hours=2),
    )
    assert ticket.status == "open" and not ticket.sla_paused
    assert ticket.resolution_due_at - due_before == timedelta(hours=2), "pushed by the pause"
    assert ticket.next_due_at == ticket.resolution_due_at


def test_resolve_close_and_reopen(db_session, world, sub, intake, clock):
    ticket = sub("blue_msp", HOWTO)
    ticket = service.transition(
        db_session,
        ticket_id=ticket.id,
        data=TransitionIn(status="resolved"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(hours=1),
    )
    assert ticket.resolved_at == clock.now and ticket.next_due_at is None
    # The requester may reopen their resolved ticket by replying.
    ticket = service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="Still broken."),
        principal=world.p["blue_msp"],
        intake=intake,
        now=clock.advance(hours=1),
    )
    assert ticket.status == "open" and ticket.resolved_at is None
    assert ticket.next_due_at is not None
    service.transition(
        db_session,
        ticket_id=ticket.id,
        data=TransitionIn(status="closed"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(hours=1),
    )
    with pytest.raises(InvalidTransition):
        service.transition(
            db_session,
            ticket_id=ticket.id,
            data=TransitionIn(status="open"),
            principal=world.p["admin"],
            intake=intake,
            now=clock.now,
        )
    with pytest.raises(InvalidTransition):
        service.reply(
            db_session,
            ticket_id=ticket.id,
            data=ReplyIn(body="hello?"),
            principal=world.p["blue_msp"],
            intake=intake,
            now=clock.now,
        )


def test_customers_cannot_drive_agent_statuses(db_session, world, sub, intake, clock):
    ticket = sub("blue_msp", HOWTO)
    with pytest.raises(PermissionDenied):
        service.transition(
            db_session,
            ticket_id=ticket.id,
            data=TransitionIn(status="pending_customer"),
            principal=world.p["blue_msp"],
            intake=intake,
            now=clock.now,
        )
    with pytest.raises(InvalidInput):
        service.transition(
            db_session,
            ticket_id=ticket.id,
            data=TransitionIn(status="awaiting_msp"),
            principal=world.p["admin"],
            intake=intake,
            now=clock.now,
        )


def test_assign_recategorise_and_severity_with_reason_are_audited(
    db_session, world, sub, intake, clock
):
    ticket = sub("blue_msp", HOWTO)
    lead = world.agents["lead"]
    ticket = service.update(
        db_session,
        ticket_id=ticket.id,
        data=TicketUpdate(assignee_id=lead.id),
        principal=world.p["admin"],
        intake=intake,
        now=clock.now,
    )
    assert ticket.assignee_id == lead.id
    ticket = service.update(
        db_session,
        ticket_id=ticket.id,
        data=TicketUpdate(category="billing", category_reason="it is about an invoice"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.now,
    )
    assert (ticket.category, ticket.queue) == ("billing", "billing")
    with pytest.raises(InvalidInput) as err:
        service.update(
            db_session,
            ticket_id=ticket.id,
            data=TicketUpdate(severity=1),
            principal=world.p["admin"],
            intake=intake,
            now=clock.now,
        )
    assert err.value.field == "severity_reason"
    old_due = ticket.first_response_due_at
    ticket = service.update(
        db_session,
        ticket_id=ticket.id,
        data=TicketUpdate(severity=1, severity_reason="all tenants affected after all"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.now,
    )
    assert ticket.severity == 1 and ticket.first_response_due_at < old_due, "S1 target is shorter"
    by_action = {e.action: e for e in events(db_session, ticket.id)}
    assert by_action["ticket.assigned"].new == {"assignee_id": lead.id}
    assert by_action["ticket.recategorised"].old == {"category": "setup", "queue": "support"}
    assert by_action["ticket.recategorised"].new["reason"] == "it is about an invoice"
    sev = by_action["ticket.severity"]
    assert sev.old == {"severity": 3} and sev.new["reason"] == "all tenants affected after all"
    assert sev.actor == f"agent:{world.agents['admin'].id}"
    with pytest.raises(PermissionDenied):
        service.update(
            db_session,
            ticket_id=ticket.id,
            data=TicketUpdate(assignee_id=lead.id),
            principal=world.p["blue_msp"],
            intake=intake,
            now=clock.now,
        )


def test_agent_split_creates_children_with_their_own_sla(db_session, world, sub, intake, clock):
    ticket = sub("blue_msp", HOWTO)
    kids = service.split(
        db_session,
        ticket_id=ticket.id,
        data=SplitIn(
            parts=[
                SplitPart(category="setup", severity=3, text="Retention how-to"),
                SplitPart(category="billing", severity=2, text="And a refund please"),
            ]
        ),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(minutes=5),
    )
    assert [(k.queue, k.severity) for k in kids] == [("support", 3), ("billing", 2)]
    assert all(k.parent_id == ticket.id and k.sla_started_at == ticket.sla_started_at for k in kids)
    assert kids[1].first_response_due_at < kids[0].first_response_due_at
    parent = service.get(db_session, ticket_id=ticket.id, principal=world.p["admin"])
    assert parent.next_due_at is None
    with pytest.raises(InvalidTransition):
        service.split(
            db_session,
            ticket_id=ticket.id,
            data=SplitIn(
                parts=[
                    SplitPart(category="setup", severity=3, text="a"),
                    SplitPart(category="setup", severity=3, text="b"),
                ]
            ),
            principal=world.p["admin"],
            intake=intake,
            now=clock.now,
        )


def test_merge_closes_the_duplicate_and_links_it(db_session, world, sub, intake, clock):
    a = sub("blue_msp", HOWTO)
    b = sub("blue_msp", HOWTO + " (sent twice)")
    target = service.merge(
        db_session,
        ticket_id=b.id,
        data=MergeIn(into_ticket_id=a.id),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(minutes=1),
    )
    assert target.id == a.id
    b = service.get(db_session, ticket_id=b.id, principal=world.p["admin"])
    assert b.status == "closed" and b.merged_into_id == a.id and b.next_due_at is None
    assert events(db_session, a.id, "ticket.merged_from")
    other = sub("north_msp", HOWTO)
    with pytest.raises(InvalidInput):
        service.merge(
            db_session,
            ticket_id=other.id,
            data=MergeIn(into_ticket_id=a.id),
            principal=world.p["admin"],
            intake=intake,
            now=clock.now,
        )


def test_every_change_is_audited_with_actor_old_and_new(db_session, world, sub, intake, clock):
    ticket = sub("blue_msp", HOWTO)
    service.transition(
        db_session,
        ticket_id=ticket.id,
        data=TransitionIn(status="escalated", reason="eng"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(minutes=1),
    )
    last = events(db_session, ticket.id, "status.changed")[-1]
    assert last.old == {"status": "open"}
    assert last.new == {"status": "escalated", "reason": "eng"}
    assert last.actor == f"agent:{world.agents['admin'].id}" and last.at == clock.now


def test_split_parent_resolves_when_every_child_is_done(db_session, world, sub, intake, clock):
    ticket = sub("blue_msp", HOWTO)
    kids = service.split(
        db_session,
        ticket_id=ticket.id,
        data=SplitIn(
            parts=[
                SplitPart(category="setup", severity=3, text="Retention how-to"),
                SplitPart(category="billing", severity=3, text="A refund"),
            ]
        ),
        principal=world.p["admin"],
        intake=intake,
        now=clock.now,
    )
    for i, (kid, status) in enumerate(zip(kids, ["resolved", "closed"], strict=True)):
        service.transition(
            db_session,
            ticket_id=kid.id,
            data=TransitionIn(status=status),
            principal=world.p["admin"],
            intake=intake,
            now=clock.advance(hours=1),
        )
        parent = service.get(db_session, ticket_id=ticket.id, principal=world.p["admin"])
        assert parent.status == ("open" if i == 0 else "resolved")
