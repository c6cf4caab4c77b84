"""`triage(ticket, policy, now, model)`: every decision step, composed, with its reasons.

Steps, in order: clean and redact the text (secrets never travel further), decide the support
path and channel, split the message into requests, classify and route each, assess severity,
check for missing information (accepted requests only), and compute the first-response deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, cast

from supportdesk.core.policy.model import Policy
from supportdesk.core.triage import checklist, classify, identity, secrets, severity, split
from supportdesk.core.triage.deadline import due
from supportdesk.core.triage.detectors import Context
from supportdesk.core.triage.models import (
    RequestDecision,
    TicketIn,
    TriageDecision,
)
from supportdesk.core.triage.ports import (
    BoundaryModel,
    QuickTextModel,
    RequestCountModel,
    RulesOnlyModel,
    SplitCheckModel,
    TextModel,
    TextSignals,
)
from supportdesk.core.triage.text import clean, join_subject, snippet, word_count


class TriageInputError(ValueError):
    """The request breaks the contract in a way the schema cannot see (e.g. an unknown tier)."""


@dataclass(frozen=True)
class Prepared:
    """A ticket after hygiene and redaction: the only text later steps may read."""

    ticket: TicketIn
    subject: str
    description: str
    fields: dict[str, str]
    secret_kinds: frozenset[str]
    pieces: list[str]
    #: The policy's rule scores of this ticket's texts, computed once for `whole_needed` and
    #: `decide` alike (by policy: a ticket may be decided under another policy than it was
    #: prepared with).
    rule_memos: dict[int, _RuleMemo] = field(default_factory=dict, compare=False, repr=False)

    def rules(self, policy: Policy) -> _RuleMemo:
        memo = self.rule_memos.get(id(policy))
        if memo is None or memo.policy is not policy:
            memo = self.rule_memos[id(policy)] = _RuleMemo(policy)
        return memo

    @property
    def whole(self) -> str:
        return join_subject(self.subject, self.description)


def prepare(ticket: TicketIn, policy: Policy) -> Prepared:
    if policy.tier(ticket.account.tier) is None:
        known = ", ".join(policy.tiers)
        raise TriageInputError(
            f"account.tier {ticket.account.tier!r} is unknown; known tiers: {known}"
        )
    # Register every gate of the policy before the first scan (both calls are cached per
    # policy), so a new policy's literal automaton is built once, not once per pattern kind.
    secrets.patterns_of(policy)
    classify.signals_of(policy)
    kinds: set[str] = set()
    subj = secrets.redact(clean(ticket.subject), policy)
    desc = secrets.redact(clean(ticket.description), policy)
    kinds |= subj.kinds | desc.kinds
    fields = {}
    for key, value in ticket.fields.items():
        r = secrets.redact(clean(value), policy)
        kinds |= r.kinds
        fields[key] = r.text
    safe = ticket.model_copy(
        update={"subject": subj.text, "description": desc.text, "fields": fields}
    )
    pieces = split.segments(desc.text, policy) if desc.text.strip() else []
    return Prepared(safe, subj.text, desc.text, fields, frozenset(kinds), pieces)


def texts_to_score(prepared: Prepared) -> list[str]:
    """The texts the model is asked about first for this ticket (for batching and caching).

    A ticket in one piece is read whole. A ticket cut into pieces is read piece by piece, and
    whole only when its pieces turn out to be one request: `decide` then asks the model for the
    whole text itself (`whole_needed` tells a batch which ones, to ask for them together).
    """
    if len(prepared.pieces) > 1:
        return list(prepared.pieces)
    return [prepared.whole]


def triage(
    ticket: TicketIn,
    policy: Policy,
    now: datetime,
    model: TextModel | None = None,
) -> TriageDecision:
    """Decide everything about one support request. Pure: `now` is the only clock, and it
    stands in for `submitted_at` when a request carries none (the moment it was received)."""
    model = model or RulesOnlyModel()
    prepared = prepare(ticket, policy)
    texts = texts_to_score(prepared)
    scored = dict(zip(texts, model.predict(texts), strict=True))
    return decide(prepared, policy, now, scored, model)


def whole_needed(
    prepared: Prepared, policy: Policy, scored: dict[str, TextSignals], model: TextModel
) -> bool:
    """True when `decide` will ask the model about the whole text of this ticket (beyond
    `texts_to_score`): its pieces, scored, make a single request, or the model reads the whole
    message as one (`_reads_as_one`)."""
    if len(prepared.pieces) <= 1 or prepared.whole in scored:
        return False
    parts = _parts(prepared, policy, scored, prepared.rules(policy))
    texts = [p.text for p in parts]
    return len(parts) <= 1 or _reads_as_one(prepared, texts, policy, model) is not None


def decide(
    prepared: Prepared,
    policy: Policy,
    now: datetime,
    scored: dict[str, TextSignals],
    model: TextModel,
) -> TriageDecision:
    """The decision from a prepared ticket and the model's signals for `texts_to_score`.

    When the pieces of a split ticket make one request and `scored` lacks the whole text, the
    model is asked about it here."""
    ticket = prepared.ticket
    # Plain dicts, validated into `Reason`s all at once with the decision: one call into
    # pydantic instead of one per reason (model_construct is pure Python and slower still).
    reasons: list[dict[str, Any]] = []
    scored = dict(scored)  # the whole text's signals may be added below; the caller's stays
    rules = prepared.rules(policy)

    def why(rule: str, detail: str, request: int | None = None) -> None:
        reasons.append({"rule": rule, "detail": detail, "request": request})

    if prepared.secret_kinds:
        kinds = ", ".join(sorted(prepared.secret_kinds))
        why("secrets.redacted", f"found and redacted before storage: {kinds}; never echoed back")

    rule, cond = identity.support_path(ticket, policy)
    why(rule.rule, f"{rule.path}: {identity.describe(cond, ticket)}. {rule.explain}")

    tier = policy.tiers[ticket.account.tier]
    channel_allowed = ticket.channel in tier.channels
    if channel_allowed:
        why("channel.offered", f"{ticket.channel} is a {tier.label} support channel")
    else:
        offered = ", ".join(tier.channels)
        why(
            "channel.not_offered",
            f"{ticket.channel} is not a {tier.label} channel (offered: {offered})",
        )

    threshold = float(getattr(model, "confidence_threshold", policy.classification.low_confidence))
    found = _requests(prepared, policy, scored, model, rules)
    parts = found.parts
    if found.kept_whole is not None:
        why(
            "split.one_request",
            f"its parts read as asks for different teams, but {found.kept_whole}; it is "
            "handled as one",
        )
    if len(parts) > 1:
        cats = " + ".join(p[1].category for p in parts)
        how = ""
        if any(p[1].decided_by == "model-cut" for p in parts):
            how = (
                " (no marker between them: the text model read the whole message as either, "
                "and its sentences line up on either side of one boundary)"
            )
        elif found.new_request is not None:
            how = (
                " (no marker between them: the text model reads a new request beginning at "
                f"{snippet(found.new_request, 0, 0)!r})"
            )
        elif any(p[1].decided_by == "ask-cut" for p in parts):
            text, asked = next(p for p in parts if p[1].decided_by == "ask-cut")
            m = (
                policy.splitting.ask_cut.actions.first_match(text)
                if policy.splitting.ask_cut
                else None
            )
            quote = snippet(text, m.start(), m.end()) if m else text
            how = (
                f" (no marker between them: {quote!r} asks the {asked.category} team for an "
                "action of its own)"
            )
        why(
            "split.mixed",
            f"the message holds {len(parts)} requests ({cats}){how}; each is handled on its own",
        )

    start = ticket.submitted_at
    if start is None:
        start = now
        why(
            "sla.received_now",
            f"no submitted_at given; the clock starts on receipt, {now.isoformat()}",
        )

    requests: list[RequestDecision] = []
    for i, (text, c) in enumerate(parts):
        for r, d in classify.explain(c, ticket.category, threshold):
            why(r, d, i)
        queue, route_rule = classify.route(c.category, text, policy)
        if route_rule:
            why(route_rule, f"{c.category} about this goes to queue {queue}", i)
        else:
            why("route.category", f"{c.category} requests go to queue {queue}", i)

        sev = severity.assess(text, c.category, policy, scored.get(text) or _mean(text, scored))
        if sev.quote:
            why("severity.impact", f"severity {sev.level}: {sev.label} ({sev.quote!r})", i)
        elif sev.model_confidence is not None:
            why(
                "severity.model",
                f"severity {sev.level}: {sev.label} ({sev.model_confidence:.2f})",
                i,
            )
        else:
            why("severity.default", f"severity {sev.level}: {sev.label}", i)
        if ticket.severity is not None and ticket.severity != sev.level:
            why(
                "severity.claim_differs",
                f"requester claimed severity {ticket.severity}; the described impact supports "
                f"{sev.level} — {policy.severity_definition(sev.level)}",
                i,
            )

        result = checklist.ChecklistResult(None, [], [], [], [])
        if rule.path == "accept":
            ctx = Context(ticket, text, prepared.whole)
            result = checklist.evaluate(c.category, queue, ctx, policy)
            if result.missing:
                why(
                    "checklist.missing",
                    f"{result.checklist}: still needed {', '.join(result.missing)}",
                    i,
                )
            elif result.checklist:
                why("checklist.complete", f"{result.checklist}: every required item is given", i)
        elif i == 0:
            why(
                "checklist.deferred", f"details are asked once the path is accept (now {rule.path})"
            )

        first_due = None
        target = policy.target(ticket.account.tier, sev.level, "first_response")
        if rule.path == "accept" and target is not None:
            first_due = due(policy, ticket.account.tier, target, start)
            why(
                "sla.first_response",
                f"{tier.label} S{sev.level}: {target.describe()} from {start.isoformat()} "
                f"→ {first_due.isoformat()}",
                i,
            )
        elif i == 0:
            why("sla.none", f"no first-response clock: path {rule.path}, tier {tier.label}")

        requests.append(
            RequestDecision(
                category=c.category,
                queue=queue,
                severity=sev.level,
                first_response_due=first_due,
                missing=result.missing,
                helpful=result.helpful,
                questions=result.questions,
                text=text,
                confidence=round(c.confidence, 4),
            )
        )

    return TriageDecision.model_validate(
        {
            "id": ticket.id,
            "support_path": rule.path,
            "channel_allowed": channel_allowed,
            "secrets": sorted(prepared.secret_kinds),
            "requests": requests,
            "reasons": reasons,
            "redacted_subject": prepared.subject,
            "redacted_description": prepared.description,
            "policy_version": policy.version,
        }
    )


class _RuleMemo(dict[str, classify.RuleScores]):
    """The policy's rule scores per text, computed once per decision (a piece that stands as a
    request alone is otherwise scored again as that request)."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy

    def __missing__(self, text: str) -> classify.RuleScores:
        found = self[text] = classify.rule_scores(text, self.policy)
        return found


def _parts(
    prepared: Prepared, policy: Policy, scored: dict[str, TextSignals], rules: _RuleMemo
) -> list[split.Part]:
    """The pieces of a ticket grouped by owning queue (`split.group`)."""

    def keyer(piece: str) -> str | None:
        """The owning queue of a piece the classifier is sure about, else None: by the policy's
        signals, or by the model when the piece has words enough to read."""
        c = classify.classify(piece, policy, scored.get(piece, TextSignals()), rules=rules[piece])
        cfg = policy.splitting
        sure = c.rules.top()[1] >= cfg.min_rule_score or (
            c.confidence >= cfg.min_confidence
            and word_count(piece) >= cfg.model_min_words
            # a sign-off block's words say nothing: they do not make a short ask long enough
            and word_count(split.without_sign_off(piece, policy)) >= cfg.model_min_words
        )
        if c.decided_by == "default" or not sure:
            return None
        queue, rule = classify.route(c.category, piece, policy)
        if rule is None:
            # The piece names none of its category's routes ("And does time on hold count
            # toward the minutes?" after a phone-agent question): it goes where the message
            # sends that category, not to the category's default queue by omission.
            queue = classify.route(c.category, prepared.whole, policy)[0]
        return queue

    return split.group(prepared.pieces, keyer)


@dataclass(frozen=True)
class _Found:
    """The requests of a ticket (text and classification each), and how the split was read."""

    parts: list[tuple[str, classify.Classification]]
    #: Why the model kept a message the markers cut for different teams whole (`_reads_as_one`).
    kept_whole: str | None = None
    #: Where the boundary model read a second request begin (`_boundary_cut`): its text.
    new_request: str | None = None
    #: How several requests were found, as `SplitCheckModel` is told: "markers", "model",
    #: "ask" or "boundary"; None for one request.
    how: str | None = None


def _requests(
    prepared: Prepared,
    policy: Policy,
    scored: dict[str, TextSignals],
    model: TextModel,
    rules: _RuleMemo,
    *,
    check: bool = True,
) -> _Found:
    """The requests of a ticket and how they were found; adds the whole text's signals (and
    those of a boundary cut's sides) to `scored` when it asks for them. Without `check`, a cut
    stands without the split check (`proposed_split`)."""
    hint = prepared.ticket.category
    whole = prepared.whole
    if len(prepared.pieces) > 1:
        parts = _parts(prepared, policy, scored, rules)
        one = None
        if len(parts) > 1:
            one = _reads_as_one(prepared, [p.text for p in parts], policy, model, check=check)
        if one is not None:
            if whole not in scored:
                (scored[whole],) = model.predict([whole])
            c = classify.classify(whole, policy, scored[whole], hint=hint, rules=rules[whole])
            return _Found([(whole, c)], kept_whole=one)
        if len(parts) > 1:
            out = []
            for p in parts:
                c = classify.classify(p.text, policy, _mean(p.text, scored), rules=rules[p.text])
                if classify.route(c.category, p.text, policy)[0] != p.key:
                    # the merged text reads differently from its pieces: keep the pieces' owner
                    c = _best_for_queue(p.text, p.key, policy, scored, rules)
                out.append((p.text, c))
            return _Found(out, how="markers")
    if whole not in scored:
        (scored[whole],) = model.predict([whole])
    c = classify.classify(whole, policy, scored[whole], hint=hint, rules=rules[whole])
    cut, how, new_request = _torn_cut(prepared, policy, scored[whole], model, rules), "model", None
    if not cut:
        cut, how = _ask_cut(whole, c, policy, rules), "ask"
    if not cut:
        cut, how = _boundary_cut(whole, policy, scored, model, rules), "boundary"
        new_request = cut[-1][0] if cut else None
    if cut:
        doubt = _split_doubted(whole, [t for t, _ in cut], how, policy, model) if check else None
        if doubt is None:
            return _Found(cut, new_request=new_request, how=how)
        return _Found([(whole, c)], kept_whole=doubt)
    return _Found([(whole, c)])


def proposed_split(
    ticket: TicketIn, policy: Policy, model: TextModel
) -> tuple[str, list[str], str] | None:
    """(the whole text, the texts of the requests a cut proposes, how the cut was found) for a
    ticket the cascade cuts in several before the split check has its say
    (`Splitting.split_check_below`); None when it finds one request. What the split check is
    trained on (`ml/train.py`)."""
    prepared = prepare(ticket, policy)
    texts = texts_to_score(prepared)
    scored = dict(zip(texts, model.predict(texts), strict=True))
    found = _requests(prepared, policy, scored, model, prepared.rules(policy), check=False)
    if found.how is None:
        return None
    return prepared.whole, [text for text, _ in found.parts], found.how


def _split_doubted(
    whole: str,
    parts: list[str],
    how: str,
    policy: Policy,
    model: TextModel,
    sentences: list[str] | None = None,
) -> str | None:
    """Why the split check keeps a proposed split whole, or None when the split stands: the
    model's probability that the message really holds several requests is below the policy's
    `splitting.split_check_below`. None too when the policy or the model has no say."""
    below = policy.splitting.split_check_below
    if below is None or not callable(getattr(model, "split_holds", None)):
        return None
    if sentences is None:
        sentences = split.boundary_sentences(whole, policy)
    holds = cast(SplitCheckModel, model).split_holds(whole, sentences, parts, how)
    if holds is None or holds >= below:
        return None
    return (
        f"the text model's split check reads it as one request (probability of several "
        f"{holds:.2f}, below {below:.2f})"
    )


def _reads_as_one(
    prepared: Prepared,
    parts: list[str],
    policy: Policy,
    model: TextModel,
    *,
    check: bool = True,
) -> str | None:
    """Why a message the markers cut for different teams (into `parts`) stays one request,
    or None when it does not: the model's probability that it holds several requests is below
    the policy's `splitting.one_request_below`, no sentence of it reaches `splitting.boundary`'s
    probability of starting a new request, or (with `check`) the split check doubts the cut
    (`_split_doubted`). None too when the policy or the model has no say."""
    below = policy.splitting.one_request_below
    if below is not None and callable(getattr(model, "several_requests", None)):
        (several,) = cast(RequestCountModel, model).several_requests([prepared.whole])
        if several is not None and several < below:
            return (
                f"the text model reads the whole message as one request (probability of "
                f"several {several:.2f}, below {below:.2f})"
            )
    cfg = policy.splitting.boundary
    sentences = split.boundary_sentences(prepared.whole, policy)
    if cfg is not None:
        found = _boundaries(sentences, model)
        if found and max(found) < cfg.one_request_below:
            return (
                f"the text model reads no sentence of it as where a second request begins "
                f"(at most {max(found):.2f}, below {cfg.one_request_below:.2f})"
            )
    if not check:
        return None
    return _split_doubted(prepared.whole, parts, "markers", policy, model, sentences)


def _ask_cut(
    whole: str, c: classify.Classification, policy: Policy, rules: _RuleMemo
) -> list[tuple[str, classify.Classification]] | None:
    """Two requests where the markers saw one (`Splitting.ask_cut`): a product problem whose
    later sentences ask another team for an action of its own ("…every call returns 503. We'll
    want a credit on this month's invoice."). The problem keeps the whole text's reading; the
    asking sentences are the cut category's, decided by the policy's words. None when there is
    no such cut."""
    cfg = policy.splitting.ask_cut
    if cfg is None or classify.route(c.category, whole, policy)[0] not in cfg.from_queues:
        return None
    texts = split.sentences(whole, cfg.clauses)
    asking = [
        i > 0
        and cfg.actions.first_match(t) is not None
        and cfg.asks.first_match(t) is not None
        and (cfg.negated is None or cfg.negated.first_match(t) is None)
        for i, t in enumerate(texts)
    ]
    if not any(asking):
        return None
    problem = " ".join(t for t, a in zip(texts, asking, strict=True) if not a)
    ask = " ".join(t for t, a in zip(texts, asking, strict=True) if a)
    if word_count(problem) < cfg.min_words:
        return None
    cut = classify.Classification(cfg.category, 1.0, "ask-cut", rules[ask])
    # Requests come in the order the message makes them: the ask first when its words stand,
    # on average, before the problem's ("Call with M. Bell. He wants a quote for 60 seats. He
    # then asked why the minutes…").
    centre = {True: 0.0, False: 0.0}
    for i, (t, a) in enumerate(zip(texts, asking, strict=True)):
        centre[a] += i * word_count(t)
    if centre[True] / word_count(ask) < centre[False] / word_count(problem):
        return [(ask, cut), (problem, c)]
    return [(problem, c), (ask, cut)]


def _torn_cut(
    prepared: Prepared,
    policy: Policy,
    signals: TextSignals,
    model: TextModel,
    rules: _RuleMemo,
) -> list[tuple[str, classify.Classification]] | None:
    """Two requests where the policy's markers saw one (`Splitting.model_cut`): the model is
    torn between two owners of the whole text, and its sentences line up on either side of one
    boundary. None when there is no such cut (or no model that answers quickly)."""
    cfg = policy.splitting.model_cut
    if cfg is None or not callable(getattr(model, "predict_quick", None)):
        return None
    quick = cast(QuickTextModel, model).predict_quick
    if len(signals.category) < 2:
        return None
    whole = prepared.whole
    (first, _), (second, p_second) = sorted(signals.category.items(), key=lambda kv: -kv[1])[:2]
    owners = {classify.route(first, whole, policy)[0], classify.route(second, whole, policy)[0]}
    if len(owners) < 2 or p_second < cfg.torn_min:
        return None
    texts = split.sentences(whole, cfg.clauses)
    if len(texts) < 2:
        return None
    known = dict(zip(texts, quick(texts), strict=True))

    def read(text: str, floor: float) -> tuple[str | None, classify.Classification]:
        sig = known.get(text) or quick([text])[0]
        c = classify.classify(text, policy, sig, rules=rules[text])
        sure = bool(sig.category) and c.confidence >= floor
        return (classify.route(c.category, text, policy)[0] if sure else None), c

    queues = [read(t, cfg.sentence_confidence)[0] for t in texts]
    subject = (prepared.ticket.subject or "").strip()
    for i in range(1, len(texts)):
        left, right = " ".join(texts[:i]), " ".join(texts[i:])
        if left == subject or min(word_count(left), word_count(right)) < cfg.min_words:
            continue
        before, after = set(queues[:i]) - {None}, set(queues[i:]) - {None}
        if len(before) != 1 or len(after) != 1 or before == after or before | after != owners:
            continue
        pair = (before.pop(), after.pop())
        if pair in cfg.never_pairs:
            continue
        out = []
        for text, owner in zip((left, right), pair, strict=True):
            queue, c = read(text, cfg.side_confidence)
            if queue != owner:
                return None
            out.append((text, replace(c, decided_by="model-cut")))
        return out
    return None


def _boundaries(sentences: list[str], model: TextModel) -> list[float] | None:
    """The model's probability of a new request at each of `sentences` after the first
    (`BoundaryModel`); None when the model has no say or there is only one sentence."""
    if len(sentences) < 2 or not callable(getattr(model, "request_boundaries", None)):
        return None
    return cast(BoundaryModel, model).request_boundaries(sentences)


def _boundary_cut(
    whole: str,
    policy: Policy,
    scored: dict[str, TextSignals],
    model: TextModel,
    rules: _RuleMemo,
) -> list[tuple[str, classify.Classification]] | None:
    """Two requests that neither the markers nor the other cuts saw, where the model reads a
    new request beginning at a sentence (`Boundary.new_request_from`): the message is cut at
    its likeliest boundary when the two sides, each read by the model (their signals are added
    to `scored`) and classified as any request is, are asks for different teams. None when
    there is no such cut."""
    cfg = policy.splitting.boundary
    if (
        cfg is None
        or cfg.new_request_from is None
        or not callable(getattr(model, "request_boundaries", None))
    ):
        return None  # before the sentences are cut: most models have no say
    sentences = split.boundary_sentences(whole, policy)
    found = _boundaries(sentences, model)
    if not found or max(found) < cfg.new_request_from:
        return None
    at = found.index(max(found)) + 1
    sides = [" ".join(sentences[:at]), " ".join(sentences[at:])]
    new = [t for t in sides if t not in scored]
    scored.update(zip(new, model.predict(new), strict=True))
    out = [(t, classify.classify(t, policy, scored[t], rules=rules[t])) for t in sides]
    (first, c1), (second, c2) = out
    if (
        classify.route(c1.category, first, policy)[0]
        == classify.route(c2.category, second, policy)[0]
    ):
        return None
    return out


def _best_for_queue(
    text: str,
    queue: str | None,
    policy: Policy,
    scored: dict[str, TextSignals],
    memo: _RuleMemo,
) -> classify.Classification:
    """The likeliest category among those that route `text` to `queue` (rules, then model)."""
    signals = _mean(text, scored)
    rules = memo[text]
    fits = [name for name in policy.categories if classify.route(name, text, policy)[0] == queue]
    best = max(
        fits or list(policy.categories),
        key=lambda name: (rules.scores[name], signals.category.get(name, 0.0)),
    )
    confidence = signals.category.get(best, 0.5)
    return classify.Classification(best, confidence, "split", rules, signals.best_category())


def _mean(text: str, scored: dict[str, TextSignals]) -> TextSignals:
    """Signals for a merged part: the average over the scored pieces it is made of."""
    found = [s for t, s in scored.items() if t and t in text and (s.category or s.severity)]
    if not found:
        return TextSignals()
    cats: dict[str, float] = {}
    sevs: dict[int, float] = {}
    for s in found:
        for k, v in s.category.items():
            cats[k] = cats.get(k, 0.0) + v / len(found)
        for lvl, v in s.severity.items():
            sevs[lvl] = sevs.get(lvl, 0.0) + v / len(found)
    return TextSignals(category=cats, severity=sevs)


def triage_many(
    tickets: Sequence[TicketIn], policy: Policy, now: datetime, model: TextModel | None = None
) -> list[TriageDecision]:
    """Triage a batch with one model call for all texts (the fast path for imports and replays)."""
    model = model or RulesOnlyModel()
    prepared = [prepare(t, policy) for t in tickets]
    scored = score_all(prepared, policy, model)
    return [decide(p, policy, now, own_signals(p, scored), model) for p in prepared]


def score_all(
    prepared: Sequence[Prepared], policy: Policy, model: TextModel
) -> dict[str, TextSignals]:
    """The model's signals for every text `decide` will read, over a batch, in two model calls:
    the texts to score first, then the whole texts of split tickets whose pieces are one request.
    """
    texts = list(dict.fromkeys(t for p in prepared for t in texts_to_score(p)))
    scored = dict(zip(texts, model.predict(texts), strict=True))
    wholes = list(
        dict.fromkeys(p.whole for p in prepared if whole_needed(p, policy, scored, model))
    )
    if wholes:
        scored.update(zip(wholes, model.predict(wholes), strict=True))
    return scored


def own_signals(prepared: Prepared, scored: dict[str, TextSignals]) -> dict[str, TextSignals]:
    """The model's answers for this ticket's texts only, out of a batch's answers."""
    own = {t: scored[t] for t in texts_to_score(prepared) if t in scored}
    if len(prepared.pieces) > 1 and prepared.whole in scored:
        own[prepared.whole] = scored[prepared.whole]
    return own
