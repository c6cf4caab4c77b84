"""Small helpers every command shares: clear errors, policy loading, input opening."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TextIO

import typer

from supportdesk.core.policy import Policy, PolicyError, load_policy


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"supportdesk: {message}", err=True)
    raise typer.Exit(code)


def load_policy_or_exit(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        fail(str(exc))


@contextmanager
def open_input(source: str) -> Iterator[TextIO]:
    if source == "-":
        yield sys.stdin
        return
    try:
        fh = open(source, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror or exc}")
    with fh:
        yield fh
