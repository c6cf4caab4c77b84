"""Ticket SLA clocks, recomputed from the event log with the core's `compute_clock`.

The ticket service turns status history into pause intervals and asks the core for each clock;
the at-risk instant is the due instant of the same clock with `at_risk_fraction` of the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from supportdesk.core.sla import NEXT_BUSINESS_DAY_CLOSE, BusinessCalendar, compute_clock

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
#: Statuses during which the SLA clocks do not run (waiting on the customer, or done).
PAUSED_STATUSES = frozenset({"pending_customer", "needs_info", "resolved"})
STOPPED_STATUSES = frozenset({"resolved", "closed"})
ClockKind = Literal["first_response", "resolution"]
Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class ClockResult:
    kind: ClockKind
    due_at: datetime
    at_risk_at: datetime
    stopped_at: datetime | None
    breached: bool


def evaluate(
    *,
    kind: ClockKind,
    tier_calendar: BusinessCalendar,
    target: Any,
    start: datetime,
    pauses: Sequence[Interval],
    stop: datetime | None,
    now: datetime,
    at_risk_fraction: float,
) -> ClockResult:
    """One clock from the policy `Target` (business_hours | hours | next_business_day)."""
    sla_target: Any
    cal = tier_calendar
    if getattr(target, "next_business_day", False):
        sla_target = NEXT_BUSINESS_DAY_CLOSE
    elif getattr(target, "business_hours", None) is not None:
        sla_target = timedelta(hours=float(target.business_hours))
    else:
        cal = BusinessCalendar.always_open(tier_calendar.zone)
        sla_target = timedelta(hours=float(target.hours))
    clock = compute_clock(cal, sla_target, start, now=now, pauses=pauses, stop=stop)
    risk = compute_clock(
        cal, clock.budget * at_risk_fraction, start, now=now, pauses=pauses, stop=stop
    )
    return ClockResult(
        kind=kind,
        due_at=clock.due_at,
        at_risk_at=risk.due_at,
        stopped_at=clock.stopped_at,
        breached=clock.state in {"breached", "met_late"},
    )


def pauses_from_history(
    history: Sequence[tuple[datetime, str]], now: datetime, since: datetime
) -> tuple[list[Interval], bool]:
    """Intervals spent in a paused status (from (instant, new_status) changes in order), and
    whether the ticket is paused now. An open pause is counted up to `now`."""
    out: list[Interval] = []
    paused_since: datetime | None = None
    for at, status in history:
        if status in PAUSED_STATUSES:
            if paused_since is None:
                paused_since = at
        elif paused_since is not None:
            if at > since:
                out.append((max(paused_since, since), at))
            paused_since = None
    if paused_since is not None and now > since:
        out.append((max(paused_since, since), max(now, since)))
    return out, paused_since is not None
