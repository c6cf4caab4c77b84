"""Severity phrasings beyond the obvious ones: one user only, nothing blocked, whole tenants."""

from __future__ import annotations

import pytest

from supportdesk.core.policy import load_policy
from supportdesk.core.triage import triage
from supportdesk.core.triage.severity import assess

from .helpers import NOW, ticket

POLICY = load_policy()


def level(text: str, category: str = "technical") -> int:
    return assess(text, category, POLICY).level


@pytest.mark.parametrize(
    "text",
    [
        "The report builder throws 'Render failed' for our bookkeeper. Everyone else is fine.",
        "SSO keeps looping for me after the Okta prompt; my colleagues get in fine.",
        "The chat page shows an error at Linden Vets, but it's just me so far.",
        "Um usuário recebe erro 404 ao abrir o relatório; os outros usuários abrem normalmente.",
    ],
)
def test_a_problem_of_one_user_is_severity_3(text: str) -> None:
    assert level(text) == 3


def test_saying_nothing_is_blocked_yet_is_severity_3_even_with_many_users() -> None:
    text = (
        "Tenant Alder Row (about 300 users) is at 97% of its credit cap. "
        "Nothing is blocked yet; what happens at 100%?"
    )
    assert level(text, "credits_usage") == 3
    d = triage(ticket(text), POLICY, NOW)
    assert d.requests[0].severity == 3


@pytest.mark.parametrize(
    "text",
    [
        "None of our 80 users can sign in since 7am, Entra returns 'AADSTS50105'.",
        "None of us at Marsh Lane Clinic can open the app, it stays on a white screen.",
        "All 25 of our staff get 'SAML signature invalid' when signing in.",
        "Every user gets 'out of credits' since noon and the top-up page errors out.",
        "The whole office is stuck on the sign-in page since this morning.",
        "The tenant is out of credits and they can't do anything since 9am.",
        "Todos los usuarios de Ferretería Luna reciben 'límite alcanzado' y no pueden trabajar.",
    ],
)
def test_a_whole_tenant_unable_to_work_is_severity_2(text: str) -> None:
    assert level(text) == 2


@pytest.mark.parametrize(
    "text",
    [
        "None of their ~25 tenants can sign in since 6am, every IdP returns an error.",
        "Every one of our tenants hit 'Credit limit reached' at the same moment, nothing runs.",
        "Monitoring confirms no user in any tenant can get a chat response (HTTP 500).",
    ],
)
def test_every_tenant_unable_to_work_is_severity_1(text: str) -> None:
    assert level(text) == 1


def test_one_user_elsewhere_does_not_lower_a_whole_tenant_outage() -> None:
    # the wider level's signal is read first
    text = "Every user at Hollow Oak Farms gets a 503 since 10am; only one user at another client."
    assert level(text) == 2


@pytest.mark.parametrize(
    "text",
    [
        "Nobody at Fern Street Dental was working on Sunday, yet 30k credits were used.",
        "Why are credits going down when nobody talks to the agent? Can you check?",
        "The MFA prompt appears every few minutes for me. Nobody else in my team has this.",
    ],
)
def test_nobody_using_it_or_nobody_else_is_not_an_outage(text: str) -> None:
    assert level(text, "credits_usage") == 3


@pytest.mark.parametrize(
    "text",
    [
        "The Teams bot for Pike & Rowe stopped replying. The firm only works in Teams, so they "
        "are effectively without it.",
        "Every job confirmation for Alder Plumbing fails with an error since 8am; their whole "
        "dispatch process runs through it.",
        "Since 9am everyone at Harbor Optics gets 'Could not connect' in the Outlook add-in.",
        "Depuis ce matin aucun des utilisateurs de Boulangerie Roux n'arrive à se connecter.",
        "Desde hoje nenhum usuário da Clínica Sol consegue entrar, aparece erro de SAML.",
    ],
)
def test_a_tenant_whose_work_runs_through_the_broken_thing_is_severity_2(text: str) -> None:
    assert level(text) == 2


def test_a_tenant_coping_by_other_means_is_severity_3() -> None:
    text = "PDF export is empty for everyone at Quill Books. Printing works, so they're managing."
    assert level(text) == 3


def test_no_tenant_of_ours_in_another_language_is_severity_1() -> None:
    text = "Dalle 9 nessun utente di nessuno dei nostri tenant riesce ad accedere: errore 503."
    assert level(text, "access") == 1


def test_other_users_failing_too_is_not_a_one_user_scope() -> None:
    text = "Ben at Tern Law gets an SSO error. Other users can't get in either."
    assert assess(text, "access", POLICY).label != "one user affected"
    assert level("Ben gets an SSO error; other users sign in fine.", "access") == 3
