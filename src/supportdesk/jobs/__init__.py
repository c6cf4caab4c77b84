"""Scheduled work: SLA sweeps and escalations, calling service functions and set-based SQL."""
