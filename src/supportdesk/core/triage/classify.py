"""What a request is about: policy signals (hard, explainable) combined with a text model.

Each category's signals add their weights when they match. With a model, the decision is the
category maximising  log p_model(c) + rule_weight * rule_score(c)  (+ a small nudge for the
requester's own choice), so strong policy evidence overrides a model and the model carries the
paraphrases no rule lists. A text that does not read as English (`text.reads_as_english`) uses
the policy's `other_language_rule_weight` instead, when it has one: the embedding model was
trained on English, the signals list words in several languages. Without a model the rules
decide alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

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
from supportdesk.core.triage.models import CATEGORIES
from supportdesk.core.triage.ports import TextSignals
from supportdesk.core.triage.text import reads_as_english, snippet

#: How many rule points the requester's chosen category is worth: enough to break a tie,
#: never enough to beat a real signal in the text.
HINT_POINTS = 0.5


@dataclass(frozen=True)
class Evidence:
    category: str
    label: str
    quote: str
    weight: float


@dataclass(frozen=True)
class RuleScores:
    scores: dict[str, float]
    evidence: tuple[Evidence, ...] = ()

    def top(self) -> tuple[str | None, float, float]:
        """(best category, its score, runner-up score); None when nothing matched."""
        return self._top

    @cached_property
    def _top(self) -> tuple[str | None, float, float]:
        ranked = sorted(self.scores.items(), key=lambda kv: (-kv[1], CATEGORIES.index(kv[0])))
        if not ranked or ranked[0][1] <= 0:
            return None, 0.0, 0.0
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        return ranked[0][0], ranked[0][1], second


def rule_scores(text: str, policy: Policy) -> RuleScores:
    scores = dict.fromkeys(CATEGORIES, 0.0)
    evidence: list[Evidence] = []
    names, signals, matchers = signals_of(policy)
    for i, m in search_each(matchers, text):
        name, sig = names[i], signals[i]
        scores[name] += sig.weight
        evidence.append(
            Evidence(name, sig.label or sig.pattern, snippet(text, m.start(), m.end()), sig.weight)
        )
    return RuleScores(scores, tuple(evidence))


_Signals = tuple[tuple[str, ...], tuple[Signal, ...], tuple[Matcher, ...]]


def route(category: str, text: str, policy: Policy) -> tuple[str, str | None]:
    """The queue that owns `category` for this text, and the rule of the route that chose it
    (None: the category's own queue)."""
    cat = policy.categories[category]
    for r in cat.routes:
        if r.when.first_match(text):
            return r.queue, r.rule
    return cat.queue, None


@per_policy
def signals_of(policy: Policy) -> _Signals:
    """The policy's category signals, flattened in policy order (every matcher of the policy is
    built first: one literal automaton)."""
    prepare_matchers(policy)
    return signal_table(
        [(name, sig) for name, cat in policy.categories.items() for sig in cat.signals]
    )


@dataclass(frozen=True)
class Classification:
    category: str
    confidence: float
    decided_by: str  # "rules", "model+rules", "model-cut", "ask-cut", "hint", "default", "split"
    rules: RuleScores
    model_best: tuple[str | None, float] = (None, 0.0)
    #: The rule weight used when the text did not read as English (None: the usual one).
    other_language_weight: float | None = None


def classify(
    text: str,
    policy: Policy,
    signals: TextSignals,
    hint: str | None = None,
    rules: RuleScores | None = None,
) -> Classification:
    rules = rules or rule_scores(text, policy)
    cfg = policy.classification
    best_rule, top, second = rules.top()
    if signals.category:
        other = None  # the other-language rule weight, when it applies to this text
        if cfg.other_language_rule_weight is not None and not reads_as_english(text, lower(text)):
            other = cfg.other_language_rule_weight
        weight = cfg.rule_weight if other is None else other
        logits = {}
        for c in CATEGORIES:
            p = max(signals.category.get(c, 0.0), 1e-6)
            bonus = HINT_POINTS if c == hint else 0.0
            logits[c] = math.log(p) + weight * (rules.scores[c] + bonus)
        m = max(logits.values())
        z = sum(math.exp(v - m) for v in logits.values())
        cat = max(CATEGORIES, key=logits.__getitem__)
        conf = math.exp(logits[cat] - m) / z
        return Classification(cat, conf, "model+rules", rules, signals.best_category(), other)
    if best_rule is not None:
        # Rules alone: the hint breaks ties and near-ties only.
        if hint is not None and hint != best_rule and rules.scores[hint] + HINT_POINTS > top:
            return Classification(hint, 0.5, "hint", rules)
        # Rules alone: confidence grows with the lead over the runner-up and with the evidence.
        conf = (top - second) / (top + 1.0)
        return Classification(best_rule, conf, "rules", rules)
    if hint is not None:
        return Classification(hint, 0.4, "hint", rules)
    return Classification("technical", 0.2, "default", rules)


def explain(c: Classification, hint: str | None, threshold: float) -> list[tuple[str, str]]:
    """(rule, detail) reasons for a classification."""
    out: list[tuple[str, str]] = []
    ev = [e for e in c.rules.evidence if e.category == c.category]
    if ev:
        quotes = "; ".join(f"{e.label} ({e.quote!r})" for e in ev[:3])
        out.append(("classify.signals", f"{c.category}: policy signals {quotes}"))
    if c.decided_by in ("model+rules", "model-cut"):
        mname, mp = c.model_best
        # a part the model cut off is read by its quick signals alone (see engine._torn_cut)
        whose = "model's" if c.decided_by == "model+rules" else "this part alone, model's quick"
        out.append(
            (
                "classify.model",
                f"{whose} best guess {mname} ({mp:.2f}); combined with policy signals: "
                f"{c.category} at {c.confidence:.2f}",
            )
        )
        if c.other_language_weight is not None:
            out.append(
                (
                    "classify.other_language",
                    "the text does not read as English and the text model was trained on "
                    f"English: policy signals weigh {c.other_language_weight:g} per point",
                )
            )
    elif c.decided_by == "ask-cut":
        out.append(
            (
                "classify.ask_cut",
                f"this part asks the {c.category} team for an action of its own (a refund, a "
                "credit, a corrected invoice, a cancellation, a quote): policy splitting.ask_cut",
            )
        )
    elif c.decided_by == "default":
        out.append(
            ("classify.default", "no signal matched; filed as technical for a person to check")
        )
    if hint is not None and hint != c.category:
        out.append(
            (
                "classify.hint_overridden",
                f"requester chose {hint}, but the text reads as {c.category}",
            )
        )
    elif hint is not None:
        out.append(("classify.hint_agrees", f"requester chose {hint}, and the text agrees"))
    if c.confidence < threshold:
        out.append(
            (
                "classify.low_confidence",
                f"low confidence ({c.confidence:.2f} < {threshold:.2f}): an agent should confirm "
                f"the category {c.category}",
            )
        )
    return out
