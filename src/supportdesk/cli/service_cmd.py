"""`supportdesk serve | demo | sweep | notify | db upgrade|downgrade|current`.

Each command only translates: read options, call the service or job, print the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


def _now(at: str | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(at)
    if parsed.tzinfo is None:
        raise typer.BadParameter(
            "give an offset, e.g. 2026-11-18T16:00:00+00:00", param_hint="--at"
        )
    return parsed.astimezone(UTC)


def _url(database_url: str | None) -> str:
    from supportdesk.db.settings import get_settings, normalise_url

    return normalise_url(database_url) if database_url else get_settings().database_url


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    """A session on the chosen database for one command; the engine is closed after."""
    from supportdesk.db.engine import make_engine, make_session_factory

    engine = make_engine(_url(database_url))
    try:
        with make_session_factory(engine)() as db_session:
            yield db_session
    finally:
        engine.dispose()


DbUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="Default: $SUPPORTDESK_DATABASE_URL or ./var SQLite."),
]
At = Annotated[
    str | None, typer.Option("--at", help="Pretend it is this instant (ISO 8601 with offset).")
]


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument()] = "head", database_url: DbUrl = None
) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from supportdesk.db import migrate

    url = _url(database_url)
    migrate.upgrade(url, revision)
    typer.echo(f"database at {migrate.current(url) or 'base'}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument()] = "-1", database_url: DbUrl = None
) -> None:
    """Revert migrations down to REVISION (default: one step; `base` empties the schema)."""
    from supportdesk.db import migrate

    url = _url(database_url)
    migrate.downgrade(url, revision)
    typer.echo(f"database at {migrate.current(url) or 'base'}")


@db_app.command("current")
def db_current(database_url: DbUrl = None) -> None:
    """Print the applied migration revision."""
    from supportdesk.db import migrate

    typer.echo(migrate.current(_url(database_url)) or "base")


def _load_demo(url: str, *, if_empty: bool, tickets: int, rules_only: bool) -> None:
    from supportdesk import demo
    from supportdesk.db.engine import make_engine, make_session_factory
    from supportdesk.db.settings import get_settings
    from supportdesk.tickets.intake import default_intake

    settings = get_settings()
    engine = make_engine(url)
    with make_session_factory(engine)() as db_session:
        if if_empty and not demo.is_empty(db_session):
            typer.echo("demo: the database already has data; nothing loaded")
            engine.dispose()
            return
        if not demo.is_empty(db_session):
            typer.echo(
                "demo: the database is not empty; use --if-empty or a fresh database", err=True
            )
            engine.dispose()
            raise typer.Exit(1)
        intake = default_intake(settings.policy_path, rules_only or settings.rules_only)
        result = demo.load(db_session, intake=intake, now=datetime.now(UTC), tickets_count=tickets)
        from supportdesk.auth.passwords import DEMO_PASSWORD, set_demo_passwords  # web desk

        set_demo_passwords(db_session)
        db_session.commit()
    engine.dispose()
    typer.echo(f"demo: web desk sign-in at /signin with any demo email, password {DEMO_PASSWORD}")
    typer.echo(f"demo: {result.tickets} tickets; by status: {result.statuses}")
    typer.echo("demo API tokens (shown once; send as 'Authorization: Bearer <token>'):")
    for label, token in result.tokens.items():
        typer.echo(f"  {label}: {token}")


@db_app.callback()
def _db() -> None:
    """Database migrations."""


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(db_app, name="db")

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
        workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL).")] = 1,
        demo: Annotated[bool, typer.Option("--demo", help="Load demo data if empty.")] = False,
        database_url: DbUrl = None,
    ) -> None:
        """Migrate the database and start the HTTP API (uvicorn)."""
        import os

        from supportdesk.db import migrate
        from supportdesk.web import server

        url = _url(database_url)
        os.environ["SUPPORTDESK_DATABASE_URL"] = url
        migrate.upgrade(url)
        if demo:
            _load_demo(url, if_empty=True, tickets=300, rules_only=False)
        typer.echo(f"supportdesk on http://{host}:{port}/api/v1 (docs: /api/v1/docs)")
        server.serve(host=host, port=port, workers=workers)

    @app.command("demo")
    def demo_cmd(
        if_empty: Annotated[
            bool, typer.Option("--if-empty", help="Do nothing when data exists.")
        ] = False,
        tickets: Annotated[int, typer.Option(help="About how many tickets.")] = 300,
        rules_only: Annotated[
            bool, typer.Option("--rules-only", help="Triage without the ML model (faster).")
        ] = False,
        database_url: DbUrl = None,
    ) -> None:
        """Migrate and load realistic demo data, created through the service functions."""
        from supportdesk.db import migrate

        url = _url(database_url)
        migrate.upgrade(url)
        _load_demo(url, if_empty=if_empty, tickets=tickets, rules_only=rules_only)

    @app.command("sweep")
    def sweep_cmd(at: At = None, database_url: DbUrl = None) -> None:
        """Mark at-risk and breached SLA clocks and escalate (run every minute)."""
        from supportdesk.db.settings import get_settings
        from supportdesk.jobs import sla_sweep
        from supportdesk.tickets.intake import default_intake

        settings = get_settings()
        policy = default_intake(settings.policy_path, rules_only=True).policy
        with _session(database_url) as db_session:
            result = sla_sweep.sweep(db_session, policy=policy, now=_now(at))
        typer.echo(
            f"sweep: {result.at_risk} newly at risk, {result.breached} newly breached, "
            f"{result.notifications} notifications queued"
        )

    @app.command("notify")
    def notify_cmd(at: At = None, database_url: DbUrl = None) -> None:
        """Deliver due notifications from the outbox (at least once, deduplicated by key)."""
        from supportdesk.notifications import outbox
        from supportdesk.notifications.ports import LogNotifier

        with _session(database_url) as db_session:
            sent = outbox.dispatch(db_session, notifier=LogNotifier(), now=_now(at))
        typer.echo(f"notify: {sent} delivered")
