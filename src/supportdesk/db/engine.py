"""Engine and session factories for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from supportdesk.db.settings import ensure_sqlite_dir, normalise_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
_HOLDS_WRITER = "supportdesk.holds_sqlite_writer"


def _opens_write(statement: str, context: Any) -> bool:
    """Whether a statement needs the write lock: anything but a plain SELECT, and a SELECT
    with `FOR UPDATE` (which SQLite does not render: here it says "I will write next")."""
    if not statement.lstrip().upper().startswith("SELECT"):
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and transactions SQLAlchemy controls itself.

    pysqlite's own transaction handling is switched off (`isolation_level=None`, the recipe in
    SQLAlchemy's SQLite docs) and the transaction is begun by us, lazily: statements before a
    transaction's first write run on their own (each SELECT its own WAL snapshot, no lock), and
    the first write (or SAVEPOINT, DDL, SELECT … FOR UPDATE) emits `BEGIN IMMEDIATE`, which
    waits on the busy timeout for the single write lock and then holds it until COMMIT/ROLLBACK.

    Why not a plain BEGIN: a deferred transaction that read first and then writes must upgrade
    its read snapshot, and SQLite refuses that at once (SQLITE_BUSY, the busy handler is not
    consulted) when another connection wrote meanwhile — "database is locked" under concurrent
    writers. Why not BEGIN IMMEDIATE at every begin: a read-only transaction (a route reading
    the ticket it just created, a listing) would then hold the write lock until the session
    closes — across the hop to the thread that serialises the response, for which the threads
    waiting on that very lock hold every token: writers stall for the whole busy timeout and
    fail. Reads thus see READ COMMITTED, as on PostgreSQL; writes are serialised.
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

    # Threads of this process queue for the write lock here, woken as soon as it is free;
    # SQLite's busy handler (left to other processes) polls with sleeps of up to 100 ms.
    writer = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_on_first_write(
        conn: Any, cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        dbapi_connection = cursor.connection
        if (
            conn.in_transaction()
            and not dbapi_connection.in_transaction
            and _opens_write(statement, context)
        ):
            if not conn.info.get(_HOLDS_WRITER):
                # Bounded like the busy timeout: past it, BEGIN IMMEDIATE fails as it would.
                conn.info[_HOLDS_WRITER] = writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
            except BaseException:
                _release(conn.info)
                raise

    def _release(info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_WRITER, False):
            writer.release()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn: Any) -> None:
        _release(conn.info)

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "close")
    @event.listens_for(engine, "invalidate")
    def _dropped(_dbapi_connection: Any, record: Any, *_: Any) -> None:
        _release(record.info)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    # No pre-ping (a round trip per checkout); connections are recycled and a dead one fails
    # one request, which the client retries with its Idempotency-Key. 20 kept open: with 10, a
    # worker serving 16 requests at once opened and closed overflow connections all the time
    # (a PostgreSQL backend forked per connection, prepared statements lost with it).
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    import supportdesk.db.models  # noqa: F401  (every table mapped before the first flush)

    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
