"""The `supportdesk` command line. Each command lives in its own module and only translates:
it parses arguments, calls the core or a service function, and prints the result."""

from __future__ import annotations

import typer

from supportdesk.cli import model_cmd, outbox_cmd, policy_cmd, service_cmd, triage_cmd

app = typer.Typer(
    name="supportdesk",
    help="Support intake, triage and SLA service for SaaS vendors that sell through MSPs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
triage_cmd.register(app)
model_cmd.register(app)
service_cmd.register(app)
outbox_cmd.register(app)
app.add_typer(policy_cmd.app, name="policy")

if __name__ == "__main__":  # pragma: no cover
    app()
