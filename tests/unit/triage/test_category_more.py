"""Category boundaries beyond the obvious signals."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import triage
from supportdesk.core.triage.classify import classify, explain, rule_scores
from supportdesk.core.triage.models import CATEGORIES
from supportdesk.core.triage.ports import TextSignals
from supportdesk.core.triage.text import reads_as_english

from .helpers import NOW, ticket

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
        "The credit balance widget on our dashboard shows 'NaN' instead of a number since Monday.",
        "Since the redesign the estimated cost column shows $0.00 for every tenant while the "
        "credits column moves. Looks like a display bug.",
        "The usage cost chart shows a yen sign instead of dollars since the weekend, the CFO asks "
        "if they are being billed in yen. Please fix the display.",
        "Download PDF on any invoice opens a tab with 'Error 404 - resource not found'.",
        "The month-end projection card is obviously wrong for Alder Law: it says 48 million "
        "credits.",
    ],
)
def test_a_usage_figure_shown_wrong_is_a_defect(text: str) -> None:
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


# --- the text model is English-only: other languages lean on the policy's signals -------------


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Why did our credit usage double last week for the Alder tenant?", True),
        ("The Teams connector for Whitlock posts every answer twice since Friday.", True),
        ("Seit Montag verbraucht der Mandant Baumann doppelt so viele Credits wie sonst.", False),
        ("Où peut-on régler la durée de conservation des conversations ?", False),
        ("Dzień dobry, eksport raportu nie działa, a plik CSV jest pusty.", False),
        ("all tenants down, 500 on everything since 11:02", True),  # terse English
        # one English sentence inside a German mail still reads as English enough
        ("Hallo, the usage page for our tenant is empty since Monday. Danke!", True),
        ("SSO kaputt", True),  # too short to tell
    ],
)
def test_reads_as_english(text: str, english: bool) -> None:
    assert reads_as_english(text) is english


def _model_leans(best: str, runner_up: str) -> TextSignals:
    """A text model that gives `best` 0.6 and `runner_up` 0.1 (six to one: more than three
    setup signal points outweigh at 0.4 per point, fewer than at 0.8), the rest evenly."""
    rest = (1.0 - 0.7) / (len(CATEGORIES) - 2)
    probs = {c: rest for c in CATEGORIES} | {best: 0.6, runner_up: 0.1}
    return TextSignals(category=probs)


def test_outside_english_the_policy_signals_weigh_more_against_the_model() -> None:
    # Both texts: one how-to signal (3 setup points), a model leaning six to one towards access.
    english = "How do I make the assistant always answer in Dutch for this tenant?"
    dutch = "Hoe stel ik in dat de assistent altijd in het Nederlands antwoordt voor deze klant?"
    assert rule_scores(english, POLICY).top()[0] == rule_scores(dutch, POLICY).top()[0] == "setup"
    sure_access = _model_leans("access", "setup")

    usual = classify(english, POLICY, sure_access)
    assert usual.category == "access" and usual.other_language_weight is None
    assert "classify.other_language" not in [rule for rule, _ in explain(usual, None, 0.5)]

    other = classify(dutch, POLICY, sure_access)
    assert other.category == "setup"
    assert other.other_language_weight == POLICY.classification.other_language_rule_weight
    assert "classify.other_language" in [rule for rule, _ in explain(other, None, 0.5)]

    # a policy without the setting weighs every language the same
    same = POLICY.model_copy(
        update={
            "classification": POLICY.classification.model_copy(
                update={"other_language_rule_weight": None}
            )
        }
    )
    assert classify(dutch, same, sure_access).category == "access"


@pytest.mark.parametrize(
    "text",
    [
        # a bill that grew, but the ask is what consumed it: a usage question
        "La facture du client Dupont a doublé : quels agents ont consommé autant en mars ?",
        "La factura subió mucho: ¿qué flujo está gastando tanto en la clínica desde el lunes?",
        "Koszty wzrosły dwukrotnie. Który agent zużywa najwięcej u klienta Wrona?",
        "Die Rechnung ist doppelt so hoch: welcher Workflow hat bei Roth so viel verbraucht?",
    ],
)
def test_what_consumed_it_is_a_usage_question_in_other_languages(text: str) -> None:
    assert best(text) == "credits_usage"


@given(st.text(max_size=400))
def test_reads_as_english_answers_for_any_text(text: str) -> None:
    assert reads_as_english(text) in (True, False)
    # a few words are always too few to tell
    assert reads_as_english(" ".join(re.findall(r"\w+", text)[:5]))


def test_the_english_word_credit_is_not_also_read_as_another_language() -> None:
    """ "credit(s)" counts once, as the English credits signal; the other-languages signal is for
    crédit, crédits, créditos and the like."""
    labels = [s.label for s in POLICY.categories["credits_usage"].signals]
    assert "usage (other languages)" in labels
    for text, other in [
        ("Please credit the duplicate add-on on invoice INV-44120.", False),
        ("Our credits ran out on Tuesday.", False),
        ("Les crédits de notre client ont disparu.", True),
        ("Los créditos se agotaron el martes.", True),
    ]:
        labels = {e.label for e in rule_scores(text, POLICY).evidence}
        assert ("usage (other languages)" in labels) is other, text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("The failed run still charged 1,200 credits from the Fulton balance.", "credits_usage"),
        ("The newsletter app charges credits for blank runs, why?", "credits_usage"),
        ("Invoice 4471 charged us twice for the same month.", "billing"),
        ("We were charged for 40,000 extra credits we never used.", "billing"),
    ],
)
def test_charging_credits_is_consumption_charging_money_is_billing(
    text: str, category: str
) -> None:
    assert best(text) == category


def test_saying_it_is_no_payment_problem_counts_for_the_defect() -> None:
    text = (
        "Every chat at Summit Ridge fails with 'Entitlement check failed' since your billing "
        "migration; their invoice was paid, so this isn't a payment problem."
    )
    labels = {e.label for e in rule_scores(text, POLICY).evidence if e.category == "technical"}
    assert "not a usage question" in labels


@pytest.mark.parametrize(
    "text",
    [
        "Sinds vanochtend geeft de app Werkbon-generator de foutmelding 'Template not found'.",
        "Beim Autohaus Brenner schlagen seit Freitag alle gescannten PDFs beim Hochladen fehl.",
        "Il portale dà errore appena apro la pagina delle impostazioni del tenant.",
    ],
)
def test_a_defect_in_other_languages_is_technical(text: str) -> None:
    assert best(text) == "technical"


def test_by_mistake_in_italian_is_no_defect() -> None:
    text = "Un collega ha acquistato per errore un pacchetto crediti: chiediamo il rimborso."
    assert best(text) != "technical"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Użytkowniczka a.nowak nie może zresetować hasła w tenancie Kowalski Serwis.", "access"),
        ("We proberen jan.bakker beheerder te maken, maar de rol-dropdown staat grijs.", "access"),
        ("Bei mir lädt der Chat seit heute früh nicht mehr. Können Sie helfen?", "technical"),
        ("Quand je joins un PDF ça plante avec une roue qui tourne pour rien.", "technical"),
        ("Como eu crio um workflow agendado que rode todo dia 1º em todos os tenants?", "setup"),
        ("Jak udostępnić asystenta kolegom z działu handlowego?", "setup"),
    ],
)
def test_access_defects_and_how_tos_in_other_languages(text: str, category: str) -> None:
    assert best(text) == category


def test_the_english_word_role_counts_once() -> None:
    labels = [e.label for e in rule_scores("Please change his role to admin.", POLICY).evidence]
    assert "sign-in (other languages)" not in labels


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "¿Cuál es el límite de llamadas por minuto de la API para nuestra cuenta?",
            "credits_usage",
        ),
        ("Vorremmo un preventivo per un pacchetto da 5.000 minuti al mese.", "billing"),
        ("No nosso contrato de parceiro, o preço por crédito adicional é fixo?", "billing"),
        (
            "Nous cherchons un accompagnement pour concevoir un agent de qualification.",
            "enablement",
        ),
        ("A Escola Girassol está gastando muito crédito, quais assistentes?", "credits_usage"),
    ],
)
def test_usage_billing_and_enablement_words_in_other_languages(text: str, category: str) -> None:
    assert best(text) == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "POST /v1/files returns HTTP 500 for any file over 10 MB; smaller uploads work.",
            "integration",
        ),
        (
            "Pinecrest hits the wall every month. How do we get more credits, what should we be "
            "buying instead?",
            "billing",
        ),
    ],
)
def test_an_api_call_is_integration_and_what_to_buy_is_a_purchase(text: str, category: str) -> None:
    assert best(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "How do I reset a user's MFA myself from the portal?",
        "How do I create a role that gives a technician read-only access to all our tenants?",
    ],
)
def test_how_to_set_up_an_access_feature_is_setup(text: str) -> None:
    assert best(text) == "setup"


@pytest.mark.parametrize(
    "text",
    [
        "Queremos pasar nuestro plan Standard de facturación mensual a anual. ¿Podéis enviarnos "
        "las condiciones y el precio?",
        "Wir möchten von Monatsabo auf einen 3-Jahres-Vertrag wechseln. Könnten Sie uns eine "
        "Offerte zustellen?",
        "Quanto costerebbe passare al premium per i nostri 5 tenant? Mandateci un preventivo.",
    ],
)
def test_an_upgrade_or_a_quote_in_other_languages_goes_to_sales(text: str) -> None:
    d = triage(ticket(text, subject="Plan"), POLICY, NOW)
    assert [(r.category, r.queue) for r in d.requests] == [("billing", "sales")]
