"""Presentation helpers for templates: times in the viewer's zone, countdowns, labels.

Pure functions of their arguments (the current instant is passed in, never read).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import escape as _escape

STATUS_LABELS = {
    "new": "New",
    "awaiting_msp": "Awaiting MSP confirmation",
    "redirected": "Sent to your MSP",
    "help_center": "Help Center",
    "verifying": "Verifying identity",
    "needs_info": "Needs information",
    "open": "Open",
    "pending_customer": "Pending customer",
    "escalated": "Escalated",
    "resolved": "Resolved",
    "closed": "Closed",
}
CATEGORY_LABELS = {
    "credits_usage": "Credits / Usage",
    "billing": "Billing",
    "technical": "Technical",
    "access": "Access",
    "integration": "Integration",
    "setup": "Setup",
    "enablement": "Enablement",
}
PATH_LABELS = {
    "accept": "Accepted",
    "verify_identity": "Identity check first",
    "redirect_to_msp": "Handled by your MSP",
    "await_msp_confirmation": "Waits for MSP confirmation",
    "help_center_only": "Help Center only",
}
SECRET_LABELS = {
    "password": "a password",
    "api_key": "an API key",
    "access_token": "an access token",
    "cloud_access_key": "a cloud access key",
    "jwt": "a JSON web token",
    "private_key": "a private key",
}


def escape(value: Any) -> str:
    return str(_escape(value))


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def localtime(
    value: datetime | None, tz: str | None = None, fmt: str = "%a %d %b %Y, %H:%M"
) -> str:
    """`value` in the zone `tz` with its abbreviation, e.g. "Mon 23 Nov 2026, 09:00 MST"."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone(tz))
    return f"{local.strftime(fmt)} {local.tzname() or ''}".strip()


def isoutc(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def duration(delta: timedelta) -> str:
    """A short human duration: "2d 4h", "3h 05m", "12m", "45s"."""
    secs = int(abs(delta.total_seconds()))
    days, rem = divmod(secs, 86_400)
    hours, rem = divmod(rem, 3_600)
    mins, s = divmod(rem, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    if mins:
        return f"{mins}m"
    return f"{s}s"


def countdown(due: datetime | None, now: datetime | None) -> str:
    """ "in 3h 05m" / "4h 10m overdue" (what the live countdown starts from)."""
    if due is None or now is None:
        return "—"
    delta = due - now
    if delta.total_seconds() >= 0:
        return f"in {duration(delta)}"
    return f"{duration(delta)} overdue"


def age(start: datetime | None, now: datetime | None) -> str:
    if start is None or now is None:
        return "—"
    return duration(now - start)


def sla_state(ticket: Any, now: datetime | None) -> str:
    """ "breached", "at_risk", "paused", "running" or "none" for a ticket's running clock."""
    if getattr(ticket, "next_due_at", None) is None:
        return "paused" if getattr(ticket, "sla_paused", False) else "none"
    if ticket.sla_breached or (now is not None and now >= ticket.next_due_at):
        return "breached"
    at_risk_at = getattr(ticket, "next_at_risk_at", None)
    if ticket.sla_at_risk or (now is not None and at_risk_at is not None and now >= at_risk_at):
        return "at_risk"
    return "running"


def label(mapping: dict[str, str], value: str | None) -> str:
    if value is None:
        return "—"
    return mapping.get(value, value.replace("_", " ").capitalize())


def secrets_phrase(kinds: list[str] | tuple[str, ...]) -> str:
    names = [SECRET_LABELS.get(k, k.replace("_", " ")) for k in kinds]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def filesize(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


FILTERS = {
    "localtime": localtime,
    "isoutc": isoutc,
    "status_label": lambda v: label(STATUS_LABELS, v),
    "category_label": lambda v: label(CATEGORY_LABELS, v),
    "path_label": lambda v: label(PATH_LABELS, v),
    "filesize": filesize,
    "secrets_phrase": secrets_phrase,
    "zip": lambda a, b: list(zip(a or [], b or [], strict=False)),
}
GLOBALS = {
    "countdown": countdown,
    "age": age,
    "sla_state": sla_state,
    "STATUS_LABELS": STATUS_LABELS,
    "CATEGORY_LABELS": CATEGORY_LABELS,
}
