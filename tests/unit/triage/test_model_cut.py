"""The model cut: a ticket the markers read as one request, cut where a torn text model's
sentences line up on either side of one boundary (`Splitting.model_cut`)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from supportdesk.core.policy import load_policy
from supportdesk.core.policy.model import ModelCut
from supportdesk.core.triage import triage
from supportdesk.core.triage.ports import TextSignals
from supportdesk.core.triage.split import sentences

from .helpers import NOW, ticket

POLICY = load_policy()

USAGE = "Our credits at Pinecrest Bakery fell from 30,000 to 4,000 between Monday and Tuesday."
MONEY = "The card payment taken on the 2nd is $640 more than the invoice we were sent for May."
#: Where every sentence and side reads clearly; the whole text is torn between the two.
TORN = {"credits_usage": 0.55, "billing": 0.4, "technical": 0.05}


def _reading(text: str) -> dict[str, float]:
    if "credits" in text and "invoice" in text:
        return TORN
    if "invoice" in text:
        return {"billing": 0.9, "credits_usage": 0.05, "technical": 0.05}
    if "credits" in text:
        return {"credits_usage": 0.9, "billing": 0.05, "technical": 0.05}
    return {"technical": 0.4, "billing": 0.3, "credits_usage": 0.3}


class FakeModel:
    """The whole text as given (torn by default); sentences and sides by their words."""

    name = "fake"

    def __init__(self, whole: dict[str, float] | None = None, *, quick: bool = True) -> None:
        self.whole = whole
        self.quick_calls: list[str] = []
        if not quick:
            self.predict_quick = None  # type: ignore[assignment]

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        return [TextSignals(category=self.whole or _reading(t)) for t in texts]

    def predict_quick(self, texts: Sequence[str]) -> list[TextSignals]:
        self.quick_calls.extend(texts)
        return [TextSignals(category=_reading(t)) for t in texts]


def _policy(**cut: object) -> object:
    splitting = POLICY.splitting
    assert splitting.model_cut is not None
    new_cut = splitting.model_cut.model_copy(update=cut)
    return POLICY.model_copy(
        update={"splitting": splitting.model_copy(update={"model_cut": new_cut})}
    )


def test_a_torn_ticket_becomes_two_requests_with_the_reason() -> None:
    d = triage(ticket(f"{USAGE} {MONEY}"), POLICY, NOW, FakeModel())
    assert [r.category for r in d.requests] == ["credits_usage", "billing"]
    assert [r.queue for r in d.requests] == ["usage", "billing"]
    split = [r.detail for r in d.reasons if r.rule == "split.mixed"]
    assert split and "text model read the whole message as either" in split[0]
    assert any(r.rule == "classify.model" and "this part alone" in r.detail for r in d.reasons)


def test_two_asks_joined_inside_one_sentence_are_cut_at_the_clause() -> None:
    one_sentence = (
        "Our credits at Pinecrest Bakery fell from 30,000 to 4,000 between Monday and Tuesday, "
        "and the card payment taken on the 2nd is $640 more than the invoice we were sent."
    )
    d = triage(ticket(one_sentence), POLICY, NOW, FakeModel())
    assert [r.category for r in d.requests] == ["credits_usage", "billing"]
    # without clause boundaries the one sentence has no boundary to cut at
    d = triage(ticket(one_sentence), _policy(clauses=None), NOW, FakeModel())
    assert len(d.requests) == 1


def test_clause_boundaries_need_a_joining_word_after_the_comma() -> None:
    cut = POLICY.splitting.model_cut
    assert cut is not None and cut.clauses is not None
    assert sentences("Usage fell, and the invoice is wrong. Thanks!", cut.clauses) == [
        "Usage fell,",
        "and the invoice is wrong.",
        "Thanks!",
    ]
    # a list of items is not a clause boundary
    assert sentences("Seats, credits and minutes all look wrong.", cut.clauses) == [
        "Seats, credits and minutes all look wrong."
    ]


def test_a_confident_model_is_not_second_guessed() -> None:
    cut = POLICY.splitting.model_cut
    assert cut is not None
    runner_up = cut.torn_min / 2  # below the policy's torn_min: the model is not torn
    sure = {"credits_usage": 1.0 - 2 * runner_up, "billing": runner_up, "technical": runner_up}
    model = FakeModel(sure)
    d = triage(ticket(f"{USAGE} {MONEY}"), POLICY, NOW, model)
    assert len(d.requests) == 1
    assert model.quick_calls == []  # not torn: no sentence is read at all


def test_torn_between_two_categories_of_one_owner_is_no_cut() -> None:
    same_owner = {"technical": 0.5, "access": 0.45, "billing": 0.05}
    d = triage(ticket(f"{USAGE} {MONEY}"), POLICY, NOW, FakeModel(same_owner))
    assert len(d.requests) == 1


def test_a_model_without_quick_signals_never_cuts() -> None:
    d = triage(ticket(f"{USAGE} {MONEY}"), POLICY, NOW, FakeModel(quick=False))
    assert len(d.requests) == 1


def test_a_side_shorter_than_min_words_stays_joined() -> None:
    short = "Wrong invoice?"
    assert len(triage(ticket(f"{USAGE} {short}"), POLICY, NOW, FakeModel(TORN)).requests) == 1
    loose = _policy(min_words=1)
    assert len(triage(ticket(f"{USAGE} {short}"), loose, NOW, FakeModel(TORN)).requests) == 2


def test_the_subject_never_stands_alone() -> None:
    t = ticket(MONEY + " We need the May invoice corrected before it goes to the client.")
    t = t.model_copy(update={"subject": "Credits, credits and more credits for our tenants today?"})
    assert len(triage(t, POLICY, NOW, FakeModel(TORN)).requests) == 1


def test_a_side_that_reads_weakly_as_a_whole_stays_joined() -> None:
    d = triage(ticket(f"{USAGE} {MONEY}"), _policy(side_confidence=0.999), NOW, FakeModel())
    assert len(d.requests) == 1


def test_without_model_cut_in_the_policy_nothing_changes() -> None:
    off = POLICY.model_copy(
        update={"splitting": POLICY.splitting.model_copy(update={"model_cut": None})}
    )
    assert len(triage(ticket(f"{USAGE} {MONEY}"), off, NOW, FakeModel()).requests) == 1


def test_rules_alone_never_cut_this_way() -> None:
    assert len(triage(ticket(f"{USAGE} {MONEY}"), POLICY, NOW).requests) == 1


@pytest.mark.parametrize("bad", [{"torn_min": 0.6}, {"torn_min": 0}, {"min_words": 0}])
def test_the_policy_rejects_settings_that_cannot_work(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        ModelCut.model_validate(bad)


def test_an_order_in_never_pairs_is_not_cut() -> None:
    pairs = _policy(never_pairs=(("usage", "billing"),))
    assert len(triage(ticket(f"{USAGE} {MONEY}"), pairs, NOW, FakeModel()).requests) == 1
    # the pair is ordered: the money sentence first is still cut
    d = triage(ticket(f"{MONEY} {USAGE}"), pairs, NOW, FakeModel())
    assert [r.queue for r in d.requests] == ["billing", "usage"]


def test_the_published_policy_never_cuts_usage_before_support() -> None:
    cut = POLICY.splitting.model_cut
    assert cut is not None and ("usage", "support") in cut.never_pairs
