"""`supportdesk policy check FILE` and `supportdesk policy show [--policy FILE]`."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from supportdesk.cli.common import load_policy_or_exit
from supportdesk.core.policy import PolicyError, default_policy_text, load_policy

app = typer.Typer(help="Validate or print a support policy.", no_args_is_help=True)


@app.command("check")
def check(path: Path = typer.Argument(..., help="The policy file (YAML) to validate.")) -> None:
    """Validate a policy file; every problem is named by line and field. Exit 1 when invalid."""
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        typer.echo(f"{exc.source}: invalid policy", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{path}: valid policy {policy.version!r} — {len(policy.tiers)} tiers, "
        f"{len(policy.support_path)} support-path rules, {len(policy.queues)} queues"
    )


@app.command("show")
def show(
    policy: Path | None = typer.Option(None, "--policy", help="Policy file (default: published)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of YAML."),
) -> None:
    """Print the effective policy (the packaged published policy unless --policy is given)."""
    pol = load_policy_or_exit(policy)
    if policy is None and not as_json:
        typer.echo(default_policy_text(), nl=False)
        return
    data = pol.model_dump(mode="json")
    if as_json:
        import json

        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
