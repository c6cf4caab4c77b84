"""A message the markers cut for two teams, which the text model reads as one request
(`Splitting.one_request_below`, the `RequestCountModel` port)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from supportdesk.core.policy import load_policy
from supportdesk.core.policy.model import Policy
from supportdesk.core.triage import TextSignals, prepare, triage, triage_many
from supportdesk.core.triage.engine import score_all, whole_needed

from .helpers import MIXED, NOW, ticket

POLICY = load_policy()


class Counter:
    """No category opinion; reads every whole message as holding several requests with the
    given probability (None: no opinion), and remembers what it was asked."""

    name = "counter"

    def __init__(self, several: float | None) -> None:
        self.several = several
        self.asked: list[str] = []
        self.counted: list[str] = []

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        self.asked.extend(texts)
        return [TextSignals() for _ in texts]

    def several_requests(self, texts: Sequence[str]) -> list[float | None]:
        self.counted.extend(texts)
        return [self.several for _ in texts]


def _policy(below: float | None) -> Policy:
    splitting = POLICY.splitting.model_copy(update={"one_request_below": below})
    return POLICY.model_copy(update={"splitting": splitting})


def test_the_default_policy_keeps_a_cut_message_whole_below_its_threshold() -> None:
    below = POLICY.splitting.one_request_below
    assert below is not None and 0 < below < 0.5
    d = triage(ticket(MIXED), POLICY, NOW, Counter(below / 2))
    assert len(d.requests) == 1
    (reason,) = [r.detail for r in d.reasons if r.rule == "split.one_request"]
    assert "reads the whole message as one request" in reason
    assert f"{below / 2:.2f}" in reason
    assert not any(r.rule == "split.mixed" for r in d.reasons)


def test_at_or_above_the_threshold_the_markers_cut_stands() -> None:
    below = POLICY.splitting.one_request_below
    assert below is not None
    for several in (below, 0.9):
        d = triage(ticket(MIXED), POLICY, NOW, Counter(several))
        assert [r.queue for r in d.requests] == ["usage", "billing"]
        assert not any(r.rule == "split.one_request" for r in d.reasons)


def test_no_opinion_no_threshold_or_no_such_model_never_merges() -> None:
    assert len(triage(ticket(MIXED), POLICY, NOW, Counter(None)).requests) == 2
    assert len(triage(ticket(MIXED), _policy(None), NOW, Counter(0.0)).requests) == 2
    assert len(triage(ticket(MIXED), POLICY, NOW).requests) == 2  # rules only


def test_only_a_message_cut_for_two_teams_is_counted() -> None:
    model = Counter(0.0)
    triage(ticket("How do I add a second admin to tenant Harbor Dental?"), POLICY, NOW, model)
    assert model.counted == []


def test_the_whole_text_is_read_once_and_a_batch_asks_for_it_up_front() -> None:
    p = prepare(ticket(MIXED), POLICY)
    model = Counter(0.01)
    triage(ticket(MIXED), POLICY, NOW, model)
    assert model.asked == [*p.pieces, p.whole]
    assert whole_needed(p, POLICY, {t: TextSignals() for t in p.pieces}, model)
    assert not whole_needed(p, POLICY, {t: TextSignals() for t in p.pieces}, Counter(0.5))
    batch = Counter(0.01)
    scored = score_all([p], POLICY, batch)
    assert p.whole in scored
    tickets = [ticket(MIXED), ticket("Why did our credits drop so fast yesterday?")]
    one_by_one = [triage(t, POLICY, NOW, Counter(0.01)) for t in tickets]
    assert triage_many(tickets, POLICY, NOW, Counter(0.01)) == one_by_one


@pytest.mark.parametrize("below", [-0.1, 1.5])
def test_a_threshold_outside_zero_to_one_is_refused(below: float) -> None:
    raw = POLICY.model_dump(mode="json")
    raw["splitting"]["one_request_below"] = below
    with pytest.raises(ValidationError, match="one_request_below"):
        Policy.model_validate(raw)
