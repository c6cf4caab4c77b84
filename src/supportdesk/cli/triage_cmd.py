"""`supportdesk triage [FILE|-] [--policy FILE]`: JSON Lines in, one decision per line out."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from supportdesk.cli.common import fail, load_policy_or_exit, open_input
from supportdesk.core.triage.ports import TextModel
from supportdesk.triage_batch import run_batch


def triage(
    source: str = typer.Argument("-", help="JSON Lines file of tickets, or - for standard input."),
    policy: Path | None = typer.Option(
        None, "--policy", help="Policy file (default: the published policy)."
    ),
    rules_only: bool = typer.Option(
        False, "--rules-only", help="Decide with the policy rules alone, without the text model."
    ),
) -> None:
    """Triage tickets: one JSON decision per input line, in order.

    A bad line yields {"id": ..., "error": "..."} in its place and the batch goes on. Exit status:
    0 all decided, 1 some line failed, 2 usage error (e.g. unreadable file or policy).
    """
    pol = load_policy_or_exit(policy)
    with open_input(source) as lines:
        model = None if rules_only else _load_model()
        failed = run_batch(lines, sys.stdout, pol, model, now=datetime.now(UTC))
    raise typer.Exit(1 if failed else 0)


def _load_model() -> TextModel:
    from supportdesk.ml.model import load_default_model

    try:
        return load_default_model()
    except Exception as exc:  # a broken install must say so, not crash
        fail(f"cannot load the text model: {exc} (use --rules-only to run without it)")


def register(app: typer.Typer) -> None:
    app.command("triage")(triage)
