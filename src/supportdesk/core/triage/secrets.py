"""Find secrets (passwords, keys, tokens) and replace them before anything is stored or shown.

The vendor never asks for a secret; finding one is reported by kind, never by value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from supportdesk.core.policy.model import (
    LITERALS,
    Policy,
    lower,
    per_policy,
    required_literals,
)


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: frozenset[str]


def marker(kind: str) -> str:
    return f"[redacted {kind}]"


@dataclass(frozen=True)
class Gate:
    """Strings every match of a secret pattern contains (`required_literals`), as bits of the
    shared literal scan (`LITERALS`): a text lacking them cannot match, and the regex is not run.

    For an ASCII text the strings are looked for lower-cased in the lower-cased text (the
    pattern's case-insensitive parts fold exactly there); for any other text only the
    case-sensitive parts' strings are looked for, as they are, in the text itself."""

    ascii_bits: int
    exact_bits: int

    def may_match(self, text: str, lowered: str | None) -> bool:
        """`lowered`: the lower-cased text when the text is ASCII, else None."""
        if lowered is not None:
            bits, scanned = self.ascii_bits, lowered
        else:
            bits, scanned = self.exact_bits, text
        return not bits or LITERALS.found(scanned) & bits == bits


@lru_cache(maxsize=512)
def gate(rx: re.Pattern[str]) -> Gate | None:
    """The `Gate` of a secret pattern (compiled as the policy does: case-sensitive, with
    ``(?i:...)`` groups where case does not matter); None when nothing can be looked for."""
    if rx.flags & re.IGNORECASE:
        exact: tuple[frozenset[str], ...] = ()  # the fold below covers ASCII texts only
    else:
        exact = required_literals(rx.pattern)
    g = Gate(
        LITERALS.gate(required_literals(rx.pattern, fold=True)),
        LITERALS.gate(exact),
    )
    return g if g.ascii_bits or g.exact_bits else None


#: A policy's secret patterns, flattened: (kind, pattern, gate, has a `secret` group).
_Flat = tuple[tuple[str, re.Pattern[str], Gate | None, bool], ...]


@per_policy
def patterns_of(policy: Policy) -> _Flat:
    """The policy's secret patterns with their gates, in policy order."""
    return tuple(
        (spec.kind, rx, gate(rx), "secret" in rx.groupindex)
        for spec in policy.secrets
        for rx in spec.compiled
    )


def redact(text: str, policy: Policy) -> Redaction:
    """Replace every secret the policy describes with a marker naming its kind."""
    spans: list[tuple[int, int, str]] = []
    lowered = lower(text) if text.isascii() else None
    for kind, rx, g, grouped in patterns_of(policy):
        if g is not None and not g.may_match(text, lowered):
            continue
        for m in rx.finditer(text):
            if grouped and m.group("secret") is not None:
                spans.append((m.start("secret"), m.end("secret"), kind))
            else:
                spans.append((m.start(), m.end(), kind))
    if not spans:
        return Redaction(text, frozenset())
    # Earlier specs win on overlap (a JWT inside "Bearer eyJ…" is reported once, as listed first).
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[str] = []
    kinds: set[str] = set()
    pos = 0
    for start, end, kind in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(marker(kind))
        kinds.add(kind)
        pos = end
    out.append(text[pos:])
    return Redaction("".join(out), frozenset(kinds))
