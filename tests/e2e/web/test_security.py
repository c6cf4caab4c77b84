"""Sessions, CSRF, sign-in rate limiting, isolation and attachment safety of the web desk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from supportdesk.web import sessions
from supportdesk.web.sessions import SESSION_COOKIE, SigninFailure

from .conftest import csrf_of, make_client, sign_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _cookie_header(response: Any, name: str) -> str:
    for value in response.headers.get_list("set-cookie"):
        if value.startswith(f"{name}="):
            return value
    raise AssertionError(f"{name} was not set")


# --- sessions -----------------------------------------------------------------------------


def test_session_cookie_is_host_only_secure_httponly_lax(client: Any, desk: Any) -> None:
    r = sign_in(client, desk.emails["msp_admin"])
    assert r.status_code == 303 and r.headers["location"] == "/portal"
    header = _cookie_header(r, SESSION_COOKIE).lower()
    assert SESSION_COOKIE.startswith("__Host-")
    for flag in ("secure", "httponly", "samesite=lax", "path=/"):
        assert flag in header
    assert "domain=" not in header


def test_session_id_is_rotated_at_sign_in_and_a_planted_id_is_useless(
    client: Any, desk: Any, desk_env: dict[str, Any]
) -> None:
    planted = "attacker-chosen-session-id-0123456789"
    client.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
    r = sign_in(client, desk.emails["msp_admin"])
    issued = r.cookies.get(SESSION_COOKIE)
    assert issued and issued != planted
    with desk_env["factory"]() as db:
        from datetime import UTC, datetime

        assert sessions.load(db, planted, now=datetime.now(UTC)) is None
        assert sessions.load(db, issued, now=datetime.now(UTC)) is not None


def test_signing_in_again_issues_a_new_id_and_kills_the_old_one(client: Any, desk: Any) -> None:
    first = sign_in(client, desk.emails["msp_admin"]).cookies.get(SESSION_COOKIE)
    token = csrf_of(client.get("/portal").text)  # signed in: the form carries the session token
    r = client.post(
        "/signin",
        data={
            "email": desk.emails["msp_admin"],
            "password": "correct horse battery staple",
            "csrf_token": token,
        },
    )
    second = r.cookies.get(SESSION_COOKIE)
    assert first and second and first != second
    other = make_client_with_cookie(client, first)
    assert other.get("/portal").status_code == 303  # back to sign-in


def make_client_with_cookie(client: Any, value: str) -> Any:
    from fastapi.testclient import TestClient

    c = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    c.cookies.set(SESSION_COOKIE, value, domain="testserver.local")
    return c


def test_sign_out_ends_the_session_on_the_server(client: Any, desk: Any) -> None:
    raw = sign_in(client, desk.emails["msp_admin"]).cookies.get(SESSION_COOKIE)
    page = client.get("/portal")
    r = client.post("/signout", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    replay = make_client_with_cookie(client, raw)
    r = replay.get("/portal")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_pages_need_a_session(client: Any) -> None:
    for path in ("/portal", "/portal/new", "/console", "/console/dashboard"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=")


def test_next_parameter_cannot_send_people_off_site(desk_env: dict[str, Any], desk: Any) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client = make_client(desk_env)
        page = client.get("/signin")
        r = client.post(
            "/signin",
            data={
                "email": desk.emails["msp_admin"],
                "password": "correct horse battery staple",
                "csrf_token": csrf_of(page.text),
                "next": target,
            },
        )
        assert r.headers["location"] == "/portal"


# --- CSRF ---------------------------------------------------------------------------------


def test_sign_in_form_needs_its_csrf_token(client: Any, desk: Any) -> None:
    client.get("/signin")
    r = client.post("/signin", data={"email": desk.emails["msp_admin"], "password": "x" * 12})
    assert r.status_code == 403
    r = client.post(
        "/signin",
        data={"email": desk.emails["msp_admin"], "password": "x", "csrf_token": "forged"},
    )
    assert r.status_code == 403


def test_every_unsafe_page_request_is_refused_without_the_session_token(
    signed_in: Any, desk: Any
) -> None:
    client = signed_in("msp_admin")
    tid = desk.ids["needs_info"]
    posts = {
        "/portal/new": {"subject": "x", "description": "y", "idempotency_key": "k" * 10},
        "/portal/triage": {"subject": "x"},
        f"/portal/tickets/{tid}/reply": {"body": "hello"},
        f"/portal/tickets/{tid}/confirm": {},
        "/signout": {},
    }
    for path, data in posts.items():
        assert client.post(path, data=data).status_code == 403, path
        bad = dict(data, csrf_token="not-the-token")
        assert client.post(path, data=bad).status_code == 403, path
    assert client.get("/portal").status_code == 200  # still signed in


def test_a_token_from_another_session_is_refused(desk_env: dict[str, Any], desk: Any) -> None:
    alice, mallory = make_client(desk_env), make_client(desk_env)
    sign_in(alice, desk.emails["msp_admin"])
    sign_in(mallory, desk.emails["other_msp"])
    mallory_token = csrf_of(mallory.get("/portal").text)
    r = alice.post(
        f"/portal/tickets/{desk.ids['needs_info']}/reply",
        data={"body": "forged", "csrf_token": mallory_token},
    )
    assert r.status_code == 403


def test_console_actions_need_the_token_too(signed_in: Any, desk: Any) -> None:
    client = signed_in("admin_agent")
    tid = desk.ids["mixed"]
    for action in ("reply", "note", "assign", "status/resolve", "split", "merge"):
        r = client.post(f"/console/tickets/{tid}/{action}", data={"body": "x", "assignee": "me"})
        assert r.status_code == 403, action
    page = client.get(f"/console/tickets/{tid}")
    r = client.post(
        f"/console/tickets/{tid}/note", data={"body": "ok", "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code == 303


def test_header_token_works_for_scripts(signed_in: Any) -> None:
    client = signed_in("msp_admin")
    token = csrf_of(client.get("/portal/new").text)
    r = client.post(
        "/portal/triage",
        data={"subject": "Invoice", "description": "Invoice 8812 charged us twice"},
        headers={"X-CSRF-Token": token, "X-Requested-With": "fetch"},
    )
    assert r.status_code == 200 and "Billing" in r.text


# --- rate limiting ------------------------------------------------------------------------


def test_failed_sign_ins_are_limited_per_account_and_ip_across_workers(
    desk_env: dict[str, Any], desk: Any
) -> None:
    email = desk.emails["msp_admin"]
    workers = [make_client(desk_env), make_client(desk_env)]  # two app instances, one database
    for i in range(sessions.MAX_FAILURES_PER_PAIR):
        r = sign_in(workers[i % 2], email, "wrong password!")
        assert r.status_code == 401
        assert "do not match" in r.text
    with desk_env["factory"]() as db:
        n = db.scalar(select(func.count()).select_from(SigninFailure))
    assert n == sessions.MAX_FAILURES_PER_PAIR
    for w in workers:  # the right password no longer helps, on either worker
        r = sign_in(w, email)
        assert r.status_code == 429
        assert "Retry-After" in r.headers
    other = sign_in(make_client(desk_env), desk.emails["other_msp"])
    assert other.status_code == 303  # other accounts are not locked out


def test_unknown_and_wrong_password_answer_the_same(client: Any, desk: Any) -> None:
    a = sign_in(client, "nobody@nowhere.example", "whatever password")
    b = sign_in(client, desk.emails["msp_admin"], "whatever password")
    assert a.status_code == b.status_code == 401
    assert "do not match" in a.text and "do not match" in b.text


# --- isolation ----------------------------------------------------------------------------


def test_other_accounts_tickets_are_not_found(signed_in: Any, desk: Any) -> None:
    client = signed_in("msp_admin")
    r = client.get(f"/portal/tickets/{desk.ids['other_account']}")
    assert r.status_code == 404
    token = csrf_of(client.get("/portal").text)
    r = client.post(
        f"/portal/tickets/{desk.ids['other_account']}/reply",
        data={"body": "hi", "csrf_token": token},
    )
    assert r.status_code == 404


def test_tenant_admin_sees_only_their_tenant(signed_in: Any, desk: Any) -> None:
    client = signed_in("tenant_admin")
    assert client.get(f"/portal/tickets/{desk.ids['mixed']}").status_code == 404
    assert client.get("/portal/confirmations").status_code == 404
    assert client.get("/console").status_code == 403


def test_agents_see_only_their_queues(signed_in: Any, desk: Any) -> None:
    client = signed_in("usage_agent")  # usage + billing queues
    assert client.get(f"/console/tickets/{desk.ids['mixed']}").status_code == 404
    assert client.get(f"/console/tickets/{desk.ids['needs_info']}").status_code == 200
    assert client.get("/portal").status_code == 403


# --- attachments --------------------------------------------------------------------------


def _submit(client: Any, files: list[tuple[str, bytes]], subject: str = "Evidence") -> Any:
    page = client.get("/portal/new")
    token = csrf_of(page.text)
    key = page.text.split('name="idempotency_key" value="')[1].split('"')[0]
    return client.post(
        "/portal/new",
        data={
            "csrf_token": token,
            "idempotency_key": key,
            "subject": subject,
            "description": "The Slack integration for Contoso stopped posting; webhook 401.",
        },
        files=[("attachments", (name, body, "application/octet-stream")) for name, body in files],
    )


def test_attachments_are_checked_stored_privately_and_only_downloaded(
    signed_in: Any, desk: Any, desk_env: dict[str, Any], desk_env_other: Any = None
) -> None:
    client = signed_in("msp_admin")
    for name, body in (
        ("page.html", b"<script>alert(1)</script>"),
        ("shot.png", b"<html><script>alert(1)</script>"),
        ("run.exe", b"MZ\x90\x00"),
        ("notes.txt", b"binary\x00data"),
    ):
        r = _submit(client, [(name, body)])
        assert r.status_code == 422, name
    r = _submit(client, [("../../etc/screen shot<1>.png", PNG)])
    assert r.status_code == 303
    ticket_url = r.headers["location"].split("?")[0]
    page = client.get(ticket_url).text
    href = page.split('href="/attachments/')[1].split('"')[0]
    assert "screen shot_1_.png" in page and "../" not in page.split("Evidence")[-1]
    uploads_dir = desk_env["tmp"] / "uploads"
    stored = [p for p in uploads_dir.rglob("*") if p.is_file()]
    assert len(stored) == 1 and len(stored[0].name) == 64 and stored[0].read_bytes() == PNG
    r = client.get(f"/attachments/{href}")
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"]
    other = make_client(desk_env)
    sign_in(other, desk.emails["other_msp"])
    assert other.get(f"/attachments/{href}").status_code == 404
    assert make_client(desk_env).get(f"/attachments/{href}").status_code == 303


def test_oversized_and_too_many_attachments_are_refused(
    signed_in: Any, desk_env: dict[str, Any], monkeypatch: Any
) -> None:
    from supportdesk.web import uploads

    client = signed_in("msp_admin")
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 1000)
    r = _submit(client, [("big.png", PNG + b"\x00" * 2000)])
    assert r.status_code == 422 and "larger than" in r.text
    r = _submit(client, [(f"f{i}.txt", b"log line") for i in range(uploads.MAX_FILES + 1)])
    assert r.status_code == 422 and "at most" in r.text
    leftovers = [p for p in (desk_env["tmp"] / "uploads").rglob("*") if p.is_file()]
    assert leftovers == []


def test_pages_send_a_strict_content_security_policy(signed_in: Any) -> None:
    client = signed_in("msp_admin")
    r = client.get("/portal/new")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_crafted_flash_links_are_not_displayed(signed_in: Any, desk: Any) -> None:
    client = signed_in("msp_admin")
    fake = "Your account is locked: call +1 555 0100 with your password"
    r = client.get(f"/portal?flash={fake}&fm=0123456789abcdef0123456789abcdef")
    assert fake not in r.text
    page = client.get(f"/portal/tickets/{desk.ids['needs_info']}")
    r = client.post(
        f"/portal/tickets/{desk.ids['needs_info']}/reply",
        data={"body": "More details", "csrf_token": csrf_of(page.text)},
    )
    shown = client.get(r.headers["location"]).text
    assert "Your reply was sent." in shown
