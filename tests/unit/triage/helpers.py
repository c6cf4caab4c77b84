"""Plain builders for triage tests (no fixtures: the core is pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportdesk.core.triage import TicketIn

NOW = datetime.fromisoformat("2026-12-01T18:00:00+00:00")

#: A usage question and an invoice question for two teams, parted by an explicit marker.
MIXED = (
    "Our tenant Harbor Dental burned 9,000 credits overnight on 3 Dec. "
    "Separately, invoice INV-2231 has a duplicate line for seats we never ordered."
)


def ticket(description: str = "", **overrides: Any) -> TicketIn:
    raw: dict[str, Any] = {
        "id": "t1",
        "submitted_at": "2026-12-01T11:00:00-07:00",
        "channel": "portal",
        "requester": {"email": "admin@msp.example", "role": "msp_admin"},
        "account": {"name": "Bluewater MSP", "tier": "standard"},
        "subject": "",
        "description": description,
    }
    for key, value in overrides.items():
        if key in ("role", "verified", "active"):
            raw["requester"] = {**raw["requester"], key: value}
        elif key == "tier":
            raw["account"] = {**raw["account"], "tier": value}
        else:
            raw[key] = value
    return TicketIn.model_validate(raw)
