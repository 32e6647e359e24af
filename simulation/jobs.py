"""How many worker processes a run uses: by default one per core this process may run on.

Replications and sweep variants are independent and each is a function of its seed, so
they run in parallel and are gathered back in their own order: the number of jobs
changes how long a run takes, never what it writes.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable


def available_cores() -> int:
    """The cores this process may run on (at least 1).

    `os.process_cpu_count()` where Python has it (3.13+); otherwise the CPU affinity
    (`os.sched_getaffinity`, so a process pinned to some cores counts only those);
    otherwise `os.cpu_count()`.
    """
    process_cpu_count: Callable[[], int | None] | None = getattr(os, "process_cpu_count", None)
    if process_cpu_count is not None:
        count = process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, count or 1)


def workers(jobs: int, tasks: int) -> int:
    """Processes worth starting for `tasks` independent tasks: never more than the tasks."""
    return max(1, min(jobs, tasks))


def jobs_argument(text: str) -> int:
    """argparse type of `--jobs`: a whole number of at least 1."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs wants a whole number, not {text!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be at least 1, not {jobs}")
    return jobs
