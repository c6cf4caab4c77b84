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
from datetime import date, timedelta
from functools import cached_property
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


def literal_prefixes(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """Literal strings one of which every match of a parsed pattern (`re._parser.parse`) begins
    with: anchors are skipped, plain groups and alternations followed, and a run of literals is
    continued into the group or alternation right after it (``inv(oice|-)`` → ``invoice``,
    ``inv-``). None when there is no such finite set. A group that changes flags (``(?i:…)``)
    is not followed: its case rules may differ from the caller's."""
    i = 0
    while i < len(items) and items[i][0] is _sre.AT:
        i += 1
    if i == len(items):
        return None
    op, arg = items[i]
    if op is _sre.LITERAL:
        chars = []
        while i < len(items) and items[i][0] is _sre.LITERAL:
            chars.append(chr(items[i][1]))
            i += 1
        head = "".join(chars)
        follows = i < len(items) and items[i][0] in (_sre.BRANCH, _sre.SUBPATTERN)
        rest = literal_prefixes(items[i:]) if follows else None
        return tuple(head + r for r in rest) if rest else (head,)
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = arg
        return None if add_flags or del_flags else literal_prefixes(list(sub))
    if op is _sre.BRANCH:
        found: list[str] = []
        for alt in arg[1]:
            got = literal_prefixes(list(alt))
            if not got:
                return None
            found.extend(got)
        return tuple(found)
    return None


class Matcher:
    """A case-insensitive pattern, searched the fast way when it can be.

    Python's IGNORECASE matching is about twice as slow as a plain search, so a pattern with no
    upper-case literal is compiled case-sensitively and searched in the lower-cased text (when
    lower-casing keeps the length, so match positions stay valid for quotes). When every match
    must begin with one of a few literal strings (``\\b(invoice|refund)…``), a substring check
    on those skips the regular expression for texts that cannot match.
    """

    __slots__ = ("fast", "prefixes", "slow")

    def __init__(self, pattern: str) -> None:
        self.slow = _compile(pattern)
        bare = _ESCAPE.sub("", pattern)
        self.fast = None if any(ch.isupper() for ch in bare) else re.compile(pattern, re.MULTILINE)
        self.prefixes: tuple[str, ...] | None = None
        if self.fast is not None:
            found = literal_prefixes(list(_parser.parse(pattern, re.MULTILINE)))
            if found and all(found):
                self.prefixes = tuple(sorted(set(found)))

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        if self.fast is not None:
            low = text.lower() if lowered is None else lowered
            if len(low) == len(text):
                if self.prefixes is not None and not any(p in low for p in self.prefixes):
                    return None
                return self.fast.search(low)
        return self.slow.search(text)


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
        low = text.lower() if lowered is None else lowered
        for m in self.matchers:
            found = m.search(text, low)
            if found:
                return found
        return None


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


class Splitting(_Strict):
    """Where a message may hold a second request: explicit markers between asks."""

    markers: Patterns
    min_segment_chars: int = Field(default=12, ge=1)
    #: A piece counts as its own ask when the classifier gives it at least this confidence…
    min_confidence: float = Field(default=0.7, ge=0, le=1)
    #: …or its best category's policy signals reach this score.
    min_rule_score: float = Field(default=2.0, ge=0)
    #: Greetings, thanks and sign-offs: a piece that is nothing but these (and a name or two)
    #: is never a request of its own; it joins its neighbour.
    pleasantries: Patterns | None = None


class Classification(_Strict):
    #: How much one rule point counts against the model's log-probability when they combine.
    rule_weight: float = Field(default=1.2, ge=0)
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
            for q in (cat.queue, *(r.queue for r in cat.routes)):
                if q not in self.queues:
                    raise ValueError(f"category {cname!r} routes to unknown queue {q!r}")
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
                for q in item.queues or ():
                    if q not in self.queues:
                        raise ValueError(f"checklist item {item.id!r} names unknown queue {q!r}")
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
