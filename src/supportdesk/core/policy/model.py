"""The support policy as validated data.

A policy file (YAML) says who is served and how, which channels and response targets each tier
has, how requests are categorised, routed and checked for missing information, and which secrets
are redacted. Everything here is plain data plus small pure helpers; the triage steps read it.

Ordering is explicit wherever precedence matters: support-path rules are a list and the first
match wins; queue routes inside a category are a list and the first match wins.
"""

from __future__ import annotations

import re
import re._constants as _sre  # the parsed-pattern opcodes (stdlib)
import re._parser as _parser
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from functools import cached_property
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from supportdesk.core.sla import BusinessCalendar, HolidayCalendar, parse_window
from supportdesk.core.vocabulary import CATEGORIES, ROLES, Channel, Involvement, SupportPath

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DETECTORS = frozenset(
    {
        "always",
        "never",
        "account_name",
        "requester_tenant",
        "named_tenant",
        "customer_email",
        "our_account",
        "all_tenants",
        "date_time",
        "particular_user",
        "identified_user",
    }
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc


_ESCAPE = re.compile(r"\\.")
#: What the lower-cased fast path cannot honour: a letter spelled as an escape (``\x41``,
#: ``\u0041``, ``\N{…}``, octal), a back-reference (compared case-insensitively by the slow
#: pattern), or a group that turns case-insensitivity off (``(?-i:abc)`` must not match "ABC").
_NOT_FAST = re.compile(r"\\[xuUN0-9]|\(\?[a-zA-Z]*-")


# --- required literals: a cheap gate in front of every policy pattern -------------------------

#: At most this many strings stand for one piece of a pattern (``(a|b)(c|d)`` is 4).
_MAX_STRINGS = 64
#: Character classes up to this size are spelled out (``[ée]``, ``[1-9]``).
_MAX_CLASS = 10


class _Fold:
    """How a pattern's literals meet the text they are looked for in.

    `exact` (``fold=False``): the pattern is searched case-sensitively in the lower-cased text,
    so its literals must appear in that text as they are; a group that turns IGNORECASE on is
    not read. ``fold=True``: the pattern is searched with IGNORECASE in the text itself, and the
    gate is used only when the text is ASCII; then an ASCII literal, lower-cased, appears in
    the lower-cased text, and a non-ASCII one (which may fold to ASCII: the Kelvin sign) is not
    read.

    `lookaround`: the strings a positive look-ahead or look-behind on the pattern's way needs
    count too. They are in the text, not necessarily inside the match: right for a gate on
    "does the pattern match anywhere in this text" (`Patterns.finditer_each`), not for "the
    match holds them". Negative look-arounds are never read."""

    __slots__ = ("fold", "lookaround")

    def __init__(self, fold: bool, lookaround: bool = False) -> None:
        self.fold = fold
        self.lookaround = lookaround

    def char(self, code: int) -> str | None:
        ch = chr(code)
        if not self.fold:
            return ch
        return ch.lower() if ch.isascii() else None

    def exact_seq(self, items: list[tuple[Any, Any]]) -> set[str] | None:
        """Every string the sequence can consume (a superset), or None when there are many."""
        out = {""}
        for item in items:
            got = self.exact(item)
            if got is None:
                return None
            out = {a + b for a in out for b in got}
            if len(out) > _MAX_STRINGS:
                return None
        return out

    def exact(self, node: tuple[Any, Any]) -> set[str] | None:
        op, arg = node
        if op is _sre.LITERAL:
            ch = self.char(arg)
            return None if ch is None else {ch}
        if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
            return {""}  # zero-width: consumes nothing
        if op is _sre.IN:
            chars: set[str] = set()
            for iop, iarg in arg:
                if iop is _sre.LITERAL:
                    codes = [iarg]
                elif iop is _sre.RANGE and iarg[1] - iarg[0] < _MAX_CLASS:
                    codes = list(range(iarg[0], iarg[1] + 1))
                else:
                    return None  # negated, a category (\w, \d), a wide range
                for code in codes:
                    ch = self.char(code)
                    if ch is None:
                        return None
                    chars.add(ch)
            return chars if len(chars) <= _MAX_CLASS else None
        if op is _sre.SUBPATTERN:
            _group, add_flags, _del_flags, sub = arg
            if add_flags & re.IGNORECASE and not self.fold:
                return None
            return self.exact_seq(list(sub))
        if op is _sre.ATOMIC_GROUP:
            return self.exact_seq(list(arg))
        if op is _sre.BRANCH:
            out: set[str] = set()
            for alt in arg[1]:
                got = self.exact_seq(list(alt))
                if got is None:
                    return None
                out |= got
                if len(out) > _MAX_STRINGS:
                    return None
            return out
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            lo, hi, sub = arg
            if hi > 2:
                return None
            once = self.exact_seq(list(sub))
            if once is None:
                return None
            out, times = set(), {""}
            for k in range(hi + 1):
                if k >= lo:
                    out |= times
                times = {a + b for a in times for b in once}
                if len(out) > _MAX_STRINGS or len(times) > _MAX_STRINGS:
                    return None
            return out
        return None  # any character, a back-reference, a conditional group

    def required_seq(self, items: list[tuple[Any, Any]]) -> list[frozenset[str]]:
        """Clauses (sets of strings) such that whatever the sequence consumes contains a string
        of each clause. Runs of items with known strings are multiplied out (``inv(oice|-)``);
        other items give their own clauses."""
        clauses: list[frozenset[str]] = []
        run: set[str] = {""}

        def close(strings: set[str]) -> None:
            if "" not in strings:
                clauses.append(_minimal(strings))

        for item in items:
            got = self.exact(item)
            if got is not None:
                if self.lookaround:
                    clauses.extend(self.asserted(item))
                joined = {a + b for a in run for b in got}
                if len(joined) > _MAX_STRINGS:
                    close(run)
                    joined = got
                run = joined
                continue
            close(run)
            run = {""}
            clauses.extend(self.required(item))
        close(run)
        return sorted(set(clauses), key=_rarity)

    def asserted(self, node: tuple[Any, Any]) -> list[frozenset[str]]:
        """Clauses of the positive look-arounds a match of `node` always passes through (those
        under an optional repeat or inside one alternative are not read; `required` reads a
        node whose strings are not known, and through it the look-arounds in it)."""
        op, arg = node
        if op is _sre.ASSERT:
            _direction, sub = arg
            return self.required_seq(list(sub))
        items: list[tuple[Any, Any]]
        if op is _sre.SUBPATTERN:
            _group, add_flags, _del_flags, sub = arg
            if add_flags & re.IGNORECASE and not self.fold:
                return []
            items = list(sub)
        elif op is _sre.ATOMIC_GROUP:
            items = list(arg)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
            items = list(arg[2])
        else:
            return []
        return [c for item in items for c in self.asserted(item)]

    def required(self, node: tuple[Any, Any]) -> list[frozenset[str]]:
        op, arg = node
        if op is _sre.SUBPATTERN:
            _group, add_flags, _del_flags, sub = arg
            if add_flags & re.IGNORECASE and not self.fold:
                return []
            return self.required_seq(list(sub))
        if op is _sre.ATOMIC_GROUP:
            return self.required_seq(list(arg))
        if op is _sre.BRANCH:
            union: set[str] = set()
            for alt in arg[1]:
                got = self.required_seq(list(alt))
                if not got:
                    return []
                union |= got[0]  # the rarest clause of each alternative
            return [_minimal(union)]
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            lo, _hi, sub = arg
            return self.required_seq(list(sub)) if lo >= 1 else []
        return []


def _minimal(strings: set[str]) -> frozenset[str]:
    """The strings without those containing another one (``credit`` covers ``credits``)."""
    out: list[str] = []
    for s in sorted(strings, key=len):
        if not any(shorter in s for shorter in out):
            out.append(s)
    return frozenset(out)


def _rarity(clause: frozenset[str]) -> tuple[float, tuple[str, ...]]:
    """A rough chance that some string of the clause is in a text (short strings are common)."""
    return sum(min(1.0, 400 * 0.09 ** len(s)) for s in clause), tuple(sorted(clause))


def required_literals(
    pattern: str, fold: bool = False, lookaround: bool = False
) -> tuple[frozenset[str], ...]:
    """Sets of strings such that a match of `pattern` holds a string of each set.

    ``fold=False``: for the pattern compiled without IGNORECASE and searched in lower-cased text
    (`Matcher.fast`), the strings as they are. ``fold=True``: for the pattern compiled with
    IGNORECASE (`Matcher.slow`) and a text `foldable` (ASCII, say), the strings lower-cased, to
    be looked for in the lower-cased text. Sets holding a common one-character string (a
    letter, a space, a full stop) are left out: they gate nothing and are everywhere. An empty
    tuple: no gate. ``lookaround=True``: the sets are held by the text a match is found in (the
    strings of positive look-arounds count), not necessarily by the match itself."""
    parsed = _parser.parse(pattern, re.MULTILINE | (re.IGNORECASE if fold else 0))
    if parsed.state.flags & re.IGNORECASE and not fold:
        return ()
    clauses = _Fold(fold, lookaround).required_seq(list(parsed))
    return tuple(c for c in clauses if c and all(len(s) > 1 or _rare(s) for s in c))


#: The only non-ASCII characters that match an ASCII letter under IGNORECASE (İ ı ſ and the
#: Kelvin sign); İ is also the only character whose ``str.lower`` is longer than itself.
_FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")


def foldable(text: str) -> bool:
    """Whether a fold gate (``required_literals(..., fold=True)``) may judge `text`: where an
    IGNORECASE pattern matches `text`, its ASCII literals appear, lower-cased, at the same place
    in ``text.lower()``. True for ASCII text and for any text without İ ı ſ K."""
    return text.isascii() or _FOLDS_TO_ASCII.isdisjoint(text)


def _rare(ch: str) -> bool:
    """A character worth looking for on its own (``@``, ``$``, ``€``)."""
    return not (ch.isalnum() or ch.isspace() or ch in ".,;:!?'\"()-/_")


class _Scan:
    """One build of the literal automaton, with the answers it gave for recent texts."""

    __slots__ = ("automaton", "recent", "size")

    def __init__(self, masks: dict[str, int], size: int) -> None:
        self.size = size  # how many clauses were known at build time
        self.recent: dict[str, int] = {}
        self.automaton: Any = None
        if masks:
            automaton = ahocorasick.Automaton()
            for literal, mask in masks.items():
                automaton.add_word(literal, mask)
            automaton.make_automaton()
            self.automaton = automaton

    def found(self, low: str, remember: bool = True) -> int:
        got = self.recent.get(low)
        if got is None:
            got = 0
            if self.automaton is not None:
                for _end, mask in self.automaton.iter(low):
                    got |= mask
            if not remember:
                return got
            if len(self.recent) >= 8:
                self.recent.clear()
            self.recent[low] = got
        return got


class LiteralIndex:
    """Every gate clause of every `Matcher`, found in a text by one Aho-Corasick scan.

    A clause (a set of strings) gets a bit; the scan of a text ORs the bits of the clauses whose
    strings occur in it, once per text (the last few texts are remembered), and a matcher's gate
    is open when all its clause bits are set. Equal clauses share a bit, so loading the same
    policy again adds nothing. The automaton is rebuilt when a new clause arrives; a published
    automaton is never changed (threads may be scanning with it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clauses: dict[frozenset[str], int] = {}
        self._masks: dict[str, int] = {}
        self._scan = _Scan({}, 0)

    def gate(self, clauses: tuple[frozenset[str], ...]) -> int:
        """The bits of these clauses (registering the new ones); 0 for no gate."""
        bits = 0
        with self._lock:
            for clause in clauses:
                bit = self._clauses.get(clause)
                if bit is None:
                    bit = self._clauses[clause] = 1 << len(self._clauses)
                    for literal in clause:
                        self._masks[literal] = self._masks.get(literal, 0) | bit
                bits |= bit
        return bits

    def found(self, low: str, remember: bool = True) -> int:
        """The bits of the clauses with a string in `low` (remembered for the next few calls
        unless `remember` is false: a text seen once)."""
        scan = self._scan
        if scan.size != len(self._clauses):
            with self._lock:
                scan = self._scan
                if scan.size != len(self._clauses):
                    scan = self._scan = _Scan(dict(self._masks), len(self._clauses))
        return scan.found(low, remember)


LITERALS = LiteralIndex()


_LOWER: dict[str, str] = {}


def lower(text: str) -> str:
    """`text.lower()`, as the same string object for the last few texts: a decision reads one
    text many times, and the literal scan remembers texts by value (a string's hash is computed
    once per object)."""
    low = _LOWER.get(text)
    if low is None:
        low = text.lower()
        if len(_LOWER) >= 16:
            _LOWER.clear()
        _LOWER[text] = low
    return low


class Matcher:
    """A case-insensitive pattern, searched the fast way when it can be.

    Python's IGNORECASE matching is about twice as slow as a plain search, so a pattern with no
    upper-case literal is compiled case-sensitively and searched in the lower-cased text (when
    lower-casing keeps the length, so match positions stay valid for quotes). In front of the
    regular expression sits a gate: strings every match must contain (`required_literals`),
    looked up for all patterns at once by `LITERALS`; a text lacking them is not searched.
    """

    __slots__ = ("ascii_gate", "fast", "gate", "slow")

    def __init__(self, pattern: str) -> None:
        self.slow = _compile(pattern)
        bare = _ESCAPE.sub("", pattern)
        lowered_ok = not any(ch.isupper() for ch in bare) and not _NOT_FAST.search(pattern)
        self.fast = re.compile(pattern, re.MULTILINE) if lowered_ok else None
        #: clause bits for `fast` in the lower-cased text (0: no gate)
        self.gate = LITERALS.gate(required_literals(pattern)) if self.fast is not None else 0
        #: clause bits for `slow` when the text is ASCII (0: no gate); only `slow` with no
        #: `fast` ever meets an ASCII text (lower-casing an ASCII text keeps its length)
        self.ascii_gate = (
            LITERALS.gate(required_literals(pattern, fold=True)) if self.fast is None else 0
        )

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        low = lower(text) if lowered is None else lowered
        if self.fast is not None and len(low) == len(text):
            gate = self.gate
            if gate and LITERALS.found(low) & gate != gate:
                return None
            return self.fast.search(low)
        gate = self.ascii_gate
        if gate and text.isascii() and LITERALS.found(low) & gate != gate:
            return None
        return self.slow.search(text)


def search_each(
    matchers: Sequence[Matcher], text: str, lowered: str | None = None
) -> Iterator[tuple[int, re.Match[str]]]:
    """(index, match) for each of `matchers` that matches `text`, in order: the same answers as
    `Matcher.search` one by one, with the text scanned for literals once."""
    low = lower(text) if lowered is None else lowered
    same_length = len(low) == len(text)
    ascii_text = text.isascii()
    found = LITERALS.found(low) if same_length else 0  # (ASCII text keeps its length)
    for i, m in enumerate(matchers):
        if m.fast is not None and same_length:
            gate = m.gate
            if gate and found & gate != gate:
                continue
            got = m.fast.search(low)
        else:
            gate = m.ascii_gate
            if gate and ascii_text and found & gate != gate:
                continue
            got = m.slow.search(text)
        if got is not None:
            yield i, got


class Patterns(_Strict):
    """A list of case-insensitive regular expressions, compiled once."""

    patterns: tuple[str, ...] = ()

    @field_validator("patterns")
    @classmethod
    def _valid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for p in value:
            _compile(p)
        return value

    @cached_property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(_compile(p) for p in self.patterns)

    @cached_property
    def matchers(self) -> tuple[Matcher, ...]:
        return tuple(Matcher(p) for p in self.patterns)

    def first_match(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """The first pattern's match (positions index `text`), or None."""
        if not self.patterns:
            return None
        for _i, found in search_each(self.matchers, text, lowered):
            return found
        return None

    @cached_property
    def text_gates(self) -> tuple[int, ...]:
        """For each of `compiled`: the clause bits a `foldable` text (lower-cased) holds when
        the pattern matches anywhere in it, positive look-arounds read (0: no gate)."""
        return tuple(
            LITERALS.gate(required_literals(p, fold=True, lookaround=True)) for p in self.patterns
        )

    def finditer_each(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        """The matches of ``rx.finditer(text)`` for each of `compiled` in order, as the plain
        loop gives them; a pattern whose literals are not in the text is not run.
        `lowered`: ``text.lower()``, when the caller has it."""
        gates = self.text_gates  # first: registers the clauses the scan below must know
        found = -1  # every clause: no gate closes
        if foldable(text):
            found = LITERALS.found(lower(text) if lowered is None else lowered)
        for rx, gate in zip(self.compiled, gates, strict=True):
            if gate and found & gate != gate:
                continue
            yield from rx.finditer(text)

    def sub_each(self, repl: str, text: str) -> str:
        """`text` after ``text = rx.sub(repl, text)`` for each of `compiled` in order; a
        pattern whose literals are not in the text as it is then is not run (a substitution
        changes the text: it is scanned again)."""
        gates = self.text_gates  # first: registers the clauses the scan below must know
        found = LITERALS.found(lower(text)) if foldable(text) else -1
        for rx, gate in zip(self.compiled, gates, strict=True):
            if gate and found & gate != gate:
                continue
            text, n = rx.subn(repl, text)
            if n:
                found = LITERALS.found(text.lower(), remember=False) if foldable(text) else -1
        return text


# --- calendars and tiers ---------------------------------------------------------------------


class HolidaySpec(_Strict):
    country: str | None = None
    subdivision: str | None = None
    observed: bool = True
    add: tuple[date, ...] = ()
    remove: tuple[date, ...] = ()


class CalendarSpec(_Strict):
    zone: str
    always_open: bool = False
    windows: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    holidays: HolidaySpec | None = None

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name like America/Denver"
            ) from None
        return value

    @field_validator("windows")
    @classmethod
    def _days(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for day, spans in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
            for span in spans:
                parse_window(span)
        return value

    @model_validator(mode="after")
    def _open_somewhere(self) -> CalendarSpec:
        if not self.always_open and not any(self.windows.values()):
            raise ValueError("a calendar needs opening windows or always_open: true")
        return self

    def build(self) -> BusinessCalendar:
        if self.always_open:
            return BusinessCalendar.always_open(self.zone)
        hol = None
        if self.holidays is not None:
            hol = HolidayCalendar(
                country=self.holidays.country,
                subdivision=self.holidays.subdivision,
                observed=self.holidays.observed,
                additions=frozenset(self.holidays.add),
                removals=frozenset(self.holidays.remove),
            )
        windows = {
            WEEKDAYS.index(day): tuple(parse_window(s) for s in spans)
            for day, spans in self.windows.items()
            if spans
        }
        return BusinessCalendar(zone=self.zone, windows=windows, holidays=hol)


class Target(_Strict):
    """A response or resolution target: business hours on the tier's calendar, elapsed hours,
    or the close of the next business day."""

    business_hours: float | None = Field(default=None, gt=0)
    hours: float | None = Field(default=None, gt=0)
    next_business_day: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        chosen = [self.business_hours is not None, self.hours is not None, self.next_business_day]
        if sum(chosen) != 1:
            raise ValueError("give exactly one of business_hours, hours, next_business_day: true")
        return self

    @property
    def duration(self) -> timedelta | None:
        hours = self.business_hours if self.business_hours is not None else self.hours
        return None if hours is None else timedelta(hours=hours)

    def describe(self) -> str:
        if self.next_business_day:
            return "close of the next business day"
        if self.business_hours is not None:
            return f"{self.business_hours:g} business hours"
        return f"{self.hours:g} hours, around the clock"


SeverityKey = Literal[1, 2, 3]


class Tier(_Strict):
    label: str
    channels: tuple[Channel, ...]
    help_center_only: bool = False
    calendar: str | None = None
    early_access: bool = False
    first_response: dict[SeverityKey, Target] = Field(default_factory=dict)
    resolution: dict[SeverityKey, Target] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _sla_complete(self) -> Tier:
        if self.help_center_only:
            return self
        if self.calendar is None:
            raise ValueError("a tier with ticket support needs a calendar")
        for name, targets in (
            ("first_response", self.first_response),
            ("resolution", self.resolution),
        ):
            absent = [s for s in (1, 2, 3) if s not in targets]
            if absent:
                raise ValueError(f"{name} has no target for severity {absent}")
        return self


# --- support path ----------------------------------------------------------------------------


class PathCondition(_Strict):
    """All the given fields must hold; an empty condition always holds."""

    roles: tuple[str, ...] | None = None
    msp_involvement: tuple[Involvement, ...] | None = None
    verified: bool | None = None
    active: bool | None = None
    tiers: tuple[str, ...] | None = None

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for r in value or ():
            if r not in ROLES:
                raise ValueError(f"unknown role {r!r}; roles are {', '.join(ROLES)}")
        return value


class PathRule(_Strict):
    rule: str
    path: SupportPath
    when_any: tuple[PathCondition, ...]
    explain: str
    reply: str | None = None


# --- categories, queues, severity, checklists, secrets --------------------------------------


class Signal(_Strict):
    pattern: str
    weight: float = 1.0
    label: str | None = None

    @field_validator("pattern")
    @classmethod
    def _valid(cls, value: str) -> str:
        _compile(value)
        return value

    @cached_property
    def matcher(self) -> Matcher:
        return Matcher(self.pattern)

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        return self.matcher.search(text, lowered)


class Route(_Strict):
    queue: str
    rule: str
    when: Patterns


class CategorySpec(_Strict):
    label: str
    queue: str
    routes: tuple[Route, ...] = ()
    signals: tuple[Signal, ...] = ()
    default_severity: SeverityKey = 3


class SeverityLevel(_Strict):
    definition: str
    signals: tuple[Signal, ...] = ()


class Queue(_Strict):
    label: str
    team: str


class ChecklistItem(_Strict):
    id: str
    question: str
    required: bool = True
    #: The item is present when any pattern matches the text or any detector says so.
    patterns: Patterns = Patterns()
    detectors: tuple[str, ...] = ()
    #: Only asked when this holds (default: always).
    only_when: Patterns | None = None
    only_when_detectors: tuple[str, ...] = ()
    #: Only for these queues (default: every queue of the checklist's categories).
    queues: tuple[str, ...] | None = None
    #: Only for these categories (default: every category of the checklist).
    categories: tuple[str, ...] | None = None
    #: Not for requests whose text matches (e.g. how-to questions have no "actual behaviour").
    not_when: Patterns | None = None

    @field_validator("detectors", "only_when_detectors")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for d in value:
            if d not in DETECTORS:
                raise ValueError(f"unknown detector {d!r}; known: {', '.join(sorted(DETECTORS))}")
        return value


class Checklist(_Strict):
    id: str
    categories: tuple[str, ...]
    #: The checklist applies only when the request is about this (e.g. a tenant or customer user).
    applies_when: Patterns | None = None
    applies_when_roles: tuple[str, ...] = ()
    items: tuple[ChecklistItem, ...]


class SecretKind(_Strict):
    kind: str
    #: Regular expressions; when a pattern has a group named `secret`, only that group is redacted.
    patterns: tuple[str, ...]

    @field_validator("patterns")
    @classmethod
    def _valid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for p in value:
            re.compile(p)  # case-sensitive on purpose: key prefixes are case-sensitive
        return value

    @cached_property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.patterns)


class SentenceCut(_Strict):
    """A cut between two neighbouring sentences with no marker between them: only between a
    sentence for `support_queue` (product problems) and one for another queue (never one of
    `never_queues`), when each carries at least `min_score` policy signal points for its best
    category, `min_lead` ahead of the runner-up, and the other sentence asks something itself
    (`asks`). A billing or usage sentence that only gives context stays with the problem."""

    asks: Patterns
    support_queue: str = "support"
    never_queues: tuple[str, ...] = ()
    min_score: float = Field(default=3.0, ge=0)
    min_lead: float = Field(default=1.0, ge=0)


class ModelCut(_Strict):
    """A cut the policy signals alone cannot see: a ticket read as one request, whose text model
    is torn between two categories of different owners (the runner-up at least `torn_min`), is
    cut in two at the first sentence boundary where the sentences before it read as one of
    those owners and the sentences after it as the other (each sentence counted from
    `sentence_confidence`), each side has at least `min_words` words and, read as a whole, is
    that owner's with at least `side_confidence`. The subject never stands alone. Sentences
    and sides are read with the model's quick signals (no embedding), so the cut costs little.
    With `clauses`, a sentence is also cut where one of those patterns matches (e.g. ", and"
    before a second ask), so two asks joined inside one sentence can be told apart.
    `never_pairs` lists [first queue, second queue] orders the cut never makes (e.g. a usage
    question followed by the problem that used the credits is one usage request)."""

    torn_min: float = Field(default=0.2, gt=0, le=0.5)
    sentence_confidence: float = Field(default=0.6, ge=0, le=1)
    side_confidence: float = Field(default=0.7, ge=0, le=1)
    min_words: int = Field(default=8, ge=1)
    clauses: Patterns | None = None
    never_pairs: tuple[tuple[str, str], ...] = ()


class Boundary(_Strict):
    """A text model that reads request boundaries (`BoundaryModel`) gives, for each sentence
    after the first, how likely a new request starts there. Where the markers cut a message
    into requests for different teams and no sentence reaches `one_request_below`, the message
    stays one request; where nothing cut it, a sentence from `new_request_from` may (below).
    Sentences are cut further at `clauses` (as in `ModelCut`)."""

    one_request_below: float = Field(ge=0, le=1)
    #: A message that the markers and the other cuts read as one request is cut in two at its
    #: likeliest boundary when that reaches this probability and the two sides, each read by
    #: the model, are asks for different teams. None: the model never cuts.
    new_request_from: float | None = Field(default=None, ge=0, le=1)
    clauses: Patterns | None = None


class AskCut(_Strict):
    """A second request the markers miss because it is one sentence asking another team for an
    action: a ticket read as one request for one of `from_queues` (a product problem for the
    support queue) whose later sentences (or clauses, cut at `clauses`) ask for something
    (`asks`) that is an action of `category`'s team (`actions`: a refund, a credit on an
    invoice, a corrected invoice, a cancellation, a quote) becomes two requests: the problem,
    and those sentences as `category` (routed as usual: a quote goes to sales). The first
    sentence (where the subject sits) is never cut off, and the problem keeps at least
    `min_words` words."""

    category: str = "billing"
    from_queues: tuple[str, ...] = ("support",)
    asks: Patterns
    actions: Patterns
    clauses: Patterns | None = None
    min_words: int = Field(default=6, ge=1)
    #: A sentence that says it does not ask the action ("we're not asking for a refund") asks
    #: nothing, whatever `asks` and `actions` find in it.
    negated: Patterns | None = None


class Splitting(_Strict):
    """Where a message may hold a second request: explicit markers between asks, and (optional)
    guarded cuts between sentences that ask different teams."""

    markers: Patterns
    min_segment_chars: int = Field(default=12, ge=1)
    #: A piece counts as its own ask when the classifier gives it at least this confidence…
    min_confidence: float = Field(default=0.7, ge=0, le=1)
    #: …or its best category's policy signals reach this score.
    min_rule_score: float = Field(default=2.0, ge=0)
    #: The classifier's confidence counts only for a piece of at least this many words: a
    #: shorter one (a signature, "Sent from my iPhone", a call note's header) stands alone on
    #: the policy's signals alone. 1: every piece.
    model_min_words: int = Field(default=1, ge=1)
    #: Greetings, thanks and sign-offs: a piece that is nothing but these (and a name or two)
    #: is never a request of its own; it joins its neighbour.
    pleasantries: Patterns | None = None
    sentence_cut: SentenceCut | None = None
    #: When the markers cut a message into requests for different teams but the text model
    #: reads the whole message as more than one request with a probability below this, the
    #: message stays one request (its pieces were one ask's parts: "how do I share this app?
    #: …only 'Everyone' is offered"). None: the markers' cut stands. Needs a model that reads
    #: request counts (`RequestCountModel`); others never merge.
    one_request_below: float | None = Field(default=None, ge=0, le=1)
    #: The same brake, and a cut of its own, from a model that reads where a second request
    #: begins; None: neither.
    boundary: Boundary | None = None
    #: The last word on any cut (the markers', the model cut's, the ask cut's, the boundary
    #: cut's): when a model that checks splits (`SplitCheckModel`) gives the proposed requests a
    #: probability of really being several below this, the message stays one request. None:
    #: every cut stands; models that cannot check splits never merge.
    split_check_below: float | None = Field(default=None, ge=0, le=1)
    model_cut: ModelCut | None = None
    ask_cut: AskCut | None = None
    #: A message that opens like a call note (one of these in its first lines) is one call
    #: written down: its bulleted lines are the agent's notes, not a list of asks, and do not cut
    #: it (other markers still do).
    call_notes: Patterns | None = None


class Classification(_Strict):
    #: How much one rule point counts against the model's log-probability when they combine.
    rule_weight: float = Field(default=1.2, ge=0)
    #: The rule weight for a text that does not read as English (`text.reads_as_english`): the
    #: sentence-embedding model was trained on English, so elsewhere the policy's own
    #: signals (written in several languages) deserve more say. None: `rule_weight` everywhere.
    other_language_rule_weight: float | None = Field(default=None, ge=0)
    #: Below this model confidence (unless the rules decide) the reasons say "low confidence".
    #: A model may carry its own tuned threshold, which then wins.
    low_confidence: float = Field(default=0.55, ge=0, le=1)
    #: When no severity signal matches, the model's severity is used at or above this probability.
    severity_model_confidence: float = Field(default=0.5, ge=0, le=1)


class Escalation(_Strict):
    step: str
    notify: str
    at: Literal["at_risk", "breach", "open"]
    only_tiers: tuple[str, ...] | None = None
    only_severities: tuple[SeverityKey, ...] | None = None
    respect_hours: bool = True


# --- the policy ------------------------------------------------------------------------------


class Policy(_Strict):
    version: str
    name: str
    at_risk_fraction: float = Field(default=0.75, gt=0, lt=1)
    calendars: dict[str, CalendarSpec]
    tiers: dict[str, Tier]
    support_path: tuple[PathRule, ...]
    queues: dict[str, Queue]
    categories: dict[str, CategorySpec]
    severity: dict[SeverityKey, SeverityLevel]
    #: Severity 1-2 signals count only when the text also describes a loss (scope is not impact).
    severity_impact: Patterns
    #: A working workaround described in the text (retrying works, another way in works) makes
    #: the request severity 3 whatever its scope: the loss is partial. Optional.
    severity_workaround: Patterns | None = None
    classification: Classification = Classification()
    splitting: Splitting
    checklists: tuple[Checklist, ...]
    secrets: tuple[SecretKind, ...]
    escalation: tuple[Escalation, ...] = ()
    replies: dict[str, str] = Field(default_factory=dict)

    def _known_queues(self, who: str, queues: Iterable[str]) -> None:
        """Raise "<who> unknown queue 'x'" for the first of `queues` the policy lacks."""
        for q in queues:
            if q not in self.queues:
                raise ValueError(f"{who} unknown queue {q!r}")

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        for name, tier in self.tiers.items():
            if tier.calendar is not None and tier.calendar not in self.calendars:
                raise ValueError(f"tier {name!r} names unknown calendar {tier.calendar!r}")
        unknown = set(self.categories) ^ set(CATEGORIES)
        if unknown:
            raise ValueError(
                f"categories must be exactly {', '.join(CATEGORIES)}; differs in {sorted(unknown)}"
            )
        for cname, cat in self.categories.items():
            self._known_queues(
                f"category {cname!r} routes to", (cat.queue, *(r.queue for r in cat.routes))
            )
        for cl in self.checklists:
            for c in cl.categories:
                if c not in self.categories:
                    raise ValueError(f"checklist {cl.id!r} names unknown category {c!r}")
            for item in cl.items:
                for c in item.categories or ():
                    if c not in cl.categories:
                        raise ValueError(
                            f"checklist item {item.id!r} names category {c!r} outside its checklist"
                        )
                self._known_queues(f"checklist item {item.id!r} names", item.queues or ())
        cut = self.splitting.sentence_cut
        if cut is not None:
            self._known_queues(
                "splitting.sentence_cut names", (cut.support_queue, *cut.never_queues)
            )
        model_cut = self.splitting.model_cut
        if model_cut is not None:
            self._known_queues(
                "splitting.model_cut.never_pairs names",
                (q for pair in model_cut.never_pairs for q in pair),
            )
        ask = self.splitting.ask_cut
        if ask is not None:
            if ask.category not in self.categories:
                raise ValueError(f"splitting.ask_cut names unknown category {ask.category!r}")
            self._known_queues("splitting.ask_cut names", ask.from_queues)
        if not self.support_path:
            raise ValueError("support_path needs at least one rule")
        last = self.support_path[-1]
        if not any(c == PathCondition() for c in last.when_any):
            raise ValueError(
                f"the last support_path rule ({last.rule!r}) must match everyone "
                "(an empty condition), so every request gets a path"
            )
        for s in (1, 2, 3):
            if s not in self.severity:
                raise ValueError(f"severity {s} is not defined")
        return self

    @cached_property
    def _calendars(self) -> dict[str, BusinessCalendar]:
        return {name: spec.build() for name, spec in self.calendars.items()}

    def severity_definition(self, level: int) -> str:
        for key, spec in self.severity.items():
            if key == level:
                return spec.definition
        raise KeyError(level)

    def tier(self, name: str) -> Tier | None:
        return self.tiers.get(name)

    def calendar_for(self, tier: str) -> BusinessCalendar | None:
        t = self.tiers.get(tier)
        if t is None or t.calendar is None:
            return None
        return self._calendars[t.calendar]

    def target(
        self, tier: str, severity: int, kind: Literal["first_response", "resolution"]
    ) -> Target | None:
        t = self.tiers.get(tier)
        if t is None or t.help_center_only:
            return None
        targets = t.first_response if kind == "first_response" else t.resolution
        return targets.get(severity)  # type: ignore[call-overload]


_T = TypeVar("_T")


def per_policy(build: Callable[[Policy], _T]) -> Callable[[Policy], _T]:
    """`build(policy)` computed once per policy object, for data derived from a policy outside
    this module (a policy is immutable). The last few policies are kept; an entry holds its
    policy, so its id is not reused while cached."""
    cache: dict[int, tuple[Policy, _T]] = {}

    def get(policy: Policy) -> _T:
        entry = cache.get(id(policy))
        if entry is not None and entry[0] is policy:
            return entry[1]
        value = build(policy)
        if len(cache) >= 8:
            cache.clear()
        cache[id(policy)] = (policy, value)
        return value

    get.__doc__ = build.__doc__
    return get


_K = TypeVar("_K")


def signal_table(
    pairs: Sequence[tuple[_K, Signal]],
) -> tuple[tuple[_K, ...], tuple[Signal, ...], tuple[Matcher, ...]]:
    """(keys, signals, matchers) of `(key, signal)` pairs, in order: what `search_each` walks,
    and what each match it yields stands for."""
    return (
        tuple(key for key, _ in pairs),
        tuple(sig for _, sig in pairs),
        tuple(sig.matcher for _, sig in pairs),
    )


def prepare_matchers(policy: Policy) -> None:
    """Build every matcher of `policy` now, so the literal scan is built once for all of them
    (not again each time a decision first meets another pattern list)."""
    lists: list[Patterns | None] = [policy.severity_impact, policy.severity_workaround]
    if policy.splitting.sentence_cut is not None:
        lists.append(policy.splitting.sentence_cut.asks)
    if policy.splitting.ask_cut is not None:
        lists += [policy.splitting.ask_cut.asks, policy.splitting.ask_cut.actions]
    lists.append(policy.splitting.call_notes)
    signals = [s for cat in policy.categories.values() for s in cat.signals]
    signals += [s for level in policy.severity.values() for s in level.signals]
    for cat in policy.categories.values():
        lists += [route.when for route in cat.routes]
    for cl in policy.checklists:
        lists.append(cl.applies_when)
        for item in cl.items:
            lists += [item.patterns, item.only_when, item.not_when]
    for sig in signals:
        _ = sig.matcher
    for patterns in lists:
        if patterns is not None:
            _ = patterns.matchers
    for patterns in (policy.splitting.markers, policy.splitting.pleasantries):
        if patterns is not None:
            _ = patterns.text_gates
