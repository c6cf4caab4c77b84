"""How urgent a request is: severity 1-3 from the impact described, never from urgent words."""

from __future__ import annotations

from dataclasses import dataclass

from supportdesk.core.policy.model import (
    Matcher,
    Policy,
    Signal,
    lower,
    per_policy,
    prepare_matchers,
    search_each,
    signal_table,
)
from supportdesk.core.triage.ports import TextSignals
from supportdesk.core.triage.text import snippet


@dataclass(frozen=True)
class SeverityFinding:
    level: int
    label: str
    quote: str
    model_confidence: float | None = None


def assess(
    text: str, category: str, policy: Policy, signals: TextSignals | None = None
) -> SeverityFinding:
    """Severity 3 when the text describes a working workaround (or says nothing is blocked);
    else the most severe level whose impact signals match (the least severe level's signals, a
    scope of one user, need no impact words); else the text model's level when it is confident
    enough; else the category's default."""
    lowered = lower(text)  # the same string object the literal scan has seen
    if policy.severity_workaround is not None:
        w = policy.severity_workaround.first_match(text, lowered)
        if w is not None:
            return SeverityFinding(
                3, "a working workaround or nothing blocked", snippet(text, w.start(), w.end())
            )
    impact: bool | None = None
    least = max(policy.severity)
    levels, sigs, matchers = _signals_of(policy)
    for i, m in search_each(matchers, text, lowered):  # in policy order, one literal scan
        level, sig = levels[i], sigs[i]
        if level == least:
            # signals of the least severe level narrow the scope ("just me"): no gate
            return SeverityFinding(
                level, sig.label or sig.pattern, snippet(text, m.start(), m.end())
            )
        if impact is None:
            impact = policy.severity_impact.first_match(text, lowered) is not None
        if impact:
            return SeverityFinding(
                level, sig.label or sig.pattern, snippet(text, m.start(), m.end())
            )
    if signals is not None and signals.severity:
        guess, p = max(signals.severity.items(), key=lambda kv: kv[1])
        if p >= policy.classification.severity_model_confidence:
            return SeverityFinding(
                guess, f"the text model reads the impact as severity {guess}", "", p
            )
    default = policy.categories[category].default_severity
    return SeverityFinding(default, "no broad impact described", "")


_Signals = tuple[tuple[int, ...], tuple[Signal, ...], tuple[Matcher, ...]]


@per_policy
def _signals_of(policy: Policy) -> _Signals:
    """The policy's severity signals, most severe level first, each level in policy order
    (every matcher of the policy is built first: one literal automaton)."""
    prepare_matchers(policy)
    levels = sorted(policy.severity)
    return signal_table([(lvl, sig) for lvl in levels for sig in policy.severity[lvl].signals])
