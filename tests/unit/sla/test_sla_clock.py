"""SLA clock: due time under pauses, states, next-business-day target, as-of evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportdesk.core.sla import (
    NEXT_BUSINESS_DAY_CLOSE,
    BusinessCalendar,
    HolidayCalendar,
    compute_clock,
)

H = timedelta(hours=1)
US = HolidayCalendar("US")
STANDARD = BusinessCalendar.weekdays("America/Denver", "09:00-17:00", holidays=US)
ALWAYS = BusinessCalendar.always_open("America/Denver")


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


START = dt("2026-12-01T10:00:00-07:00")  # Tuesday


def test_running_then_at_risk_then_breached() -> None:
    c = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-01T11:00:00-07:00"))
    assert c.state == "running"
    assert c.due_at == dt("2026-12-01T14:00:00-07:00") and c.due_at.tzinfo is UTC
    assert c.elapsed == H and c.remaining == 3 * H and c.fraction_elapsed == 0.25
    assert c.breached_at is None

    c = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-01T13:00:00-07:00"))
    assert c.state == "at_risk" and c.fraction_elapsed == 0.75

    c = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-01T14:00:00-07:00"))
    assert c.state == "at_risk" and c.remaining == timedelta(0)  # at the deadline: not yet late

    c = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-01T14:00:01-07:00"))
    assert c.state == "breached" and c.breached_at == dt("2026-12-01T14:00:00-07:00")


def test_met_and_met_late() -> None:
    now = dt("2026-12-03T12:00:00-07:00")
    c = compute_clock(STANDARD, 4 * H, START, now=now, stop=dt("2026-12-01T14:00:00-07:00"))
    assert c.state == "met" and c.breached_at is None and c.elapsed == 4 * H
    c = compute_clock(STANDARD, 4 * H, START, now=now, stop=dt("2026-12-01T15:00:00-07:00"))
    assert c.state == "met_late" and c.breached_at == dt("2026-12-01T14:00:00-07:00")
    assert c.elapsed == 5 * H and c.fraction_elapsed == 1.25
    assert c.stopped_at == dt("2026-12-01T15:00:00-07:00")


def test_stop_after_now_has_not_happened_yet() -> None:
    c = compute_clock(
        STANDARD,
        4 * H,
        START,
        now=dt("2026-12-01T11:00:00-07:00"),
        stop=dt("2026-12-01T12:00:00-07:00"),
    )
    assert c.state == "running" and c.stopped_at is None


def test_pause_pushes_due_by_paused_business_time() -> None:
    pauses = [(dt("2026-12-01T11:00:00-07:00"), dt("2026-12-02T10:00:00-07:00"))]
    # paused business time: 11-17 Tue (6h) + 9-10 Wed (1h) = 7h; due 14:00 Tue -> +7h = Wed 13:00
    c = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-02T12:00:00-07:00"), pauses=pauses)
    assert c.paused == 7 * H
    assert c.due_at == dt("2026-12-02T13:00:00-07:00")
    assert c.elapsed == 3 * H and c.state == "at_risk"


def test_ongoing_pause_is_paused_and_due_moves_with_now() -> None:
    pauses = [(dt("2026-12-01T11:00:00-07:00"), None)]
    c1 = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-01T12:00:00-07:00"), pauses=pauses)
    assert c1.state == "paused" and c1.elapsed == H
    assert c1.due_at == dt("2026-12-01T15:00:00-07:00")  # resumed now: 3h left
    c2 = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-02T12:00:00-07:00"), pauses=pauses)
    assert c2.state == "paused" and c2.elapsed == H
    assert c2.due_at == dt("2026-12-02T15:00:00-07:00")


def test_pause_after_breach_does_not_unbreach() -> None:
    pauses = [(dt("2026-12-01T15:00:00-07:00"), None)]
    c = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-01T16:00:00-07:00"), pauses=pauses)
    assert c.state == "breached" and c.due_at == dt("2026-12-01T14:00:00-07:00")


def test_pause_outside_business_hours_changes_nothing() -> None:
    pauses = [(dt("2026-12-01T18:00:00-07:00"), dt("2026-12-02T08:00:00-07:00"))]
    start = dt("2026-12-01T16:00:00-07:00")
    c = compute_clock(STANDARD, 4 * H, start, now=dt("2026-12-02T09:30:00-07:00"), pauses=pauses)
    assert c.due_at == dt("2026-12-02T12:00:00-07:00") and c.paused == timedelta(0)


def test_overlapping_and_out_of_range_pauses_are_merged_and_clipped() -> None:
    pauses = [
        (dt("2026-12-01T08:00:00-07:00"), dt("2026-12-01T10:30:00-07:00")),  # starts before START
        (dt("2026-12-01T12:00:00-07:00"), dt("2026-12-01T13:00:00-07:00")),
        (dt("2026-12-01T12:30:00-07:00"), dt("2026-12-01T13:30:00-07:00")),  # overlaps
    ]
    c = compute_clock(STANDARD, 4 * H, START, now=dt("2026-12-01T14:00:00-07:00"), pauses=pauses)
    assert c.paused == 2 * H
    assert c.due_at == dt("2026-12-01T16:00:00-07:00")


def test_next_business_day_target() -> None:
    c = compute_clock(STANDARD, NEXT_BUSINESS_DAY_CLOSE, START, now=START)
    assert c.due_at == dt("2026-12-02T17:00:00-07:00")
    assert c.budget == 15 * H  # Tue 10-17 + Wed 9-17
    # a pause of 2 business hours pushes it 2 business hours into Thursday
    pauses = [(dt("2026-12-01T12:00:00-07:00"), dt("2026-12-01T14:00:00-07:00"))]
    c = compute_clock(
        STANDARD, NEXT_BUSINESS_DAY_CLOSE, START, now=dt("2026-12-02T12:00:00-07:00"), pauses=pauses
    )
    assert c.due_at == dt("2026-12-03T11:00:00-07:00")


def test_24x7_clock_across_dst() -> None:
    start = dt("2026-11-01T00:30:00-06:00")
    c = compute_clock(ALWAYS, 2 * H, start, now=start)
    assert c.due_at == dt("2026-11-01T01:30:00-07:00")  # two real hours, second 01:30


def test_zero_budget_and_now_before_start() -> None:
    c = compute_clock(STANDARD, timedelta(0), START, now=START)
    assert c.due_at == START and c.state == "running" and c.fraction_elapsed == 0.0
    c = compute_clock(STANDARD, timedelta(0), START, now=START + H)
    assert c.state == "breached"
    c = compute_clock(STANDARD, 4 * H, START, now=START - H)
    assert c.state == "running" and c.elapsed == timedelta(0)


def test_validation() -> None:
    naive = datetime(2026, 12, 1, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_clock(STANDARD, H, naive, now=START)
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_clock(STANDARD, H, START, now=START, pauses=[(naive, None)])
    with pytest.raises(ValueError, match="before it starts"):
        compute_clock(STANDARD, H, START, now=START + H, pauses=[(START + H, START)])
    with pytest.raises(ValueError, match="at_risk"):
        compute_clock(STANDARD, H, START, now=START, at_risk=0)
    with pytest.raises(ValueError, match="negative"):
        compute_clock(STANDARD, -H, START, now=START)


# ----------------------------------------------------------------------- properties

instants = st.integers(0, 14 * 24 * 60).map(lambda m: START + timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 40 * 60),
    st.lists(st.tuples(instants, st.one_of(st.none(), instants)), max_size=4),
    instants,
    st.one_of(st.none(), instants),
)
def test_clock_invariants(
    budget_min: int,
    raw: list[tuple[datetime, datetime | None]],
    now: datetime,
    stop: datetime | None,
) -> None:
    pauses = [(a, b if b is None or b >= a else a) for a, b in raw]
    budget = timedelta(minutes=budget_min)
    c = compute_clock(STANDARD, budget, START, now=now, pauses=pauses, stop=stop)
    horizon = c.stopped_at or now
    # elapsed = open time - paused open time, never negative
    assert c.elapsed == STANDARD.elapsed(START, horizon) - c.paused >= timedelta(0)
    assert c.due_at >= STANDARD.add(START, budget)
    assert c.remaining == max(budget - c.elapsed, timedelta(0))
    if c.state in ("breached", "met_late"):
        assert c.breached_at == c.due_at
    else:
        assert c.breached_at is None
    if c.state == "breached":
        assert now > c.due_at
    if c.state in ("running", "at_risk", "paused"):
        assert now <= c.due_at and c.elapsed <= budget
    # without pauses the clock is plain business-time arithmetic
    plain = compute_clock(STANDARD, budget, START, now=now, stop=stop)
    assert plain.due_at == STANDARD.add(START, budget)
