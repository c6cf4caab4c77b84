"""Realistic demo data, created through the service functions so every ticket is real:
triaged, audited, with SLA clocks, notifications in the outbox and tickets in every status.

`load(db_session, intake=..., now=...)` is deterministic for a given seed and `now`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportdesk.auth import tokens
from supportdesk.auth.principal import SYSTEM, Principal
from supportdesk.auth.tokens import principal_for_agent, principal_for_person
from supportdesk.directory import service as directory
from supportdesk.directory.models import Account, Agent, Person
from supportdesk.directory.schemas import AccountCreate, AgentCreate, PersonCreate, TenantCreate
from supportdesk.jobs import sla_sweep
from supportdesk.tickets import service as tickets
from supportdesk.tickets.intake import Intake
from supportdesk.tickets.models import Ticket
from supportdesk.tickets.schemas import (
    MergeIn,
    ReplyIn,
    SplitIn,
    SplitPart,
    TicketSubmit,
    TicketUpdate,
    TransitionIn,
    VerifyIn,
)

ACCOUNTS = (
    # name, kind, tier, domain, tenants
    (
        "Northwind IT",
        "msp",
        "standard",
        "northwind-it.example",
        ("Contoso", "Fabrikam", "Tailspin"),
    ),
    ("Blue Yonder Managed", "msp", "premium", "blueyonder.example", ("Litware", "Proseware")),
    ("Adatum Partners", "partner", "premium", "adatum.example", ("Wingtip", "Coho Winery")),
    ("Lucerne Publishing", "direct", "standard", "lucerne.example", ("Lucerne HQ",)),
    ("Trey Research", "msp", "free", "treyresearch.example", ("Trey Lab",)),
)

AGENTS = (
    # email, name, role, team, queues, on_call, zone
    ("ana.admin@vendor.example", "Ana Admin", "admin", "support", (), False, "America/Denver"),
    (
        "sam.manager@vendor.example",
        "Sam Manager",
        "support_manager",
        "support",
        (),
        False,
        "America/Denver",
    ),
    (
        "lee.lead@vendor.example",
        "Lee Lead",
        "team_lead",
        "support",
        ("support", "enablement"),
        False,
        "America/Denver",
    ),
    (
        "kim.lead@vendor.example",
        "Kim Lead",
        "team_lead",
        "usage",
        ("usage", "phone_agent_review", "billing", "sales"),
        False,
        "Europe/Berlin",
    ),
    (
        "raj.agent@vendor.example",
        "Raj Agent",
        "agent",
        "support",
        ("support",),
        False,
        "Asia/Kolkata",
    ),
    (
        "mia.agent@vendor.example",
        "Mia Agent",
        "agent",
        "usage",
        ("usage", "billing", "phone_agent_review"),
        False,
        "America/New_York",
    ),
    (
        "oli.oncall@vendor.example",
        "Oli On-call",
        "agent",
        "support",
        ("support",),
        True,
        "America/Denver",
    ),
)

REQUESTS = (
    # subject, description, category claim
    (
        "Credits dropped overnight",
        "Our credits for tenant {tenant} dropped by 40% since yesterday. "
        "Which workflows used them?",
        "credits_usage",
    ),
    (
        "Usage question",
        "Why did the AI agent consume so many credits? We did not change anything.",
        None,
    ),
    (
        "Invoice line item",
        "Invoice 88{n} has a line item for 25 extra seats for {tenant}; we only have 20. "
        "Please correct the charge and refund the difference.",
        "billing",
    ),
    (
        "Upgrade to premium",
        "We want to upgrade our plan to premium and add 50 seats; can you send a quote?",
        None,
    ),
    (
        "SSO login failing",
        "SAML SSO login fails for all users at {tenant} since this morning with error 'invalid "
        "assertion'. Nothing changed on our side.",
        "access",
    ),
    (
        "Whole platform down",
        "Nobody can sign in anywhere, all tenants are down, no workaround. "
        "Error 503 on every page.",
        None,
    ),
    (
        "Slack integration stopped",
        "The Slack integration for {tenant} stopped posting messages yesterday; "
        "webhook returns 401.",
        "integration",
    ),
    (
        "How do I configure retention",
        "How do I set up a data retention policy for a new tenant?",
        "setup",
    ),
    (
        "Workshop request",
        "Could you run a best-practice workshop to help us design our onboarding automation?",
        None,
    ),
    (
        "Usage and invoice",
        "Why did usage spike for {tenant} last week? Separately, the March invoice "
        "charged us twice for the Pro package, please refund one charge.",
        None,
    ),
    (
        "API key stopped working",
        "My API key stopped working this morning, calls return 403. Here it is: "
        "api_key=hz_live_4f9a8b7c6d5e4f3a2b1c",
        "integration",
    ),
    (
        "User cannot log in",
        "One user at {tenant}, jane.doe@{tenant_l}.example, cannot log in after the MFA reset.",
        "access",
    ),
)


@dataclass
class DemoResult:
    tokens: dict[str, str] = field(default_factory=dict)  # label -> raw token
    tickets: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def is_empty(db_session: Session) -> bool:
    return (db_session.scalar(select(func.count()).select_from(Account)) or 0) == 0


def load(
    db_session: Session, *, intake: Intake, now: datetime, tickets_count: int = 300, seed: int = 7
) -> DemoResult:
    """Create the demo directory and about `tickets_count` tickets over the last two weeks."""
    rng = random.Random(seed)
    result = DemoResult()
    start = now - timedelta(days=14)
    agents: list[Agent] = []
    for email, name, role, team, queues, on_call, zone in AGENTS:
        agents.append(
            directory.create_agent(
                db_session,
                data=AgentCreate(
                    email=email,
                    name=name,
                    role=role,
                    team=team,
                    queues=list(queues),
                    on_call=on_call,
                    time_zone=zone,
                ),
                principal=SYSTEM,
                now=start,
            )
        )
    admin = principal_for_agent(agents[0], frozenset({"admin"}))
    submitters: list[tuple[Person, Principal, str]] = []
    people_by_role: dict[str, list[Person]] = {}
    for i, (name, kind, tier, domain, tenant_names) in enumerate(ACCOUNTS):
        account = directory.create_account(
            db_session,
            data=AccountCreate(
                name=name,
                kind=kind,
                tier=tier,
                owner_agent_id=agents[2 + i % 2].id,
            ),
            principal=admin,
            now=start,
        )
        # A direct customer's own account admin acts in the account-admin (msp_admin) role.
        admin_role = {"msp": "msp_admin", "partner": "partner_admin", "direct": "msp_admin"}
        roles: list[tuple[str, str, int | None]] = [("ops", admin_role[kind], None)]
        if kind == "partner":
            roles.append(("owner", "partner_owner", None))
        for tname in tenant_names:
            tenant = directory.create_tenant(
                db_session,
                data=TenantCreate(account_id=account.id, name=tname),
                principal=admin,
                now=start,
            )
            slug = tname.lower().replace(" ", "")
            roles += [
                (f"admin.{slug}", "tenant_admin", tenant.id),
                (f"user.{slug}", "customer_user", tenant.id),
                (f"staff.{slug}", "end_user", tenant.id),
            ]
        for local, role, tenant_id in roles:
            person = directory.create_person(
                db_session,
                data=PersonCreate(
                    email=f"{local}@{domain}",
                    name=local.replace(".", " ").title(),
                    role=role,
                    account_id=account.id,
                    tenant_id=tenant_id,
                ),
                principal=admin,
                now=start,
            )
            people_by_role.setdefault(role, []).append(person)
            tname = next(
                (t for t in tenant_names if t.lower().replace(" ", "") in local), tenant_names[0]
            )
            weight = 5 if role in {"msp_admin", "partner_admin", "partner_owner"} else 1
            submitters += [(person, principal_for_person(person, frozenset()), tname)] * weight
    unverified = directory.create_person(
        db_session,
        data=PersonCreate(
            email="new.admin@northwind-it.example",
            name="New Admin",
            role="msp_admin",
            account_id=1,
            verification="pending",
        ),
        principal=admin,
        now=start,
    )
    submitters.append((unverified, principal_for_person(unverified, frozenset()), "Contoso"))

    # --- tokens a newcomer can use at once ---
    def token_for(label: str, *, person: Person | None = None, agent: Agent | None = None) -> None:
        admin_scope = agent is not None and agent.role == "admin"
        issued = tokens.issue(
            db_session,
            name=f"demo {label}",
            now=start,
            person_id=person.id if person else None,
            agent_id=agent.id if agent else None,
            scopes=["admin"] if admin_scope else None,
        )
        email = person.email if person else agent.email if agent else ""
        result.tokens[f"{label} <{email}>"] = issued.token

    token_for("admin agent", agent=agents[0])
    token_for("support agent", agent=agents[4])
    token_for("msp admin", person=people_by_role["msp_admin"][0])
    token_for("tenant admin", person=people_by_role["tenant_admin"][0])
    token_for("end user", person=people_by_role["end_user"][0])
    db_session.commit()

    # --- tickets ---
    span = (now - start).total_seconds()
    instants = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(tickets_count))
    for n, at in enumerate(instants):
        person, principal, tname = rng.choice(submitters)
        subject, text, claim = rng.choice(REQUESTS)
        description = text.format(tenant=tname, tenant_l=tname.lower().replace(" ", ""), n=n)
        ticket, _ = tickets.submit(
            db_session,
            data=TicketSubmit(
                channel=rng.choice(["portal", "portal", "email", "api"]),
                subject=subject,
                description=description,
                category=claim,
            ),
            principal=principal,
            intake=intake,
            now=at,
            idempotency_key=f"demo-{n}",
        )
        result.tickets += 1
        _progress(db_session, ticket.id, rng, agents, admin, principal, intake, at, now)
    # An unknown sender (verify_identity) logged by the email gateway, and one verified.
    gateway = principal_for_agent(agents[4], frozenset({"tickets:write", "tickets:read"}))
    for k, verify in enumerate((False, True)):
        at = now - timedelta(hours=5 - k)
        ticket, _ = tickets.submit(
            db_session,
            data=TicketSubmit(
                channel="email",
                subject="Help with our account",
                description="Our tenant Contoso cannot log in since this morning, all users.",
                requester_email=f"someone{k}@unknown-sender.example",
            ),
            principal=gateway,
            intake=intake,
            now=at,
        )
        if verify:
            tickets.verify_identity(
                db_session,
                ticket_id=ticket.id,
                data=VerifyIn(person_id=people_by_role["msp_admin"][0].id),
                principal=admin,
                intake=intake,
                now=at + timedelta(minutes=20),
            )
        result.tickets += 1
    sla_sweep.sweep(db_session, policy=intake.policy, now=now)
    rows = db_session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    result.statuses = {s: c for s, c in rows}
    return result


def _progress(
    db_session: Session,
    ticket_id: int,
    rng: random.Random,
    agents: list[Agent],
    admin: Principal,
    requester: Principal,
    intake: Intake,
    at: datetime,
    now: datetime,
) -> None:
    """Move a fresh ticket along a plausible path, never past `now`."""
    ticket = tickets.get(db_session, ticket_id=ticket_id, principal=admin)
    t = at

    def step(minutes: float) -> datetime | None:
        nonlocal t
        t = t + timedelta(minutes=minutes)
        return t if t < now else None

    roll = rng.random()
    if ticket.status == "awaiting_msp":
        if roll < 0.6 and (when := step(rng.uniform(10, 600))):
            account_admin = db_session.scalar(
                select(Person).where(
                    Person.account_id == ticket.account_id,
                    Person.role.in_(["msp_admin", "partner_admin", "partner_owner"]),
                )
            )
            if account_admin is not None:
                tickets.confirm_msp(
                    db_session,
                    ticket_id=ticket_id,
                    principal=principal_for_person(account_admin, frozenset()),
                    intake=intake,
                    now=when,
                )
        else:
            return
    ticket = tickets.get(db_session, ticket_id=ticket_id, principal=admin)
    if ticket.status in {"redirected", "help_center"}:
        if roll < 0.5 and (when := step(rng.uniform(60, 3000))):
            tickets.transition(
                db_session,
                ticket_id=ticket_id,
                data=TransitionIn(status="closed"),
                principal=admin,
                intake=intake,
                now=when,
            )
        return
    if ticket.status == "verifying":
        return
    child_ids = tickets.children(db_session, ticket=ticket)
    targets = child_ids or [ticket_id]
    for tid in targets:
        ticket = tickets.get(db_session, ticket_id=tid, principal=admin)
        if ticket.status == "needs_info":
            if rng.random() < 0.6 and (when := step(rng.uniform(30, 900))):
                tickets.reply(
                    db_session,
                    ticket_id=tid,
                    data=ReplyIn(
                        body="It is the Contoso tenant, since yesterday 9am; user "
                        "jane.doe@contoso.example sees 'error 500'.",
                        fields={"affected_tenant": "Contoso", "date_time": "yesterday 9am"},
                    ),
                    principal=requester,
                    intake=intake,
                    now=when,
                )
            else:
                continue
        ticket = tickets.get(db_session, ticket_id=tid, principal=admin)
        if ticket.status != "open":
            continue
        pool = [a for a in agents if ticket.queue in (a.queues or [])] or agents
        r = rng.random()
        if r < 0.15:
            continue  # untouched: some will be at risk or breached
        when = step(rng.uniform(5, 300))
        if when is None:
            continue
        tickets.update(
            db_session,
            ticket_id=tid,
            data=TicketUpdate(assignee_id=rng.choice(pool).id),
            principal=admin,
            intake=intake,
            now=when,
        )
        if r < 0.2 and (when := step(5)):
            tickets.note(
                db_session,
                ticket_id=tid,
                body="Checked the logs; looks related to last week's release.",
                principal=admin,
                intake=intake,
                now=when,
            )
            continue
        if r < 0.25 and (when := step(10)) and ticket.severity != 1:
            tickets.update(
                db_session,
                ticket_id=tid,
                data=TicketUpdate(severity=2, severity_reason="whole tenant affected per call"),
                principal=admin,
                intake=intake,
                now=when,
            )
        when = step(rng.uniform(10, 240))
        if when is None:
            continue
        tickets.reply(
            db_session,
            ticket_id=tid,
            data=ReplyIn(body="Thanks, we are looking into this and will update you shortly."),
            principal=admin,
            intake=intake,
            now=when,
        )
        r = rng.random()
        if r < 0.2 and (when := step(rng.uniform(30, 600))):
            tickets.transition(
                db_session,
                ticket_id=tid,
                data=TransitionIn(status="pending_customer", reason="waiting for a HAR file"),
                principal=admin,
                intake=intake,
                now=when,
            )
            if rng.random() < 0.5 and (when := step(rng.uniform(60, 1200))):
                tickets.reply(
                    db_session,
                    ticket_id=tid,
                    data=ReplyIn(body="Attached the HAR file you asked for."),
                    principal=requester,
                    intake=intake,
                    now=when,
                )
        elif r < 0.3 and (when := step(rng.uniform(30, 600))):
            tickets.transition(
                db_session,
                ticket_id=tid,
                data=TransitionIn(status="escalated", reason="needs engineering"),
                principal=admin,
                intake=intake,
                now=when,
            )
        elif r < 0.75 and (when := step(rng.uniform(60, 3000))):
            tickets.transition(
                db_session,
                ticket_id=tid,
                data=TransitionIn(status="resolved"),
                principal=admin,
                intake=intake,
                now=when,
            )
            if rng.random() < 0.6 and (when := step(rng.uniform(600, 4000))):
                tickets.transition(
                    db_session,
                    ticket_id=tid,
                    data=TransitionIn(status="closed"),
                    principal=admin,
                    intake=intake,
                    now=when,
                )
    ticket = tickets.get(db_session, ticket_id=ticket_id, principal=admin)
    if not child_ids and ticket.status == "open" and rng.random() < 0.05:
        when = step(15)
        if when:
            tickets.split(
                db_session,
                ticket_id=ticket_id,
                data=SplitIn(
                    parts=[
                        SplitPart(category="technical", severity=3, text=ticket.description),
                        SplitPart(category="billing", severity=3, text="Billing follow-up."),
                    ]
                ),
                principal=admin,
                intake=intake,
                now=when,
            )
    elif not child_ids and ticket.status == "open" and rng.random() < 0.05:
        other = db_session.scalar(
            select(Ticket.id).where(
                Ticket.account_id == ticket.account_id,
                Ticket.id < ticket_id,
                Ticket.status == "open",
                Ticket.parent_id.is_(None),
            )
        )
        when = step(20)
        if other is not None and when:
            tickets.merge(
                db_session,
                ticket_id=ticket_id,
                data=MergeIn(into_ticket_id=other),
                principal=admin,
                intake=intake,
                now=when,
            )
