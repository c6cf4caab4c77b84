"""When the first response is due: the tier's target on the tier's calendar."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from supportdesk.core.policy.model import Policy, Target


def due(policy: Policy, tier: str, target: Target, start: datetime) -> datetime:
    """The deadline for `target` counted from `start`, expressed in the calendar's zone."""
    cal = policy.calendar_for(tier)
    if cal is None:
        raise ValueError(f"tier {tier!r} has no calendar")
    if target.next_business_day:
        at = cal.next_business_day_close(start)
    else:
        duration = target.duration
        assert duration is not None
        at = cal.add(start, duration)
    return at.astimezone(ZoneInfo(cal.zone))
