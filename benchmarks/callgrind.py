"""Instruction counts under valgrind's callgrind, for benchmarks that measure a part of a
run: the process zeroes callgrind's counters before the part and dumps them after
(`callgrind_control`), so that dump holds that part only. Instructions do not move with
the machine's load the way seconds do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

_TOTAL = re.compile(rb"^(?:summary|totals):\s+(\d+)", re.MULTILINE)


def callgrind(action: str) -> None:
    """Tell callgrind about this process; blocking on purpose: nothing else is running."""
    command = ["callgrind_control", action, str(os.getpid())]
    subprocess.run(command, check=True, capture_output=True)


def run_python(module: str, args: Sequence[str], out_file: Path) -> str:
    """Run `python -m module args` under callgrind, dumps into `out_file`.N (one per
    `callgrind("--dump")`, threads summed); its standard output."""
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out_file}",
        "--dump-instr=no",
        sys.executable,
        "-m",
        module,
        *args,
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same set and dict orders each run
    done = subprocess.run(command, capture_output=True, check=True, env=env)
    return done.stdout.decode()


def total(dump: Path) -> int:
    """The instructions (Ir) a callgrind dump holds."""
    found = _TOTAL.search(dump.read_bytes())
    if found is None:
        raise SystemExit(f"no instruction total in {dump}")
    return int(found.group(1))
