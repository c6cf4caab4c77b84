"""Concurrent writers on one SQLite file: none fails with "database is locked".

A worker runs each request's steps (authentication, the route, closing the session) on a bounded
thread pool (`SUPPORTDESK_THREADS`). If a read-only transaction took SQLite's write lock at BEGIN,
a request that only read would keep the lock until its session closes, and closing needs a
thread, while every thread is held by a writer waiting for that very lock: the writers stall for
the whole busy timeout and fail. `make_engine` therefore takes the write lock at a transaction's
first write (see `supportdesk.db.engine`). This drives the app with more concurrent clients than
threads, creating tickets and reading them back, on a short busy timeout so a stall fails fast.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio import to_thread
from sqlalchemy import func, select

from supportdesk.auth import tokens
from supportdesk.auth.principal import SYSTEM
from supportdesk.core.policy import load_policy
from supportdesk.core.triage.ports import RulesOnlyModel
from supportdesk.db import engine as db_engine
from supportdesk.db import migrate
from supportdesk.db.engine import make_engine, make_session_factory
from supportdesk.db.settings import Settings
from supportdesk.directory import service as ds
from supportdesk.directory.schemas import AccountCreate, PersonCreate
from supportdesk.tickets.intake import Intake
from supportdesk.tickets.models import AuditEvent, Ticket
from supportdesk.web import create_app
from tests.conftest import T0

THREADS = 4
CLIENTS = 12
PER_CLIENT = 6


@pytest.fixture
def sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    # A stall then shows as "database is locked" after 3 s instead of 30 s.
    monkeypatch.setattr(db_engine, "SQLITE_BUSY_TIMEOUT_MS", 3_000)
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    migrate.upgrade(url)
    return url


def _seed(url: str) -> str:
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        acc = ds.create_account(
            s, data=AccountCreate(name="Northwind IT", kind="msp", tier="standard"),
            principal=SYSTEM, now=T0,
        )  # fmt: skip
        person = ds.create_person(
            s,
            data=PersonCreate(email="ops@north.example", role="msp_admin", account_id=acc.id),
            principal=SYSTEM,
            now=T0,
        )
        raw = tokens.issue(s, name="t", now=T0, person_id=person.id).token
        s.commit()
    engine.dispose()
    return raw


async def _drive(app: Any, token: str) -> tuple[list[int], list[str]]:
    to_thread.current_default_thread_limiter().total_tokens = THREADS
    created: list[int] = []
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:

        async def client(k: int) -> None:
            for i in range(PER_CLIENT):
                body = {"subject": f"c{k}-{i}", "description": f"SSO login fails for all ({k})"}
                r = await c.post(
                    "/api/v1/tickets", json=body, headers={**headers, "Idempotency-Key": f"{k}-{i}"}
                )
                if r.status_code != 201:
                    failures.append(f"POST {r.status_code} {r.text[:200]}")
                    continue
                tid = r.json()["id"]
                created.append(tid)
                got = await c.get(f"/api/v1/tickets/{tid}", headers=headers)
                if got.status_code != 200:
                    failures.append(f"GET {got.status_code} {got.text[:200]}")

        await asyncio.gather(*(client(k) for k in range(CLIENTS)))
    return created, failures


def test_concurrent_creations_on_one_sqlite_file_all_succeed(sqlite_file: str) -> None:
    token = _seed(sqlite_file)
    engine = make_engine(sqlite_file)
    settings = Settings(database_url=sqlite_file, rules_only=True, threads=THREADS)
    intake = Intake(policy=load_policy(), model=RulesOnlyModel())
    app = create_app(settings, engine=engine, intake=intake)
    try:
        # A loop of its own in a thread of its own: another test's (Playwright's) event loop may
        # still be running in this one.
        with ThreadPoolExecutor(max_workers=1) as runner:
            created, failures = runner.submit(asyncio.run, _drive(app, token)).result()
        assert not [f for f in failures if "locked" in f.lower()], failures
        assert failures == []
        assert len(set(created)) == CLIENTS * PER_CLIENT
        with make_session_factory(engine)() as s:
            assert s.scalar(select(func.count()).select_from(Ticket)) == CLIENTS * PER_CLIENT
            ids = set(s.scalars(select(Ticket.id)).all())
            assert ids == set(created)
            made = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "ticket.created")
            )
            assert made == CLIENTS * PER_CLIENT
    finally:
        engine.dispose()
