"""HTTP fixtures: the FastAPI app on a fresh migrated SQLite file, a directory, API tokens."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from supportdesk.auth import tokens
from supportdesk.db import migrate
from supportdesk.db.engine import make_engine, make_session_factory
from supportdesk.db.settings import Settings
from supportdesk.web import create_app
from tests.conftest import FakeClock, World, build_world


@dataclass
class Api:
    client: TestClient
    world: World
    tokens: dict[str, str]
    clock: FakeClock

    def h(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    def get(self, who: str, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.h(who), **kw)

    def post(self, who: str, url: str, json: Any = None, **kw: Any) -> Any:
        headers = self.h(who, **kw.pop("headers", {}))
        return self.client.post(url, json=json, headers=headers, **kw)

    def patch(self, who: str, url: str, json: Any = None) -> Any:
        return self.client.patch(url, json=json, headers=self.h(who))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("e2e") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def make_api(db_path: Path, intake: Any) -> tuple[Api, Any]:
    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = FakeClock()
    with factory() as db_session:
        world = build_world(db_session, clock.now)
        issued = {}
        for who, principal in world.p.items():
            kind = principal.kind  # type: ignore[attr-defined]
            pid = principal.id  # type: ignore[attr-defined]
            scopes = ["admin"] if who == "admin" else None
            issued[who] = tokens.issue(
                db_session,
                name=who,
                now=clock.now,
                person_id=pid if kind == "person" else None,
                agent_id=pid if kind == "agent" else None,
                scopes=scopes,
            ).token
        db_session.commit()
    app = create_app(
        Settings(database_url=url), session_factory=factory, intake=intake, clock=clock
    )
    return Api(client=TestClient(app), world=world, tokens=issued, clock=clock), engine


@pytest.fixture
def api(tmp_path: Path, template_db: Path, intake: Any) -> Iterator[Api]:
    db = tmp_path / "api.db"
    shutil.copy(template_db, db)
    instance, engine = make_api(db, intake)
    yield instance
    engine.dispose()
