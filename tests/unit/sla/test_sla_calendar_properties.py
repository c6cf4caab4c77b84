"""Property tests: BusinessCalendar against a slow, obviously-correct minute-walking reference.

The reference implements the documented rule literally, on whole minutes:
* a window (a, b) on business day D is open over [bnd(D, a), bnd(D, b)), where bnd(D, t) is the
  first UTC minute whose local wall-clock reading is >= D + t (found by scanning minutes);
* add(s, d) walks minute by minute from s counting open minutes until d are counted;
* elapsed(s, e) counts the open minutes in [s, e).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holidays_pkg
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from supportdesk.core.sla import BusinessCalendar, HolidayCalendar

MIN = timedelta(minutes=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ZONES = [
    "America/Denver",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # DST changes at local midnight
    "UTC",
]
# Periods around 2026's DST changes in both hemispheres.
PERIODS = [
    (datetime(2026, 2, 20, tzinfo=UTC), datetime(2026, 4, 15, tzinfo=UTC)),
    (datetime(2026, 8, 25, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)),
    (datetime(2026, 11, 15, tzinfo=UTC), datetime(2027, 1, 10, tzinfo=UTC)),
]
OFFSETS = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-4))]


# ------------------------------------------------------------------------- reference


def minute(dt: datetime) -> int:
    return int((dt - EPOCH) // MIN)


def from_minute(m: int) -> datetime:
    return EPOCH + m * MIN


@cache
def ref_bnd(zone: str, d: date, tod_minutes: int) -> int:
    """First UTC minute whose wall reading in ``zone`` is >= local date d + tod (brute force)."""
    z = ZoneInfo(zone)
    target = datetime(d.year, d.month, d.day) + timedelta(minutes=tod_minutes)
    m = minute(target.replace(tzinfo=UTC)) - 15 * 60  # wall reading here is < target
    while from_minute(m).astimezone(z).replace(tzinfo=None) < target:
        m += 1
    return m


@cache
def ref_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays_pkg.country_holidays(country, years=year, observed=True))


def tod(t: time, end: bool = False) -> int:
    """Minutes after midnight; an END of time(0) means 24:00."""
    return 24 * 60 if end and t == time(0) else t.hour * 60 + t.minute


class Ref:
    def __init__(
        self, zone: str, windows: dict[int, list[tuple[time, time]]], hol: HolidayCalendar | None
    ):
        self.zone = zone
        self.windows = windows
        self.hol = hol
        self.intervals: dict[date, list[tuple[int, int]]] = {}

    def business_day(self, d: date) -> bool:
        if not self.windows.get(d.weekday()):
            return False
        if self.hol is None:
            return True
        days = set(self.hol.additions)
        if self.hol.country:
            days |= ref_holidays(self.hol.country, d.year)
        return d not in (days - self.hol.removals)

    def day_intervals(self, d: date) -> list[tuple[int, int]]:
        if d not in self.intervals:
            ivs = []
            if self.business_day(d):
                for a, b in self.windows[d.weekday()]:
                    ivs.append(
                        (ref_bnd(self.zone, d, tod(a)), ref_bnd(self.zone, d, tod(b, end=True)))
                    )
            self.intervals[d] = ivs
        return self.intervals[d]

    def open(self, m: int) -> bool:
        local = from_minute(m).astimezone(ZoneInfo(self.zone)).date()
        for d in (local - timedelta(days=1), local, local + timedelta(days=1)):
            if any(a <= m < b for a, b in self.day_intervals(d)):
                return True
        return False

    def add(self, s: int, d: int) -> int:
        m, counted = s, 0
        while counted < d:
            if self.open(m):
                counted += 1
            m += 1
        return m

    def elapsed(self, s: int, e: int) -> int:
        return sum(1 for m in range(s, e) if self.open(m))

    def next_business_day_close(self, at: int) -> int:
        d = from_minute(at).astimezone(ZoneInfo(self.zone)).date() + timedelta(days=1)
        while not self.business_day(d):
            d += timedelta(days=1)
        return ref_bnd(self.zone, d, tod(self.windows[d.weekday()][-1][1], end=True))


# ------------------------------------------------------------------------ strategies


@st.composite
def day_windows(draw: st.DrawFn) -> list[tuple[time, time]]:
    """0-2 sorted, non-overlapping windows on a 30-minute grid (end 24:00 allowed)."""
    cuts = sorted(draw(st.sets(st.integers(0, 48), min_size=0, max_size=4)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    out = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=True):
        out.append((time(a // 2, 30 * (a % 2)), time(0) if b == 48 else time(b // 2, 30 * (b % 2))))
    return out


@st.composite
def calendars(draw: st.DrawFn) -> tuple[BusinessCalendar, Ref]:
    zone = draw(st.sampled_from(ZONES))
    windows = {wd: draw(day_windows()) for wd in range(7)}
    weekly = sum(tod(b, end=True) - tod(a) for ws in windows.values() for a, b in ws)
    assume(weekly >= 6 * 60)
    hol = draw(
        st.sampled_from(
            [
                None,
                HolidayCalendar("US"),
                HolidayCalendar(
                    "US",
                    additions=frozenset({date(2026, 3, 9), date(2026, 11, 2)}),
                    removals=frozenset({date(2026, 11, 26)}),
                ),
            ]
        )
    )
    cal = BusinessCalendar(zone, {wd: ws for wd, ws in windows.items() if ws}, hol)
    return cal, Ref(zone, {wd: ws for wd, ws in windows.items() if ws}, hol)


@st.composite
def minute_instants(draw: st.DrawFn) -> int:
    lo, hi = draw(st.sampled_from(PERIODS))
    return draw(st.integers(minute(lo), minute(hi)))


def as_input(m: int, tz: timezone) -> datetime:
    return from_minute(m).astimezone(tz)


STANDARD = BusinessCalendar.weekdays(
    "America/Denver", "09:00-17:00", holidays=HolidayCalendar("US")
)
STANDARD_REF = Ref(
    "America/Denver", {wd: [(time(9), time(17))] for wd in range(5)}, HolidayCalendar("US")
)
calendars_or_standard = st.one_of(st.just((STANDARD, STANDARD_REF)), calendars())

# µs-precision instants over the whole supported span
wide_instants = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2199, 12, 1),
    timezones=st.sampled_from(OFFSETS),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12))


# ------------------------------------------------------------------- against reference


@settings(max_examples=150, deadline=None)
@given(calendars_or_standard, minute_instants(), st.integers(0, 20 * 60), st.sampled_from(OFFSETS))
def test_add_matches_reference(
    c: tuple[BusinessCalendar, Ref], s: int, d: int, tz: timezone
) -> None:
    cal, ref = c
    got = cal.add(as_input(s, tz), d * MIN)
    assert got.tzinfo is UTC
    assert minute(got) == (s if d == 0 else ref.add(s, d))


@settings(max_examples=150, deadline=None)
@given(
    calendars_or_standard,
    minute_instants(),
    st.integers(-600, 6 * 24 * 60),
    st.sampled_from(OFFSETS),
)
def test_elapsed_matches_reference(
    c: tuple[BusinessCalendar, Ref], s: int, span: int, tz: timezone
) -> None:
    cal, ref = c
    got = cal.elapsed(as_input(s, tz), as_input(s + span, tz))
    assert got == max(0, ref.elapsed(s, s + span)) * MIN


@settings(max_examples=150, deadline=None)
@given(calendars_or_standard, minute_instants(), st.sampled_from(OFFSETS))
def test_next_business_day_close_matches_reference(
    c: tuple[BusinessCalendar, Ref], at: int, tz: timezone
) -> None:
    cal, ref = c
    assert minute(cal.next_business_day_close(as_input(at, tz))) == ref.next_business_day_close(at)


@settings(max_examples=150, deadline=None)
@given(calendars_or_standard, minute_instants())
def test_is_open_and_next_open_match_reference(c: tuple[BusinessCalendar, Ref], m: int) -> None:
    cal, ref = c
    assert cal.is_open(from_minute(m)) == ref.open(m)
    nxt = m
    while not ref.open(nxt):
        nxt += 1
    assert minute(cal.next_open(from_minute(m))) == nxt


# ------------------------------------------------------------------ algebraic properties


@settings(max_examples=300, deadline=None)
@given(calendars_or_standard, wide_instants, durations)
def test_elapsed_of_add_is_duration(
    c: tuple[BusinessCalendar, Ref], s: datetime, d: timedelta
) -> None:
    cal, _ = c
    t = cal.add(s, d)
    assert t >= s
    assert cal.elapsed(s, t) == d
    if d > timedelta(0):  # earliest instant: one microsecond earlier is not enough
        assert cal.elapsed(s, t - timedelta(microseconds=1)) < d


@settings(max_examples=300, deadline=None)
@given(
    calendars_or_standard,
    wide_instants,
    st.timedeltas(timedelta(0), timedelta(days=3)),
    durations,
    durations,
)
def test_add_is_monotonic(
    c: tuple[BusinessCalendar, Ref], s: datetime, ds: timedelta, d1: timedelta, d2: timedelta
) -> None:
    cal, _ = c
    lo, hi = sorted((d1, d2))
    assert cal.add(s, lo) <= cal.add(s, hi)
    assert cal.add(s, d1) <= cal.add(s + ds, d1)


@settings(max_examples=300, deadline=None)
@given(calendars_or_standard, wide_instants, durations, durations)
def test_add_composes(
    c: tuple[BusinessCalendar, Ref], s: datetime, a: timedelta, b: timedelta
) -> None:
    cal, _ = c
    assert cal.add(cal.add(s, a), b) == cal.add(s, a + b)


@settings(max_examples=300, deadline=None)
@given(calendars_or_standard, wide_instants, st.lists(durations.map(abs), min_size=2, max_size=2))
def test_elapsed_is_additive(
    c: tuple[BusinessCalendar, Ref], a: datetime, gaps: list[timedelta]
) -> None:
    cal, _ = c
    b = a + gaps[0]
    e = b + gaps[1]
    assert cal.elapsed(a, e) == cal.elapsed(a, b) + cal.elapsed(b, e)
    assert cal.elapsed(e, a) == timedelta(0)


recent_instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2028, 1, 1),
    timezones=st.sampled_from(OFFSETS),
)


@settings(max_examples=100, deadline=None)
@given(calendars_or_standard, st.lists(recent_instants, max_size=20), durations)
def test_add_many_equals_add(
    c: tuple[BusinessCalendar, Ref], starts: list[datetime], d: timedelta
) -> None:
    cal, _ = c
    assert cal.add_many(starts, d) == [cal.add(s, d) for s in starts]


@settings(max_examples=200, deadline=None)
@given(wide_instants, durations)
def test_always_open_is_absolute_time(s: datetime, d: timedelta) -> None:
    cal = BusinessCalendar.always_open("America/Denver")
    assert cal.add(s, d) == s + d
    assert cal.elapsed(s, s + d) == d
    assert cal.is_open(s)
