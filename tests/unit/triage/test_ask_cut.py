"""The ask cut: a product problem whose later sentence asks billing or sales for an action of
its own (a refund, a credit, a corrected invoice, a cancellation, a quote) is two requests."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import triage
from supportdesk.core.triage.ports import TextSignals

from .helpers import NOW, ticket

POLICY = load_policy()
WITHOUT = POLICY.model_copy(
    update={"splitting": POLICY.splitting.model_copy(update={"ask_cut": None})}
)


class ReadsAs:
    """A text model that reads every text as one category (and has no quick signals, so the
    model cut stays out of the way): the whole ticket's reading is what the ask cut starts from."""

    name = "fake"

    def __init__(self, category: str) -> None:
        self.category = category

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        others = {"technical", "access", "billing", "credits_usage"} - {self.category}
        reading = {self.category: 0.97, **dict.fromkeys(others, 0.01)}
        return [TextSignals(category=reading) for _ in texts]


OUTAGE_AND_CREDIT = (
    "Nobody in any of our 30 tenants gets a chat response since 09:10 UTC, every request returns "
    "'Service unavailable (503)' after sign-in. We'll want a credit on this month's invoice for "
    "the platform subscription."
)


def test_an_outage_with_a_credit_asked_for_is_two_requests() -> None:
    d = triage(ticket(OUTAGE_AND_CREDIT), POLICY, NOW, ReadsAs("technical"))
    assert [(r.category, r.queue) for r in d.requests] == [
        ("technical", "support"),
        ("billing", "billing"),
    ]
    assert d.requests[1].text.startswith("We'll want a credit")
    assert "Service unavailable" in d.requests[0].text
    mixed = next(r.detail for r in d.reasons if r.rule == "split.mixed")
    assert "asks the billing team for an action of its own" in mixed
    assert "credit on this month" in mixed
    assert any(r.rule == "classify.ask_cut" and r.request == 1 for r in d.reasons)


def test_the_policy_decides_it() -> None:
    assert len(triage(ticket(OUTAGE_AND_CREDIT), WITHOUT, NOW, ReadsAs("technical")).requests) == 1


def test_a_sign_in_problem_and_a_cancellation() -> None:
    text = (
        "The password reset email never arrives for my admin login at Fernhill Dental. "
        "Please cancel our subscription for the Phone Agent add-on at the end of the month."
    )
    d = triage(ticket(text), POLICY, NOW, ReadsAs("access"))
    assert [r.category for r in d.requests] == ["access", "billing"]


def test_a_quote_goes_to_sales() -> None:
    text = (
        "The HubSpot connector shows 'Not available on your plan' when I enable it for Lumen "
        "Realty, other connectors work fine. If it is a paid add-on, could you send us a quote?"
    )
    d = triage(ticket(text), POLICY, NOW, ReadsAs("integration"))
    assert [r.queue for r in d.requests] == ["support", "sales"]


def test_an_ask_made_before_the_problem_comes_first() -> None:
    text = (
        "Call with Marcus Bell, owner. For the 2027 renewal he wants a quote adding 60 seats to "
        "their plan. He then asked why the receptionist agent for Sunrise Vets logged 3,400 "
        "minutes in December when the clinic was closed for a week, and how they were counted."
    )
    d = triage(ticket(text), POLICY, NOW, ReadsAs("credits_usage"))
    assert [r.queue for r in d.requests] == ["sales", "phone_agent_review"]
    assert d.requests[0].text.startswith("For the 2027 renewal")


def test_money_words_that_ask_nothing_stay_with_the_problem() -> None:
    text = (
        "Since Monday the portal's invoice page crashes with error 500 for every user. "
        "The refund button next to each invoice does nothing either."
    )
    assert len(triage(ticket(text), POLICY, NOW, ReadsAs("technical")).requests) == 1


def test_a_usage_question_then_a_refund_is_two_requests_a_refund_read_as_billing_is_one() -> None:
    text = (
        "We bought a 50k credit pack for Driftwood Hotels on 12 March by mistake, they left us "
        "two days later. Nothing has been used from it. Can we get it refunded?"
    )
    # Read as billing (as the shipped model reads it), the pack and its refund are one request.
    assert len(triage(ticket(text), POLICY, NOW, ReadsAs("billing")).requests) == 1
    # Read as a usage question, the refund asked in a later sentence is billing's own request.
    usage = triage(ticket(text), POLICY, NOW, ReadsAs("credits_usage"))
    assert [r.category for r in usage.requests] == ["credits_usage", "billing"]
    cut = POLICY.splitting.ask_cut
    assert cut is not None
    narrower = POLICY.model_copy(
        update={
            "splitting": POLICY.splitting.model_copy(
                update={"ask_cut": cut.model_copy(update={"from_queues": ("support",)})}
            )
        }
    )
    assert len(triage(ticket(text), narrower, NOW, ReadsAs("credits_usage")).requests) == 1


def test_a_money_action_joined_by_and_is_cut_inside_its_sentence() -> None:
    text = (
        "Pemberton Clinic: can you explain where their 90k credits went between 1 and 15 "
        "December and refund the 50k booster we bought for them on the 10th?"
    )
    d = triage(ticket(text), POLICY, NOW, ReadsAs("credits_usage"))
    assert [r.category for r in d.requests] == ["credits_usage", "billing"]
    assert d.requests[1].text.startswith("refund the 50k booster")
    assert "refund" not in d.requests[0].text


def test_how_much_a_run_uses_is_a_usage_question_not_a_price_ask() -> None:
    text = (
        "Osprey Landscaping's scheduled workflow consumed credits every hour last week with no "
        "leads to process. Is it normal that an empty run still consumes credits, and how much "
        "does each check use?"
    )
    assert len(triage(ticket(text), POLICY, NOW, ReadsAs("credits_usage")).requests) == 1


def test_an_ask_in_the_first_sentence_is_not_cut_off() -> None:
    text = (
        "Please refund the SSO add-on on invoice 4471, because SAML sign-in has never worked "
        "for anyone at Orchard Legal since we bought it."
    )
    assert len(triage(ticket(text), POLICY, NOW, ReadsAs("access")).requests) == 1


@pytest.mark.parametrize(
    ("text", "queues", "second_opens"),
    [
        (  # a usage question, then cancelling the top-up it triggered (inside one sentence)
            "A looping workflow at Seabright Dental ran all night until we killed it at 8am: how "
            "many credits did it use between 6pm and 8am, and cancel the 20k auto top-up pack "
            "that got charged at 3am because of it.",
            ["usage", "billing"],
            "cancel the 20k auto top-up pack",
        ),
        (  # phone-agent minutes, then an invoice line nobody ordered
            "The AI receptionist at Coastal Chiropractic shows 3,100 minutes for April although "
            "the office was closed for a week. How were these minutes counted? There is a 'Voice "
            "Pack Plus' line on INV-61877 that nobody here ordered, please remove it.",
            ["phone_agent_review", "billing"],
            "There is a 'Voice Pack Plus' line",
        ),
    ],
)
def test_a_usage_question_with_a_money_action_of_its_own(
    text: str, queues: list[str], second_opens: str
) -> None:
    d = triage(ticket(text), POLICY, NOW, ReadsAs("credits_usage"))
    assert [r.queue for r in d.requests] == queues
    assert d.requests[1].text.startswith(second_opens)


@pytest.mark.parametrize(
    ("text", "reads_as"),
    [
        (
            "The Salesforce connector at Quillon Insurance fails with 'INVALID_SESSION_ID' on "
            "every sync since the 15th, even after re-authorizing, and we need a credit note on "
            "the December invoice for the connector add-on.",
            "integration",
        ),
        (
            "The mailbox connector for Tallis Pharmacy fails with 'admin consent required' since "
            "30 December; please refund the connector add-on on our December invoice for those "
            "days.",
            "integration",
        ),
        (
            "Da stamattina tutti gli agenti del tenant Studio Ferraris rispondono con errore 503. "
            "Per il disservizio di oggi chiede una nota di credito sulla fattura di giugno.",
            "technical",
        ),
        (
            "Seit dem 2. September schlägt der Webhook nach Autotask bei jedem Aufruf mit HTTP "
            "500 fehl. Für die Woche Ausfall hätten wir gern eine Gutschrift auf der "
            "Septemberrechnung.",
            "integration",
        ),
        (
            "The Salesforce connector for Rossi Arredamenti fails on every sync since 28 "
            "September. Their October invoice lists the connector add-on twice for them, please "
            "remove the duplicate.",
            "integration",
        ),
    ],
)
def test_money_asks_in_more_words_and_clauses(text: str, reads_as: str) -> None:
    """A credit asked for after "and we need", after a semicolon, by someone else ("chiede"),
    as a German wish, or as a duplicate to remove: each was once left inside the problem."""
    d = triage(ticket(text), POLICY, NOW, ReadsAs(reads_as))
    assert [r.category for r in d.requests] == [reads_as, "billing"]


def test_a_clause_without_a_money_action_stays_with_the_problem() -> None:
    text = (
        "The Teams connector for Lemaire fails with 403 since Saturday and we re-authorised it "
        "twice; nothing changed on our side, please have a look."
    )
    assert len(triage(ticket(text), POLICY, NOW, ReadsAs("integration")).requests) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Oakfield Dental used roughly 3x their normal credits last week and i cant see why. "
        "whats the price on the 50k credit pack, thinking of buying 2",
        "Our trial tenant Cobalt Dental ran out of credits on Saturday after one file upload "
        "used 2,000 credits; why so many? What would the Standard plan cost for 5 tenants?",
        "Unser Tenant Hoffmann Bau hängt seit dem 6. November im Credit-Limit fest, warum schon "
        "nach einer Woche? Für den Kunden: was kostet das 50k-Pack im Monat?",
    ],
)
def test_a_price_asked_after_a_usage_question_goes_to_sales(text: str) -> None:
    d = triage(ticket(text), POLICY, NOW, ReadsAs("credits_usage"))
    assert [(r.category, r.queue) for r in d.requests] == [
        ("credits_usage", "usage"),
        ("billing", "sales"),
    ]


def test_what_a_run_costs_is_a_usage_question_not_a_price_ask() -> None:
    text = (
        "Our free allowance was gone by the 4th of this month after a handful of workflows. "
        "What does a workflow run actually cost against the allowance?"
    )
    assert len(triage(ticket(text), POLICY, NOW, ReadsAs("credits_usage")).requests) == 1


@pytest.mark.parametrize(
    ("said", "requests"),
    [
        ("We are not asking for a refund, we only want to know which agent used them.", 1),
        ("No buscamos reembolso ni nada, solo queremos entender qué agente lo consumió.", 1),
        ("We'd like a refund for those credits on the next invoice, please.", 2),
    ],
)
def test_a_money_action_said_not_to_be_asked_is_no_ask(said: str, requests: int) -> None:
    text = f"Why did Ferretería Olmedo use 18,000 credits on Sunday when nobody worked? {said}"
    assert len(triage(ticket(text), POLICY, NOW, ReadsAs("credits_usage")).requests) == requests
