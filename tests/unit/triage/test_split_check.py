"""The split check: the text model's last word on any cut (`Splitting.split_check_below`, the
`SplitCheckModel` port)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from supportdesk.core.policy import load_policy
from supportdesk.core.policy.model import Policy
from supportdesk.core.triage import TextSignals, prepare, triage, triage_many
from supportdesk.core.triage.engine import proposed_split, score_all

from .helpers import MIXED, NOW, ticket
from .test_ask_cut import OUTAGE_AND_CREDIT

POLICY = load_policy()


class Checker:
    """Reads every text as `category` (None: no opinion) and every proposed split as holding
    several requests with probability `holds` (None: no opinion); remembers what it checked."""

    name = "checker"

    def __init__(self, holds: float | None, category: str | None = None) -> None:
        self.holds = holds
        self.category = category
        self.checked: list[tuple[str, list[str], list[str], str]] = []

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        if self.category is None:
            return [TextSignals() for _ in texts]
        others = {"technical", "access", "billing", "credits_usage"} - {self.category}
        reading = {self.category: 0.97, **dict.fromkeys(others, 0.01)}
        return [TextSignals(category=reading) for _ in texts]

    def split_holds(
        self, whole: str, sentences: Sequence[str], parts: Sequence[str], how: str
    ) -> float | None:
        self.checked.append((whole, list(sentences), list(parts), how))
        return self.holds


def _policy(below: float | None) -> Policy:
    splitting = POLICY.splitting.model_copy(update={"split_check_below": below})
    return POLICY.model_copy(update={"splitting": splitting})


def _below() -> float:
    below = POLICY.splitting.split_check_below
    assert below is not None and 0 < below < 1
    return below


def test_a_markers_cut_the_check_doubts_stays_one_request_and_says_why() -> None:
    below = _below()
    model = Checker(below / 2)
    d = triage(ticket(MIXED), POLICY, NOW, model)
    assert len(d.requests) == 1
    (reason,) = [r.detail for r in d.reasons if r.rule == "split.one_request"]
    assert "split check reads it as one request" in reason
    assert f"{below / 2:.2f}" in reason and f"{below:.2f}" in reason
    assert not any(r.rule == "split.mixed" for r in d.reasons)
    ((whole, sentences, parts, how),) = model.checked
    assert how == "markers" and len(parts) == 2 and whole == prepare(ticket(MIXED), POLICY).whole
    assert len(sentences) >= 2


def test_at_or_above_the_threshold_the_cut_stands() -> None:
    below = _below()
    for holds in (below, 0.99):
        d = triage(ticket(MIXED), POLICY, NOW, Checker(holds))
        assert [r.queue for r in d.requests] == ["usage", "billing"]
        assert not any(r.rule == "split.one_request" for r in d.reasons)


def test_no_opinion_no_threshold_or_no_such_model_never_merges() -> None:
    assert len(triage(ticket(MIXED), POLICY, NOW, Checker(None)).requests) == 2
    assert len(triage(ticket(MIXED), _policy(None), NOW, Checker(0.0)).requests) == 2
    assert len(triage(ticket(MIXED), POLICY, NOW).requests) == 2  # rules only


def test_the_check_has_the_last_word_on_the_ask_cut_too() -> None:
    model = Checker(0.99, "technical")
    assert len(triage(ticket(OUTAGE_AND_CREDIT), POLICY, NOW, model).requests) == 2
    assert [how for *_, how in model.checked] == ["ask"]
    doubted = Checker(0.0, "technical")
    d = triage(ticket(OUTAGE_AND_CREDIT), POLICY, NOW, doubted)
    assert [(r.category, r.queue) for r in d.requests] == [("technical", "support")]
    assert any(r.rule == "split.one_request" for r in d.reasons)


def test_a_message_read_as_one_request_is_never_checked() -> None:
    model = Checker(0.0)
    triage(ticket("How do I add a second admin to tenant Harbor Dental?"), POLICY, NOW, model)
    assert model.checked == []


def test_a_batch_asks_for_the_whole_text_of_a_doubted_cut_up_front() -> None:
    p = prepare(ticket(MIXED), POLICY)
    assert p.whole in score_all([p], POLICY, Checker(0.0))
    assert p.whole not in score_all([p], POLICY, Checker(0.99))
    tickets = [ticket(MIXED), ticket(OUTAGE_AND_CREDIT)]
    one_by_one = [triage(t, POLICY, NOW, Checker(0.1)) for t in tickets]
    assert triage_many(tickets, POLICY, NOW, Checker(0.1)) == one_by_one


def test_the_proposed_split_is_what_the_cascade_cuts_before_any_check() -> None:
    found = proposed_split(ticket(MIXED), POLICY, Checker(0.0))
    assert found is not None
    whole, parts, how = found
    assert how == "markers" and len(parts) == 2 and whole.endswith(parts[-1].split("\n")[-1])
    found = proposed_split(ticket(OUTAGE_AND_CREDIT), POLICY, Checker(0.0, "technical"))
    assert found is not None and found[2] == "ask"
    one = ticket("How do I add a second admin to tenant Harbor Dental?")
    assert proposed_split(one, POLICY, Checker(0.0)) is None


@pytest.mark.parametrize("below", [-0.1, 1.5])
def test_a_threshold_outside_zero_to_one_is_refused(below: float) -> None:
    raw = POLICY.model_dump(mode="json")
    raw["splitting"]["split_check_below"] = below
    with pytest.raises(ValidationError, match="split_check_below"):
        Policy.model_validate(raw)
