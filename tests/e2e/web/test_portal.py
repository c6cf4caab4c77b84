"""Portal behaviour over HTTP: the path explained before submitting, the live triage fragment,
idempotent submission, needs-info answers and the MSP's confirmation."""

from __future__ import annotations

from typing import Any

from .conftest import csrf_of

FETCH = {"X-Requested-With": "fetch"}


def _preview(client: Any, **data: str) -> str:
    token = csrf_of(client.get("/portal/new").text)
    r = client.post("/portal/triage", data=data, headers={**FETCH, "X-CSRF-Token": token})
    assert r.status_code == 200
    return str(r.text)


def test_end_users_and_free_accounts_learn_their_path_before_writing(signed_in: Any) -> None:
    html = signed_in("end_user").get("/portal/new").text
    assert "Handled by your MSP" in html and "contact them first" in html


def test_free_accounts_are_pointed_to_the_help_center(desk_env: dict[str, Any], desk: Any) -> None:
    from .conftest import make_client, sign_in

    c = make_client(desk_env)
    sign_in(c, desk.emails["free_admin"])
    html = c.get("/portal/new").text
    assert "Help Center only" in html and "Help Center" in html


def test_live_triage_shows_split_notice_severity_and_questions(signed_in: Any) -> None:
    client = signed_in("msp_admin")
    html = _preview(
        client,
        subject="Usage and invoice",
        description=(
            "Why did usage spike for Contoso last week? Separately, the March invoice charged us "
            "twice for the Pro package, please refund one charge."
        ),
        category="billing",
        severity="1",
    )
    assert "data-split-notice" in html and "2 separate requests" in html
    assert "you chose 1" in html
    many = _preview(client, subject="Credits", description="Credits were consumed too fast.")
    assert "Which workspace or tenant is this about?" in many
    assert "Roughly when did it happen" in many
    empty = _preview(client, subject="", description="")
    assert "Start typing" in empty


def test_a_double_submit_makes_one_ticket(signed_in: Any) -> None:
    client = signed_in("msp_admin")
    form = client.get("/portal/new").text
    key = form.split('name="idempotency_key" value="')[1].split('"')[0]
    data = {
        "csrf_token": csrf_of(form),
        "idempotency_key": key,
        "subject": "Invoice question",
        "description": "Invoice 8812 charged us twice for 20 seats; please refund one charge.",
    }
    first = client.post("/portal/new", data=data)
    second = client.post("/portal/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"].split("?")[0] == second.headers["location"].split("?")[0]


def test_needs_info_answers_reopen_the_ticket(signed_in: Any, desk: Any) -> None:
    client = signed_in("msp_admin")
    path = f"/portal/tickets/{desk.ids['needs_info']}"
    page = client.get(path).text
    assert "We need a few details" in page
    r = client.post(
        f"{path}/reply",
        data={
            "csrf_token": csrf_of(page),
            "answer.workspace_or_tenant": "Contoso",
            "answer.date_time": "yesterday around 08:00",
            "answer.not_a_question": "ignored",
        },
    )
    assert r.status_code == 303
    page = client.get(path).text
    assert 'id="ticket-status">Open<' in page
    assert "yesterday around 08:00" in page and "ignored" not in page


def test_msp_confirms_a_tenant_admins_ticket_in_one_click(
    desk_env: dict[str, Any], desk: Any
) -> None:
    from .conftest import make_client, sign_in

    tenant = make_client(desk_env)
    sign_in(tenant, desk.emails["tenant_admin"])
    form = tenant.get("/portal/new").text
    key = form.split('name="idempotency_key" value="')[1].split('"')[0]
    r = tenant.post(
        "/portal/new",
        data={
            "csrf_token": csrf_of(form),
            "idempotency_key": key,
            "subject": "Webhook",
            "description": "The Slack webhook returns 401 for every user at Contoso since today.",
        },
    )
    tid = r.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert "Awaiting MSP confirmation" in tenant.get(f"/portal/tickets/{tid}").text
    msp = make_client(desk_env)
    sign_in(msp, desk.emails["msp_admin"])
    inbox = msp.get("/portal/confirmations").text
    assert f"Confirm #{tid} and start support" in inbox
    r = msp.post(f"/portal/tickets/{tid}/confirm", data={"csrf_token": csrf_of(inbox)})
    assert r.status_code == 303 and "First%20response%20due" in r.headers["location"]
    assert f"Confirm #{tid}" not in msp.get("/portal/confirmations").text
    other = make_client(desk_env)
    sign_in(other, desk.emails["other_msp"])
    page = other.get("/portal").text
    r = other.post(f"/portal/tickets/{tid}/confirm", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 404
