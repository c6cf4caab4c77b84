"""Server time of the web desk's pages with 1,000,000 tickets in the database.

    .venv/bin/python bench/bench_pages.py [--tickets N] [--runs 5] [--engine sqlite|postgres|both]

Reuses bench_queue's server-side bulk load (one INSERT .. SELECT) and directory seed, signs an
agent in through a real server-side session, then measures through the ASGI app (session lookup,
CSRF-free GETs, SQL, Jinja rendering), as the median of `--runs` runs of 30 requests each:
- the console queue page (50 working tickets of a queue, nearest SLA deadline first),
- the same queue 20 pages deep (keyset cursor),
- a ticket page (decision, messages, audit timeline, children, attachments, agents),
- the portal's "My tickets" for the MSP admin whose account owns every ticket,
- and, for information, the queue-count summary fragment (loaded after the page by the
  browser) and the dashboard (aggregates over every ticket, one request per run).
Target: queue page and ticket page < 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import bench_queue  # noqa: E402  (the bulk loader and directory seed live there)

NOW = bench_queue.NOW


def measure(url: str, n: int, runs: int) -> dict[str, float]:
    import re

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from supportdesk.core.policy import load_policy
    from supportdesk.core.triage.ports import RulesOnlyModel
    from supportdesk.db.engine import make_engine, make_session_factory
    from supportdesk.db.settings import Settings
    from supportdesk.directory.models import Agent, Person
    from supportdesk.tickets.intake import Intake
    from supportdesk.web import sessions
    from supportdesk.web.app import create_app

    engine = make_engine(url)
    seeded = bench_queue.seed_directory(engine)
    load_s = bench_queue.bulk_tickets(engine, n, seeded["account_id"], seeded["person_id"])
    factory = make_session_factory(engine)
    with factory() as s:
        agent = s.get(Agent, seeded["agent_id"])
        person = s.get(Person, seeded["person_id"])
        agent_cookie = sessions.create(s, agent=agent, now=NOW)
        manager = s.scalar(select(Agent).where(Agent.role == "support_manager"))
        manager_cookie = sessions.create(s, agent=manager, now=NOW)
        person_cookie = sessions.create(s, person=person, now=NOW)
        s.commit()
    app = create_app(
        Settings(database_url=url),
        session_factory=factory,
        intake=Intake(policy=load_policy(), model=RulesOnlyModel()),
        clock=lambda: NOW,
    )
    agent_client = TestClient(app, base_url="https://testserver")
    agent_client.cookies.set(sessions.SESSION_COOKIE, agent_cookie, domain="testserver.local")
    manager_client = TestClient(app, base_url="https://testserver")
    manager_client.cookies.set(sessions.SESSION_COOKIE, manager_cookie, domain="testserver.local")
    person_client = TestClient(app, base_url="https://testserver")
    person_client.cookies.set(sessions.SESSION_COOKIE, person_cookie, domain="testserver.local")

    queue_url = "/console?queue=support"
    page = agent_client.get(queue_url)
    assert page.status_code == 200, page.text[:500]
    ticket_id = int(re.findall(r'href="/console/tickets/(\d+)"', page.text)[0])
    deep = queue_url
    for _ in range(20):
        m = re.search(
            r'href="(/console\?[^"]*cursor=[^"]+)" rel="next"', agent_client.get(deep).text
        )
        assert m, "no next page"
        deep = m.group(1).replace("&amp;", "&")

    def timed(client: Any, path: str) -> float:
        t = time.perf_counter()
        r = client.get(path)
        dt = time.perf_counter() - t
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        return dt

    cases = {
        "queue page": (agent_client, queue_url),
        "queue page, 20 pages deep": (agent_client, deep),
        "ticket page": (agent_client, f"/console/tickets/{ticket_id}"),
        "portal my tickets": (person_client, "/portal"),
        "queue summary fragment": (agent_client, "/console/queue-summary"),
        "dashboard": (manager_client, "/console/dashboard"),
    }
    for client, path in cases.values():  # warm caches and templates
        timed(client, path)
    out: dict[str, float] = {"load_s": load_s}
    for name, (client, path) in cases.items():
        runs_ms = []
        for _ in range(runs):
            reps = 1 if name == "dashboard" else 30
            runs_ms.append(statistics.median(timed(client, path) for _ in range(reps)) * 1000)
        out[name] = statistics.median(runs_ms)
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    args = ap.parse_args()
    print(f"machine: {bench_queue.machine()}")
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory() as tmp:
        for name in engines:
            url = bench_queue.fresh_db(name, Path(tmp), suffix="_pages")
            r = measure(url, args.tickets, args.runs)
            print(f"{name}: {args.tickets:,} tickets loaded in {r.pop('load_s'):.1f} s")
            for case, ms in r.items():
                target = " (target < 100 ms)" if case.startswith(("queue page", "ticket")) else ""
                print(f"  {case:28s} median {ms:7.1f} ms{target}")


if __name__ == "__main__":
    main()
