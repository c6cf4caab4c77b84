"""Engine and session factories for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from supportdesk.db.settings import ensure_sqlite_dir, normalise_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and transactions SQLAlchemy controls itself.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; we take it over
    (the recipe in SQLAlchemy's SQLite docs) and begin with IMMEDIATE so two writers queue on the
    busy timeout instead of failing when a read lock would have to be upgraded.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    # No pre-ping (a round trip per checkout); connections are recycled and a dead one fails
    # one request, which the client retries with its Idempotency-Key.
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    import supportdesk.db.models  # noqa: F401  (every table mapped before the first flush)

    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
