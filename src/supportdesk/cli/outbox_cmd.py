"""`supportdesk outbox list [--dead] | retry ID… | retry --all`: see and re-queue notifications.

`supportdesk notify` delivers; these commands are for the operator: what is waiting, what died
after its last attempt (and why), and putting dead letters back in the queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from supportdesk.cli.common import fail
from supportdesk.cli.service_cmd import At, DbUrl, _now, _session

app = typer.Typer(
    help="Inspect the notification outbox and re-queue dead letters.", no_args_is_help=True
)


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


@app.command("list")
def list_cmd(
    dead: Annotated[
        bool, typer.Option("--dead", help="Dead letters (attempts exhausted) instead.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, oldest first.")] = 100,
    database_url: DbUrl = None,
) -> None:
    """List undelivered messages: waiting ones (next attempt due at), or with --dead the dead
    letters (dead since, last error)."""
    from supportdesk.notifications import outbox

    with _session(database_url) as db_session:
        rows = (
            outbox.dead_letters(db_session, limit=limit)
            if dead
            else outbox.pending(db_session, limit=limit)
        )
        for m in rows:
            when = f"dead {_iso(m.dead_at)}" if dead else f"due {_iso(m.not_before)}"
            ticket = m.ticket_id if m.ticket_id is not None else "-"
            typer.echo(
                f"{m.id}\t{m.kind}\t{m.recipient}\tticket={ticket}\tattempts={m.attempts}\t"
                f"{when}\t{m.last_error or ''}".rstrip()
            )
    typer.echo(f"{len(rows)} {'dead letter(s)' if dead else 'waiting'}", err=True)


@app.command("retry")
def retry_cmd(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids.")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
    at: At = None,
    database_url: DbUrl = None,
) -> None:
    """Re-queue dead letters with a fresh set of attempts, due now (the next `notify` run)."""
    from supportdesk.notifications import outbox

    if bool(ids) == all_dead:
        fail("give dead letter ids or --all (not both)")
    with _session(database_url) as db_session:
        done = outbox.requeue(db_session, ids=None if all_dead else ids, now=_now(at))
    typer.echo(f"outbox: {len(done)} re-queued" + (f": {' '.join(map(str, done))}" if done else ""))
    missing = sorted(set(ids or ()) - set(done))
    if missing:
        fail(
            f"not dead letters (unknown, delivered or still queued): {' '.join(map(str, missing))}",
            1,
        )


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="outbox")
