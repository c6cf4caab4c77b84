"""Find secrets (passwords, keys, tokens) and replace them before anything is stored or shown.

The vendor never asks for a secret; finding one is reported by kind, never by value.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportdesk.core.policy.model import Policy


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: frozenset[str]


def marker(kind: str) -> str:
    return f"[redacted {kind}]"


def redact(text: str, policy: Policy) -> Redaction:
    """Replace every secret the policy describes with a marker naming its kind."""
    spans: list[tuple[int, int, str]] = []
    for spec in policy.secrets:
        for rx in spec.compiled:
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
