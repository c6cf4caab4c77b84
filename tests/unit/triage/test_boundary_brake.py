"""A message the markers cut for two teams in which the text model finds no sentence where a
second request begins (`Splitting.boundary`, the `BoundaryModel` port)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from supportdesk.core.policy import load_policy
from supportdesk.core.policy.model import Policy
from supportdesk.core.triage import TextSignals, prepare, split, triage, triage_many
from supportdesk.core.triage.engine import whole_needed

from .helpers import MIXED, NOW, ticket

POLICY = load_policy()


class Bounder:
    """No category opinion; gives every sentence boundary the same probability of starting a
    new request (None: no opinion), and remembers the sentences it was asked about."""

    name = "bounder"

    def __init__(self, new: float | None) -> None:
        self.new = new
        self.asked: list[list[str]] = []

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        return [TextSignals() for _ in texts]

    def request_boundaries(self, sentences: Sequence[str]) -> list[float] | None:
        self.asked.append(list(sentences))
        return None if self.new is None else [self.new] * (len(sentences) - 1)


def _policy(**boundary: float | None) -> Policy:
    """The default policy with these fields of its boundary section changed; with none given,
    without a boundary section at all."""
    section = None
    if boundary:
        assert POLICY.splitting.boundary is not None
        section = POLICY.splitting.boundary.model_copy(update=boundary)
    splitting = POLICY.splitting.model_copy(update={"boundary": section})
    return POLICY.model_copy(update={"splitting": splitting})


def _below() -> float:
    assert POLICY.splitting.boundary is not None
    return POLICY.splitting.boundary.one_request_below


def test_the_default_policy_keeps_a_cut_message_whole_when_no_boundary_reads_as_new() -> None:
    below = _below()
    assert 0 < below < 0.5
    d = triage(ticket(MIXED), POLICY, NOW, Bounder(below / 2))
    assert len(d.requests) == 1
    (reason,) = [r.detail for r in d.reasons if r.rule == "split.one_request"]
    assert "no sentence of it as where a second request begins" in reason
    assert f"{below / 2:.2f}" in reason and f"{below:.2f}" in reason
    assert not any(r.rule == "split.mixed" for r in d.reasons)


def test_one_boundary_at_or_above_the_threshold_keeps_the_markers_cut() -> None:
    below = _below()

    class OneStrong(Bounder):
        def request_boundaries(self, sentences: Sequence[str]) -> list[float] | None:
            found = super().request_boundaries(sentences)
            assert found is not None
            return [*found[:-1], below]

    d = triage(ticket(MIXED), POLICY, NOW, OneStrong(0.0))
    assert [r.queue for r in d.requests] == ["usage", "billing"]
    assert not any(r.rule == "split.one_request" for r in d.reasons)


def test_no_opinion_no_section_or_no_such_model_never_merges() -> None:
    assert len(triage(ticket(MIXED), POLICY, NOW, Bounder(None)).requests) == 2
    assert len(triage(ticket(MIXED), _policy(), NOW, Bounder(0.0)).requests) == 2
    assert len(triage(ticket(MIXED), POLICY, NOW).requests) == 2  # rules only


def test_the_model_reads_the_whole_messages_sentences_cut_at_the_policys_clauses() -> None:
    model = Bounder(0.0)
    triage(ticket(MIXED), POLICY, NOW, model)
    whole = prepare(ticket(MIXED), POLICY).whole
    assert model.asked == [split.boundary_sentences(whole, POLICY)]
    assert len(model.asked[0]) >= 2
    joined = "The connector fails every night, and we need a refund for March."
    assert split.boundary_sentences(joined, POLICY) == [
        "The connector fails every night,",
        "and we need a refund for March.",
    ]
    assert split.boundary_sentences(joined, _policy()) == []


def test_the_brake_asks_only_about_a_message_cut_for_two_teams() -> None:
    model = Bounder(0.0)
    text = "How do I add a second admin to tenant Harbor Dental? The invite button is grey."
    triage(ticket(text), _policy(new_request_from=None), NOW, model)
    assert model.asked == []
    triage(ticket("How do I add a second admin to tenant Harbor Dental?"), POLICY, NOW, model)
    assert model.asked == []  # one sentence: no boundary to ask about


def test_a_batch_asks_for_the_whole_text_up_front_and_decides_alike() -> None:
    p = prepare(ticket(MIXED), POLICY)
    assert whole_needed(p, POLICY, {t: TextSignals() for t in p.pieces}, Bounder(0.0))
    assert not whole_needed(p, POLICY, {t: TextSignals() for t in p.pieces}, Bounder(0.9))
    tickets = [ticket(MIXED), ticket("Why did our credits drop so fast yesterday?")]
    for new in (0.0, 0.9):
        one_by_one = [triage(t, POLICY, NOW, Bounder(new)) for t in tickets]
        assert triage_many(tickets, POLICY, NOW, Bounder(new)) == one_by_one


@pytest.mark.parametrize("below", [-0.1, 1.5])
def test_a_threshold_outside_zero_to_one_is_refused(below: float) -> None:
    raw = POLICY.model_dump(mode="json")
    raw["splitting"]["boundary"]["one_request_below"] = below
    with pytest.raises(ValidationError, match="one_request_below"):
        Policy.model_validate(raw)


# --- the boundary cut: a second request that nothing else cut -------------------------------

CONNECTOR = "The Salesforce connector returns 500 on every sync since Monday."
INVOICE = "Our invoice INV-2231 lists the connector add-on twice."
UNMARKED = f"{CONNECTOR} {INVOICE}"


class Reader(Bounder):
    """Reads a text with "invoice" in it as billing, anything else as technical; a boundary
    before a sentence that mentions an invoice is a new request with probability `new`."""

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        def one(text: str) -> TextSignals:
            billing = 0.9 if "invoice" in text.lower() else 0.05
            rest = (1.0 - billing) / 6
            others = ("credits_usage", "access", "integration", "setup", "enablement")
            category = {"billing": billing, "technical": 1.0 - billing - 5 * rest}
            category.update({name: rest for name in others})
            return TextSignals(category=category, severity={3: 0.9, 2: 0.05, 1: 0.05})

        return [one(t) for t in texts]

    def request_boundaries(self, sentences: Sequence[str]) -> list[float] | None:
        self.asked.append(list(sentences))
        assert self.new is not None
        return [self.new if "invoice" in s.lower() else 0.0 for s in sentences[1:]]


def test_a_sentence_the_model_reads_as_a_new_request_starts_one() -> None:
    assert POLICY.splitting.boundary is not None
    cut_from = POLICY.splitting.boundary.new_request_from
    # low since the tenth session: the split check (test_split_check.py) has the last word
    assert cut_from is not None and 0 < cut_from < 1
    assert len(triage(ticket(UNMARKED), POLICY, NOW, Reader(0.0)).requests) == 1
    d = triage(ticket(UNMARKED), POLICY, NOW, Reader(cut_from))
    assert [(r.category, r.queue) for r in d.requests] == [
        ("integration", "support"),  # the policy's words: a connector is an integration
        ("billing", "billing"),
    ]
    assert [r.text for r in d.requests] == [CONNECTOR, INVOICE]
    (reason,) = [r.detail for r in d.reasons if r.rule == "split.mixed"]
    assert "reads a new request beginning at 'Our invoice INV-2231" in reason
    # each side is classified as any request is, and its reasons say what read it
    second = {r.rule for r in d.reasons if r.request == 1}
    assert {"classify.signals", "classify.model"} <= second


def test_below_the_threshold_without_it_or_for_one_team_there_is_no_cut() -> None:
    assert POLICY.splitting.boundary is not None
    cut_from = POLICY.splitting.boundary.new_request_from
    assert cut_from is not None
    assert len(triage(ticket(UNMARKED), POLICY, NOW, Reader(cut_from - 0.01)).requests) == 1
    assert (
        len(triage(ticket(UNMARKED), _policy(new_request_from=None), NOW, Reader(1.0)).requests)
        == 1
    )
    assert len(triage(ticket(UNMARKED), _policy(), NOW, Reader(1.0)).requests) == 1
    # both sides read as billing: one team, one request
    both = f"{INVOICE} The invoice PDF also shows last month's date."
    assert len(triage(ticket(both), POLICY, NOW, Reader(1.0)).requests) == 1


def test_a_batch_cuts_alike() -> None:
    tickets = [ticket(UNMARKED), ticket(MIXED), ticket(CONNECTOR)]
    one_by_one = [triage(t, POLICY, NOW, Reader(0.9)) for t in tickets]
    assert [len(d.requests) for d in one_by_one] == [2, 2, 1]
    assert triage_many(tickets, POLICY, NOW, Reader(0.9)) == one_by_one
