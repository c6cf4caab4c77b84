"""Ticket creation over real HTTP: throughput and p50/p99 latency under concurrent load.

    .venv/bin/python bench/bench_api.py [--engine postgres|sqlite|both] [--requests 3000]
        [--concurrency 32] [--runs 3] [--workers 2] [--rate 300 ...] [--model]

For each engine: a fresh migrated database with a small directory, uvicorn serving the app with
`--workers` processes (`supportdesk.web.server`, as `supportdesk serve` does), and a load
generator in a separate process (raw HTTP/1.1 on asyncio streams, `--concurrency` keep-alive
connections) posting `POST /api/v1/tickets` with a unique `Idempotency-Key` each, as an MSP
admin. Every run posts `--requests` tickets after a warm-up, twice:

- closed loop: each connection sends its next request when the previous answer arrives. This
  finds the most creations/s; its latency is mostly queueing (mean ≈ connections / rate).
- open loop at `--rate` creations/s: requests are due at a fixed pace whatever the answers do,
  and latency counts from when a request was due, so waiting for a free connection counts too.
  This is latency at a given offered load.

The script prints each run (with the CPU that the server's workers, PostgreSQL and the generator
spent per creation, and the load average), the medians and the machine.

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


async def _load(
    base: str, token: str, n: int, concurrency: int, tag: str, rate: float = 0.0
) -> dict[str, Any]:
    """`concurrency` keep-alive connections, each posting the next request when its previous
    answer has arrived. Raw HTTP/1.1 on asyncio streams (uvloop when installed): the generator
    shares the machine with the server, so it must cost little CPU per request (httpx cost
    about as much as the route it measured).

    `rate` > 0 makes the load open: request i is due at i/rate seconds, and its latency counts
    from when it was due, so time spent waiting for a free connection counts too (no
    coordinated omission). 0 is a closed loop: as fast as the server answers."""
    host, _, port = base.removeprefix("http://").partition(":")
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(n))
    head = (
        f"POST /api/v1/tickets HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    )

    async def worker(
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        reader, writer = connection
        try:
            for i in counter:
                due = t0 + i / rate if rate > 0 else 0.0
                if due:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                body = json.dumps(
                    {"subject": f"Bench {i}", "description": TEXTS[i % len(TEXTS)].format(i=i)}
                ).encode()
                request = (
                    f"{head}Idempotency-Key: {tag}-{i}\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                t = due or time.perf_counter()
                try:
                    writer.write(request)
                    status_line = await reader.readuntil(b"\r\n")
                    headers = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in headers.split(b"\r\n"):
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    await reader.readexactly(length)
                    status = status_line.split(b" ", 2)[1].decode()
                except (OSError, asyncio.IncompleteReadError) as exc:
                    status = type(exc).__name__
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                latencies.append(time.perf_counter() - t)
                if status != "201":
                    errors[status] = errors.get(status, 0) + 1
        finally:
            writer.close()

    # The connections are open before the clock starts, as a client's keep-alive pool is:
    # opening 32 at once used to count against the first requests (up to 0.4 s of "latency").
    connections = await asyncio.gather(
        *(asyncio.open_connection(host, int(port)) for _ in range(concurrency))
    )
    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    latencies.sort()
    return {
        "n": n,
        "elapsed": elapsed,
        "rate": n / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "errors": errors,
        "client_cpu_ms": cpu * 1000 / n,
    }


def client_main(args: argparse.Namespace) -> None:
    rate = args.rate[0] if args.rate else 0.0
    load = _load(args.base, args.token, args.requests, args.concurrency, args.tag, rate)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(load)
    else:
        result = uvloop.run(load)
    print(json.dumps(result))


def run_client(
    base: str, token: str, n: int, concurrency: int, tag: str, rate: float = 0.0
) -> dict[str, Any]:
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
        "--rate",
        str(rate),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# --- the server -----------------------------------------------------------------------------


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def postgres_cpu_seconds() -> float:
    """User + system CPU of every `postgres` process on the machine and of its children that
    have exited (the server's backends), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, rest = stat.read_text().rpartition(")")
        except OSError:
            continue
        if head.endswith("(postgres"):
            fields = rest.split()  # utime, stime, then cutime, cstime: backends that exited
            total += sum(int(f) for f in fields[11:15]) / ticks
    return total


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
    modes = [("closed loop", 0.0)] + [(f"open loop at {r:g}/s", r) for r in args.rate]
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in modes}
    try:
        warm = run_client(base, token, min(300, args.requests), args.concurrency, "warm")
        if warm["errors"]:
            print(f"  warm-up errors: {warm['errors']}")
        for k in range(args.runs):
            for label, rate in modes:
                cpu0, db0 = tree_cpu_seconds(proc.pid), postgres_cpu_seconds()
                tag = f"run{k}-{rate:g}"
                r = run_client(base, token, args.requests, args.concurrency, tag, rate)
                server_ms = (tree_cpu_seconds(proc.pid) - cpu0) * 1000 / args.requests
                db_ms = (postgres_cpu_seconds() - db0) * 1000 / args.requests
                results[label].append(r)
                db = f", postgres {db_ms:.1f} ms" if name == "postgres" else ""
                print(
                    f"  {name} run {k + 1}, {label}: {r['rate']:.0f} creations/s, "
                    f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                    f"errors {r['errors'] or 'none'}; CPU per creation: server {server_ms:.1f} ms"
                    f"{db}, generator {r['client_cpu_ms']:.2f} ms; "
                    f"load avg {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    model = "with the text model" if args.model else "rules-only triage"
    for label, runs in results.items():
        print(
            f"{name}, {label}: median of {args.runs} runs x {args.requests} creations, "
            f"{args.concurrency} connections, {args.workers} workers, {model}: "
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
    ap.add_argument(
        "--rate",
        type=float,
        nargs="*",
        default=[300.0],
        help="after each closed-loop run, an open-loop run offering this many creations/s "
        "(several values allowed; none: closed loop only)",
    )
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
