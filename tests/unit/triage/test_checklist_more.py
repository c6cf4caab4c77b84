"""What a billing request already says: its request type and its invoice, in the languages
tickets arrive in, are not asked for again."""

from __future__ import annotations

import pytest

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import triage

from .helpers import NOW, ticket

POLICY = load_policy()


def billing_missing(text: str) -> list[str]:
    d = triage(ticket(text, subject="Invoice question"), POLICY, NOW)
    assert [r.category for r in d.requests] == ["billing"], d.requests
    return d.requests[0].missing


@pytest.mark.parametrize(
    "text",
    [
        "Invoice 88104 for Harbor Dental has a late fee on it; we paid on time.",
        "Die Rechnung RE-2026-1187 für das Premium-Paket: bitte kündigen Sie das Abo.",
        "Na fatura 2026-08812 o pacote aparece duas vezes. Solicito o estorno da cobrança.",
        "Na fakturze FV/2026/01/042 za pakiet Premium brakuje NIP. Prosimy o korektę faktury.",
        "Invoice INV-4471 shows 60 seats for Harbor Dental, but we're at 52 seats.",
    ],
)
def test_the_request_type_is_read_in_other_words_and_languages(text: str) -> None:
    assert "billing_request_type" not in billing_missing(text)


@pytest.mark.parametrize(
    "text",
    [
        "The December invoice 40212 for Cobalt Marine needs reissuing to their new legal name.",
        "Invoice 40213 billed an overage of 5,000 credits that we'd like reversed.",
        "The onboarding line should be removed from invoice 40214.",
        "The onboarding fee on invoice INV-18830 should be credited back to us.",
        "Queremos dar de baja el complemento de voz del cliente; factura 40215.",
    ],
)
def test_the_request_type_is_read_in_any_word_form(text: str) -> None:
    """Word forms of the actions ("reissuing", "reversed", "removed") were once asked again.
    (The subject names no request type: `billing_missing`'s "Invoice question" does.)"""
    assert given_item(text, "Invoice", "billing", "billing_request_type")


@pytest.mark.parametrize(
    "text",
    [
        "Our Dec 1 payment for the Standard plan failed, please retry the card.",
        "We need the receipt for the June payment of the Premium plan, please send it.",
        "Pourriez-vous envoyer le reçu du prélèvement du 5 septembre pour l'abonnement Premium ?",
        "Our VAT number is missing on the Premium plan invoices since July, please reissue them.",
        # a charge or a purchase dated in another language, either way round
        "Il 14 ottobre ci è stato addebitato due volte il pacchetto da 20.000 crediti.",
        "Fomos cobrados duas vezes no dia 15 de outubro pelo mesmo pacote de minutos.",
        "Das Monatsabo Standard wurde am 3. November zweimal abgebucht. Bitte erstatten.",
        "Le pack de 100 000 crédits a été acheté deux fois le 15 décembre, remboursez le doublon.",
        "De afschrijving van 2 november is twee keer van onze rekening gegaan. Terugstorten a.u.b.",
        # the date before the charge, or a year's invoices
        "Our purchase of a 50,000-credit pack (order 7731-AX, 29 Dec) was charged twice.",
        "Could you refund yesterday's $240 charge for the Pinewood top-up?",
        "We need copies of all our 2025 invoices for our annual audit.",
    ],
)
def test_a_payment_date_or_a_period_names_the_invoice(text: str) -> None:
    assert "invoice_reference" not in billing_missing(text)


@pytest.mark.parametrize(
    "text",
    [
        "Our card was declined on the Premium renewal, we've updated it; please retry.",
        "La tarjeta fue rechazada en la renovación del plan Standard. ¿Pueden reintentar?",
        "Our payment failed again for the Standard plan. Please fix it.",
        "Wczoraj bank odrzucił płatność za odnowienie planu Premium. Prosimy o pomoc.",
    ],
)
def test_a_failed_payment_is_not_asked_for_an_invoice(text: str) -> None:
    assert "invoice_reference" not in billing_missing(text)


def test_a_billing_request_that_names_nothing_is_still_asked() -> None:
    missing = billing_missing(
        "Something is off with our billing for the Premium plan, please help."
    )
    assert "invoice_reference" in missing


def given_item(text: str, subject: str, category: str, item: str) -> bool:
    """Whether the text's one request, of `category`, is not asked for `item`."""
    d = triage(ticket(text, subject=subject), POLICY, NOW)
    assert d.requests[0].category == category, d.requests
    return item not in d.requests[0].missing


@pytest.mark.parametrize(
    "text",
    [
        "Waarom is het verbruik van De Vries Accountants deze week ineens verdubbeld?",
        "Zużycie kredytów u klienta Kowalczyk Transport wzrosło w listopadzie trzykrotnie.",
        "Koszty za listopad u klienta Hurtownia Nowak są wyższe niż za cały październik.",
        "Tamarack Builders used 60% of their credits in the first week of May. Why so heavy?",
    ],
)
def test_a_period_in_other_words_dates_a_usage_question(text: str) -> None:
    assert given_item(text, "Credits", "credits_usage", "date_time")


def test_a_date_given_in_the_other_request_of_the_ticket_counts_as_given() -> None:
    """Only what is really absent is asked for: "the same days" point at the date the ticket
    gives in its first request."""
    text = (
        "Since Monday 3 March the Teams connector for Holt Dental fails with 401 on every sync. "
        "Separately, why did Holt Dental's credits drop by 20k over the same days?"
    )
    d = triage(ticket(text), POLICY, NOW)
    assert [r.category for r in d.requests] == ["integration", "credits_usage"]
    assert "date_time" not in d.requests[1].missing


@pytest.mark.parametrize(
    ("text", "given"),
    [
        ("Our pooled credits hit 95% of the cap on 20 December. When does it reset?", True),
        ("We're at 94% of our monthly credit allowance on the 24th. Does it carry over?", True),
        ("Our partner pool dropped by 90k credits on 3 May. What used it?", True),
        ("Our client's usage tripled on 3 May. What used it?", False),
        ("Usage at one of our tenants tripled on 3 May. What used it?", False),
    ],
)
def test_our_own_pool_or_allowance_names_the_workspace(text: str, given: bool) -> None:
    assert given_item(text, "Credits", "credits_usage", "workspace_or_tenant") == given


def test_a_question_about_next_month_in_general_is_still_undated() -> None:
    d = triage(
        ticket("Does a tenant's unused allowance roll over to the next month or is it lost?"),
        POLICY,
        NOW,
    )
    assert "date_time" in d.requests[0].missing


@pytest.mark.parametrize(
    "text",
    [
        "Depuis ce matin aucun utilisateur de notre client Pharmacie Delorme n'arrive à se "
        "connecter via SSO.",
        "Bij onze klant Van Dijk ziet de technicus geen tenants meer na de rolwijziging in SSO.",
        "Derek Holt left the company two weeks ago and he still has access to the Mesquite tenant.",
    ],
)
def test_what_happened_is_read_in_other_words_and_languages(text: str) -> None:
    assert given_item(text, "SSO", "access", "actual_behavior")


@pytest.mark.parametrize(
    "text",
    [
        "Our provisioning script calls GET /v1/tenants for our own partner account and gets 403 "
        "Forbidden since the 18th.",
        "Via onze PSA-koppeling komt elk webhook-event dubbel binnen. Dat geldt voor alle tenants.",
        "Since 02:00 we receive no workflow.completed webhooks for any tenant; other events "
        "still arrive.",
    ],
)
def test_our_own_account_or_every_tenant_answers_which_tenant(text: str) -> None:
    assert given_item(text, "API", "integration", "affected_tenant")


@pytest.mark.parametrize(
    ("text", "subject", "category"),
    [
        # tenants in general, or several of them by their number
        (
            "Is there a way to set the default model for every new tenant we create?",
            "How to",
            "setup",
        ),
        (
            "Where do I set the welcome message users see in chat, for our clients in general?",
            "How to",
            "setup",
        ),
        (
            "Hatz phone agents stopped answering at 22:00 for 9 clients with after-hours lines; "
            "calls just ring out.",
            "outage",
            "technical",
        ),
        # a customer user's e-mail address names the customer by its domain
        (
            "Gave tmorgan@silverpinerealty.example the tenant admin role yesterday but she still "
            "only sees the normal user view.",
            "roles",
            "access",
        ),
    ],
)
def test_tenants_in_general_or_a_customer_domain_answer_which_tenant(
    text: str, subject: str, category: str
) -> None:
    assert given_item(text, subject, category, "affected_tenant")


@pytest.mark.parametrize(
    ("text", "subject", "category", "item"),
    [
        # the requester's own login, console, key or pool is no client's
        (
            "can't log in. MFA code says invalid every time. my own admin acct, not a client",
            "mfa",
            "access",
            "affected_tenant",
        ),
        (
            "Since we rotated our partner API key, the PSA integration that creates tenants for "
            "us gets 401 invalid_api_key from the API.",
            "api",
            "integration",
            "affected_tenant",
        ),
        (
            "What's the endpoint to list our tenants through the API? We want to sync tenant names "
            "into our PSA.",
            "api",
            "integration",
            "affected_tenant",
        ),
        (
            "We still have 180,000 credits unused in our pool. Do those roll over next month or "
            "do they expire when the allowance resets?",
            "credits",
            "credits_usage",
            "workspace_or_tenant",
        ),
    ],
)
def test_the_requesters_own_account_answers_which_tenant(
    text: str, subject: str, category: str, item: str
) -> None:
    assert given_item(text, subject, category, item)


def test_one_of_our_tenants_is_still_asked_which() -> None:
    d = triage(
        ticket("one of our tenants went from 64k to 44k credits overnight. which workflow?"),
        POLICY,
        NOW,
    )
    assert [r.category for r in d.requests] == ["credits_usage"]
    assert "workspace_or_tenant" in d.requests[0].missing


def test_an_address_on_the_requesters_own_domain_names_no_customer() -> None:
    text = "One of our clients has a user who cannot log in; I tried as admin@msp.example too."
    d = triage(ticket(text), POLICY, NOW)
    assert "affected_tenant" in d.requests[0].missing


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "Since 2 December the HubSpot connector for our client Lima Construções shows "
            "'token revoked' on every sync of the tenant.",
            "integration",
        ),
        (
            "Since the move yesterday SSO for our client Oakmont Veterinary gives "
            "AADSTS50011 to every user of the tenant.",
            "access",
        ),
        (
            "Since this morning the document summariser hangs for every PDF our client "
            "Tidewater Law uploads in their tenant.",
            "technical",
        ),
    ],
)
def test_a_quoted_message_an_error_code_or_a_hang_is_the_actual_behaviour(
    text: str, category: str
) -> None:
    assert given_item(text, "Problem", category, "actual_behavior")


def test_a_problem_that_says_nothing_of_what_happens_is_still_asked() -> None:
    text = "The Salesforce connector for our client Grayson Realty has an issue in their tenant."
    assert not given_item(text, "Connector", "integration", "actual_behavior")
