"""Business calendars: opening windows in an IANA zone, holidays, and business-time arithmetic.

Pure code: stdlib + ``holidays`` only, never reads the clock. Every instant passed in must be
timezone-aware (a naive datetime raises ``ValueError``); every instant returned is an aware UTC
datetime.

Internally all arithmetic is done on integer microseconds since the Unix epoch (UTC), never on
local wall time. Wall-clock windows are converted to UTC once per local date and stored, per
calendar year, in a sorted table of open intervals with cumulative open time, so ``add`` and
``elapsed`` are two ``bisect`` calls each. See ``docs/sla.md`` for the semantics.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as _holidays_pkg

__all__ = [
    "BusinessCalendar",
    "HolidayCalendar",
    "Window",
    "parse_window",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)
_DAY_US: Final = 86_400_000_000
_ZERO: Final = timedelta(0)
# Years for which the interval table may be built. A few years of margin are kept inside
# datetime's range so that conversions near the limits never overflow.
_MIN_YEAR: Final = 2
_MAX_YEAR: Final = 9997
# A next-business-day search gives up after this many days (a calendar whose every weekday
# is a holiday for ten years is a configuration error, not a deadline).
_MAX_SCAN_DAYS: Final = 3700

Window = tuple[time, time]
"""A wall-clock opening window ``(start, end)``; ``end == time(0)`` means 24:00 (end of day)."""

_WINDOW_RE: Final = re.compile(
    r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*-\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$"
)


def _naive_error(value: object, name: str) -> Exception:
    if isinstance(value, datetime):
        return ValueError(
            f"{name} must be a timezone-aware datetime, got naive {value.isoformat()!r}; "
            "attach a tzinfo (e.g. timezone.utc or ZoneInfo(...))"
        )
    return TypeError(f"{name} must be a datetime, got {type(value).__name__}")


def to_epoch_us(value: datetime, name: str = "datetime") -> int:
    """Integer microseconds since the Unix epoch of an aware datetime (naive -> ValueError)."""
    try:
        return (value - _EPOCH) // _US
    except TypeError:
        raise _naive_error(value, name) from None


def from_epoch_us(us: int) -> datetime:
    """The aware UTC datetime of integer microseconds since the Unix epoch."""
    return _EPOCH + timedelta(0, 0, us)


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
    us = duration // _US
    if us < 0:
        raise ValueError(f"duration must not be negative, got {duration}")
    return us


def parse_window(text: str) -> Window:
    """Parse ``"HH:MM-HH:MM"`` (seconds optional) into a window; ``"24:00"`` is allowed as end.

    >>> parse_window("09:00-17:00")
    (datetime.time(9, 0), datetime.time(17, 0))
    >>> parse_window("00:00-24:00")
    (datetime.time(0, 0), datetime.time(0, 0))
    """
    m = _WINDOW_RE.match(text)
    if m is None:
        raise ValueError(f"window must look like 'HH:MM-HH:MM', got {text!r}")
    sh, sm, ss, eh, em, es = (int(g) if g else 0 for g in m.groups())
    if sh > 23 or sm > 59 or ss > 59:
        raise ValueError(f"invalid window start in {text!r}")
    if (eh, em, es) == (24, 0, 0):
        end = time(0)
    elif eh > 23 or em > 59 or es > 59:
        raise ValueError(f"invalid window end in {text!r} (use 24:00 for end of day)")
    else:
        end = time(eh, em, es)
    return _check_window((time(sh, sm, ss), end))


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _check_window(w: Window) -> Window:
    start, end = w
    if not isinstance(start, time) or not isinstance(end, time):
        raise TypeError(f"a window is a pair of datetime.time, got {w!r}")
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError(f"window times are wall-clock times and must be naive, got {w!r}")
    end_us = _DAY_US if end == time(0) else _time_us(end)
    if _time_us(start) >= end_us:
        raise ValueError(f"window start must be before its end (time(0) as end = 24:00), got {w!r}")
    return (start.replace(fold=0), end.replace(fold=0))


# --------------------------------------------------------------------------------- holidays


@lru_cache(maxsize=4096)
def _package_dates(
    country: str, subdivision: str | None, observed: bool, year: int
) -> frozenset[date]:
    cal = _holidays_pkg.country_holidays(country, subdiv=subdivision, years=year, observed=observed)
    return frozenset(d for d in cal if d.year == year)


@dataclass(frozen=True)
class HolidayCalendar:
    """Holidays from the ``holidays`` package (public holidays of ``country``/``subdivision``),
    plus ``additions`` minus ``removals``.

    With ``observed=True`` the observed dates are included as well as the actual ones (for
    ``"US"``: the federal holidays, with a Saturday holiday also observed on the Friday and a
    Sunday holiday on the Monday). Years outside the package's data range (US: up to 2100) have
    no package holidays; only ``additions`` apply there. ``country=None`` means additions only.
    """

    country: str | None = None
    subdivision: str | None = None
    observed: bool = True
    additions: frozenset[date] = frozenset()
    removals: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "additions", frozenset(self.additions))
        object.__setattr__(self, "removals", frozenset(self.removals))
        for d in self.additions | self.removals:
            if not isinstance(d, date) or isinstance(d, datetime):
                raise TypeError(f"holiday additions/removals must be dates, got {d!r}")
        if self.country is None:
            if self.subdivision is not None:
                raise ValueError("a holiday subdivision needs a country")
            return
        try:
            _holidays_pkg.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError:
            raise ValueError(f"unknown holiday country {self.country!r}") from None
        except Exception as exc:  # the package raises various errors for bad subdivisions
            raise ValueError(
                f"invalid holiday subdivision {self.subdivision!r} for {self.country!r}: {exc}"
            ) from None

    def dates(self, year: int) -> frozenset[date]:
        """All holiday dates in ``year`` (cached per country/subdivision/observed/year)."""
        base = (
            _package_dates(self.country, self.subdivision, self.observed, year)
            if self.country is not None
            else frozenset()
        )
        extra = frozenset(d for d in self.additions if d.year == year)
        return (base | extra) - self.removals

    def is_holiday(self, d: date) -> bool:
        """Whether the (local) date ``d`` is a holiday."""
        if isinstance(d, datetime):
            raise TypeError("is_holiday takes a date (the local date), not a datetime")
        return d in self.dates(d.year)


# -------------------------------------------------------------------------- interval table


@dataclass(frozen=True)
class _Table:
    """Immutable snapshot of the open intervals for local years ``first..last`` inclusive.

    ``lo``/``hi``: the UTC range the table is complete for (first instant of local Jan 1 of
    ``first`` / of ``last + 1``). ``cum[i]`` is open time before interval ``i``;
    ``cum_end[i] = cum[i] + ends[i] - starts[i]``.
    """

    first: int
    last: int
    lo: int
    hi: int
    starts: list[int] = field(repr=False)
    ends: list[int] = field(repr=False)
    cum: list[int] = field(repr=False)
    cum_end: list[int] = field(repr=False)


class BusinessCalendar:
    """Opening windows (wall clock, per weekday 0=Mon..6=Sun) in an IANA zone, minus holidays.

    The configuration is immutable; the only mutable state is a private, lazily built cache of
    open intervals (extended per calendar year in either direction), so a calendar can be shared.
    """

    __slots__ = (
        "_always",
        "_holidays",
        "_key",
        "_nbd",
        "_t",
        "_tz",
        "_win_us",
        "_windows",
        "_blocks",
        "_zone",
    )

    def __init__(
        self,
        zone: str,
        windows: Mapping[int, Iterable[Window | str]],
        holidays: HolidayCalendar | None = None,
    ) -> None:
        self._zone = zone
        self._tz = _zone(zone)
        if holidays is not None and not isinstance(holidays, HolidayCalendar):
            raise TypeError("holidays must be a HolidayCalendar or None")
        self._holidays = holidays
        norm: dict[int, tuple[Window, ...]] = {}
        for wd, ws in windows.items():
            if not isinstance(wd, int) or not 0 <= wd <= 6:
                raise ValueError(f"weekday keys must be 0 (Monday) .. 6 (Sunday), got {wd!r}")
            parsed = sorted(
                (parse_window(w) if isinstance(w, str) else _check_window(tuple(w)))  # type: ignore[arg-type]
                for w in ws
            )
            for (_, prev_end), (nxt_start, _) in zip(parsed, parsed[1:], strict=False):
                if prev_end == time(0) or _time_us(prev_end) > _time_us(nxt_start):
                    raise ValueError(f"windows for weekday {wd} overlap: {parsed!r}")
            if parsed:
                norm[wd] = tuple(parsed)
        if not norm:
            raise ValueError("a business calendar needs at least one opening window")
        self._windows = MappingProxyType(dict(sorted(norm.items())))
        self._win_us: dict[int, tuple[tuple[int, int], ...]] = {
            wd: tuple((_time_us(a), _DAY_US if b == time(0) else _time_us(b)) for a, b in ws)
            for wd, ws in norm.items()
        }
        self._always = False
        self._key: tuple[object, ...] = (zone, tuple(self._windows.items()), holidays)
        self._blocks: dict[int, list[tuple[int, int]]] = {}
        self._t: _Table | None = None
        self._nbd: dict[int, int] = {}

    @classmethod
    def always_open(cls, zone: str = "UTC") -> BusinessCalendar:
        """A 24x7x365 calendar: business time is elapsed absolute time, holidays ignored.

        ``zone`` only matters for ``next_business_day_close`` (the next local midnight + 1 day).
        """
        cal = cls(zone, {wd: [(time(0), time(0))] for wd in range(7)})
        cal._always = True
        cal._key = (zone, "24x7", None)
        return cal

    @classmethod
    def weekdays(
        cls, zone: str, *windows: Window | str, holidays: HolidayCalendar | None = None
    ) -> BusinessCalendar:
        """Same windows Monday to Friday, e.g. ``weekdays("America/Denver", "09:00-17:00")``."""
        return cls(zone, {wd: windows for wd in range(5)}, holidays)

    # ------------------------------------------------------------------ configuration

    @property
    def zone(self) -> str:
        return self._zone

    @property
    def tzinfo(self) -> ZoneInfo:
        return self._tz

    @property
    def windows(self) -> Mapping[int, tuple[Window, ...]]:
        return self._windows

    @property
    def holidays(self) -> HolidayCalendar | None:
        return self._holidays

    @property
    def is_always_open(self) -> bool:
        return self._always

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __repr__(self) -> str:
        if self._always:
            return f"BusinessCalendar.always_open({self._zone!r})"
        wins = {
            wd: [f"{a:%H:%M:%S}-{'24:00:00' if b == time(0) else f'{b:%H:%M:%S}'}" for a, b in ws]
            for wd, ws in self._windows.items()
        }
        return f"BusinessCalendar({self._zone!r}, {wins!r}, holidays={self._holidays!r})"

    def is_business_day(self, d: date) -> bool:
        """A weekday that has windows and is not a holiday (always true for 24x7)."""
        if self._always:
            return True
        if d.weekday() not in self._win_us:
            return False
        return self._holidays is None or not self._holidays.is_holiday(d)

    # ------------------------------------------------------------------ queries

    def is_open(self, at: datetime) -> bool:
        """Whether the calendar is open at ``at`` (windows are half-open: [open, close))."""
        x = to_epoch_us(at, "at")
        if self._always:
            return True
        t = self._cover(x, x)
        i = bisect_right(t.ends, x)
        return i < len(t.starts) and t.starts[i] <= x

    def next_open(self, at: datetime) -> datetime:
        """The earliest instant >= ``at`` at which the calendar is open."""
        x = to_epoch_us(at, "at")
        if self._always:
            return from_epoch_us(x)
        while True:
            t = self._cover(x, x)
            i = bisect_right(t.ends, x)
            if i < len(t.starts):
                return from_epoch_us(max(x, t.starts[i]))
            self._extend_forward()

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with exactly ``duration`` of open time in [start, t].

        A deadline landing exactly at closing time is that closing time; a start outside hours
        starts counting at the next opening; a zero duration returns ``start`` (in UTC).
        """
        try:
            s = (start - _EPOCH) // _US
        except TypeError:
            raise _naive_error(start, "start") from None
        try:
            d = duration // _US
        except TypeError:
            raise TypeError(
                f"duration must be a timedelta, got {type(duration).__name__}"
            ) from None
        if d <= 0:
            if d < 0:
                raise ValueError(f"duration must not be negative, got {duration}")
            return _EPOCH + timedelta(0, 0, s)
        if self._always:
            return _EPOCH + timedelta(0, 0, s + d)
        t = self._t
        if t is not None and t.lo <= s:  # fast path: inlined _add_us on the current table
            ends = t.ends
            i = bisect_right(ends, s)
            if i < len(ends):
                cum = t.cum
                st = t.starts[i]
                target = (cum[i] + s - st if s > st else cum[i]) + d
                if target <= t.cum_end[-1]:
                    j = bisect_left(t.cum_end, target, i)
                    return _EPOCH + timedelta(0, 0, t.starts[j] + target - cum[j])
        return _EPOCH + timedelta(0, 0, self._add_us(s, d))

    def add_many(self, starts: Iterable[datetime], duration: timedelta) -> list[datetime]:
        """``[add(s, duration) for s in starts]``, amortising the per-call conversions."""
        d = _duration_us(duration)
        epoch, us, td = _EPOCH, _US, timedelta
        try:
            xs = [(s - epoch) // us for s in starts]
        except TypeError:
            for i, s in enumerate(starts):
                to_epoch_us(s, f"starts[{i}]")
            raise
        if d == 0 or self._always:
            return [epoch + td(0, 0, x + d) for x in xs]
        if not xs:
            return []
        t = self._cover(min(xs), max(xs))
        starts_l, ends, cum, cum_end = t.starts, t.ends, t.cum, t.cum_end
        n = len(starts_l)
        last = cum_end[-1] if n else -1
        out: list[datetime] = []
        append = out.append
        for x in xs:
            i = bisect_right(ends, x)
            if i < n:
                st = starts_l[i]
                target = (cum[i] + x - st if x > st else cum[i]) + d
                if target <= last:
                    j = bisect_left(cum_end, target, i)
                    append(epoch + td(0, 0, starts_l[j] + target - cum[j]))
                    continue
            append(epoch + td(0, 0, self._add_us(x, d)))
        return out

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open business time between two instants (zero if ``end <= start``)."""
        s = to_epoch_us(start, "start")
        e = to_epoch_us(end, "end")
        if e <= s:
            return _ZERO
        if self._always:
            return timedelta(0, 0, e - s)
        return timedelta(0, 0, self._elapsed_us(s, e))

    def next_business_day_close(self, at: datetime) -> datetime:
        """Close (end of the last window) of the first business day strictly after the local
        date of ``at`` in this calendar's zone. For 24x7 calendars: local midnight ending the
        next day."""
        x = to_epoch_us(at, "at")
        ordinal = (_EPOCH + timedelta(0, 0, x)).astimezone(self._tz).toordinal()
        close = self._nbd.get(ordinal)
        if close is None:
            close = self._compute_nbd(ordinal)
            self._nbd[ordinal] = close
        return _EPOCH + timedelta(0, 0, close)

    # ------------------------------------------------------------------ internals (µs)

    def _add_us(self, s: int, d: int) -> int:
        while True:
            t = self._cover(s, s)
            ends = t.ends
            i = bisect_right(ends, s)
            if i < len(ends):
                st = t.starts[i]
                target = (t.cum[i] + s - st if s > st else t.cum[i]) + d
                if target <= t.cum_end[-1]:
                    j = bisect_left(t.cum_end, target, i)
                    return t.starts[j] + target - t.cum[j]
            self._extend_forward()

    def _elapsed_us(self, s: int, e: int) -> int:
        t = self._cover(s, e)
        return self._pos(t, e) - self._pos(t, s)

    @staticmethod
    def _pos(t: _Table, x: int) -> int:
        """Open time in the table before instant ``x`` (requires lo <= x < hi)."""
        i = bisect_right(t.ends, x)
        if i == len(t.ends):
            return t.cum_end[-1] if i else 0
        st = t.starts[i]
        return t.cum[i] + x - st if x > st else t.cum[i]

    def _cover(self, lo: int, hi: int) -> _Table:
        """A table complete for every instant in [lo, hi]."""
        t = self._t
        if t is not None and t.lo <= lo and hi < t.hi:
            return t
        y_lo = (_EPOCH + timedelta(0, 0, lo)).year - 1
        y_hi = (_EPOCH + timedelta(0, 0, hi)).year + 1
        if t is not None:
            y_lo, y_hi = min(y_lo, t.first), max(y_hi, t.last)
        return self._build(y_lo, y_hi)

    def _extend_forward(self) -> None:
        t = self._t
        assert t is not None
        span = max(1, min(10, t.last - t.first + 1))
        self._build(t.first, t.last + span)

    def _build(self, first: int, last: int) -> _Table:
        if first < _MIN_YEAR or last > _MAX_YEAR:
            raise ValueError(
                f"business-time arithmetic is supported for years {_MIN_YEAR + 1}.."
                f"{_MAX_YEAR - 1} only"
            )
        starts: list[int] = []
        ends: list[int] = []
        for year in range(first, last + 1):
            block = self._blocks.get(year)
            if block is None:
                block = self._year_intervals(year)
                self._blocks[year] = block
            for a, b in block:
                if ends and ends[-1] >= a:  # touching (midnight-spanning) intervals merge
                    ends[-1] = max(ends[-1], b)
                else:
                    starts.append(a)
                    ends.append(b)
        lengths = [b - a for a, b in zip(starts, ends, strict=True)]
        cum_end = list(accumulate(lengths))
        cum = [c - n for c, n in zip(cum_end, lengths, strict=True)]
        t = _Table(
            first=first,
            last=last,
            lo=_wall_us(date(first, 1, 1), 0, self._tz),
            hi=_wall_us(date(last + 1, 1, 1), 0, self._tz),
            starts=starts,
            ends=ends,
            cum=cum,
            cum_end=cum_end,
        )
        self._t = t
        return t

    def _year_intervals(self, year: int) -> list[tuple[int, int]]:
        hol = self._holidays.dates(year) if self._holidays is not None else frozenset()
        out: list[tuple[int, int]] = []
        tz = self._tz
        win = self._win_us
        d = date(year, 1, 1)
        one = timedelta(days=1)
        while d.year == year:
            ws = win.get(d.weekday())
            if ws is not None and d not in hol:
                for a, b in ws:
                    ua = _wall_us(d, a, tz)
                    ub = _wall_us(d, b, tz)
                    if ub > ua:  # a window entirely inside a DST gap has no real time
                        out.append((ua, ub))
            d += one
        return out

    def _compute_nbd(self, ordinal: int) -> int:
        d = date.fromordinal(ordinal)
        one = timedelta(days=1)
        for _ in range(_MAX_SCAN_DAYS):
            d += one
            if self.is_business_day(d):
                end = self._win_us[d.weekday()][-1][1]
                return _wall_us(d, end, self._tz)
        raise ValueError(f"no business day within {_MAX_SCAN_DAYS} days after {d}")


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"zone must be an IANA time zone name, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'America/Denver' or 'UTC'"
        ) from None


def _wall_us(d: date, tod_us: int, tz: ZoneInfo) -> int:
    """First real instant (µs since epoch) at which the wall clock in ``tz`` reads >= the local
    date ``d`` + ``tod_us`` (0 <= tod_us <= 24h; 24h means the next date's 00:00).

    Repeated wall times (DST ends) resolve to their first occurrence (fold=0); wall times that
    do not exist (DST starts) resolve to the transition instant, the first instant after the gap.
    """
    naive = datetime(d.year, d.month, d.day) + timedelta(0, 0, tod_us)
    aware = naive.replace(tzinfo=tz)
    off0 = aware.utcoffset()
    off1 = aware.replace(fold=1).utcoffset()
    u = (aware - _EPOCH) // _US
    if off0 is None or off1 is None or off0 >= off1:
        return u  # unambiguous, or repeated (fold=0 is the earlier occurrence)
    # In a gap: fold=0 (pre-transition offset) lands after the transition, fold=1 before it.
    lo = (aware.replace(fold=1) - _EPOCH) // _US
    hi = u
    while hi - lo > 1:
        mid = (lo + hi) // 2
        wall = (_EPOCH + timedelta(0, 0, mid)).astimezone(tz).replace(tzinfo=None)
        if wall >= naive:
            hi = mid
        else:
            lo = mid
    return hi
