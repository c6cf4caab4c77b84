"""Queue page latency with 1,000,000 tickets in the database.

    .venv/bin/python bench/bench_queue.py [--tickets N] [--runs 5] [--engine postgres|sqlite|both]

Bulk-inserts the tickets with one server-side INSERT .. SELECT (PostgreSQL `generate_series`,
SQLite a recursive CTE), then measures, as the median of `--runs` runs of 50 requests each:
- the first page of a queue (50 working tickets, nearest SLA deadline first) through the ASGI app
  (auth, SQL, serialisation), for an agent of that queue;
- a deep page (following the cursor 20 pages in);
- the same first page as a bare service call (SQL + ORM only).
PostgreSQL: $SUPPORTDESK_BENCH_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/supportdesk_bench (created, and emptied, by the run).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/supportdesk_bench"
NOW = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)
QUEUES = ("support", "usage", "billing", "sales", "enablement")


def machine() -> str:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"nproc {os.cpu_count()}, CPU {cpu}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, load avg {load[0]:.2f} {load[1]:.2f}"
    )


def fresh_pg(url: str) -> str:
    """Drop and recreate the benchmark database; return its URL."""
    u = make_url(url)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()
    return u.render_as_string(hide_password=False)


def fresh_db(engine_name: str, workdir: Path, suffix: str = "") -> str:
    """A new migrated database: PostgreSQL `<bench db><suffix>` or a SQLite file in `workdir`."""
    from supportdesk.db import migrate

    if engine_name == "postgres":
        base = make_url(os.environ.get("SUPPORTDESK_BENCH_POSTGRES_URL", PG_DEFAULT))
        url = fresh_pg(base.set(database=f"{base.database}{suffix}").render_as_string(False))
    else:
        url = f"sqlite:///{workdir / 'bench.db'}"
    migrate.upgrade(url)
    return url


def seed_directory(engine: Engine) -> dict[str, Any]:
    """One account, one MSP admin, agents with queues; returns ids and API tokens."""
    from supportdesk.auth import tokens
    from supportdesk.auth.principal import SYSTEM
    from supportdesk.db.engine import make_session_factory
    from supportdesk.directory import service as ds
    from supportdesk.directory.schemas import AccountCreate, AgentCreate, PersonCreate

    with make_session_factory(engine)() as s:
        acc = ds.create_account(
            s,
            data=AccountCreate(name="Bench MSP", kind="msp", tier="standard"),
            principal=SYSTEM,
            now=NOW,
        )
        person = ds.create_person(
            s,
            data=PersonCreate(email="ops@bench.example", role="msp_admin", account_id=acc.id),
            principal=SYSTEM,
            now=NOW,
        )
        agent = ds.create_agent(
            s,
            data=AgentCreate(email="agent@vendor.example", queues=["support"]),
            principal=SYSTEM,
            now=NOW,
        )
        lead = ds.create_agent(
            s,
            data=AgentCreate(
                email="lead@vendor.example", role="team_lead", queues=list(QUEUES), time_zone="UTC"
            ),
            principal=SYSTEM,
            now=NOW,
        )
        ds.create_agent(
            s,
            data=AgentCreate(
                email="manager@vendor.example", role="support_manager", time_zone="UTC"
            ),
            principal=SYSTEM,
            now=NOW,
        )
        out = {
            "account_id": acc.id,
            "person_id": person.id,
            "agent_id": agent.id,
            "lead_id": lead.id,
            "person_token": tokens.issue(s, name="bench", now=NOW, person_id=person.id).token,
            "agent_token": tokens.issue(s, name="bench", now=NOW, agent_id=agent.id).token,
        }
        s.commit()
    return out


def bulk_tickets(engine: Engine, n: int, account_id: int, requester_id: int) -> float:
    """Insert `n` tickets server-side: 5 queues, ~85% working, SLA deadlines spread around NOW
    (about 3% already at risk, 1.5% past due). Returns seconds taken."""
    cols = (
        "account_id, requester_id, requester_email, channel, tier, msp_involvement, subject, "
        "description, fields, status, support_path, channel_allowed, category, queue, severity, "
        "missing, questions, secrets, decision, policy_version, submitted_at, created_at, "
        "updated_at, sla_started_at, first_response_due_at, first_response_at_risk_at, "
        "first_response_breached, resolution_due_at, resolution_at_risk_at, resolution_breached, "
        "sla_paused, sla_clock, next_at_risk_at, next_due_at, sort_at, sla_at_risk, sla_breached, "
        "escalation_level"
    )
    t0 = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    f"""
INSERT INTO tickets ({cols})
SELECT :acc, :req, 'ops@bench.example', 'portal', 'standard', 'none', 'Bench ticket ' || i,
  'Generated ticket ' || i, '{{}}'::jsonb,
  CASE WHEN i % 7 = 0 THEN 'closed' ELSE 'open' END, 'accept', true, 'technical',
  (ARRAY['support','usage','billing','sales','enablement'])[1 + i % 5], 1 + i % 3,
  '[]'::jsonb, '[]'::jsonb, '[]'::jsonb, '{{}}'::jsonb, 'bench',
  c, c, c, c, d, d - interval '1 hour', false, d + interval '2 days',
  d + interval '1 day', false, false,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'first_response' END,
  CASE WHEN i % 7 = 0 THEN NULL ELSE d - interval '1 hour' END,
  CASE WHEN i % 7 = 0 THEN NULL ELSE d END,
  CASE WHEN i % 7 = 0 THEN timestamptz '9999-01-01 00:00:00+00' ELSE d END,
  false, false, 0
FROM (
  SELECT i, :now - make_interval(mins => i % 20000) AS c,
         :now + make_interval(secs => ((i::bigint * 7919) % 2000000) - 30000) AS d
  FROM generate_series(1, :n) AS i
) g
"""
                ),
                {"acc": account_id, "req": requester_id, "now": NOW, "n": n},
            )
            conn.execute(text("ANALYZE tickets"))
        else:
            fmt = "'%Y-%m-%d %H:%M:%S.000000'"
            base = "'2026-11-18 16:00:00'"
            conn.execute(
                text(
                    f"""
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n)
INSERT INTO tickets ({cols})
SELECT :acc, :req, 'ops@bench.example', 'portal', 'standard', 'none', 'Bench ticket ' || i,
  'Generated ticket ' || i, '{{}}',
  CASE WHEN i % 7 = 0 THEN 'closed' ELSE 'open' END, 'accept', 1, 'technical',
  CASE i % 5 WHEN 0 THEN 'support' WHEN 1 THEN 'usage' WHEN 2 THEN 'billing'
             WHEN 3 THEN 'sales' ELSE 'enablement' END, 1 + i % 3,
  '[]', '[]', '[]', '{{}}', 'bench',
  c, c, c, c, d, strftime({fmt}, d, '-1 hours'), 0, strftime({fmt}, d, '+2 days'),
  strftime({fmt}, d, '+1 days'), 0, 0,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'first_response' END,
  CASE WHEN i % 7 = 0 THEN NULL ELSE strftime({fmt}, d, '-1 hours') END,
  CASE WHEN i % 7 = 0 THEN NULL ELSE d END,
  CASE WHEN i % 7 = 0 THEN '9999-01-01 00:00:00.000000' ELSE d END,
  0, 0, 0
FROM (
  SELECT i, strftime({fmt}, {base}, '-' || (i % 20000) || ' minutes') AS c,
         strftime({fmt}, {base}, ((i * 7919) % 2000000 - 30000) || ' seconds') AS d
  FROM s
)
"""
                ),
                {"acc": account_id, "req": requester_id, "n": n},
            )
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure(url: str, n: int, runs: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from supportdesk.auth.tokens import principal_for_agent
    from supportdesk.core.policy import load_policy
    from supportdesk.core.triage.ports import RulesOnlyModel
    from supportdesk.db.engine import make_engine, make_session_factory
    from supportdesk.db.settings import Settings
    from supportdesk.directory.models import Agent
    from supportdesk.tickets import lifecycle
    from supportdesk.tickets import service as ts
    from supportdesk.tickets.intake import Intake
    from supportdesk.tickets.repository import TicketFilters
    from supportdesk.web import create_app

    engine = make_engine(url)
    seeded = seed_directory(engine)
    load_s = bulk_tickets(engine, n, seeded["account_id"], seeded["person_id"])
    factory = make_session_factory(engine)
    app = create_app(
        Settings(database_url=url),
        session_factory=factory,
        intake=Intake(policy=load_policy(), model=RulesOnlyModel()),
        clock=lambda: NOW,
    )
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {seeded['agent_token']}"}
    first_url = "/api/v1/queues/support/tickets?limit=50"
    # The deep page's cursor: 20 pages in.
    cursor = None
    for _ in range(20):
        page = client.get(first_url + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        cursor = page.json()["next_cursor"]
    deep_url = f"{first_url}&cursor={cursor}"
    with factory() as s:
        agent = s.get(Agent, seeded["agent_id"])
        assert agent is not None
        principal = principal_for_agent(agent, frozenset({"tickets:read"}))
    filters = TicketFilters(status=tuple(sorted(lifecycle.WORKING)), queue="support")

    def http(u: str) -> float:
        t = time.perf_counter()
        r = client.get(u, headers=headers)
        dt = time.perf_counter() - t
        assert r.status_code == 200 and len(r.json()["items"]) == 50, r.text[:200]
        return dt

    def bare() -> float:
        with factory() as s:
            t = time.perf_counter()
            rows, _ = ts.list_tickets(s, principal=principal, filters=filters, limit=50)
            dt = time.perf_counter() - t
        assert len(rows) == 50
        return dt

    results: dict[str, list[float]] = {"first page (HTTP)": [], "deep page (HTTP)": [], "bare": []}
    for _ in range(runs):
        results["first page (HTTP)"].append(_median_ms([http(first_url) for _ in range(50)]))
        results["deep page (HTTP)"].append(_median_ms([http(deep_url) for _ in range(50)]))
        results["bare"].append(_median_ms([bare() for _ in range(50)]))
    samples = [http(first_url) for _ in range(200)]
    p99 = sorted(samples)[int(len(samples) * 0.99) - 1] * 1000
    engine.dispose()
    return {
        "load_s": load_s,
        **{k: statistics.median(v) for k, v in results.items()},
        "p99_first": p99,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    engines = ["postgres", "sqlite"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory() as tmp:
        for name in engines:
            url = fresh_db(name, Path(tmp))
            r = measure(url, args.tickets, args.runs)
            print(
                f"{name}: {args.tickets:,} tickets loaded in {r['load_s']:.1f} s; queue page of 50 "
                f"(median of {args.runs} runs x 50): first {r['first page (HTTP)']:.1f} ms, "
                f"20 pages deep {r['deep page (HTTP)']:.1f} ms (HTTP through the app), "
                f"service call {r['bare']:.1f} ms; first page p99 {r['p99_first']:.1f} ms"
            )


if __name__ == "__main__":
    main()
