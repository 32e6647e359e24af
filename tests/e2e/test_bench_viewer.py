"""`python -m benchmarks.bench_viewer` runs as an engineer runs it, at a tiny size, on
SQLite and PostgreSQL: every viewer answer is error-free (the benchmark asserts it) and the
three rows are printed with their ratios. Only the output's structure is asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("HONORLOOP_TEST_POSTGRES_URL")
ROWS = ["no-op mutation", "viewer, without the lean path", "viewer, lean read path"]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_viewer_benchmark_prints_its_three_rows(database: str) -> None:
    if database == "postgresql" and not POSTGRES:
        pytest.skip("no PostgreSQL configured")
    extra = ["--database-url", POSTGRES] if database == "postgresql" and POSTGRES else []
    command = [sys.executable, "-m", "benchmarks.bench_viewer", "--members", "2", "--rounds", "1"]
    done = subprocess.run(
        [*command, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("PostgreSQL" if extra else "SQLite")
    for row in ROWS:
        assert any(line.startswith(row) for line in lines), done.stdout
    assert lines[-1].startswith("lean / plain: process ")
