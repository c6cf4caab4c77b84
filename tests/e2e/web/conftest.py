"""Web desk fixtures: the whole application over HTTP (Starlette's TestClient) on a migrated
temporary SQLite database seeded through the service functions (`seed.seed_desk`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from web.seed import PASSWORD, Desk, seed_desk


@pytest.fixture
def desk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from supportdesk.core.policy import load_policy
    from supportdesk.core.triage.ports import RulesOnlyModel
    from supportdesk.db import migrate
    from supportdesk.db.engine import make_engine, make_session_factory
    from supportdesk.tickets.intake import Intake

    monkeypatch.setenv("SUPPORTDESK_UPLOAD_DIR", str(tmp_path / "uploads"))
    url = f"sqlite:///{tmp_path / 'web.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    intake = Intake(policy=load_policy(), model=RulesOnlyModel())
    with factory() as db_session:
        desk = seed_desk(db_session, intake=intake, now=datetime.now(UTC))
    yield {"url": url, "factory": factory, "intake": intake, "desk": desk, "tmp": tmp_path}
    engine.dispose()


def make_client(env: dict[str, Any]) -> Any:
    """A fresh application instance and browser-like client (its own cookie jar)."""
    from fastapi.testclient import TestClient

    from supportdesk.db.settings import Settings
    from supportdesk.web.app import create_app

    app = create_app(
        Settings(database_url=env["url"], rules_only=True),
        session_factory=env["factory"],
        intake=env["intake"],
    )
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


@pytest.fixture
def client(desk_env: dict[str, Any]) -> Any:
    return make_client(desk_env)


@pytest.fixture
def desk(desk_env: dict[str, Any]) -> Desk:
    d: Desk = desk_env["desk"]
    return d


CSRF_RX = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF_RX.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/signin")
    return client.post(
        "/signin",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
    )


@pytest.fixture
def signed_in(client: Any, desk: Desk) -> Callable[[str], Any]:
    def as_(who: str) -> Any:
        r = sign_in(client, desk.emails[who])
        assert r.status_code == 303, r.text
        return client

    return as_
