"""Benchmark the SLA calendar: deadlines/second for add (single + batch), elapsed and
next_business_day_close on the standard calendar (Mon-Fri 09:00-17:00 America/Denver, US
federal holidays). Each measurement runs 5 times; the median is printed.

Run: python bench/bench_sla.py
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from supportdesk.core.sla import BusinessCalendar, HolidayCalendar

N = 100_000
REPEATS = 5


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def rate(fn: Callable[[], object], n: int) -> float:
    runs = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        runs.append(n / (time.perf_counter() - t0))
    return statistics.median(runs)


def main() -> None:
    cal = BusinessCalendar.weekdays("America/Denver", "09:00-17:00", holidays=HolidayCalendar("US"))
    rng = random.Random(2026)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    utc = [base + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(N)]
    denver = [s.astimezone(ZoneInfo("America/Denver")) for s in utc]
    ends = [s + timedelta(seconds=rng.randrange(10 * 86400)) for s in utc]
    d = timedelta(hours=8)
    cal.add(utc[0], d)  # warm the lazily built interval table (not timed)
    cal.elapsed(base - timedelta(days=400), base + timedelta(days=800))

    def add_single(xs: list[datetime]) -> Callable[[], object]:
        return lambda: [cal.add(s, d) for s in xs]

    print(f"machine: nproc={os.cpu_count()} cpu={cpu_model()!r}")
    print(f"python:  {sys.version.split()[0]} ({platform.python_implementation()})")
    print(f"calendar: {cal!r}")
    print(f"N={N} per run, median of {REPEATS} runs, duration=8 business hours")
    results = [
        ("add, single call, UTC inputs", rate(add_single(utc), N)),
        ("add, single call, America/Denver inputs", rate(add_single(denver), N)),
        ("add_many (batch), UTC inputs", rate(lambda: cal.add_many(utc, d), N)),
        ("add_many (batch), America/Denver inputs", rate(lambda: cal.add_many(denver, d), N)),
        (
            "elapsed, UTC inputs",
            rate(lambda: [cal.elapsed(a, b) for a, b in zip(utc, ends, strict=True)], N),
        ),
        (
            "next_business_day_close, UTC inputs",
            rate(lambda: [cal.next_business_day_close(s) for s in utc], N),
        ),
    ]
    for name, r in results:
        print(f"{name:45s} {r:12,.0f} /s")


if __name__ == "__main__":
    main()
