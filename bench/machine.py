"""What every benchmark prints first: the machine it ran on and how busy it was."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(*extra: str) -> str:
    """One line: cores, CPU, Python, OS and the load average now (a busy box inflates latency)."""
    load = os.getloadavg()
    parts = [
        f"nproc {os.cpu_count()} (usable {len(os.sched_getaffinity(0))})",
        f"CPU {cpu_model()}",
        f"Python {platform.python_version()}",
        f"{platform.system()} {platform.machine()}",
        *extra,
        f"load avg {load[0]:.2f} {load[1]:.2f}",
    ]
    return ", ".join(parts)
