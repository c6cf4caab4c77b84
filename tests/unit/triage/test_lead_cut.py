"""The ask cut the other way round (`splitting.ask_cut.lead`): a ticket read as the money team's
whose leading sentences are a product problem or a usage question of their own is two requests."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from supportdesk.core.policy import PolicyError, default_policy_text, load_policy, load_policy_text
from supportdesk.core.triage import triage
from supportdesk.core.triage.ports import TextSignals

from .helpers import NOW, ticket

POLICY = load_policy()

UPLOADS = (
    "Since this morning file uploads fail with 'Upload failed (413)' for anything over 10 MB in "
    "the Marlin Yachts tenant; smaller files are fine."
)
PRICING = "What is annual pricing for 200 extra seats across our account?"
USAGE_FACT = "Poplar Street Pharmacy used 31,000 credits in May, well inside their 50k allowance."
USAGE_QUESTION = "Can you tell us why Poplar Street Pharmacy used 31,000 credits in May?"
REFUND = "Invoice 40718 still charges them an extra top-up, please refund that charge."


def _reading(text: str) -> dict[str, float]:
    if "pricing" in text or "refund" in text:
        return {"billing": 0.96, "technical": 0.02, "credits_usage": 0.02}
    if "credits" in text:
        return {"credits_usage": 0.9, "billing": 0.05, "technical": 0.05}
    return {"technical": 0.9, "billing": 0.05, "credits_usage": 0.05}


class MoneyFirst:
    """Reads any text with a money ask in it as billing, with no doubt (so the model cut, which
    needs a torn reading, stays out of the way); the rest by its words."""

    name = "fake"

    def __init__(self, quick: bool = True) -> None:
        if not quick:
            self.predict_quick = None  # type: ignore[assignment]

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        return [TextSignals(category=_reading(t)) for t in texts]

    def predict_quick(self, texts: Sequence[str]) -> list[TextSignals]:
        return self.predict(texts)


def _without_lead() -> object:
    text = default_policy_text()
    start = text.index("    lead:\n      min_confidence")
    end = text.index("must_ask: [usage, phone_agent_review]\n") + len(
        "must_ask: [usage, phone_agent_review]\n"
    )
    return load_policy_text(text[:start] + text[end:])


def test_a_problem_before_a_price_question_is_two_requests() -> None:
    d = triage(ticket(f"{UPLOADS} {PRICING}"), POLICY, NOW, MoneyFirst())
    assert [(r.category, r.queue) for r in d.requests] == [
        ("technical", "support"),
        ("billing", "sales"),
    ]
    assert d.requests[0].text == UPLOADS
    assert d.requests[1].text == PRICING
    mixed = next(r.detail for r in d.reasons if r.rule == "split.mixed")
    assert "asks the billing team for an action of its own" in mixed
    # the lead's reading is explained as the model's quick reading of that part alone
    lead = [r.detail for r in d.reasons if r.rule == "classify.model" and r.request == 0]
    assert lead and lead[0].startswith("this part alone")


def test_a_usage_figure_that_backs_up_a_refund_stays_in_it() -> None:
    d = triage(ticket(f"{USAGE_FACT} {REFUND}"), POLICY, NOW, MoneyFirst())
    assert [r.category for r in d.requests] == ["billing"]


def test_a_usage_question_before_a_refund_is_two_requests() -> None:
    d = triage(ticket(f"{USAGE_QUESTION} {REFUND}"), POLICY, NOW, MoneyFirst())
    assert [(r.category, r.queue) for r in d.requests] == [
        ("credits_usage", "usage"),
        ("billing", "billing"),
    ]


def test_no_money_action_after_the_lead_is_no_cut() -> None:
    text = f"{UPLOADS} The invoice pricing page shows the old numbers too."
    assert [r.category for r in triage(ticket(text), POLICY, NOW, MoneyFirst()).requests] == [
        "billing"
    ]


def test_the_policy_and_the_model_decide_it() -> None:
    text = f"{UPLOADS} {PRICING}"
    assert len(triage(ticket(text), _without_lead(), NOW, MoneyFirst()).requests) == 1
    assert len(triage(ticket(text), POLICY, NOW, MoneyFirst(quick=False)).requests) == 1


def test_the_policy_rejects_an_unknown_queue_in_must_ask() -> None:
    text = default_policy_text().replace(
        "must_ask: [usage, phone_agent_review]", "must_ask: [usage, nowhere]"
    )
    with pytest.raises(PolicyError, match="ask_cut.lead.must_ask names unknown queue 'nowhere'"):
        load_policy_text(text)
