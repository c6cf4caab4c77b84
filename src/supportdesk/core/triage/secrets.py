"""Find secrets (passwords, keys, tokens) and replace them before anything is stored or shown.

The vendor never asks for a secret; finding one is reported by kind, never by value.
"""

from __future__ import annotations

import re
import re._constants as _sre  # the parsed-pattern opcodes (stdlib)
import re._parser as _parser
from dataclasses import dataclass
from functools import lru_cache

from supportdesk.core.policy.model import Policy, literal_prefixes


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: frozenset[str]


def marker(kind: str) -> str:
    return f"[redacted {kind}]"


@dataclass(frozen=True)
class Gate:
    """Literal strings one of which every match of a pattern contains (most often: starts
    with): a text containing none of them cannot match, and the regex is not run on it."""

    literals: tuple[str, ...]
    ignore_case: bool

    def may_match(self, text: str, lowered: str | None) -> bool:
        if not self.ignore_case:
            return any(lit in text for lit in self.literals)
        if lowered is None:  # not ASCII: the regex's own case folding decides
            return True
        return any(lit in lowered for lit in self.literals)


@lru_cache(maxsize=512)
def gate(rx: re.Pattern[str]) -> Gate | None:
    """The `Gate` of a secret pattern, when its matches must start with known literals.

    Case-sensitive literals are looked up as they are. Case-insensitive ones (a leading
    ``(?i:...)`` group, or the IGNORECASE flag) are looked up lower-cased in lower-cased text,
    only for ASCII text and cut at their first non-ASCII character, where `str.lower` and the
    regex engine's case folding agree exactly."""
    items = list(_parser.parse(rx.pattern, rx.flags & ~re.UNICODE))
    ignore_case = bool(rx.flags & re.IGNORECASE)
    i = 0
    while i < len(items) and items[i][0] is _sre.AT:
        i += 1
    if i < len(items) and items[i][0] is _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = items[i][1]
        if del_flags & re.IGNORECASE:
            return None
        ignore_case = ignore_case or bool(add_flags & re.IGNORECASE)
        items = list(sub)
    found = list(literal_prefixes(items) or ())
    if not found and not ignore_case:
        # no known start, but a literal of the top-level sequence is in every match ("@")
        found = [chr(arg) for op, arg in items if op is _sre.LITERAL][:1]
    if not found:
        return None
    if ignore_case:
        cut = []
        for lit in found:
            ascii_part = lit[: next((k for k, ch in enumerate(lit) if not ch.isascii()), len(lit))]
            if not ascii_part:
                return None
            cut.append(ascii_part.lower())
        found = cut
    return Gate(tuple(sorted(set(found))), ignore_case)


def redact(text: str, policy: Policy) -> Redaction:
    """Replace every secret the policy describes with a marker naming its kind."""
    spans: list[tuple[int, int, str]] = []
    lowered = text.lower() if text.isascii() else None
    for spec in policy.secrets:
        for rx in spec.compiled:
            g = gate(rx)
            if g is not None and not g.may_match(text, lowered):
                continue
            for m in rx.finditer(text):
                if "secret" in rx.groupindex and m.group("secret") is not None:
                    spans.append((m.start("secret"), m.end("secret"), spec.kind))
                else:
                    spans.append((m.start(), m.end(), spec.kind))
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
