"""Ticket creation over real HTTP: throughput and p50/p99 latency under concurrent load.

    .venv/bin/python bench/bench_api.py [--engine postgres|sqlite|both] [--requests 3000]
        [--concurrency 32] [--runs 3] [--workers 2] [--model]

For each engine: a fresh migrated database with a small directory, uvicorn serving the app with
`--workers` processes (`supportdesk.web.server`, as `supportdesk serve` does), and a load
generator in a separate process (asyncio + httpx, `--concurrency` connections) posting
`POST /api/v1/tickets` with a unique `Idempotency-Key` each, as an MSP admin. Every run posts
`--requests` tickets after a warm-up; the script prints each run, the medians and the machine.

By default the server triages with the policy rules only (`SUPPORTDESK_RULES_ONLY=1`), which
measures the service; `--model` loads the trained text model in every worker as production does.
PostgreSQL: $SUPPORTDESK_BENCH_POSTGRES_URL with `_api` appended to the database name.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

TEXTS = (
    "Why did credits drop for tenant Contoso yesterday? Request {i}.",
    "SSO login fails for all users at tenant Fabrikam since this morning, error 500 ({i}).",
    "Invoice 88{i} charged us twice for the Pro package seats for Contoso, please refund.",
    "How do I configure a retention policy for our own account? ({i})",
    "The Slack integration for tenant Litware stopped posting messages yesterday ({i}).",
)


# --- the load generator (runs in its own process) -------------------------------------------


async def _load(base: str, token: str, n: int, concurrency: int, tag: str) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(n))
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as c:

        async def worker() -> None:
            for i in counter:
                body = {"subject": f"Bench {i}", "description": TEXTS[i % len(TEXTS)].format(i=i)}
                t = time.perf_counter()
                try:
                    r = await c.post(
                        "/api/v1/tickets", json=body, headers={"Idempotency-Key": f"{tag}-{i}"}
                    )
                    status = str(r.status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                latencies.append(time.perf_counter() - t)
                if status != "201":
                    errors[status] = errors.get(status, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "n": n,
        "elapsed": elapsed,
        "rate": n / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "errors": errors,
    }


def client_main(args: argparse.Namespace) -> None:
    result = asyncio.run(_load(args.base, args.token, args.requests, args.concurrency, args.tag))
    print(json.dumps(result))


def run_client(base: str, token: str, n: int, concurrency: int, tag: str) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--client",
        "--base",
        base,
        "--token",
        token,
        "--requests",
        str(n),
        "--concurrency",
        str(concurrency),
        "--tag",
        tag,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(url: str, workers: int, model: bool) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    env = dict(os.environ)
    env["SUPPORTDESK_DATABASE_URL"] = url
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    if not model:
        env["SUPPORTDESK_RULES_ONLY"] = "1"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supportdesk.web.server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not come up")


def bench_engine(name: str, workdir: Path, args: argparse.Namespace) -> None:
    from bench_queue import fresh_db, seed_directory

    from supportdesk.db.engine import make_engine

    url = fresh_db(name, workdir, suffix="_api")
    engine = make_engine(url)
    token = seed_directory(engine)["person_token"]
    engine.dispose()
    proc, base = start_server(url, args.workers, args.model)
    try:
        warm = run_client(base, token, min(300, args.requests), args.concurrency, "warm")
        if warm["errors"]:
            print(f"  warm-up errors: {warm['errors']}")
        runs = []
        for k in range(args.runs):
            r = run_client(base, token, args.requests, args.concurrency, f"run{k}")
            runs.append(r)
            print(
                f"  {name} run {k + 1}: {r['rate']:.0f} creations/s, p50 {r['p50']:.1f} ms, "
                f"p99 {r['p99']:.1f} ms, errors {r['errors'] or 'none'}"
            )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    model = "with the text model" if args.model else "rules-only triage"
    print(
        f"{name}: median of {args.runs} runs x {args.requests} creations, "
        f"{args.concurrency} clients, {args.workers} workers, {model}: "
        f"{statistics.median(r['rate'] for r in runs):.0f} creations/s, "
        f"p50 {statistics.median(r['p50'] for r in runs):.1f} ms, "
        f"p99 {statistics.median(r['p99'] for r in runs):.1f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--engine", choices=["postgres", "sqlite", "both"], default="both")
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model", action="store_true", help="triage with the trained text model")
    ap.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--base", help=argparse.SUPPRESS)
    ap.add_argument("--token", help=argparse.SUPPRESS)
    ap.add_argument("--tag", default="x", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.client:
        client_main(args)
        return
    from bench_queue import machine

    print(f"machine: {machine()}")
    engines = ["postgres", "sqlite"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory() as tmp:
        for name in engines:
            bench_engine(name, Path(tmp), args)


if __name__ == "__main__":
    main()
