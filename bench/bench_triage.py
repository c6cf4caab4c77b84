"""Benchmark of triage end to end, on this machine.

    .venv/bin/python bench/bench_triage.py [--runs 5] [--corpus data/corpus] [--replay-only]

Each number is the median of `--runs` runs (the corpus texts are unique, so "live" runs never
hit the embedding cache):
- ready: wall time of `supportdesk triage` on a one-line file, in a fresh process (imports,
  policy, model load, one decision);
- live: p50 / p99 latency of triage(ticket, policy, now, model) for one ticket whose text was
  never seen (the embedding included), over every corpus ticket;
- batch: tickets per second of `supportdesk triage FILE` in a fresh process over the whole corpus
  (start-up, reading, embedding in batches, deciding, writing);
- replay: tickets per second re-deciding the corpus under the policy when the embeddings are
  already known (a policy replay never re-embeds), with `triage_parallel` (one process per core,
  the replay's figure) and with `triage_many` in this one process, whose CPU time per ticket is
  also printed (less sensitive to other processes on a shared box than wall time);
  `--replay-only` measures just these, with the embeddings computed once beforehand;
- peak memory of the batch process (max RSS), and its CPU seconds (user + system: on a shared
  box, less sensitive to other processes than wall time).

The load average is printed before and after: on the shared 2-core box, wall times move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402

CLI = [sys.executable, "-m", "supportdesk.cli.main", "triage"]


def corpus_tickets(corpus: Path) -> list[dict]:
    rows = []
    for f in sorted(corpus.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            row.pop("expected", None)
            rows.append(row)
    return rows


def timed_cli(path: Path) -> tuple[float, int, float]:
    """Wall seconds, the child's max RSS in KiB and its CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*CLI, str(path)], check=False, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, max(before.ru_maxrss, after.ru_maxrss), cpu


def timed_replay(
    tickets: list, policy: Any, now: datetime, model: Any, run: Any
) -> tuple[float, float]:
    """Tickets per second of one replay, and its CPU seconds per ticket."""
    cpu = time.process_time()
    start = time.perf_counter()
    run(tickets, policy, now, model)
    wall = time.perf_counter() - start
    return len(tickets) / wall, (time.process_time() - cpu) / len(tickets)


def print_replay(replay: list, replay_one: list, replay_cpu: list, workers: int) -> None:
    med = statistics.median
    print(f"replay with known embeddings, {workers} processes {med(replay):.0f} tickets/s")
    print(
        f"replay with known embeddings, 1 process  {med(replay_one):.0f} tickets/s "
        f"(CPU {med(replay_cpu) * 1000:.3f} ms per ticket)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    ap.add_argument("--replay-only", action="store_true", help="measure the replay alone")
    args = ap.parse_args()

    from supportdesk.core.policy import load_policy
    from supportdesk.core.triage import TicketIn, triage, triage_many
    from supportdesk.ml.model import load_default_model
    from supportdesk.triage_parallel import default_workers, triage_parallel

    rows = corpus_tickets(args.corpus)
    tickets = [TicketIn.model_validate(r) for r in rows]
    policy = load_policy()
    now = datetime.now(UTC)
    print(f"machine: {machine()}; corpus {len(tickets)} tickets")

    if args.replay_only:
        model = load_default_model()
        triage_many(tickets, policy, now, model)  # every embedding is now known
        replay, replay_one, replay_cpu = [], [], []
        for _ in range(args.runs):
            replay.append(timed_replay(tickets, policy, now, model, triage_parallel)[0])
            rate, cpu = timed_replay(tickets, policy, now, model, triage_many)
            replay_one.append(rate)
            replay_cpu.append(cpu)
        print_replay(replay, replay_one, replay_cpu, default_workers())
        load = os.getloadavg()
        print(f"load avg at the end {load[0]:.2f} {load[1]:.2f}")
        return

    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.jsonl"
        one.write_text(json.dumps(rows[0]) + "\n")
        batch = Path(tmp) / "all.jsonl"
        batch.write_text("".join(json.dumps(r) + "\n" for r in rows))
        ready = [timed_cli(one)[0] for _ in range(args.runs)]
        batch_runs = [timed_cli(batch) for _ in range(args.runs)]

    live_p50, live_p99, replay, replay_one, replay_cpu = [], [], [], [], []
    for _ in range(args.runs):
        model = load_default_model()  # a fresh cache: every text is new
        lat = []
        for t in tickets:
            start = time.perf_counter()
            triage(t, policy, now, model)
            lat.append(time.perf_counter() - start)
        qs = statistics.quantiles(lat, n=100)
        live_p50.append(qs[49] * 1000)
        live_p99.append(qs[98] * 1000)
        # the embeddings are now known
        replay.append(timed_replay(tickets, policy, now, model, triage_parallel)[0])
        rate, cpu = timed_replay(tickets, policy, now, model, triage_many)
        replay_one.append(rate)
        replay_cpu.append(cpu)

    med = statistics.median
    print(f"ready (one-line file, fresh process)   {med(ready):.2f} s")
    p50, p99 = med(live_p50), med(live_p99)
    print(f"live triage per ticket, new text        p50 {p50:.1f} ms   p99 {p99:.1f} ms")
    print(
        f"batch, fresh process, {len(tickets)} tickets     "
        f"{len(tickets) / med(w for w, _, _ in batch_runs):.0f} tickets/s "
        f"(peak RSS {max(m for _, m, _ in batch_runs) / 1024:.0f} MiB, "
        f"CPU {med(c for _, _, c in batch_runs):.1f} s)"
    )
    print_replay(replay, replay_one, replay_cpu, default_workers())
    load = os.getloadavg()
    print(f"load avg at the end {load[0]:.2f} {load[1]:.2f}")


if __name__ == "__main__":
    main()
