"""The SLA sweep over 1,000,000 open tickets.

    .venv/bin/python bench/bench_sweep.py [--tickets N] [--runs 5] [--engine postgres|sqlite|both]

Bulk-inserts the tickets (see bench_queue.py: ~86% with a running clock, deadlines spread around
the sweep instant so that ~3% cross at-risk and ~1.5% their deadline), then times
`supportdesk.jobs.sla_sweep.sweep` as one run: marking at-risk and breached tickets and queueing
the escalation notifications (INSERT .. SELECT into the outbox). Between runs the flags and the
outbox are reset, so every run does the full work. Prints the median and the machine.
PostgreSQL: $SUPPORTDESK_BENCH_POSTGRES_URL with `_sweep` appended to the database name.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_queue import NOW, bulk_tickets, fresh_db, machine, seed_directory
from sqlalchemy import text


def reset(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox"))
        conn.execute(
            text(
                "UPDATE tickets SET escalation_level = 0, sla_at_risk = false, "
                "sla_breached = false, first_response_breached = false "
                "WHERE escalation_level > 0"
            )
        )
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE tickets"))


def run(engine_name: str, workdir: Path, n: int, runs: int) -> None:
    from supportdesk.core.policy import load_policy
    from supportdesk.db.engine import make_engine, make_session_factory
    from supportdesk.jobs import sla_sweep

    url = fresh_db(engine_name, workdir, suffix="_sweep")
    engine = make_engine(url)
    seeded = seed_directory(engine)
    load_s = bulk_tickets(engine, n, seeded["account_id"], seeded["person_id"])
    policy = load_policy()
    factory = make_session_factory(engine)
    times = []
    result = None
    for _ in range(runs):
        reset(engine)
        with factory() as s:
            t = time.perf_counter()
            result = sla_sweep.sweep(s, policy=policy, now=NOW)
            times.append(time.perf_counter() - t)
        with factory() as s:  # a second sweep right after finds nothing new
            t = time.perf_counter()
            again = sla_sweep.sweep(s, policy=policy, now=NOW)
            idle = time.perf_counter() - t
            assert again.at_risk == again.breached == 0
    assert result is not None
    with engine.connect() as conn:
        open_count = conn.scalar(text("SELECT count(*) FROM tickets WHERE sla_clock IS NOT NULL"))
    engine.dispose()
    print(
        f"{engine_name}: {n:,} tickets ({open_count:,} with a running clock) loaded in "
        f"{load_s:.1f} s; sweep median {statistics.median(times):.2f} s over {runs} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}): {result.at_risk:,} newly at risk, "
        f"{result.breached:,} newly breached, {result.notifications:,} notifications queued; "
        f"an idle re-sweep takes {idle:.2f} s"
    )


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
            run(name, Path(tmp), args.tickets, args.runs)


if __name__ == "__main__":
    main()
