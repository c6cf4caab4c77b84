"""SLA clocks recomputed from a ticket's event history (pure; ``now`` is an argument).

A clock has a *budget* of business time (``timedelta``) or the rule "next business day close",
a start instant, pause intervals (e.g. while the ticket is ``pending_customer``), an optional
stop instant (first response / resolution) and is evaluated *as of* ``now``: anything after
``now`` (pauses, a stop) is ignored, so the same function answers "what was the state then".

Definitions (``open(a, b)`` = ``calendar.elapsed(a, b)``):

* budget ``D``: the duration target, or for ``NEXT_BUSINESS_DAY_CLOSE`` the business time
  ``open(start, calendar.next_business_day_close(start))`` (then treated like a duration, so a
  pause pushes it by the business time paused).
* counted(t) = open(start, t) minus the open time inside pauses before ``t``.
* ``due_at``: the earliest instant at which counted time reaches ``D``, given the pauses known
  as of ``now``; an ongoing pause is assumed to end at ``now`` (so while paused, ``due_at`` is
  "the deadline if the clock resumed now"). A pause that starts at or after the deadline does
  not move it (a breached clock cannot be un-breached by pausing it).
* breached: an instant strictly after ``due_at`` has been reached (``now > due_at`` while
  running, or ``stop > due_at``); a stop exactly at ``due_at`` is met.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from supportdesk.core.sla.calendar import BusinessCalendar, from_epoch_us, to_epoch_us

__all__ = [
    "NEXT_BUSINESS_DAY_CLOSE",
    "ClockState",
    "NextBusinessDayClose",
    "SlaClock",
    "SlaTarget",
    "compute_clock",
    "normalize_pauses",
]

ClockState = Literal["running", "paused", "at_risk", "breached", "met", "met_late"]


@dataclass(frozen=True)
class NextBusinessDayClose:
    """The target "close of the next business day after the start's local date"."""

    def __repr__(self) -> str:
        return "NEXT_BUSINESS_DAY_CLOSE"


NEXT_BUSINESS_DAY_CLOSE: Final = NextBusinessDayClose()

SlaTarget = timedelta | NextBusinessDayClose
"""A business-time budget (elapsed time on a 24x7 calendar) or the next-business-day rule."""

_ZERO: Final = timedelta(0)
_US: Final = timedelta(microseconds=1)


@dataclass(frozen=True)
class SlaClock:
    """State of one SLA clock as of ``as_of``. All instants are aware UTC datetimes."""

    state: ClockState
    due_at: datetime
    budget: timedelta  # business time allowed
    elapsed: timedelta  # business time counted so far (pauses excluded)
    paused: timedelta  # business time spent paused so far
    remaining: timedelta  # max(budget - elapsed, 0)
    fraction_elapsed: float  # elapsed / budget (1.0 for a zero budget once started); may exceed 1
    breached_at: datetime | None  # == due_at when state is "breached" or "met_late"
    stopped_at: datetime | None  # the stop instant, if it happened by ``as_of``
    as_of: datetime


def normalize_pauses(
    pauses: Iterable[tuple[datetime, datetime | None]],
    start: datetime,
    horizon: datetime,
) -> list[tuple[int, int]]:
    """Pause intervals as sorted, merged, non-empty epoch-µs pairs clipped to [start, horizon].

    A pause with end ``None`` is ongoing and ends at ``horizon``. Naive datetimes raise
    ``ValueError``, as does a pause ending before it starts.
    """
    s = to_epoch_us(start, "start")
    h = to_epoch_us(horizon, "horizon")
    spans: list[tuple[int, int]] = []
    for k, (ps, pe) in enumerate(pauses):
        a = to_epoch_us(ps, f"pauses[{k}] start")
        b = h if pe is None else to_epoch_us(pe, f"pauses[{k}] end")
        if pe is not None and b < a:
            raise ValueError(
                f"pause {k} ends ({pe.isoformat()}) before it starts ({ps.isoformat()})"
            )
        a, b = max(a, s), min(b, h)
        if a < b:
            spans.append((a, b))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def compute_clock(
    calendar: BusinessCalendar,
    target: SlaTarget,
    start: datetime,
    *,
    now: datetime,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
    stop: datetime | None = None,
    at_risk: float = 0.75,
) -> SlaClock:
    """Evaluate an SLA clock from its history as of ``now`` (see the module docstring).

    ``state`` precedence: met / met_late (stopped) > breached > paused > at_risk > running.
    ``at_risk`` is the fraction of the budget after which a running clock is "at_risk"
    (0 < at_risk <= 1).
    """
    if not 0.0 < at_risk <= 1.0:
        raise ValueError(f"at_risk must be in (0, 1], got {at_risk}")
    s = to_epoch_us(start, "start")
    n = to_epoch_us(now, "now")
    stop_us = to_epoch_us(stop, "stop") if stop is not None else None
    if stop_us is not None and stop_us > n:
        stop_us = None  # a stop after `now` has not happened yet (as of `now`)
    elif stop_us is not None and stop_us < s:
        stop_us = s  # stopped before the clock started: met at the start
    horizon = max(s, stop_us if stop_us is not None else n)
    start_utc = from_epoch_us(s)
    horizon_utc = from_epoch_us(horizon)

    if isinstance(target, NextBusinessDayClose):
        budget = calendar.elapsed(start_utc, calendar.next_business_day_close(start_utc))
    elif isinstance(target, timedelta):
        if target < _ZERO:
            raise ValueError(f"target duration must not be negative, got {target}")
        budget = target
    else:
        raise TypeError(f"target must be a timedelta or NEXT_BUSINESS_DAY_CLOSE, got {target!r}")

    spans = normalize_pauses(pauses, start_utc, horizon_utc)

    # due_at: walk pauses in order; a pause beginning before the current deadline pushes it by
    # the business time it covers (add(add(s, D), P) == add(s, D + P) for earliest-instant add).
    due = calendar.add(start_utc, budget)
    due_us = to_epoch_us(due)
    paused = _ZERO
    for a, b in spans:
        p = calendar.elapsed(from_epoch_us(a), from_epoch_us(b))
        paused += p
        if a < due_us and p > _ZERO:
            due = calendar.add(due, p)
            due_us = to_epoch_us(due)

    elapsed = calendar.elapsed(start_utc, horizon_utc) - paused
    remaining = max(budget - elapsed, _ZERO)
    # A zero budget is fully used as soon as the clock has run at all.
    fraction = elapsed / budget if budget > _ZERO else (1.0 if horizon > s else 0.0)

    state: ClockState
    breached_at: datetime | None = None
    if stop_us is not None:
        if stop_us > due_us:
            state, breached_at = "met_late", due
        else:
            state = "met"
    elif n > due_us:
        state, breached_at = "breached", due
    elif n >= s and _pause_open_at_now(pauses, n):
        state = "paused"
    elif fraction >= at_risk:
        state = "at_risk"
    else:
        state = "running"

    return SlaClock(
        state=state,
        due_at=due,
        budget=budget,
        elapsed=elapsed,
        paused=paused,
        remaining=remaining,
        fraction_elapsed=fraction,
        breached_at=breached_at,
        stopped_at=from_epoch_us(stop_us) if stop_us is not None else None,
        as_of=from_epoch_us(n),
    )


def _pause_open_at_now(pauses: Sequence[tuple[datetime, datetime | None]], n: int) -> bool:
    """Whether some pause covers ``now`` (started at or before it and not ended by it)."""
    return any(to_epoch_us(ps) <= n and (pe is None or to_epoch_us(pe) > n) for ps, pe in pauses)
