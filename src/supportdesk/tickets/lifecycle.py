"""The ticket status machine as explicit data."""

from __future__ import annotations

from supportdesk.errors import InvalidTransition

STATUSES = (
    "new",
    "awaiting_msp",
    "redirected",
    "help_center",
    "verifying",
    "needs_info",
    "open",
    "pending_customer",
    "escalated",
    "resolved",
    "closed",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset(
        {"awaiting_msp", "redirected", "help_center", "verifying", "needs_info", "open"}
    ),
    "awaiting_msp": frozenset({"open", "needs_info", "help_center", "verifying", "closed"}),
    "redirected": frozenset({"closed"}),
    "help_center": frozenset({"closed"}),
    "verifying": frozenset(
        {"open", "needs_info", "awaiting_msp", "redirected", "help_center", "closed"}
    ),
    "needs_info": frozenset({"open", "pending_customer", "escalated", "resolved", "closed"}),
    "open": frozenset({"needs_info", "pending_customer", "escalated", "resolved", "closed"}),
    "pending_customer": frozenset({"open", "escalated", "resolved", "closed"}),
    "escalated": frozenset({"open", "pending_customer", "resolved", "closed"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}

#: Targets an agent may choose by hand; the rest are reached through intake actions
#: (confirm, verify, information received).
AGENT_TARGETS = frozenset({"open", "pending_customer", "escalated", "resolved", "closed"})
#: Targets the requester's side may choose by hand (reopen or close their resolved ticket).
CUSTOMER_TARGETS = frozenset({"open", "closed"})
CUSTOMER_FROM = frozenset({"resolved"})
#: Statuses a queue works on (everything not finished or sent elsewhere).
WORKING = frozenset(
    {"new", "awaiting_msp", "verifying", "needs_info", "open", "pending_customer", "escalated"}
)
FINISHED = frozenset({"resolved", "closed", "redirected", "help_center"})


def check(old: str, new: str) -> None:
    if new not in TRANSITIONS.get(old, frozenset()):
        raise InvalidTransition(f"a ticket cannot go from {old} to {new}", field="status")
