"""A small, demo-like desk for the web and browser tests, created through the service functions.

People and agents get passwords (argon2, like real sign-ins). Tickets are submitted through
`tickets.service.submit`, so each one is triaged, audited and carries SLA clocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from supportdesk.auth.passwords import hash_password
from supportdesk.auth.principal import SYSTEM
from supportdesk.auth.tokens import principal_for_agent, principal_for_person
from supportdesk.directory import service as directory
from supportdesk.directory.schemas import AccountCreate, AgentCreate, PersonCreate, TenantCreate
from supportdesk.tickets import service as tickets
from supportdesk.tickets.intake import Intake
from supportdesk.tickets.schemas import TicketSubmit

PASSWORD = "correct horse battery staple"

#: A message with two requests for two owners, written so triage (rules only, as this desk
#: runs) does not split it by itself (no marker, and the quote is asked in the problem's own
#: sentence for someone else): the agent splits it by hand.
MIXED = (
    "SAML SSO login fails for every user at Contoso since this morning with error 'invalid "
    "assertion', and Fabrikam wants a quote to upgrade our plan with 20 more seats."
)


@dataclass
class Desk:
    emails: dict[str, str] = field(default_factory=dict)  # short name -> email
    ids: dict[str, int] = field(default_factory=dict)  # short name -> row id (tickets too)


def seed_desk(db_session: Session, *, intake: Intake, now: datetime) -> Desk:
    desk = Desk()
    hashed = hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
    agents = {
        "admin_agent": AgentCreate(
            email="ana.admin@vendor.example",
            name="Ana Admin",
            role="admin",
            time_zone="America/Denver",
        ),
        "support_agent": AgentCreate(
            email="raj.agent@vendor.example",
            name="Raj Agent",
            role="agent",
            queues=["support", "sales"],
            time_zone="Asia/Kolkata",
        ),
        "usage_agent": AgentCreate(
            email="mia.agent@vendor.example",
            name="Mia Agent",
            role="agent",
            queues=["usage", "billing"],
            time_zone="America/New_York",
        ),
    }
    made = {}
    for key, data in agents.items():
        agent = directory.create_agent(db_session, data=data, principal=SYSTEM, now=now)
        agent.password_hash = hashed
        made[key] = agent
        desk.emails[key], desk.ids[key] = agent.email, agent.id
    admin = principal_for_agent(made["admin_agent"], frozenset({"admin"}))
    accounts = {
        "northwind": ("Northwind IT", "msp", "standard", ("Contoso", "Fabrikam")),
        "blueyonder": ("Blue Yonder Managed", "msp", "premium", ("Litware",)),
        "trey": ("Trey Research", "msp", "free", ("Trey Lab",)),
    }
    for key, (name, kind, tier, tenant_names) in accounts.items():
        account = directory.create_account(
            db_session,
            data=AccountCreate(name=name, kind=kind, tier=tier),
            principal=admin,
            now=now,
        )
        desk.ids[key] = account.id
        for tname in tenant_names:
            tenant = directory.create_tenant(
                db_session,
                data=TenantCreate(account_id=account.id, name=tname),
                principal=admin,
                now=now,
            )
            desk.ids[tname.lower().replace(" ", "_")] = tenant.id
    people = {
        "msp_admin": ("ops@northwind-it.example", "Olivia Ops", "msp_admin", "northwind", None),
        "tenant_admin": (
            "admin.contoso@northwind-it.example",
            "Carl Contoso",
            "tenant_admin",
            "northwind",
            "contoso",
        ),
        "end_user": (
            "staff.contoso@northwind-it.example",
            "Sue Staff",
            "end_user",
            "northwind",
            "contoso",
        ),
        "other_msp": ("ops@blueyonder.example", "Bo Yonder", "msp_admin", "blueyonder", None),
        "free_admin": ("ops@treyresearch.example", "Tia Trey", "msp_admin", "trey", None),
    }
    persons = {}
    for key, (email, name, role, account_key, tenant_key) in people.items():
        person = directory.create_person(
            db_session,
            data=PersonCreate(
                email=email,
                name=name,
                role=role,  # type: ignore[arg-type]
                account_id=desk.ids[account_key],
                tenant_id=desk.ids[tenant_key] if tenant_key else None,
                time_zone="Europe/Berlin" if key == "msp_admin" else "America/Chicago",
            ),
            principal=admin,
            now=now,
        )
        person.password_hash = hashed
        persons[key] = person
        desk.emails[key], desk.ids[key] = email, person.id
    db_session.commit()

    def submit(key: str, who: str, subject: str, description: str) -> None:
        principal = principal_for_person(persons[who], frozenset())
        ticket, _ = tickets.submit(
            db_session,
            data=TicketSubmit(channel="portal", subject=subject, description=description),
            principal=principal,
            intake=intake,
            now=now,
        )
        desk.ids[key] = ticket.id

    submit("mixed", "msp_admin", "SSO broken and a seat upgrade", MIXED)
    submit(
        "needs_info",
        "msp_admin",
        "Credits dropped",
        "Credits were consumed much faster than normal and nobody knows which workflows used them.",
    )
    submit(
        "other_account",
        "other_msp",
        "Litware integration",
        "The Slack integration for Litware stopped posting messages yesterday; webhook "
        "returns 401.",
    )
    return desk
