"""Each decision step on hand-written requests."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import triage
from supportdesk.core.triage.classify import route
from supportdesk.core.vocabulary import ROLES

from .helpers import MIXED, NOW, ticket

POLICY = load_policy()


def rules(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.rule for r in decision.reasons]


# --- support path -----------------------------------------------------------------------------


@given(
    role=st.sampled_from(ROLES),
    verified=st.booleans(),
    active=st.booleans(),
    involvement=st.sampled_from(["none", "opened", "joined", "confirmed"]),
    tier=st.sampled_from(["free", "standard", "premium"]),
)
def test_support_path_precedence(
    role: str, verified: bool, active: bool, involvement: str, tier: str
) -> None:
    t = ticket(
        "How do I add a tenant?",
        role=role,
        verified=verified,
        active=active,
        msp_involvement=involvement,
        tier=tier,
    )
    path = triage(t, POLICY, NOW).support_path
    if role == "unknown" or not verified or not active:
        assert path == "verify_identity"
    elif role == "end_user" and involvement == "none":
        assert path == "redirect_to_msp"
    elif role in ("tenant_admin", "customer_user") and involvement == "none":
        assert path == "await_msp_confirmation"
    elif tier == "free":
        assert path == "help_center_only"
    else:
        assert path == "accept"


def test_msp_language_never_changes_the_path() -> None:
    text = "My client's customer users in their tenant can't open chat. How do I manage tenants?"
    assert triage(ticket(text), POLICY, NOW).support_path == "accept"


def test_only_accepted_requests_get_a_deadline_and_a_checklist() -> None:
    t = ticket("One of our clients cannot log in", role="end_user")
    d = triage(t, POLICY, NOW)
    assert d.support_path == "redirect_to_msp"
    assert d.requests[0].first_response_due is None
    assert d.requests[0].missing == []


# --- channel ----------------------------------------------------------------------------------


def test_phone_is_not_a_standard_channel_but_the_request_is_still_served() -> None:
    d = triage(ticket("Slack stopped posting", channel="phone"), POLICY, NOW)
    assert d.channel_allowed is False
    assert d.support_path == "accept"
    assert "channel.not_offered" in rules(d)


# --- classification and splitting -------------------------------------------------------------


def test_usage_question_versus_charge_question() -> None:
    usage = triage(ticket("Why did our credits drop so fast yesterday?"), POLICY, NOW)
    charge = triage(ticket("Why was I charged twice on the March invoice?"), POLICY, NOW)
    assert usage.requests[0].category == "credits_usage"
    assert charge.requests[0].category == "billing"


def test_mixed_message_becomes_two_requests_in_order() -> None:
    d = triage(ticket(MIXED), POLICY, NOW)
    assert [r.category for r in d.requests] == ["credits_usage", "billing"]
    assert "split.mixed" in rules(d)


def test_a_greeting_or_sign_off_paragraph_is_never_a_request_of_its_own() -> None:
    from supportdesk.core.triage.split import pleasantry, segments

    text = (
        "Bonjour,\n\nDepuis ce matin le tenant Cabinet Morel ne peut plus ouvrir le chat, "
        "erreur 500.\n\nCordialement,\nJulien Fabre"
    )
    assert segments(text, POLICY) == [text]
    assert pleasantry("Many thanks,\nRegards,\nPieter van Dijk", POLICY)
    assert pleasantry("Best,\nAna", POLICY)
    # A short ask that merely starts with a pleasantry word is still an ask.
    assert not pleasantry("Thanks - can you also send a quote for 20 seats?", POLICY)
    assert not pleasantry("best practices workshop", POLICY)


def test_greetings_and_sign_offs_in_every_language_of_the_policy() -> None:
    """A Polish greeting on its own line was once read as a billing request of its own."""
    from supportdesk.core.triage.split import pleasantry, segments

    text = (
        "Dzień dobry,\n\nod 20 listopada klient Kowalczyk Meble zużywa trzy razy więcej "
        "kredytów niż wcześniej. Co zużywa te kredyty?\n\nPozdrawiam,\nAnna Wójcik"
    )
    assert segments(text, POLICY) == [text]
    for piece in (
        "Dzień dobry,",
        "Witam,",
        "Z poważaniem,\nKarol Zieliński",
        "Oi, tudo bem?",
        "Cumprimentos,\nRita",
        "Grüezi,",
        "Liebe Grüße,\nJonas",
        "Salut,",
        "Vriendelijke groet,\nSanne",
    ):
        assert pleasantry(piece, POLICY), piece
    assert not pleasantry("Witam, faktura 2026-0934 jest błędna", POLICY)
    # abbreviated sign-offs count only where a sign-off stands: before a comma or a line end
    assert pleasantry("LG,\nJonas", POLICY)
    assert not pleasantry("LG monitor broken", POLICY)


def test_a_signature_block_after_a_sign_off_is_not_a_request() -> None:
    from supportdesk.core.triage.split import pleasantry, segments

    for block in (
        "Kind regards, Priya Chandran Accounts Manager | Harrowgate IT Services",
        "Cordialement,\nThomas Girard\nLyon Infogérance",
        "Thanks, Priya -- Priya Raman | Service Delivery Lead | Kestrel MSP | +44 20 7946 0000",
        # a company's "B.V." or "Ltd.", an e-mail or web address ends no sentence
        "Kind regards,\nHenk van der Meer\nKestrel Distribution B.V.",
        "Best,\nJo Park\nHarbor IT Ltd.\njo@harbor-it.example | www.harbor-it.example",
    ):
        assert pleasantry(block, POLICY, signature=True), block
        assert not pleasantry(block, POLICY), block  # only where a message ends
    # a sign-off that goes on to ask, or ends a sentence, is still an ask; a bullet is a bullet
    for piece in (
        "Thanks, please also send the W-9 for our vendor file",
        "Thanks, and the refund for invoice 5512 never arrived.",
        "- the receipt for our last card payment never arrived",
    ):
        assert not pleasantry(piece, POLICY, signature=True), piece
    text = (
        "Hello,\n\nOn our consolidated invoice HZ-5532 there is a line for 14 tenant workspaces, "
        "but we only had 12 tenants live in October.\n\n"
        "Kind regards,\nPriya Chandran\nAccounts Manager | Harrowgate IT Services"
    )
    assert len(segments(text, POLICY)) == 1


def test_a_signature_block_a_blank_line_parted_from_its_sign_off_is_not_a_request() -> None:
    from supportdesk.core.triage.split import segments

    ask = "Could you point us to how per-tenant branding is configured for Saltmarsh Realty?"
    block = "Erik Sørensen\nSolutions Engineer\nFjordline IT\n+47 22 00 00 00"
    assert len(segments(f"{ask}\n\nBest regards,\n\n{block}", POLICY)) == 1
    # without the sign-off before it, or when the last paragraph asks, it stays a piece
    assert len(segments(f"{ask}\n\n{block}", POLICY)) == 2
    assert len(segments(f"{ask}\n\nThanks,\n\nAlso please resend invoice 4471.", POLICY)) == 2


def test_a_forwarded_mail_header_is_not_a_request() -> None:
    from supportdesk.core.triage.split import pleasantry, segments

    header = (
        "---------- Forwarded message ---------\nFrom: Rachel Ortiz <rortiz@quillink.example>\n"
        "Subject: AI bill??"
    )
    assert pleasantry(header, POLICY)
    assert pleasantry(
        "-----Ursprüngliche Nachricht-----\nVon: Jonas Berg\nBetreff: Rechnung", POLICY
    )
    assert not pleasantry("From the dashboard the usage doubled on the 3rd at Pinecrest", POLICY)
    text = header + "\n\nHi Tom, our usage screen says we've used 92% of our allowance already."
    assert len(segments(text, POLICY)) == 1


def test_a_date_like_1_juli_or_an_hour_is_not_a_numbered_list() -> None:
    from supportdesk.core.triage.split import segments

    text = "Auf der Rechnung vom 1. Juli steht eine Position, die wir nie bestellt haben."
    assert segments(text, POLICY) == [text]
    listed = "Zwei Fragen: 1. warum ist der Verbrauch gestiegen? 2. bitte Rechnung senden"
    assert len(segments(listed, POLICY)) >= 2
    # an hour or a count that ends a sentence is no list item either
    noted = (
        "Nobody on any of our 31 tenants can sign in, no workaround; month-end reporting "
        "starts at 9.\nCaller asks for a callback every 30 min."
    )
    assert segments(noted, POLICY) == [noted]
    assert len(segments("Steps:\n1. open the agent\n2. click Run now", POLICY)) == 2


def test_two_symptoms_of_one_problem_stay_one_request() -> None:
    text = "SSO fails for tenant Harbor Dental with a SAML error. Also the Okta login page loops."
    d = triage(ticket(text), POLICY, NOW)
    assert len(d.requests) == 1
    assert d.requests[0].category == "access"


def test_the_text_beats_the_requesters_chosen_category() -> None:
    d = triage(
        ticket("Please refund invoice 4410, we cancelled in May", category="technical"), POLICY, NOW
    )
    assert d.requests[0].category == "billing"
    assert "classify.hint_overridden" in rules(d)


def test_commercial_terms_go_to_sales_and_phone_minutes_to_review() -> None:
    sales = triage(ticket("We want a quote to upgrade 40 seats to the premium plan"), POLICY, NOW)
    minutes = triage(ticket("The phone agent shows 300 minutes but calls lasted 40"), POLICY, NOW)
    assert (sales.requests[0].category, sales.requests[0].queue) == ("billing", "sales")
    assert (minutes.requests[0].category, minutes.requests[0].queue) == (
        "credits_usage",
        "phone_agent_review",
    )


@pytest.mark.parametrize(
    ("category", "text", "queue"),
    [
        # a purchase or a quote is the sales team's, even when it says how it will be paid
        (
            "billing",
            "Please upgrade our account to Premium and charge the card we have on file.",
            "sales",
        ),
        (
            "billing",
            "Could you send us a formal quote for 25 more licences, invoiced yearly?",
            "sales",
        ),
        (
            "billing",
            "We'd like to add 15 seats for Harbor Dental; what would that run us?",
            "sales",
        ),
        ("billing", "Graag een offerte voor 12 extra gebruikers, jaarlijks gefactureerd.", "sales"),
        (
            "billing",
            "Ci servirebbe un preventivo per 20 licenze con fatturazione annuale.",
            "sales",
        ),
        # money already spent or billed stays with billing, in any language
        (
            "billing",
            "The invoice doesn't match the quote you sent: we were charged twice.",
            "billing",
        ),
        (
            "billing",
            "La factura de octubre trae el IVA mal calculado, ¿pueden corregirla?",
            "billing",
        ),
        (
            "billing",
            "Auf der Rechnung stehen 30 Lizenzen, wir haben 24. Bitte gutschreiben.",
            "billing",
        ),
        (
            "billing",
            "Nous avons payé deux fois le même pack : merci de nous rembourser.",
            "billing",
        ),
        # a receptionist agent answers calls: its minutes are reviewed as phone-agent minutes
        (
            "credits_usage",
            "The AI receptionist for Keller Plumbing logged 900 minutes in May.",
            "phone_agent_review",
        ),
        (
            "credits_usage",
            "Waarom zijn de belminuten van klant Visser zo hoog deze week?",
            "phone_agent_review",
        ),
        (
            "credits_usage",
            "El agente de voz de Keller registró 900 minutos en mayo.",
            "phone_agent_review",
        ),
        (
            "credits_usage",
            "Agent telefoniczny klienta Wrona naliczył 1 240 minut.",
            "phone_agent_review",
        ),
        ("credits_usage", "Why did Keller Plumbing burn 40k credits on Sunday?", "usage"),
    ],
)
def test_routes_send_purchases_to_sales_and_receptionist_minutes_to_review(
    category: str, text: str, queue: str
) -> None:
    assert route(category, text, POLICY)[0] == queue


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # how-to and settings questions in the languages MSPs write in are setup
        ("Comment changer le fuseau horaire par défaut pour tous nos utilisateurs ?", "setup"),
        ("Hoe stel ik de standaardtaal in voor klant Bakker?", "setup"),
        ("Come si imposta la lingua predefinita per un tenant?", "setup"),
        ("Wo finde ich die Einstellung für die Aufbewahrungsdauer?", "setup"),
        ("Jak ustawić domyślny model dla jednego klienta?", "setup"),
        # training asked for in Polish, Spanish or Italian is enablement
        ("Czy prowadzicie szkolenia dla naszych techników?", "enablement"),
        ("Buscamos una formación para nuestro equipo de soporte.", "enablement"),
        ("Organizzate un corso per i nostri tecnici?", "enablement"),
    ],
)
def test_how_to_and_training_are_read_in_other_languages(text: str, category: str) -> None:
    assert triage(ticket(text), POLICY, NOW).requests[0].category == category


# --- severity ---------------------------------------------------------------------------------


def test_urgent_words_do_not_raise_severity_and_a_differing_claim_is_explained() -> None:
    d = triage(ticket("URGENT!!! typo on the login page footer", severity=1), POLICY, NOW)
    assert d.requests[0].severity == 3
    assert "severity.claim_differs" in rules(d)


def test_scope_without_impact_is_not_an_outage() -> None:
    d = triage(
        ticket("All of our tenants were billed on the 1st, please send receipts"), POLICY, NOW
    )
    assert d.requests[0].severity == 3


def test_all_tenants_down_is_severity_1_and_one_tenant_down_is_severity_2() -> None:
    s1 = triage(
        ticket("Every user in all of our tenants gets HTTP 503, no workaround"), POLICY, NOW
    )
    s2 = triage(ticket("All users of tenant Harbor Dental cannot sign in since 9am"), POLICY, NOW)
    assert s1.requests[0].severity == 1
    assert s2.requests[0].severity == 2


def test_a_working_workaround_makes_even_a_wide_problem_severity_3() -> None:
    wide = "Users in all 20 of our client tenants get 'Add-in error' in the Outlook add-in."
    down = triage(ticket(wide), POLICY, NOW)
    eased = triage(
        ticket(wide + " The web app works for everyone, so people are switching to that."),
        POLICY,
        NOW,
    )
    no_way = triage(ticket(wide + " There is no workaround."), POLICY, NOW)
    assert down.requests[0].severity == 1 and no_way.requests[0].severity == 1
    assert eased.requests[0].severity == 3
    assert any("workaround" in r.detail for r in eased.reasons if r.rule.startswith("severity"))
    for workaround in (
        "They can still reach each tenant through the direct links.",
        "The scheduled runs themselves still run fine.",
        "1:1 chats with the bot work, so people use those.",
    ):
        assert triage(ticket(f"{wide} {workaround}"), POLICY, NOW).requests[0].severity == 3


def test_a_whole_tenant_blocked_is_severity_2_in_other_languages_too() -> None:
    text = (
        "Sinds gistermiddag krijgt iedereen bij de tenant Van Dijk bij elke vraag "
        "'Gebruikslimiet bereikt'. Niemand daar kan nog werken."
    )
    assert triage(ticket(text), POLICY, NOW).requests[0].severity == 2


@pytest.mark.parametrize(
    "text",
    [
        "Seit heute Morgen bekommen alle Mitarbeiter der Kanzlei Roth nur noch einen Fehler 500.",
        "Depuis ce matin, aucun collaborateur de la Boulangerie Petit ne peut se connecter.",
        "Desde ayer todos los empleados de Ferretería Sol reciben un error al abrir el chat.",
        "Nessun utente di Ottica Riva riesce a caricare documenti da lunedì: errore 500.",
        "Od rana wszyscy pracownicy Kancelarii Nowak dostają błąd i nie mogą pracować.",
    ],
)
def test_every_user_of_one_tenant_failing_is_severity_2_in_other_languages(text: str) -> None:
    assert triage(ticket(text), POLICY, NOW).requests[0].severity == 2


def test_everyone_named_without_an_impact_stays_severity_3_in_other_languages() -> None:
    text = "Wie kann ich alle Mitarbeiter der Kanzlei Roth auf einmal in eine Gruppe einladen?"
    assert triage(ticket(text), POLICY, NOW).requests[0].severity == 3


# --- checklist --------------------------------------------------------------------------------


def test_missing_items_are_asked_as_questions_and_fields_fill_them() -> None:
    d = triage(
        ticket("One of our clients has a user who cannot log in, error 'denied'"), POLICY, NOW
    )
    assert d.requests[0].missing == ["affected_tenant", "affected_user"]
    assert d.requests[0].questions[0].startswith("Which tenant")
    filled = ticket(
        "One of our clients has a user who cannot log in, error 'denied'",
        fields={"affected_tenant": "Harbor Dental", "affected_user": "j.doe@harbor.example"},
    )
    assert triage(filled, POLICY, NOW).requests[0].missing == []


@pytest.mark.parametrize(
    "when",
    [
        "entre el 1 y el 15 de agosto",
        "a ottobre",
        "sinds gistermiddag",
        "desde segunda-feira",
        "le 3 avril",
        "seit dem 1. März",
        "od wczoraj",
    ],
)
def test_a_date_in_another_language_counts_as_given(when: str) -> None:
    d = triage(ticket(f"Credits for tenant Ottica Rinaldi doubled {when}, why?"), POLICY, NOW)
    undated = triage(ticket("Credits for tenant Ottica Rinaldi doubled, why?"), POLICY, NOW)
    assert d.requests[0].category == undated.requests[0].category == "credits_usage"
    assert "date_time" in undated.requests[0].missing
    assert "date_time" not in d.requests[0].missing


def test_our_own_internal_workspace_names_the_workspace() -> None:
    d = triage(
        ticket("Why did credit usage in our own internal workspace triple last week?"), POLICY, NOW
    )
    assert d.requests[0].missing == []


def test_how_to_questions_have_no_actual_behaviour_to_report() -> None:
    d = triage(ticket("How do we set up a new tenant for our client Lakeside Law?"), POLICY, NOW)
    assert d.requests[0].category == "setup"
    assert d.requests[0].missing == []


def test_billing_without_an_invoice_reference_asks_for_it() -> None:
    d = triage(ticket("We were charged for 12 seats but only use 9, please refund"), POLICY, NOW)
    assert d.requests[0].missing == ["invoice_reference"]


# --- secrets ----------------------------------------------------------------------------------

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1\n-----END RSA PRIVATE KEY-----"
SECRETS = {  # kind: (text, the secret value that must never come back)
    "password": ("her new password: Summer2026! please set it", "Summer2026!"),
    "api_key": ("our key sk_live_4eC39HqLyjWDarjtT1zdp7dc fails", "4eC39HqLyjWDarjtT1zdp7dc"),
    "access_token": ("token xoxb-1234567890-abcdefghijkl is rejected", "1234567890-abcdefghijkl"),
    "cloud_access_key": ("bucket key AKIAIOSFODNN7EXAMPLE cannot read", "AKIAIOSFODNN7EXAMPLE"),
    "jwt": (f"the app sends {JWT}", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    "private_key": (f"our SSO key:\n{PEM}", "MIIEpAIBAAKCAQEA1"),
}


def test_each_secret_kind_is_found_and_never_echoed() -> None:
    for kind, (text, value) in SECRETS.items():
        d = triage(ticket(text, subject=text), POLICY, NOW)
        assert d.secrets == [kind], text
        assert value not in d.model_dump_json(), kind
        assert f"[redacted {kind}]" in d.redacted_description


def test_a_password_set_for_someone_is_a_secret_without_the_word_password() -> None:
    text = "She can't log in. I reset it to Maple#2031q this morning and it still fails."
    d = triage(ticket(text), POLICY, NOW)
    assert d.secrets == ["password"]
    assert "Maple#2031q" not in d.model_dump_json()
    for harmless in ("I reset it to the default and it works", "we set the cap to 40,000 credits"):
        assert triage(ticket(harmless), POLICY, NOW).secrets == [], harmless


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("I then had IT set a temporary one, Harbor!Lantern88, and it fails too.", "Lantern88"),
        ("Gave him a new pw Birch#2027k but the portal says invalid.", "Birch#2027k"),
        ("The initial password is Quill$9harbor for all three.", "Quill$9harbor"),
    ],
)
def test_a_temporary_or_new_password_is_a_secret(text: str, value: str) -> None:
    d = triage(ticket(text), POLICY, NOW)
    assert d.secrets == ["password"]
    assert value not in d.model_dump_json()
    for harmless in ("a temporary one-off fix, 3 users only", "the new one, v2.1, is fine"):
        assert triage(ticket(harmless), POLICY, NOW).secrets == [], harmless


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("- Set a temp login for her. He read it out so we could test: Tmp-Owl#4471.", "Owl#4471"),
        ("Reset link fails; the one she set was read out as Quay!Gate74 and fails too.", "Gate74"),
    ],
)
def test_a_password_read_out_on_a_call_is_a_secret(text: str, value: str) -> None:
    d = triage(ticket(text, channel="phone", tier="premium"), POLICY, NOW)
    assert d.secrets == ["password"]
    assert value not in d.model_dump_json()
    for harmless in (
        "He read out the error: ERR-4471 on every sync.",
        "I read back the invoice number INV-2026-0415 to her.",
        "She read it out: the page says 'quota exceeded' at 9:40.",
    ):
        assert triage(ticket(harmless), POLICY, NOW).secrets == [], harmless


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (
            "Ustawiliśmy mu ręcznie nowe hasło: Jesien2026!Smrek ale system je odrzuca.",
            "Jesien2026",
        ),
        ("Próbowała z hasłem Lato#2026kot i nadal nie działa.", "Lato#2026kot"),
        ("Jag satte lösenordet till Vinter#2026 men inloggningen misslyckas.", "Vinter#2026"),
        ("Nytt passord: Fjord!7788a fungerer ikke.", "Fjord!7788a"),
        ("Adgangskode: Sommer#2026x virker ikke for hende.", "Sommer#2026x"),
        ("Nové heslo Praha#2026 nefunguje.", "Praha#2026"),
        ("Uusi salasana on Kesä#2026a mutta kirjautuminen ei onnistu.", "Kesä#2026a"),
        ("A palavra-passe temporária é Lisboa#2026 e não funciona.", "Lisboa#2026"),
    ],
)
def test_a_password_in_another_language_is_a_secret(text: str, value: str) -> None:
    d = triage(ticket(text), POLICY, NOW)
    assert d.secrets == ["password"]
    assert value not in d.model_dump_json()
    for harmless in (
        "Nie pamięta hasła, prosimy o reset hasła.",
        "Hon har glömt sitt lösenord och behöver en återställning.",
        "Salasana vanheni eilen, miten sen voi vaihtaa?",
    ):
        assert triage(ticket(harmless), POLICY, NOW).secrets == [], harmless


def test_a_bearer_session_id_with_an_exclamation_mark_is_redacted_whole() -> None:
    text = "Authorization: Bearer 00D7h000001AbCd!AQkAQ9xLmP2vNc8TzR3yB6uE1sKd4\nstill fails"
    d = triage(ticket(text), POLICY, NOW)
    assert d.secrets == ["access_token"]
    assert "AQkAQ9xLmP2vNc8TzR3yB6uE1sKd4" not in d.model_dump_json()
    assert "00D7h000001AbCd" not in d.model_dump_json()


def test_words_about_secrets_are_not_secrets() -> None:
    for text in (
        "Please send a password reset link",
        "my API key stopped working",
        "password is expired",
    ):
        assert triage(ticket(text), POLICY, NOW).secrets == [], text


def test_secrets_in_fields_are_redacted_too() -> None:
    d = triage(
        ticket("key rejected", fields={"evidence": "used hz_live_9d8c7b6a5f4e3d2c1b0a"}),
        POLICY,
        NOW,
    )
    assert d.secrets == ["api_key"]
    assert "9d8c7b6a5f4e3d2c1b0a" not in json.dumps(d.model_dump(mode="json"))


def test_consulta_is_an_appointment_or_a_query_not_consulting() -> None:
    from supportdesk.core.triage.classify import rule_scores

    booked = "Os pacientes não conseguem marcar consulta pelo telefone desde ontem."
    assert rule_scores(booked, POLICY).scores["enablement"] == 0
    asked = "Could your partner team consult with us on packaging? Or a consultant from Hatz?"
    assert rule_scores(asked, POLICY).scores["enablement"] > 0
    assert rule_scores("Buscamos consultores para diseñar agentes", POLICY).scores["enablement"] > 0


def test_a_clients_tax_work_is_no_tax_on_an_invoice() -> None:
    from supportdesk.core.triage.classify import rule_scores

    for busy in ("we are in the middle of tax season prep", "a batch of tax returns"):
        assert rule_scores(busy, POLICY).scores["billing"] == 0, busy
    for taxed in ("the tax on invoice 4411 is wrong", "they are tax-exempt", "VAT was added"):
        assert rule_scores(taxed, POLICY).scores["billing"] > 0, taxed
