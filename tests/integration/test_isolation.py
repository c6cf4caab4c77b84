"""Tenant isolation: every attempt on another account's resource is *not found*."""

from __future__ import annotations

import pytest

from supportdesk.directory import service as directory
from supportdesk.directory.schemas import PersonUpdate, TenantCreate
from supportdesk.errors import NotFound
from supportdesk.tickets import service
from supportdesk.tickets.repository import TicketFilters
from supportdesk.tickets.schemas import (
    MergeIn,
    ReplyIn,
    SplitIn,
    SplitPart,
    TicketUpdate,
    TransitionIn,
    VerifyIn,
)

HOWTO = "How do I configure a retention policy for our own account?"


def ticket_actions(db_session, intake, now, own_id):
    """Every ticket operation, as (name, call(ticket_id, principal))."""
    split = SplitIn(
        parts=[
            SplitPart(category="setup", severity=3, text="a"),
            SplitPart(category="setup", severity=3, text="b"),
        ]
    )
    common = {"intake": intake, "now": now}
    return [
        ("get", lambda t, p: service.get(db_session, ticket_id=t, principal=p)),
        ("messages", lambda t, p: service.messages(db_session, ticket_id=t, principal=p)),
        ("events", lambda t, p: service.audit_events(db_session, ticket_id=t, principal=p)),
        (
            "update",
            lambda t, p: service.update(
                db_session,
                ticket_id=t,
                data=TicketUpdate(category="billing"),
                principal=p,
                **common,
            ),
        ),
        (
            "transition",
            lambda t, p: service.transition(
                db_session, ticket_id=t, data=TransitionIn(status="closed"), principal=p, **common
            ),
        ),
        (
            "reply",
            lambda t, p: service.reply(
                db_session, ticket_id=t, data=ReplyIn(body="hi"), principal=p, **common
            ),
        ),
        (
            "note",
            lambda t, p: service.note(db_session, ticket_id=t, body="x", principal=p, **common),
        ),
        (
            "split",
            lambda t, p: service.split(db_session, ticket_id=t, data=split, principal=p, **common),
        ),
        (
            "merge from",
            lambda t, p: service.merge(
                db_session, ticket_id=t, data=MergeIn(into_ticket_id=own_id), principal=p, **common
            ),
        ),
        (
            "merge into",
            lambda t, p: service.merge(
                db_session, ticket_id=own_id, data=MergeIn(into_ticket_id=t), principal=p, **common
            ),
        ),
        (
            "confirm",
            lambda t, p: service.confirm_msp(db_session, ticket_id=t, principal=p, **common),
        ),
        (
            "verify",
            lambda t, p: service.verify_identity(
                db_session, ticket_id=t, data=VerifyIn(), principal=p, **common
            ),
        ),
    ]


@pytest.mark.parametrize(
    "intruder", ["blue_msp", "fabrikam_admin", "contoso_user", "billing_agent"]
)
def test_every_ticket_operation_on_a_foreign_ticket_is_not_found(
    db_session, world, sub, intake, clock, intruder
):
    victim = sub("contoso_admin", "SSO login fails for all users at Contoso since this morning.")
    own = {
        "blue_msp": lambda: sub("blue_msp", HOWTO),
        "fabrikam_admin": lambda: sub("fabrikam_admin", HOWTO),
        "contoso_user": lambda: sub("contoso_user", HOWTO),
        "billing_agent": lambda: sub("blue_msp", "Invoice 8812 charged us twice for seats."),
    }[intruder]()
    for name, call in ticket_actions(db_session, intake, clock.now, own.id):
        with pytest.raises(NotFound):
            call(victim.id, world.p[intruder])
            pytest.fail(f"{intruder} could {name} ticket {victim.id}")
    rows, _ = service.list_tickets(
        db_session, principal=world.p[intruder], filters=TicketFilters(), limit=100
    )
    assert victim.id not in [r.id for r in rows]


def test_visibility_by_role(db_session, world, sub):
    contoso = sub("contoso_user", HOWTO)
    contoso_admin = sub("contoso_admin", HOWTO)
    fabrikam = sub("fabrikam_admin", HOWTO)

    def visible(who):
        rows, _ = service.list_tickets(
            db_session, principal=world.p[who], filters=TicketFilters(), limit=100
        )
        return {r.id for r in rows}

    assert visible("north_msp") == {contoso.id, contoso_admin.id, fabrikam.id}
    assert visible("contoso_admin") == {contoso.id, contoso_admin.id}
    assert visible("contoso_user") == {contoso.id}
    assert visible("blue_msp") == set()
    assert visible("admin") >= {contoso.id, contoso_admin.id, fabrikam.id}


def test_directory_resources_of_other_accounts_are_not_found(db_session, world, clock):
    north, blue = world.accounts["north"], world.accounts["blue"]
    intruder = world.p["blue_msp"]
    with pytest.raises(NotFound):
        directory.get_account(db_session, account_id=north.id, principal=intruder)
    with pytest.raises(NotFound):
        directory.get_tenant(db_session, tenant_id=world.tenants["contoso"].id, principal=intruder)
    with pytest.raises(NotFound):
        directory.get_person(
            db_session, person_id=world.people["contoso_user"].id, principal=intruder
        )
    with pytest.raises(NotFound):
        directory.update_person(
            db_session,
            person_id=world.people["contoso_user"].id,
            data=PersonUpdate(active=False),
            principal=intruder,
            now=clock.now,
        )
    with pytest.raises(NotFound):
        directory.create_tenant(
            db_session,
            data=TenantCreate(account_id=north.id, name="sneaky"),
            principal=intruder,
            now=clock.now,
        )
    assert [a.id for a in directory.list_accounts(db_session, principal=intruder)] == [blue.id]
    people = directory.list_people(db_session, principal=world.p["contoso_admin"])
    assert {p.tenant_id for p in people} == {world.tenants["contoso"].id}
