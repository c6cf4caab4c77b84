"""Who may get support, and how: the support path, by the policy's ordered rules."""

from __future__ import annotations

from supportdesk.core.policy.model import PathCondition, PathRule, Policy
from supportdesk.core.triage.models import TicketIn


def _holds(cond: PathCondition, ticket: TicketIn) -> bool:
    r = ticket.requester
    return (
        (cond.roles is None or r.role in cond.roles)
        and (cond.msp_involvement is None or ticket.msp_involvement in cond.msp_involvement)
        and (cond.verified is None or r.verified == cond.verified)
        and (cond.active is None or r.active == cond.active)
        and (cond.tiers is None or ticket.account.tier in cond.tiers)
    )


def support_path(ticket: TicketIn, policy: Policy) -> tuple[PathRule, PathCondition]:
    """The first rule (in policy order) with a condition that holds, and that condition."""
    for rule in policy.support_path:
        for cond in rule.when_any:
            if _holds(cond, ticket):
                return rule, cond
    raise AssertionError("the policy validator guarantees a catch-all last rule")


def describe(cond: PathCondition, ticket: TicketIn) -> str:
    """The facts of `ticket` that made `cond` hold, in words."""
    r = ticket.requester
    facts = []
    if cond.roles is not None:
        facts.append(f"role {r.role}")
    if cond.verified is not None:
        facts.append("identity verified" if r.verified else "identity not verified")
    if cond.active is not None:
        facts.append("active" if r.active else "inactive")
    if cond.msp_involvement is not None:
        facts.append(f"MSP involvement {ticket.msp_involvement}")
    if cond.tiers is not None:
        facts.append(f"tier {ticket.account.tier}")
    return ", ".join(facts) or f"role {r.role}, MSP involvement {ticket.msp_involvement}"
