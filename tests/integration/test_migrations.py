"""Migrations: upgrade from empty, match the models, downgrade to empty, on both engines."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from supportdesk.db import migrate
from supportdesk.db.engine import make_engine
from supportdesk.db.models import metadata

from ..conftest import create_private_pg_database, drop_pg_database, postgres_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip("PostgreSQL case: SUPPORTDESK_TEST_POSTGRES_URL is not set")
    url = create_private_pg_database(base, f"mig_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    yield url
    drop_pg_database(url)


def test_upgrade_from_empty_matches_the_models_and_downgrades_to_empty(empty_url):
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"tickets", "accounts", "people", "outbox", "audit_events"} <= tables
            ctx = MigrationContext.configure(conn)
            # Only tables these models map: another package's migration may add its own.
            diff = [d for d in compare_metadata(ctx, metadata) if _table_of(d) in metadata.tables]
            assert diff == [], f"models and migrations differ: {diff}"
        assert migrate.current(empty_url) is not None
        migrate.downgrade(empty_url, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(empty_url)  # and back up again
        assert migrate.current(empty_url) is not None
    finally:
        engine.dispose()


def _table_of(diff: tuple | list) -> str | None:
    if isinstance(diff, list):  # column modifications: ("modify_type", schema, table, ...)
        return str(diff[0][2])
    if diff[0] in {"add_column", "remove_column"}:
        return str(diff[2])
    obj = diff[1]
    table = getattr(obj, "table", None)
    return getattr(table, "name", None) or getattr(obj, "name", None)
