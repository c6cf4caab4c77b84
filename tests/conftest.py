"""Shared fixtures for the service tests.

* `engine`: parametrised over SQLite (a migrated temporary file) and PostgreSQL (a private,
  migrated database on the server named by `SUPPORTDESK_TEST_POSTGRES_URL`, created for this
  test session and dropped afterwards; without the variable the PostgreSQL cases are skipped).
* `db_session`: one test = one outer transaction that is rolled back; the services' commits
  only release savepoints (SQLAlchemy's `join_transaction_mode="create_savepoint"`).
* `intake` uses the rules-only text model; `clock` is a fake clock the test moves by hand.
* `world`: a small directory (accounts of each tier, tenants, people of every role, agents).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
if str(SRC) not in sys.path:  # running without `pip install -e .`
    sys.path.insert(0, str(SRC))

from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

PG_ENV = "SUPPORTDESK_TEST_POSTGRES_URL"
#: A Wednesday 16:00 UTC = 09:00 in Denver: inside the Standard tier's business hours.
T0 = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)


def postgres_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    from supportdesk.db.settings import normalise_url

    return normalise_url(url)


def create_private_pg_database(base_url: str, suffix: str) -> str:
    """Create `<name>_<suffix>` on the server of `base_url` (the base database is created too if
    missing) and return its URL. Private databases keep concurrent test runs apart."""
    from sqlalchemy import create_engine

    url = make_url(base_url)
    name = f"{url.database or 'supportdesk_test'}_{suffix}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for db in (url.database, name):
                exists = conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": db}
                )
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{db}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(db_url: str) -> None:
    from sqlalchemy import create_engine

    url = make_url(db_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from supportdesk.db import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    base = postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL case: {PG_ENV} is not set")
    from supportdesk.db import migrate

    url = create_private_pg_database(base, f"it_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    migrate.upgrade(url)
    yield url
    drop_pg_database(url)


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    from supportdesk.db.engine import make_engine

    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    eng = make_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    import supportdesk.db.models  # noqa: F401

    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def intake():  # type: ignore[no-untyped-def]
    from supportdesk.core.policy import load_policy
    from supportdesk.core.triage.ports import RulesOnlyModel
    from supportdesk.tickets.intake import Intake

    return Intake(policy=load_policy(), model=RulesOnlyModel())


@dataclass
class FakeClock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now = self.now + timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class World:
    """Directory rows and their principals, by short names."""

    accounts: dict[str, object] = field(default_factory=dict)
    tenants: dict[str, object] = field(default_factory=dict)
    people: dict[str, object] = field(default_factory=dict)
    agents: dict[str, object] = field(default_factory=dict)
    p: dict[str, object] = field(default_factory=dict)  # principals


def build_world(db_session: Session, now: datetime) -> World:
    from supportdesk.auth.principal import SCOPES, SYSTEM
    from supportdesk.auth.tokens import principal_for_agent, principal_for_person
    from supportdesk.directory import service as ds
    from supportdesk.directory.schemas import (
        AccountCreate,
        AgentCreate,
        PersonCreate,
        TenantCreate,
    )

    w = World()
    all_scopes = frozenset(s for s in SCOPES if s != "admin")
    agents = {
        "admin": AgentCreate(email="admin@vendor.example", role="admin"),
        "manager": AgentCreate(
            email="manager@vendor.example", role="support_manager", time_zone="America/Denver"
        ),
        "lead": AgentCreate(
            email="lead@vendor.example",
            role="team_lead",
            queues=["support", "usage", "billing", "sales"],
            time_zone="America/Denver",
        ),
        "oncall": AgentCreate(
            email="oncall@vendor.example", role="agent", on_call=True, queues=["support"]
        ),
        "support_agent": AgentCreate(
            email="agent@vendor.example", role="agent", queues=["support"]
        ),
        "billing_agent": AgentCreate(
            email="billing@vendor.example", role="agent", queues=["billing"]
        ),
    }
    for key, data in agents.items():
        a = ds.create_agent(db_session, data=data, principal=SYSTEM, now=now)
        w.agents[key] = a
        w.p[key] = principal_for_agent(a, all_scopes)
    accounts = {
        "north": ("Northwind IT", "msp", "standard", ["contoso", "fabrikam"]),
        "blue": ("Blue Yonder", "msp", "premium", ["litware"]),
        "trey": ("Trey Research", "msp", "free", ["treylab"]),
    }
    for key, (name, kind, tier, tenants) in accounts.items():
        acc = ds.create_account(
            db_session,
            data=AccountCreate(name=name, kind=kind, tier=tier),  # type: ignore[arg-type]
            principal=SYSTEM,
            now=now,
        )
        w.accounts[key] = acc
        people = [(f"{key}_msp", "msp_admin", None)]
        for t in tenants:
            ten = ds.create_tenant(
                db_session, data=TenantCreate(account_id=acc.id, name=t), principal=SYSTEM, now=now
            )
            w.tenants[t] = ten
            people += [
                (f"{t}_admin", "tenant_admin", ten.id),
                (f"{t}_user", "customer_user", ten.id),
                (f"{t}_end", "end_user", ten.id),
            ]
        for pkey, role, tenant_id in people:
            person = ds.create_person(
                db_session,
                data=PersonCreate(
                    email=f"{pkey}@{key}.example",
                    role=role,  # type: ignore[arg-type]
                    account_id=acc.id,
                    tenant_id=tenant_id,
                ),
                principal=SYSTEM,
                now=now,
            )
            w.people[pkey] = person
            w.p[pkey] = principal_for_person(person, all_scopes)
    pending = ds.create_person(
        db_session,
        data=PersonCreate(
            email="pending@north.example",
            role="msp_admin",
            account_id=w.accounts["north"].id,  # type: ignore[attr-defined]
            verification="pending",
        ),
        principal=SYSTEM,
        now=now,
    )
    w.people["pending"] = pending
    w.p["pending"] = principal_for_person(pending, all_scopes)
    return w


@pytest.fixture
def world(db_session: Session, clock: FakeClock) -> World:
    return build_world(db_session, clock.now)
