"""Hostile ticket text in every place user text appears is shown as text, never as markup; and
every page has one h1, a language, a main landmark and a label for every control."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from supportdesk.auth.principal import SYSTEM
from supportdesk.directory import service as directory
from supportdesk.directory.models import Person, Tenant
from supportdesk.directory.schemas import TenantCreate

from .conftest import csrf_of, make_client, sign_in
from .htmlcheck import parse

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
LINK = '<a href="javascript:alert(2)">click me</a>'
ATTR = '" autofocus onfocus="alert(3)'
HOSTILE = f"{SCRIPT} {IMG} {LINK} {ATTR} javascript:alert(4)"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OUR_SCRIPTS = {"/static/desk.js"}


def assert_inert(html: str, where: str) -> None:
    """No element, attribute or URL from the hostile text made it into the markup."""
    page = parse(html)
    for t in page.tags:
        assert t.name not in {"img", "svg", "iframe", "object", "embed"} or (
            t.name == "svg" and "chart" in t.attrs.get("class", "")
        ), f"{where}: injected <{t.name}>"
        if t.name == "script":
            assert t.attrs.get("src") in OUR_SCRIPTS or t.attrs.get("type") == "application/json", (
                f"{where}: injected <script>"
            )
        for k, v in t.attrs.items():
            assert not k.startswith("on"), f"{where}: event handler {k}={v!r} on <{t.name}>"
            if k in {"href", "src", "action", "formaction"}:
                assert not v.strip().lower().startswith("javascript:"), f"{where}: {k}={v!r}"
        if t.name == "input" and t.attrs.get("autofocus") is not None:
            assert t.attrs.get("id") == "email", f"{where}: injected autofocus"
    assert SCRIPT not in html and IMG not in html, where


@pytest.fixture
def hostile_desk(desk_env: dict[str, Any], desk: Any) -> dict[str, Any]:
    """Hostile names in the directory and hostile text in a ticket, its replies, notes,
    fields, attachment name, split parts and audit values, all entered through the pages."""
    now = datetime.now(UTC)
    with desk_env["factory"]() as db:
        admin = db.get(Person, desk.ids["msp_admin"])
        assert admin is not None
        admin.name = f"Olivia {SCRIPT}"
        tenant = db.get(Tenant, desk.ids["contoso"])
        assert tenant is not None
        tenant.name = f"Contoso {IMG}"
        directory.create_tenant(
            db,
            data=TenantCreate(account_id=desk.ids["northwind"], name=LINK),
            principal=SYSTEM,
            now=now,
        )
        db.commit()
    msp = make_client(desk_env)
    sign_in(msp, desk.emails["msp_admin"])
    form = msp.get("/portal/new").text
    key = form.split('name="idempotency_key" value="')[1].split('"')[0]
    r = msp.post(
        "/portal/new",
        data={
            "csrf_token": csrf_of(form),
            "idempotency_key": key,
            "subject": f"Help {SCRIPT}",
            "description": f"Our credits {HOSTILE} dropped since yesterday at Contoso.",
            "best_time": HOSTILE,
            "device_id": HOSTILE,
            "tenant_id": str(desk.ids["contoso"]),
        },
        files=[("attachments", (f"{ATTR}{IMG}.png", PNG, "image/png"))],
    )
    assert r.status_code == 303, r.text[:500]
    ticket_path = r.headers["location"].split("?")[0]
    tid = int(ticket_path.rsplit("/", 1)[1])
    msp.post(
        f"{ticket_path}/reply",
        data={"body": f"More: {HOSTILE}", "csrf_token": csrf_of(msp.get(ticket_path).text)},
    )
    tenant_admin = make_client(desk_env)
    sign_in(tenant_admin, desk.emails["tenant_admin"])
    form = tenant_admin.get("/portal/new").text
    key = form.split('name="idempotency_key" value="')[1].split('"')[0]
    r = tenant_admin.post(
        "/portal/new",
        data={
            "csrf_token": csrf_of(form),
            "idempotency_key": key,
            "subject": f"Tenant {SCRIPT}",
            "description": f"Webhook fails {HOSTILE}",
        },
    )
    assert r.status_code == 303
    agent = make_client(desk_env)
    sign_in(agent, desk.emails["admin_agent"])
    page = agent.get(f"/console/tickets/{tid}").text
    token = csrf_of(page)
    for path, data in (
        ("note", {"body": f"Note {HOSTILE}"}),
        ("reply", {"body": f"Reply {HOSTILE}"}),
        ("severity", {"severity": "2", "reason": f"Because {HOSTILE}"}),
        ("category", {"category": "billing", "reason": f"Really {HOSTILE}"}),
    ):
        r = agent.post(f"/console/tickets/{tid}/{path}", data={**data, "csrf_token": token})
        assert r.status_code == 303, (path, r.text[:300])
    r = agent.post(
        f"/console/tickets/{desk.ids['mixed']}/split",
        data={
            "csrf_token": token,
            "part-0.category": "access",
            "part-0.severity": "2",
            "part-0.text": f"SSO {HOSTILE}",
            "part-1.category": "billing",
            "part-1.severity": "3",
            "part-1.text": f"Quote {HOSTILE}",
        },
    )
    assert r.status_code == 303, r.text[:300]
    return {"msp": msp, "agent": agent, "tenant_admin": tenant_admin, "tid": tid}


def test_hostile_text_is_inert_everywhere_it_appears(
    hostile_desk: dict[str, Any], desk: Any
) -> None:
    msp, agent, tid = hostile_desk["msp"], hostile_desk["agent"], hostile_desk["tid"]
    pages = {
        "portal list": (msp, "/portal?show=all"),
        "portal ticket": (msp, f"/portal/tickets/{tid}"),
        "confirmations": (msp, "/portal/confirmations"),
        "new ticket form": (msp, "/portal/new"),
        "flash": (msp, f"/portal?flash={SCRIPT}{IMG}"),
        "console queue": (agent, "/console?status=any"),
        "console ticket": (agent, f"/console/tickets/{tid}"),
        "console split parent": (agent, f"/console/tickets/{desk.ids['mixed']}"),
        "dashboard": (agent, "/console/dashboard"),
    }
    for where, (client, path) in pages.items():
        r = client.get(path)
        assert r.status_code == 200, (where, r.status_code)
        assert_inert(r.text, where)
    ticket_page = msp.get(f"/portal/tickets/{tid}").text
    assert "&lt;script&gt;alert(" in ticket_page  # shown, as text
    console = agent.get(f"/console/tickets/{tid}").text
    assert "Because &lt;script&gt;" in console or "Because \\u003cscript\\u003e" in console
    r = msp.post(
        "/portal/triage",
        data={"subject": SCRIPT, "description": HOSTILE},
        headers={"X-CSRF-Token": csrf_of(ticket_page), "X-Requested-With": "fetch"},
    )
    assert_inert(r.text, "live triage fragment")


def test_sign_in_form_echoes_a_hostile_email_as_text(client: Any) -> None:
    page = client.get("/signin")
    r = client.post(
        "/signin",
        data={
            "email": f'x"{IMG}@e.example',
            "password": "nope nope nope",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert r.status_code == 401
    assert_inert(r.text, "sign-in")
    r = client.get(f"/signin?next={LINK}&flash={SCRIPT}")
    assert_inert(r.text, "sign-in next")


def _pages(desk: Any) -> dict[str, list[str]]:
    return {
        "msp_admin": [
            "/portal",
            "/portal/new",
            "/portal/confirmations",
            f"/portal/tickets/{desk.ids['needs_info']}",
            f"/portal/tickets/{desk.ids['mixed']}",
        ],
        "admin_agent": [
            "/console",
            f"/console/tickets/{desk.ids['mixed']}",
            f"/console/tickets/{desk.ids['needs_info']}",
            "/console/dashboard",
        ],
    }


def test_every_page_has_one_h1_labels_for_controls_and_landmarks(
    desk_env: dict[str, Any], desk: Any
) -> None:
    anon = make_client(desk_env)
    checked = {"/signin": anon.get("/signin").text}
    for who, paths in _pages(desk).items():
        c = make_client(desk_env)
        sign_in(c, desk.emails[who])
        for path in paths:
            r = c.get(path)
            assert r.status_code == 200, path
            checked[path] = r.text
        r = c.get("/console/tickets/999999" if who == "admin_agent" else "/portal/tickets/999999")
        assert r.status_code == 404
        checked[f"404 for {who}"] = r.text
    for path, html in checked.items():
        page = parse(html)
        h1 = page.named("h1")
        assert len(h1) == 1, f"{path}: {len(h1)} h1 elements"
        assert h1[0].text.strip(), f"{path}: empty h1"
        assert page.named("html")[0].attrs.get("lang") == "en", path
        assert any(t.attrs.get("id") == "main" for t in page.named("main")), path
        assert not page.unlabelled_controls(), (path, page.unlabelled_controls())
        for b in page.named("button"):
            assert b.attrs.get("type") in {"submit", "button"}, (path, b)
        ids = [t.attrs["id"] for t in page.tags if "id" in t.attrs]
        assert len(ids) == len(set(ids)), f"{path}: duplicate ids"


def test_skip_link_and_severity_definitions_from_the_policy(signed_in: Any) -> None:
    from supportdesk.core.policy import load_policy

    html = signed_in("msp_admin").get("/portal/new").text
    assert 'href="#main"' in html
    policy = load_policy()
    for level in (1, 2, 3):
        assert policy.severity_definition(level) in html
    for label in (
        "Issue category",
        "Subject",
        "Brief description",
        "Impacted organization",
        "Best time to contact",
        "Impacted device ID",
        "System ID",
        "Operating system",
        "Evidence",
    ):
        assert label in html
