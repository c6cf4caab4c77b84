"""Service settings, read from the environment once per call (no hidden globals)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SQLITE_URL = "sqlite:///./var/supportdesk.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    #: Path to a policy YAML file; None means the packaged default policy.
    policy_path: Path | None = None
    #: Use the rules-only text model instead of loading the ML model (tests, tiny machines).
    rules_only: bool = False
    #: Requests a worker process runs at once (the rest wait their turn, first come first
    #: served): CPU-bound work gains nothing from more, and the tail latency suffers.
    threads: int = 8


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and pick the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def ensure_sqlite_dir(url: str) -> None:
    """Create the directory of a file-based SQLite database (e.g. `./var/`)."""
    if not url.startswith("sqlite"):
        return
    _, _, path = url.partition(":///")
    if not path or path.startswith(":memory:") or path == "":
        return
    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


def get_settings() -> Settings:
    url = normalise_url(os.environ.get("SUPPORTDESK_DATABASE_URL", DEFAULT_SQLITE_URL))
    policy = os.environ.get("SUPPORTDESK_POLICY")
    rules_only = os.environ.get("SUPPORTDESK_RULES_ONLY", "").lower() in {"1", "true", "yes"}
    threads = int(os.environ.get("SUPPORTDESK_THREADS", "8") or 8)
    return Settings(
        database_url=url,
        policy_path=Path(policy) if policy else None,
        rules_only=rules_only,
        threads=max(1, threads),
    )
