"""Category boundaries beyond the obvious signals."""

from __future__ import annotations

import pytest

from supportdesk.core.policy import load_policy
from supportdesk.core.triage.classify import rule_scores

POLICY = load_policy()


def best(text: str) -> str | None:
    return rule_scores(text, POLICY).top()[0]


@pytest.mark.parametrize(
    "text",
    [
        "The credits chart on the tenant overview keeps spinning and never loads in Firefox.",
        "Our billing tab crashes with a white page whenever I open last year's statements.",
        "The invoice PDF downloads as a blank file for every month since the portal update.",
        "The usage export CSV is empty since Friday, even though the on-screen numbers look right.",
    ],
)
def test_a_defect_in_a_usage_or_billing_screen_is_technical(text: str) -> None:
    assert best(text) == "technical"


@pytest.mark.parametrize(
    "text",
    [
        "Why did our credit usage double last week for the Alder tenant?",
        "Please send a usage report for each tenant for October.",
        "Can you explain the overage charge on the November invoice?",
    ],
)
def test_plain_usage_and_billing_questions_keep_their_category(text: str) -> None:
    assert best(text) in ("credits_usage", "billing")


@pytest.mark.parametrize(
    "text",
    [
        "Every assistant at the Pine Hill tenant times out with 'gateway error'; the balance "
        "looks fine, so this isn't a usage issue.",
        "Not a credits question: the scheduled digest fails at step 3 with an upload error.",
    ],
)
def test_a_defect_said_not_to_be_about_usage_is_technical(text: str) -> None:
    assert best(text) == "technical"


@pytest.mark.parametrize(
    "text",
    [
        "A bookkeeper at Hollis Dental gets 'access denied' when she opens the usage page.",
        "Since Monday our finance lead sees 'permission required' on the invoices screen.",
        "After the tenant move, Sam lost his admin role and can't open the usage report.",
    ],
)
def test_a_user_denied_a_usage_or_billing_page_is_access(text: str) -> None:
    assert best(text) == "access"


@pytest.mark.parametrize(
    "text",
    [
        "Our tenants run dry by the 20th. Is there a discount if we prepay for the year?",
        "The Orchid Bay tenant runs dry every month; what package should we move them to?",
        "Could we move to an annual commitment instead of monthly bundles?",
    ],
)
def test_buying_more_or_paying_differently_is_billing(text: str) -> None:
    assert best(text) == "billing"
