"""The operator's side of the outbox on a real database of each engine: `supportdesk outbox list
--dead | retry`, and migration 0004 turning messages the old dispatcher gave up on into visible
dead letters (and back)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from supportdesk.cli.main import app
from supportdesk.db import migrate
from supportdesk.db.engine import make_engine, make_session_factory
from supportdesk.db.types import UTCDateTime
from supportdesk.notifications import outbox
from supportdesk.notifications.models import OutboxMessage
from supportdesk.notifications.ports import Notification

from ..conftest import T0, create_private_pg_database, drop_pg_database, postgres_url


class DownNotifier:
    def send(self, notification: Notification) -> None:
        raise TimeoutError("pager: gateway timeout")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'outbox.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL case: SUPPORTDESK_TEST_POSTGRES_URL is not set")
    url = create_private_pg_database(base, f"obx_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    yield url
    drop_pg_database(url)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_dead_letters_and_retry_them(fresh_url):
    migrate.upgrade(fresh_url)
    engine = make_engine(fresh_url)
    now = T0
    try:
        with make_session_factory(engine)() as db_session:
            for key in ("a", "b", "c"):
                outbox.enqueue(
                    db_session, dedupe_key=key, recipient=f"{key}@x.example", kind="k", now=now
                )
            db_session.commit()
            while outbox.pending(db_session):
                now = min(m.not_before for m in outbox.pending(db_session))
                outbox.dispatch(db_session, notifier=DownNotifier(), now=now)
            ids = [m.id for m in outbox.dead_letters(db_session)]
        assert len(ids) == 3

        code, out, err = cli("outbox", "list", "--dead", "--database-url", fresh_url)
        assert code == 0 and "3 dead letter(s)" in err
        lines = out.splitlines()
        assert [int(line.split("\t")[0]) for line in lines] == ids
        assert all("TimeoutError: pager: gateway timeout" in line for line in lines)
        assert f"attempts={outbox.MAX_ATTEMPTS}" in lines[0] and "a@x.example" in lines[0]

        code, out, err = cli("outbox", "retry", str(ids[0]), "--database-url", fresh_url)
        assert code == 0 and out.strip() == f"outbox: 1 re-queued: {ids[0]}"
        code, out, err = cli("outbox", "list", "--database-url", fresh_url)
        assert code == 0 and out.startswith(f"{ids[0]}\tk\ta@x.example") and "1 waiting" in err
        code, out, _ = cli("outbox", "list", "--dead", "--limit", "1", "--database-url", fresh_url)
        assert [int(line.split("\t")[0]) for line in out.splitlines()] == [ids[1]]

        # Not a dead letter any more (or never was): refused, exit 1, the others still re-queued.
        code, out, err = cli(
            "outbox", "retry", str(ids[0]), str(ids[1]), "--database-url", fresh_url
        )
        assert code == 1 and f"re-queued: {ids[1]}" in out and "not dead letters" in err
        code, _, err = cli("outbox", "retry", "--database-url", fresh_url)
        assert code == 2 and "--all" in err
        code, out, _ = cli("outbox", "retry", "--all", "--database-url", fresh_url)
        assert code == 0 and out.strip() == f"outbox: 1 re-queued: {ids[2]}"

        code, out, _ = cli("notify", "--database-url", fresh_url)  # re-queued: due now
        assert code == 0 and out.strip() == "notify: 3 delivered"
        with make_session_factory(engine)() as db_session:
            assert outbox.pending(db_session) == outbox.dead_letters(db_session) == []
    finally:
        engine.dispose()


OLD = sa.table(
    "outbox",
    sa.column("id", sa.Integer()),
    sa.column("dedupe_key", sa.String()),
    sa.column("recipient", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("created_at", UTCDateTime()),
    sa.column("not_before", UTCDateTime()),
    sa.column("delivered_at", UTCDateTime()),
    sa.column("attempts", sa.Integer()),
)


def test_migration_0004_makes_exhausted_messages_visible_dead_letters(fresh_url):
    migrate.upgrade(fresh_url, "0003_sweep")
    engine = make_engine(fresh_url)
    try:
        rows = {"gave_up": (20, None), "trying": (3, None), "delivered": (25, T0)}
        with engine.begin() as conn:
            for key, (attempts, delivered_at) in rows.items():
                conn.execute(
                    OLD.insert().values(
                        dedupe_key=key,
                        recipient="r@x.example",
                        kind="k",
                        payload={},
                        created_at=T0,
                        not_before=T0,
                        delivered_at=delivered_at,
                        attempts=attempts,
                    )
                )
        before = datetime.now(UTC)
        migrate.upgrade(fresh_url)
        with make_session_factory(engine)() as db_session:
            dead = {m.dedupe_key: m for m in db_session.scalars(sa.select(OutboxMessage))}
            assert dead["gave_up"].dead_at is not None and dead[
                "gave_up"
            ].dead_at >= before - timedelta(seconds=1)
            assert dead["trying"].dead_at is None and dead["delivered"].dead_at is None
            assert [m.dedupe_key for m in outbox.dead_letters(db_session)] == ["gave_up"]
            # A dead letter that was re-queued and failed a few times, then died again early
            # (e.g. with a lower limit): the downgrade keeps it away from the old dispatcher.
            db_session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.dedupe_key == "gave_up")
                .values(attempts=2)
            )
            db_session.commit()
        migrate.downgrade(fresh_url, "0003_sweep")
        with engine.connect() as conn:
            attempts = dict(conn.execute(sa.select(OLD.c.dedupe_key, OLD.c.attempts)).all())
        assert attempts == {"gave_up": 20, "trying": 3, "delivered": 25}
    finally:
        engine.dispose()
