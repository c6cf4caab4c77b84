"""SLA calendar, pure core: business calendars and SLA clocks on aware UTC instants.

``BusinessCalendar`` holds wall-clock opening windows in an IANA zone plus holidays and does
business-time arithmetic (``add``, ``elapsed``, ``next_business_day_close``) on UTC instants;
``compute_clock`` evaluates an SLA clock from a ticket's history (start, pauses, stop) as of
``now``. Stdlib + ``holidays`` only; the clock is never read. Semantics: ``docs/sla.md``.
"""

from supportdesk.core.sla.calendar import (
    BusinessCalendar,
    HolidayCalendar,
    Window,
    parse_window,
)
from supportdesk.core.sla.clock import (
    NEXT_BUSINESS_DAY_CLOSE,
    ClockState,
    NextBusinessDayClose,
    SlaClock,
    SlaTarget,
    compute_clock,
    normalize_pauses,
)

__all__ = [
    "NEXT_BUSINESS_DAY_CLOSE",
    "BusinessCalendar",
    "ClockState",
    "HolidayCalendar",
    "NextBusinessDayClose",
    "SlaClock",
    "SlaTarget",
    "Window",
    "compute_clock",
    "normalize_pauses",
    "parse_window",
]
