"""The REST API through HTTP: auth, errors, idempotency, isolation, pagination, every resource."""

from __future__ import annotations

import pytest

USAGE = "Why did credits drop for tenant Contoso yesterday?"
HOWTO = "How do I configure a retention policy for our own account?"
SSO = "SSO login fails for all users at Contoso since this morning."


def create(api, who, description=HOWTO, **extra):
    r = api.post(who, "/api/v1/tickets", {"subject": "Help", "description": description, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def test_health_and_openapi_need_no_token(api):
    assert api.client.get("/api/v1/health").json()["status"] == "ok"
    spec = api.client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets" in spec["paths"] and "/api/v1/triage" in spec["paths"]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_missing_or_bad_tokens_are_401_json(api, header):
    headers = {"Authorization": header} if header else {}
    r = api.client.get("/api/v1/tickets", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_create_get_and_list(api):
    t = create(api, "north_msp", USAGE)
    assert t["status"] == "open" and t["queue"] == "usage" and t["decision"]["reasons"]
    got = api.get("north_msp", f"/api/v1/tickets/{t['id']}").json()
    assert got["id"] == t["id"] and got["first_response_due_at"]
    items = api.get("north_msp", "/api/v1/tickets").json()["items"]
    assert [i["id"] for i in items] == [t["id"]]


def test_validation_errors_name_the_field(api):
    r = api.post("north_msp", "/api/v1/tickets", {"description": "x", "severity": 7})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error" and err["field"] == "severity"
    r = api.post("north_msp", "/api/v1/tickets", {"description": "x", "colour": "red"})
    assert r.json()["error"]["field"] == "colour"
    r = api.post("admin", "/api/v1/tickets", {"description": "x"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "requester_email"


def test_idempotency_key_makes_retries_safe(api):
    body = {"subject": "s", "description": USAGE}
    first = api.post("north_msp", "/api/v1/tickets", body, headers={"Idempotency-Key": "k-1"})
    again = api.post("north_msp", "/api/v1/tickets", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.post(
        "north_msp", "/api/v1/tickets", {**body, "subject": "t"}, headers={"Idempotency-Key": "k-1"}
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_conflict"
    assert len(api.get("north_msp", "/api/v1/tickets").json()["items"]) == 1


def foreign_directory(who, url):
    """Whether the directory row at `url` belongs to someone `who` must not see."""
    if who == "blue_msp":
        return True  # another account altogether
    if who == "fabrikam_admin":
        return "/tenants/" in url or "/people/" in url  # same account, another tenant
    if who == "contoso_end":
        return "/people/" in url  # end users see only themselves
    return False  # agents read the directory


def test_foreign_resources_are_404_for_every_route(api):
    victim = create(api, "contoso_admin", SSO)
    tid = victim["id"]
    acc = api.world.accounts["north"].id
    tenant = api.world.tenants["contoso"].id
    person = api.world.people["contoso_user"].id
    calls = [
        ("get", f"/api/v1/tickets/{tid}", None),
        ("patch", f"/api/v1/tickets/{tid}", {"category": "billing"}),
        ("post", f"/api/v1/tickets/{tid}/transition", {"status": "closed"}),
        ("post", f"/api/v1/tickets/{tid}/reply", {"body": "hi"}),
        ("post", f"/api/v1/tickets/{tid}/notes", {"body": "hi"}),
        ("get", f"/api/v1/tickets/{tid}/messages", None),
        ("get", f"/api/v1/tickets/{tid}/events", None),
        ("post", f"/api/v1/tickets/{tid}/confirm", None),
        ("post", f"/api/v1/tickets/{tid}/verify", {}),
        (
            "post",
            f"/api/v1/tickets/{tid}/split",
            {
                "parts": [
                    {"category": "setup", "severity": 3, "text": "a"},
                    {"category": "setup", "severity": 3, "text": "b"},
                ]
            },
        ),
        ("post", f"/api/v1/tickets/{tid}/merge", {"into_ticket_id": tid}),
        ("get", f"/api/v1/accounts/{acc}", None),
        ("patch", f"/api/v1/accounts/{acc}", {"name": "mine now"}),
        ("get", f"/api/v1/tenants/{tenant}", None),
        ("get", f"/api/v1/people/{person}", None),
        ("patch", f"/api/v1/people/{person}", {"active": False}),
    ]
    for who in ("blue_msp", "fabrikam_admin", "contoso_end", "billing_agent"):
        for method, url, body in calls:
            if method == "get":
                r = api.get(who, url)
            elif method == "patch":
                r = api.patch(who, url, body)
            else:
                r = api.post(who, url, body)
            if "/tickets/" not in url and not foreign_directory(who, url):
                continue
            code = r.json()["error"]["code"]
            if code == "missing_scope":
                continue  # a property of the token, the same for every id: leaks nothing
            assert r.status_code == 404, (who, method, url, r.status_code, r.text)
            assert code == "not_found"
    events = api.get("blue_msp", f"/api/v1/audit-events?ticket_id={tid}").json()
    assert events == []


def test_cursor_pagination_orders_by_sla_deadline(api):
    ids = []
    for i in range(5):
        api.clock.advance(minutes=10)
        # Alternate S3 how-tos and S2 outages so deadlines interleave with creation order.
        text = HOWTO if i % 2 == 0 else "SSO login fails for all users of our own account."
        ids.append(create(api, "blue_msp", text)["id"])
    seen, cursor, dues = [], None, []
    while True:
        url = "/api/v1/tickets?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get("admin", url).json()
        seen += [t["id"] for t in page["items"]]
        dues += [t["next_due_at"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert dues == sorted(dues)
    bad = api.get("admin", "/api/v1/tickets?cursor=garbage")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"


def test_filters(api):
    create(api, "blue_msp", HOWTO)
    create(api, "north_msp", USAGE)
    got = api.get("admin", "/api/v1/tickets?queue=usage").json()["items"]
    assert {t["queue"] for t in got} == {"usage"}
    got = api.get("admin", "/api/v1/tickets?tier=premium&status=open").json()["items"]
    assert {t["tier"] for t in got} == {"premium"}


def test_full_agent_flow_over_http(api):
    t = create(api, "contoso_admin", SSO)
    assert t["status"] == "awaiting_msp"
    t = api.post("north_msp", f"/api/v1/tickets/{t['id']}/confirm").json()
    assert t["status"] in {"open", "needs_info"} and t["sla_started_at"]
    tid = t["id"]
    lead = api.world.agents["lead"].id
    r = api.patch("admin", f"/api/v1/tickets/{tid}", {"assignee_id": lead})
    assert r.json()["assignee_id"] == lead
    r = api.patch("admin", f"/api/v1/tickets/{tid}", {"severity": 1})
    assert r.status_code == 422 and r.json()["error"]["field"] == "severity_reason"
    assert api.post("admin", f"/api/v1/tickets/{tid}/notes", {"body": "x"}).status_code == 201
    r = api.post("admin", f"/api/v1/tickets/{tid}/reply", {"body": "On it."})
    assert r.json()["first_responded_at"]
    r = api.post("admin", f"/api/v1/tickets/{tid}/transition", {"status": "resolved"})
    assert r.json()["status"] == "resolved"
    r = api.post("admin", f"/api/v1/tickets/{tid}/transition", {"status": "pending_customer"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    msgs = api.get("contoso_admin", f"/api/v1/tickets/{tid}/messages").json()
    assert all(m["visibility"] == "public" for m in msgs), "customers never see internal notes"
    events = api.get("admin", f"/api/v1/tickets/{tid}/events").json()
    assert {"ticket.assigned", "ticket.noted", "ticket.replied"} <= {e["action"] for e in events}


def test_triage_endpoint_stores_nothing(api):
    body = {
        "submitted_at": "2026-11-18T16:00:00Z",
        "requester": {"email": "a@b.example", "role": "msp_admin"},
        "account": {"name": "X", "tier": "standard"},
        "description": USAGE,
    }
    r = api.post("admin", "/api/v1/triage", body)
    assert r.status_code == 200 and r.json()["support_path"] == "accept"
    assert api.get("admin", "/api/v1/tickets").json()["items"] == []


def test_policy_read_and_validate(api):
    policy = api.get("north_msp", "/api/v1/policy").json()
    assert policy["version"] and "tiers" in policy
    ok = api.post("admin", "/api/v1/policy/validate", {"yaml": "version: x\n"}).json()
    assert ok["valid"] is False and ok["problems"]


def test_queues_for_agents_only(api):
    create(api, "north_msp", USAGE)
    queues = {q["name"]: q for q in api.get("admin", "/api/v1/queues").json()}
    assert queues["usage"]["working"] == 1
    page = api.get("admin", "/api/v1/queues/usage/tickets").json()
    assert len(page["items"]) == 1
    assert api.get("north_msp", "/api/v1/queues").status_code == 403


def test_directory_crud_and_tokens(api):
    r = api.post(
        "admin", "/api/v1/accounts", {"name": "New MSP", "kind": "msp", "tier": "standard"}
    )
    assert r.status_code == 201
    acc = r.json()["id"]
    r = api.post("admin", "/api/v1/tenants", {"account_id": acc, "name": "T1"})
    assert r.status_code == 201
    r = api.post(
        "admin",
        "/api/v1/people",
        {"email": "Boss@NewMSP.example", "role": "msp_admin", "account_id": acc},
    )
    assert r.status_code == 201 and r.json()["email"] == "boss@newmsp.example"
    dup = api.post("admin", "/api/v1/people", {"email": "boss@newmsp.example", "role": "msp_admin"})
    assert dup.status_code == 409 and dup.json()["error"]["field"] == "email"
    person = r.json()["id"]
    tok = api.post("admin", "/api/v1/tokens", {"name": "boss", "person_id": person})
    assert tok.status_code == 201 and tok.json()["token"].startswith("sd_")
    me = api.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tok.json()['token']}"}
    ).json()
    assert me["email"] == "boss@newmsp.example" and me["account_id"] == acc
    # Non-admins cannot mint tokens for others.
    r = api.post("north_msp", "/api/v1/tokens", {"name": "x", "person_id": person})
    assert r.status_code == 403
    # An MSP admin may add people to their own account only.
    north = api.world.accounts["north"].id
    r = api.post(
        "north_msp",
        "/api/v1/people",
        {"email": "new@north.example", "role": "customer_user", "account_id": north},
    )
    assert r.status_code == 201
    r = api.post(
        "north_msp",
        "/api/v1/people",
        {"email": "new@other.example", "role": "customer_user", "account_id": acc},
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "account_id"


def test_scopes_are_enforced(api):
    from supportdesk.auth import tokens

    factory = api.client.app.state.session_factory
    with factory() as db_session:
        raw = tokens.issue(
            db_session,
            name="read only",
            now=api.clock.now,
            person_id=api.world.people["north_msp"].id,
            scopes=["tickets:read"],
        ).token
        db_session.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    assert api.client.get("/api/v1/tickets", headers=headers).status_code == 200
    r = api.client.post("/api/v1/tickets", json={"description": "x"}, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "missing_scope"
