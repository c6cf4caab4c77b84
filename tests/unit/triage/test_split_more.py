"""Splitting without the obvious markers: sentence cuts between teams, lists, added asks."""

from __future__ import annotations

from collections.abc import Sequence

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import triage
from supportdesk.core.triage.ports import TextSignals
from supportdesk.core.triage.split import (
    group,
    segments,
    sentence_cuts,
    sentences,
    without_sign_off,
)

from .helpers import NOW, ticket

POLICY = load_policy()


def test_a_product_problem_then_a_money_question_is_two_requests_without_a_marker() -> None:
    text = (
        "The Xero connector for Larkspur Dental throws an OAuth error on every sync since Friday. "
        "Why was our card charged twice for the November invoice?"
    )
    assert len(sentence_cuts(text, POLICY)) == 1
    d = triage(ticket(text), POLICY, NOW)
    assert [r.queue for r in d.requests] == ["support", "billing"]


def test_a_quote_request_after_an_sso_failure_goes_to_sales() -> None:
    text = (
        "SAML sign-in fails for every user at Orchard Legal since the Okta certificate rolled. "
        "Please send us a quote for 15 more seats for Orchard."
    )
    d = triage(ticket(text), POLICY, NOW)
    assert [r.queue for r in d.requests] == ["support", "sales"]


def test_a_money_sentence_that_asks_nothing_stays_with_the_problem() -> None:
    text = (
        "I'm the billing contact for our account. "
        "My authenticator app was wiped, can you reset MFA on my login?"
    )
    assert sentence_cuts(text, POLICY) == []
    assert len(triage(ticket(text), POLICY, NOW).requests) == 1


def test_a_money_error_stated_as_a_fact_asks_for_its_correction() -> None:
    text = (
        "The Teams bot for Alder Law answers every message twice since Monday. "
        "The October invoice charged us for two Teams add-ons, they have one workspace."
    )
    assert len(sentence_cuts(text, POLICY)) == 1
    d = triage(ticket(text), POLICY, NOW)
    assert [r.queue for r in d.requests] == ["support", "billing"]


def test_on_the_money_side_starts_a_new_piece() -> None:
    text = (
        "Could someone look at why the image runs at Greyfriars use ten times the credits? "
        "On the money side, their November invoice lists an add-on we never enabled."
    )
    pieces = segments(text, POLICY)
    assert len(pieces) == 2 and pieces[1].startswith("On the money side")


def test_a_clause_after_a_semicolon_that_says_also_starts_a_new_piece() -> None:
    text = (
        "Brightwater Dental's credit consumption tripled on 21 December and nobody can tell "
        "which workflow did it; the December invoice also bills 40 seats for 32 users."
    )
    pieces = segments(text, POLICY)
    assert len(pieces) == 2 and pieces[1].startswith("the December invoice also")


def test_usage_and_billing_sentences_are_never_cut_without_a_marker() -> None:
    # The usage/billing boundary mixes within single requests too often to cut on signals alone.
    text = (
        "Our credits balance dropped by 30k on the 4th. "
        "Why did the invoice charge us an overage for that?"
    )
    assert sentence_cuts(text, POLICY) == []


def test_unclear_sentences_are_not_cut() -> None:
    text = "Something is off with the portal. Can you take a look at our account?"
    assert sentence_cuts(text, POLICY) == []


def test_each_bullet_of_a_list_is_a_piece() -> None:
    text = (
        "Two things:\n- the usage meter for Birch Lane Pharmacy tripled last week\n"
        "- the receipt for our last card payment never arrived"
    )
    pieces = segments(text, POLICY)
    assert len(pieces) == 2  # the short preamble joins the first item
    assert pieces[1].startswith("- the receipt")
    d = triage(ticket(text), POLICY, NOW)
    assert [r.category for r in d.requests] == ["credits_usage", "billing"]


def test_a_dash_line_in_a_forwarded_thread_is_not_a_bullet() -> None:
    text = "---------- Forwarded message ---------\nFrom: someone\nThe export page is blank."
    assert len(segments(text, POLICY)) == 1


def test_second_thing_and_another_question_start_a_new_piece() -> None:
    for lead in ("Second thing:", "Another question -", "Other thing:"):
        text = f"How do I change the logo on the portal? {lead} we want a price for 10 more seats."
        assert len(segments(text, POLICY)) == 2, lead


def test_a_later_sentence_that_says_also_starts_a_new_piece() -> None:
    text = (
        "The meeting-notes agent for Cedar Hill stopped answering yesterday. "
        "Could you please also resend the October invoice to our finance inbox?"
    )
    assert len(segments(text, POLICY)) == 2
    for other in (
        "Bitte sendet uns außerdem die Rechnung vom Oktober erneut.",
        "Graag ook de factuur van oktober opnieuw sturen.",
        "Necesitamos también la factura de octubre otra vez.",
    ):
        assert len(segments(f"Der Chat lädt nicht mehr seit gestern. {other}", POLICY)) == 2


def test_the_sentence_cut_is_policy_data() -> None:
    from supportdesk.core.policy import default_policy_text, load_policy_text

    text = (
        "The Xero connector for Larkspur Dental throws an OAuth error on every sync since Friday. "
        "Why was our card charged twice for the November invoice?"
    )
    policy = default_policy_text()
    start = policy.index("  sentence_cut:\n")
    end = policy.index("  # A piece that is only a greeting")
    without = load_policy_text(policy[:start] + policy[end:])
    assert sentence_cuts(text, without) == []
    stricter = load_policy_text(policy.replace("    min_score: 3\n", "    min_score: 50\n", 1))
    assert sentence_cuts(text, stricter) == []
    assert len(sentence_cuts(text, POLICY)) == 1


class _ReadsShortAsBilling:
    """A model sure of everything: a short piece is billing, the rest technical."""

    name = "fake"

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        def reading(t: str) -> dict[str, float]:
            top = "billing" if len(t.split()) < 8 else "technical"
            return {top: 0.9, ("technical" if top == "billing" else "billing"): 0.1}

        return [TextSignals(category=reading(t)) for t in texts]


def test_a_short_piece_is_no_request_on_the_model_s_word_alone() -> None:
    text = (
        "The Teams bot at Halloway Dental stopped answering anyone since the 9am deploy, every "
        "message times out.\n\nSent from my iPhone"
    )
    model = _ReadsShortAsBilling()
    assert POLICY.splitting.model_min_words == 8
    assert len(segments(text, POLICY)) == 2
    assert [r.category for r in triage(ticket(text), POLICY, NOW, model).requests] == ["technical"]
    every = POLICY.model_copy(
        update={"splitting": POLICY.splitting.model_copy(update={"model_min_words": 1})}
    )
    assert [r.category for r in triage(ticket(text), every, NOW, model).requests] == [
        "technical",
        "billing",
    ]


class _ReadsClosingAsBilling:
    """A model sure of everything: a text that asks to take a look is billing, the rest
    integration."""

    name = "fake"

    def predict(self, texts: Sequence[str]) -> list[TextSignals]:
        def reading(t: str) -> dict[str, float]:
            top = "billing" if "ansehen" in t and "Teams" not in t else "integration"
            return {top: 0.9, ("integration" if top == "billing" else "billing"): 0.1}

        return [TextSignals(category=reading(t)) for t in texts]


def test_a_sign_off_block_does_not_lend_a_short_piece_the_words_to_stand_alone() -> None:
    """A closing line of six words and a signature of seven once made a billing request of
    their own: the piece had eight words, but only six of them said anything."""
    closing = "Könnt ihr euch das bitte ansehen?"
    block = f"{closing}\n\nViele Grüße\nJonas Brandl\nAlpenblick IT GmbH"
    assert without_sign_off(block, POLICY) == closing
    for same in (closing, "Kind regards to the team, the sync still fails every morning."):
        assert without_sign_off(same, POLICY) == same
    text = (
        "Seit gestern reagiert der Teams-Bot beim Mandanten Bäckerei Hofmann auf keine "
        "Nachricht mehr, in der Web-App funktioniert alles.\n\n" + block
    )
    assert len(segments(text, POLICY)) == 2
    model = _ReadsClosingAsBilling()
    assert [r.category for r in triage(ticket(text), POLICY, NOW, model).requests] == [
        "integration"
    ]
    # the same closing line with words of its own stands alone
    longer = text.replace(closing, "Könnt ihr euch das bitte heute noch einmal gründlich ansehen?")
    assert [r.category for r in triage(ticket(longer), POLICY, NOW, model).requests] == [
        "integration",
        "billing",
    ]


def test_a_follow_up_that_names_no_route_goes_where_the_message_sends_its_category() -> None:
    # the second piece says nothing of phone agents: on its own it would route to the usage
    # queue by default and split one phone-agent question in two
    text = (
        "For the phone agent at Birchfield Veterinary: are minutes counted from pickup or from "
        "the first ring?\n\nAnd does time on hold count toward the monthly usage allowance as well?"
    )
    assert len(segments(text, POLICY)) == 2
    d = triage(ticket(text), POLICY, NOW)
    assert [(r.category, r.queue) for r in d.requests] == [("credits_usage", "phone_agent_review")]


def test_terse_lowercase_text_still_has_sentences() -> None:
    text = (
        "cant get into the portal myself, the mfa code never shows up. greyfield bakery is "
        "closing for good, cancel their tenant pls"
    )
    assert sentences(text) == [
        "cant get into the portal myself, the mfa code never shows up.",
        "greyfield bakery is closing for good, cancel their tenant pls",
    ]
    for one in (
        "we use it for chat, workflows etc. and it works",
        "lots of things, e.g. the chat and the workflows",
        "it is faster vs. the old one, incl. exports",
    ):
        assert sentences(one) == [one], one


def test_a_call_note_s_bullets_are_notes_not_asks() -> None:
    notes = (
        "- Harlow Plumbing's phone receptionist shows ~1,900 minutes for October\n"
        "- they take maybe 300 calls a month, two minutes each\n"
        "- wants to know what was counted"
    )
    call = "Inbound call 15:05 CT, Marcus from Prairie Wire.\n" + notes
    assert len(segments(call, POLICY)) == 1
    assert len(segments("Anruf 08:15 MEZ, Frau Köhler.\n" + notes, POLICY)) == 1
    for opening in (
        "Phone log 07:12\nCaller: Dana Whitfield, partner admin.",
        "Caller: Ruth Akers, Pennine Managed IT.",
        "Chiamata delle 08:05 – Lorenzo Bianchi (Appennino Partner Network)",
        "Notas de la llamada (línea Premium)",
        "Anotações da ligação, 08:40",
        "Telefonnotiz (Premium-Hotline), 10:40",
    ):
        assert len(segments(opening + "\n" + notes, POLICY)) == 1, opening
    # the same lines in a message that is no call note are a list of asks
    assert len(segments("Questions:\n" + notes, POLICY)) == 3
    plain = POLICY.model_copy(
        update={"splitting": POLICY.splitting.model_copy(update={"call_notes": None})}
    )
    assert len(segments(call, plain)) == 4  # the header line, then each bullet


def test_a_first_piece_that_introduces_a_list_joins_its_first_item() -> None:
    """The model once read "…before we close on the 23rd:" as a cancellation; an introduction
    owns nothing, and the list's items come in their order."""
    pieces = [
        "Hi team, two things before we close on the 23rd:",
        "1) Pinecrest Law's tenant dropped 15,000 credits overnight. What ran?",
        "2) Please send a corrected copy of invoice 40221 with our new address.",
    ]
    keys = dict(zip(pieces, ["billing", "usage", "billing"], strict=True))
    parts = group(pieces, keys.get)
    assert [p.key for p in parts] == ["usage", "billing"]
    assert parts[0].text.startswith("Hi team, two things") and "Pinecrest" in parts[0].text
    # the introduction's own key counts when the item has none
    assert [p.key for p in group(pieces, {pieces[0]: "billing"}.get)] == ["billing"]


def test_a_piece_ending_in_a_colon_before_no_list_keeps_its_key() -> None:
    pieces = [
        "[08:12] Mel: the reconciliation agent failed 40 times and burned credits\n[08:13] Mel:",
        "and the 'Run now' button is greyed out for everyone since this morning",
    ]
    keys = dict(zip(pieces, ["usage", "support"], strict=True))
    assert [p.key for p in group(pieces, keys.get)] == ["usage", "support"]
