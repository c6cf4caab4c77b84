"""Tickets: intake through triage, the lifecycle, SLA clocks and the audit trail."""
