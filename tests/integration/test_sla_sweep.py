"""At-risk, breach and escalation with a fake clock; the outbox delivers at least once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportdesk.jobs import sla_sweep
from supportdesk.notifications import outbox
from supportdesk.notifications.ports import FakeNotifier
from supportdesk.tickets import service
from supportdesk.tickets.schemas import ReplyIn, TransitionIn

from .conftest import outbox_rows

HOWTO = "How do I configure a retention policy for our own account?"
OUTAGE = "Nobody can sign in anywhere, all tenants are down, no workaround. Error 503 everywhere."


def escalations(db_session):
    return [
        (m.kind, m.recipient) for m in outbox_rows(db_session) if m.kind.startswith("escalation")
    ]


def test_at_risk_then_breach_escalate_along_the_policy_path_once(
    db_session, world, sub, intake, clock
):
    ticket = sub("blue_msp", HOWTO)  # premium S3: first response in 4 h, at risk after 3 h
    assert ticket.severity == 3
    assert ticket.first_response_at_risk_at == clock.now + timedelta(hours=3)
    result = sla_sweep.sweep(db_session, policy=intake.policy, now=clock.advance(hours=2))
    assert (result.at_risk, result.breached) == (0, 0)
    result = sla_sweep.sweep(
        db_session, policy=intake.policy, now=clock.advance(hours=1, minutes=5)
    )
    assert (result.at_risk, result.notifications) == (1, 1)
    db_session.refresh(ticket)
    assert ticket.sla_at_risk and not ticket.sla_breached and ticket.escalation_level == 1
    assert escalations(db_session) == [("escalation.at_risk_team_lead", "lead@vendor.example")]
    # A second sweep at the same moment changes nothing and notifies nobody again.
    again = sla_sweep.sweep(db_session, policy=intake.policy, now=clock.now)
    assert (again.at_risk, again.breached, again.notifications) == (0, 0, 0)
    result = sla_sweep.sweep(db_session, policy=intake.policy, now=clock.advance(hours=1))
    assert result.breached == 1
    db_session.refresh(ticket)
    assert ticket.first_response_breached and ticket.sla_breached and ticket.escalation_level == 2
    assert ("escalation.breach_support_manager", "manager@vendor.example") in escalations(
        db_session
    )
    # The breach stays recorded when the late first response arrives, and the resolution
    # clock starts its own escalation path.
    ticket = service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="Sorry for the wait."),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(minutes=1),
    )
    assert ticket.first_response_breached
    assert ticket.sla_clock == "resolution" and ticket.escalation_level == 0


def test_paused_tickets_are_not_escalated(db_session, world, sub, intake, clock):
    ticket = sub("blue_msp", HOWTO)
    service.reply(
        db_session,
        ticket_id=ticket.id,
        data=ReplyIn(body="Which period?"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(minutes=1),
    )
    service.transition(
        db_session,
        ticket_id=ticket.id,
        data=TransitionIn(status="pending_customer"),
        principal=world.p["admin"],
        intake=intake,
        now=clock.advance(minutes=1),
    )
    result = sla_sweep.sweep(db_session, policy=intake.policy, now=clock.advance(days=30))
    assert (result.at_risk, result.breached) == (0, 0)
    assert escalations(db_session) == []


def test_premium_s1_pages_on_call_at_once_even_at_night(db_session, world, sub, intake, clock):
    clock.now = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)  # 02:00 in Denver
    ticket = sub("blue_msp", OUTAGE)
    assert ticket.severity == 1 and ticket.tier == "premium"
    pages = [m for m in outbox_rows(db_session) if m.kind.startswith("escalation")]
    assert [(m.recipient, m.not_before) for m in pages] == [("oncall@vendor.example", clock.now)]


def test_escalations_wait_for_the_recipients_working_hours(db_session, world, sub, intake, clock):
    # Premium (24x7) S3 submitted at 22:00 Denver: at risk at 01:00, breached at 02:00.
    clock.now = datetime(2026, 11, 19, 5, 0, tzinfo=UTC)
    sub("blue_msp", HOWTO)
    sla_sweep.sweep(db_session, policy=intake.policy, now=clock.advance(hours=3, minutes=30))
    (msg,) = [m for m in outbox_rows(db_session) if m.kind.startswith("escalation")]
    lead_morning = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)  # 09:00 Denver
    assert msg.recipient == "lead@vendor.example" and msg.not_before == lead_morning
    notifier = FakeNotifier()
    outbox.dispatch(db_session, notifier=notifier, now=clock.now)
    assert not notifier.to("lead@vendor.example"), "nobody is woken at 01:30"
    outbox.dispatch(db_session, notifier=notifier, now=lead_morning)
    assert [n.kind for n in notifier.to("lead@vendor.example")] == ["escalation.at_risk_team_lead"]


def test_outbox_delivers_at_least_once_and_retries_failures(db_session, world, sub, clock):
    sub("contoso_admin", "SSO login fails for all users at Contoso since this morning.")
    pending = outbox.pending(db_session)
    assert pending
    notifier = FakeNotifier(fail_next=1)
    delivered = outbox.dispatch(db_session, notifier=notifier, now=clock.now)
    assert delivered == len(pending) - 1
    (failed,) = outbox.pending(db_session)
    assert failed.attempts == 1 and failed.last_error
    assert outbox.dispatch(db_session, notifier=notifier, now=clock.now) == 0, "backing off"
    assert outbox.dispatch(db_session, notifier=notifier, now=failed.not_before) == 1
    assert outbox.pending(db_session) == []
    assert outbox.dispatch(db_session, notifier=notifier, now=clock.now) == 0
    keys = [n.dedupe_key for n in notifier.sent]
    assert len(keys) == len(set(keys))


def test_business_hours_clock_skips_nights_and_weekends(db_session, world, sub, intake, clock):
    # Standard tier, Friday 16:00 Denver: S3 "next business day" closes Monday 17:00 Denver.
    clock.now = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    ticket = sub("north_msp", HOWTO)
    assert ticket.first_response_due_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    result = sla_sweep.sweep(
        db_session, policy=intake.policy, now=datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    )
    assert (result.at_risk, result.breached) == (0, 0), "the weekend does not count"
