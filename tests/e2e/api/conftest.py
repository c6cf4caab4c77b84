"""HTTP fixtures: the FastAPI app on a fresh migrated database, a directory, API tokens.

Every API test runs on SQLite and on PostgreSQL (`api_databases` is parametrised like the
integration suite's `engine`): SQLite gets a copy of a migrated template file per test;
PostgreSQL a private database on the server named by `SUPPORTDESK_TEST_POSTGRES_URL`, created
and migrated once for the session, emptied before each test (ids start at 1 again, as on a fresh
file) and dropped at the end. Without the variable the PostgreSQL cases are skipped with that
reason, listed in the summary (`-ra`), as in the integration suite; `make test` always sets it,
and a server it names but cannot reach is an error, not a skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, text

from supportdesk.auth import tokens
from supportdesk.db import migrate
from supportdesk.db.engine import make_engine, make_session_factory
from supportdesk.db.settings import Settings
from supportdesk.web import create_app
from tests.conftest import (
    PG_ENV,
    FakeClock,
    World,
    build_world,
    create_private_pg_database,
    drop_pg_database,
    postgres_url,
)


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


class SqliteDatabases:
    """A copy of one migrated template file per API instance, with its own engine."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._template = tmp_path_factory.mktemp("e2e") / "template.db"
        migrate.upgrade(f"sqlite:///{self._template}")

    @contextmanager
    def fresh(self) -> Iterator[tuple[str, Engine]]:
        path = self._tmp.mktemp("api") / "api.db"
        shutil.copy(self._template, path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()

    def close(self) -> None:
        pass


class PostgresDatabases:
    """Private migrated databases on the test server, emptied and reused between instances
    (creating and migrating one takes a second or two; emptying it a few hundredths: a DELETE
    per table, children first, and every sequence restarted, so ids start at 1 as on a fresh
    file; TRUNCATE would be ten times slower). An instance alive while another is asked for (a
    module-scoped app beside per-test ones) gets a database of its own."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url
        self._free: list[tuple[str, Engine, list[str]]] = []
        self._all: list[tuple[str, Engine, list[str]]] = []

    def _create(self) -> tuple[str, Engine, list[str]]:
        url = create_private_pg_database(self._base, f"api_{os.getpid()}_{uuid.uuid4().hex[:6]}")
        migrate.upgrade(url)
        engine = make_engine(url)
        reflected = MetaData()
        reflected.reflect(engine)
        empty = [
            f"DELETE FROM {engine.dialect.identifier_preparer.format_table(table)}"
            for table in reversed(reflected.sorted_tables)
            if table.name != "alembic_version"
        ]
        with engine.connect() as conn:
            empty += conn.scalars(
                text(
                    "SELECT 'ALTER SEQUENCE ' || quote_ident(sequencename) || ' RESTART' "
                    "FROM pg_sequences WHERE schemaname = current_schema()"
                )
            ).all()
        db = (url, engine, empty)
        self._all.append(db)
        return db

    @contextmanager
    def fresh(self) -> Iterator[tuple[str, Engine]]:
        db = self._free.pop() if self._free else self._create()
        url, engine, empty = db
        with engine.begin() as conn:
            # A session the previous test leaked would make this wait forever: fail instead.
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            for statement in empty:
                conn.execute(text(statement))
        try:
            yield url, engine
        finally:
            self._free.append(db)

    def close(self) -> None:
        for url, engine, _ in self._all:
            engine.dispose()
            drop_pg_database(url)


Databases = SqliteDatabases | PostgresDatabases


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def api_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    dbs: Databases
    if request.param == "sqlite":
        dbs = SqliteDatabases(tmp_path_factory)
    else:
        base = postgres_url()
        if base is None:
            pytest.skip(f"PostgreSQL case: {PG_ENV} is not set")
        dbs = PostgresDatabases(base)
    try:
        yield dbs
    finally:
        dbs.close()


def make_api(url: str, engine: Engine, intake: Any) -> Api:
    """The app on an empty migrated database: the test directory and a token per principal."""
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
    return Api(client=TestClient(app), world=world, tokens=issued, clock=clock)


@pytest.fixture
def api(api_databases: Databases, intake: Any) -> Iterator[Api]:
    with api_databases.fresh() as (url, engine):
        instance = make_api(url, engine, intake)
        yield instance
        instance.client.close()
