"""Who an escalation step notifies, and when they may be notified (their working hours)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportdesk.core.sla import BusinessCalendar
from supportdesk.directory.models import Agent


@dataclass(frozen=True)
class Step:
    """One escalation step (mirrors the policy's `Escalation`)."""

    step: str
    notify: str  # "team_lead" | "support_manager" | "on_call"
    at: str  # "open" | "at_risk" | "breach"
    only_tiers: tuple[str, ...] | None = None
    only_severities: tuple[int, ...] | None = None
    respect_hours: bool = True

    def applies(self, tier: str, severity: int | None) -> bool:
        if self.only_tiers is not None and tier not in self.only_tiers:
            return False
        return self.only_severities is None or severity in self.only_severities


#: Used when the policy lists no escalation steps (documented in docs/service.md).
DEFAULT_STEPS = (
    Step(
        step="page_on_call",
        notify="on_call",
        at="open",
        only_tiers=("premium",),
        only_severities=(1,),
        respect_hours=False,
    ),
    Step(step="team_lead", notify="team_lead", at="at_risk"),
    Step(step="support_manager", notify="support_manager", at="breach"),
)


def steps(policy: Any) -> tuple[Step, ...]:
    raw = tuple(getattr(policy, "escalation", ()) or ())
    if not raw:
        return DEFAULT_STEPS
    return tuple(
        Step(
            step=s.step,
            notify=s.notify,
            at=s.at,
            only_tiers=tuple(s.only_tiers) if s.only_tiers is not None else None,
            only_severities=tuple(s.only_severities) if s.only_severities is not None else None,
            respect_hours=bool(s.respect_hours),
        )
        for s in raw
    )


def open_steps(policy: Any, tier: str, severity: int | None) -> list[Step]:
    return [s for s in steps(policy) if s.at == "open" and s.applies(tier, severity)]


def working_calendar(agent: Agent) -> BusinessCalendar | None:
    days = agent.work_days if agent.work_days is not None else [0, 1, 2, 3, 4]
    if not days:
        return None
    hours = agent.work_hours or "09:00-17:00"
    return BusinessCalendar(agent.time_zone or "UTC", {int(d): [hours] for d in days})


def next_working_instant(agent: Agent, now: datetime) -> datetime:
    """`now` if the agent is at work, else the start of their next working window."""
    cal = working_calendar(agent)
    return now if cal is None else cal.next_open(now)


def candidates(db_session: Session, notify: str, queue: str | None) -> Sequence[Agent]:
    q = select(Agent).where(Agent.active.is_(True))
    if notify == "on_call":
        q = q.where(Agent.on_call.is_(True))
    elif notify in {"team_lead", "support_manager", "admin", "agent"}:
        q = q.where(Agent.role == notify)
    else:
        return []
    agents = db_session.scalars(q.order_by(Agent.id)).all()
    if notify == "team_lead" and queue is not None:
        own = [a for a in agents if queue in (a.queues or [])]
        return own or agents
    return agents


def recipients_for(
    db_session: Session, step: Step, queue: str | None, now: datetime
) -> list[tuple[Agent, datetime]]:
    """Each recipient with the earliest instant they may be notified."""
    out = []
    for agent in candidates(db_session, step.notify, queue):
        when = now if not step.respect_hours or agent.on_call else next_working_instant(agent, now)
        out.append((agent, when))
    return out
