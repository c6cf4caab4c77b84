"""Golden tests for BusinessCalendar: DST, US federal holidays, weekends, offsets, edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from supportdesk.core.sla import BusinessCalendar, HolidayCalendar, parse_window

DENVER = ZoneInfo("America/Denver")
H = timedelta(hours=1)
STANDARD = BusinessCalendar.weekdays(
    "America/Denver", "09:00-17:00", holidays=HolidayCalendar("US")
)
ALWAYS = BusinessCalendar.always_open("America/Denver")


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ---------------------------------------------------------------- the cases that MUST hold


def test_friday_afternoon_plus_8_business_hours_is_monday_afternoon() -> None:
    got = STANDARD.add(dt("2026-12-04T15:00:00-07:00"), 8 * H)
    assert got == dt("2026-12-07T15:00:00-07:00")
    assert got.tzinfo is UTC


def test_next_business_day_close_tuesday_to_wednesday() -> None:
    got = STANDARD.next_business_day_close(dt("2026-12-01T11:00:00-07:00"))
    assert got == dt("2026-12-02T17:00:00-07:00")


def test_24x7_one_hour() -> None:
    assert ALWAYS.add(dt("2026-12-06T06:55:00-07:00"), H) == dt("2026-12-06T07:55:00-07:00")


# ------------------------------------------------------------------------------ edges


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # before opening: counting starts at 09:00
        ("2026-12-01T07:00:00-07:00", 1, "2026-12-01T10:00:00-07:00"),
        # after close: counting starts next morning
        ("2026-12-01T18:30:00-07:00", 1, "2026-12-02T10:00:00-07:00"),
        # exactly at close: nothing left today
        ("2026-12-01T17:00:00-07:00", 1, "2026-12-02T10:00:00-07:00"),
        # a deadline landing exactly at closing time stays at closing time
        ("2026-12-01T09:00:00-07:00", 8, "2026-12-01T17:00:00-07:00"),
        ("2026-12-01T13:00:00-07:00", 4, "2026-12-01T17:00:00-07:00"),
        ("2026-12-01T18:00:00-07:00", 8, "2026-12-02T17:00:00-07:00"),
        # weekend: Saturday submission counts from Monday 09:00
        ("2026-12-05T10:00:00-07:00", 4, "2026-12-07T13:00:00-07:00"),
        # inputs in other UTC offsets; 2026-12-01 16:00 Denver == 23:00Z == 04:30+05:30 (Dec 2)
        ("2026-12-01T23:00:00Z", 2, "2026-12-02T10:00:00-07:00"),
        ("2026-12-02T04:30:00+05:30", 2, "2026-12-02T10:00:00-07:00"),
        ("2026-12-01T19:00:00-04:00", 2, "2026-12-02T10:00:00-07:00"),
    ],
)
def test_add_edges(start: str, hours: int, due: str) -> None:
    assert STANDARD.add(dt(start), hours * H) == dt(due)


def test_zero_duration_returns_start_even_when_closed() -> None:
    start = dt("2026-12-05T10:00:00-07:00")  # Saturday
    assert STANDARD.add(start, timedelta(0)) == start


def test_is_open_is_half_open() -> None:
    assert not STANDARD.is_open(dt("2026-12-01T08:59:59-07:00"))
    assert STANDARD.is_open(dt("2026-12-01T09:00:00-07:00"))
    assert STANDARD.is_open(dt("2026-12-01T16:59:59.999999-07:00"))
    assert not STANDARD.is_open(dt("2026-12-01T17:00:00-07:00"))
    assert STANDARD.next_open(dt("2026-12-04T17:00:00-07:00")) == dt("2026-12-07T09:00:00-07:00")


def test_elapsed() -> None:
    assert (
        STANDARD.elapsed(dt("2026-12-04T15:00:00-07:00"), dt("2026-12-07T15:00:00-07:00")) == 8 * H
    )
    assert STANDARD.elapsed(
        dt("2026-12-07T15:00:00-07:00"), dt("2026-12-04T15:00:00-07:00")
    ) == timedelta(0)
    # a whole 2026 = 261 weekdays - 11 federal holidays (all on weekdays, observed)
    assert (
        STANDARD.elapsed(dt("2026-01-01T00:00:00-07:00"), dt("2027-01-01T00:00:00-07:00"))
        == 250 * 8 * H
    )


# ------------------------------------------------------------------------------ DST


def test_standard_calendar_across_spring_forward() -> None:
    # Fri 2026-03-06 16:00 MST + 2h -> Mon 2026-03-09 10:00 MDT (= 16:00Z, not 17:00Z)
    got = STANDARD.add(dt("2026-03-06T16:00:00-07:00"), 2 * H)
    assert got == dt("2026-03-09T10:00:00-06:00")
    assert got == dt("2026-03-09T16:00:00Z")


def test_standard_calendar_across_fall_back() -> None:
    got = STANDARD.add(dt("2026-10-30T16:00:00-06:00"), 2 * H)
    assert got == dt("2026-11-02T10:00:00-07:00")
    assert (
        STANDARD.elapsed(dt("2026-10-30T09:00:00-06:00"), dt("2026-11-02T17:00:00-07:00")) == 16 * H
    )


def test_24x7_across_dst_is_absolute_time() -> None:
    # spring forward: 01:30 MST + 1h = 03:30 MDT (wall clock skips 02:00-03:00)
    assert ALWAYS.add(dt("2026-03-08T01:30:00-07:00"), H) == dt("2026-03-08T03:30:00-06:00")
    # fall back: 01:30 MDT + 1h = 01:30 MST
    assert ALWAYS.add(dt("2026-11-01T01:30:00-06:00"), H) == dt("2026-11-01T01:30:00-07:00")
    local_day = ALWAYS.elapsed(
        datetime(2026, 3, 8, tzinfo=DENVER), datetime(2026, 3, 9, tzinfo=DENVER)
    )
    assert local_day == 23 * H
    local_day = ALWAYS.elapsed(
        datetime(2026, 11, 1, tzinfo=DENVER), datetime(2026, 11, 2, tzinfo=DENVER)
    )
    assert local_day == 25 * H


def test_window_over_the_skipped_hour_is_shorter() -> None:
    cal = BusinessCalendar("America/Denver", {6: ["01:00-04:00"]})  # Sundays
    day = (datetime(2026, 3, 8, tzinfo=DENVER), datetime(2026, 3, 9, tzinfo=DENVER))
    assert cal.elapsed(*day) == 2 * H
    # 02:30 does not exist: a window starting then opens at the transition (03:00 MDT)
    cal = BusinessCalendar("America/Denver", {6: ["02:30-05:00"]})
    assert cal.next_open(day[0]) == dt("2026-03-08T03:00:00-06:00")
    # a window entirely inside the gap has no real time that day
    cal = BusinessCalendar("America/Denver", {6: ["02:10-02:50", "12:00-13:00"]})
    assert cal.elapsed(*day) == H


def test_window_over_the_repeated_hour_is_longer() -> None:
    cal = BusinessCalendar("America/Denver", {6: ["00:00-03:00"]})
    day = (datetime(2026, 11, 1, tzinfo=DENVER), datetime(2026, 11, 2, tzinfo=DENVER))
    assert cal.elapsed(*day) == 4 * H
    # a boundary inside the repeated hour means its first occurrence (MDT)
    cal = BusinessCalendar("America/Denver", {6: ["01:30-03:00"]})
    assert cal.next_open(day[0]) == dt("2026-11-01T01:30:00-06:00")
    assert cal.elapsed(*day) == timedelta(hours=2, minutes=30)


# ---------------------------------------------------------------------------- holidays


@pytest.mark.parametrize(
    "holiday",
    [
        date(2026, 1, 1),
        date(2026, 1, 19),  # MLK
        date(2026, 6, 19),  # Juneteenth
        date(2026, 7, 3),  # Friday, observed for Saturday July 4th
        date(2026, 11, 11),
        date(2026, 11, 26),  # Thanksgiving
        date(2026, 12, 25),
        date(2027, 12, 24),  # Friday, observed for Saturday Christmas 2027
        date(2027, 12, 31),  # Friday, observed for Saturday New Year 2028
    ],
)
def test_us_federal_holidays_are_closed(holiday: date) -> None:
    assert HolidayCalendar("US").is_holiday(holiday)
    assert not STANDARD.is_business_day(holiday)
    assert not STANDARD.is_open(datetime.combine(holiday, time(12), DENVER))


def test_observed_false_keeps_only_actual_dates() -> None:
    cal = HolidayCalendar("US", observed=False)
    assert date(2026, 7, 4) in cal.dates(2026)
    assert date(2026, 7, 3) not in cal.dates(2026)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Thu July 2 16:00 + 2h: Fri 3rd is observed Independence Day -> Mon 6th 10:00
        ("2026-07-02T16:00:00-06:00", 2, "2026-07-06T10:00:00-06:00"),
        # Wed before Thanksgiving 16:00 + 2h -> Fri 27th 10:00
        ("2026-11-25T16:00:00-07:00", 2, "2026-11-27T10:00:00-07:00"),
        # Christmas Eve 2026 is a Thursday (open), Christmas Friday closed
        ("2026-12-24T16:00:00-07:00", 2, "2026-12-28T10:00:00-07:00"),
        # 2027: Thu Dec 23 16:00 + 2h; Fri 24th observed -> Mon 27th 10:00
        ("2027-12-23T16:00:00-07:00", 2, "2027-12-27T10:00:00-07:00"),
    ],
)
def test_add_skips_holidays(start: str, hours: int, due: str) -> None:
    assert STANDARD.add(dt(start), hours * H) == dt(due)


def test_next_business_day_close_skips_weekends_and_holidays() -> None:
    nbd = STANDARD.next_business_day_close
    assert nbd(dt("2026-12-04T11:00:00-07:00")) == dt("2026-12-07T17:00:00-07:00")  # Fri -> Mon
    assert nbd(dt("2026-12-05T11:00:00-07:00")) == dt("2026-12-07T17:00:00-07:00")  # Sat -> Mon
    assert nbd(dt("2026-11-25T08:00:00-07:00")) == dt("2026-11-27T17:00:00-07:00")  # Thanksgiving
    assert nbd(dt("2026-07-02T20:00:00-06:00")) == dt("2026-07-06T17:00:00-06:00")
    # the LOCAL date counts: 2026-12-02T05:00Z is still Dec 1 in Denver
    assert nbd(dt("2026-12-02T05:00:00Z")) == dt("2026-12-02T17:00:00-07:00")
    assert nbd(dt("2026-12-02T10:30:00+05:30")) == dt("2026-12-02T17:00:00-07:00")
    # across the spring-forward weekend
    assert nbd(dt("2026-03-06T12:00:00-07:00")) == dt("2026-03-09T17:00:00-06:00")


def test_next_business_day_close_24x7_is_end_of_next_local_day() -> None:
    assert ALWAYS.next_business_day_close(dt("2026-12-25T11:00:00-07:00")) == dt(
        "2026-12-27T00:00:00-07:00"
    )


def test_holiday_additions_and_removals() -> None:
    hol = HolidayCalendar(
        "US", additions=frozenset({date(2026, 12, 24)}), removals=frozenset({date(2026, 11, 11)})
    )
    cal = BusinessCalendar.weekdays("America/Denver", "09:00-17:00", holidays=hol)
    assert not cal.is_business_day(date(2026, 12, 24))
    assert cal.is_business_day(date(2026, 11, 11))
    assert cal.add(dt("2026-12-23T16:00:00-07:00"), 2 * H) == dt("2026-12-28T10:00:00-07:00")
    assert cal.add(dt("2026-11-10T16:00:00-07:00"), 2 * H) == dt("2026-11-11T10:00:00-07:00")
    only_extra = HolidayCalendar(additions=frozenset({date(2026, 5, 5)}))
    assert only_extra.dates(2026) == frozenset({date(2026, 5, 5)})


def test_years_1970_and_2200() -> None:
    assert STANDARD.add(dt("1970-01-01T16:00:00-07:00"), 8 * H) == dt("1970-01-02T17:00:00-07:00")
    got = STANDARD.add(dt("2200-06-02T10:00:00-06:00"), 8 * H)
    assert got == dt("2200-06-03T10:00:00-06:00")
    # one long elapsed across the whole range is consistent with add
    s, e = dt("1970-01-01T00:00:00Z"), dt("2200-12-31T00:00:00Z")
    assert STANDARD.add(s, STANDARD.elapsed(s, e)) <= e


# ------------------------------------------------------------------------ validation


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 12, 1, 10)
    aware = naive.replace(tzinfo=UTC)
    for call in (
        lambda: STANDARD.add(naive, H),
        lambda: STANDARD.elapsed(naive, aware),
        lambda: STANDARD.elapsed(aware, naive),
        lambda: STANDARD.is_open(naive),
        lambda: STANDARD.next_open(naive),
        lambda: STANDARD.next_business_day_close(naive),
        lambda: STANDARD.add_many([aware, naive], H),
        lambda: ALWAYS.add(naive, H),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar.weekdays("Mars/Olympus_Mons", "09:00-17:00")
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar("UTC", {0: ["09:00-12:00", "11:00-13:00"]})
    with pytest.raises(ValueError, match="before its end"):
        BusinessCalendar("UTC", {0: [(time(17), time(9))]})
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar("UTC", {7: ["09:00-17:00"]})
    with pytest.raises(ValueError, match="at least one"):
        BusinessCalendar("UTC", {})
    with pytest.raises(ValueError, match="HH:MM"):
        parse_window("9am-5pm")
    with pytest.raises(ValueError, match="negative"):
        STANDARD.add(dt("2026-12-01T10:00:00Z"), -H)
    with pytest.raises(ValueError, match="unknown holiday country"):
        HolidayCalendar("XX")
    with pytest.raises(ValueError, match="naive"):
        BusinessCalendar("UTC", {0: [(time(9, tzinfo=UTC), time(17))]})


def test_parse_window_and_end_of_day() -> None:
    assert parse_window("09:00-17:00") == (time(9), time(17))
    assert parse_window("00:00-24:00") == (time(0), time(0))
    cal = BusinessCalendar("America/Denver", {4: ["18:00-24:00"], 5: ["00:00-02:00"]})
    # Friday 23:00 + 2h runs through midnight without a gap
    assert cal.add(dt("2026-12-04T23:00:00-07:00"), 2 * H) == dt("2026-12-05T01:00:00-07:00")


def test_calendars_are_values() -> None:
    a = BusinessCalendar.weekdays("America/Denver", "09:00-17:00", holidays=HolidayCalendar("US"))
    assert a == STANDARD and hash(a) == hash(STANDARD)
    assert BusinessCalendar("America/Denver", {d: ["00:00-24:00"] for d in range(7)}) != ALWAYS
    with pytest.raises(TypeError):
        a.windows[5] = ()  # type: ignore[index]


def test_other_offsets_same_instant_same_answer() -> None:
    instant = dt("2026-12-01T16:30:00-07:00")
    for tz in (
        UTC,
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=-4)),
        DENVER,
    ):
        assert STANDARD.add(instant.astimezone(tz), 3 * H) == dt("2026-12-02T11:30:00-07:00")
