"""A writer killed with SIGKILL in the middle of its work leaves a consistent ledger:
balances equal the sum of entries, no transfer is partial, every idempotency record has
its result, and nothing the writer saw committed is lost."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from persistence.sql import SqlStore
from tests.integration.checks import violations

commits_before_kill = 150
silence_max_s = 120  # a hang guard, not a performance assertion
ROOT = Path(__file__).resolve().parents[2]


def run_until_killed(url: str) -> list[str]:
    """Start the writer, let it work a while, SIGKILL it; the keys it saw committed."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crash_writer", url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    committed: list[str] = []
    reported = 0
    try:
        while reported < commits_before_kill:
            readable, _, _ = select.select([child.stdout], [], [], silence_max_s)
            line = child.stdout.readline() if readable else ""
            assert line, f"the writer stopped talking: {child.stderr.read()}"
            verdict, _, key = line.strip().partition(" ")
            reported += verdict in ("wrote", "refused")
            if verdict == "wrote":
                committed.append(key)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return committed


def test_a_writer_killed_mid_run_leaves_the_ledger_consistent(sql_url: str) -> None:
    committed = run_until_killed(sql_url)

    store = SqlStore(sql_url)
    try:
        assert violations(store) == {}
        with store.engine.connect() as connection:
            keys = set(connection.execute(sa.text("SELECT key FROM idempotency_keys")).scalars())
            entries = connection.execute(sa.text("SELECT COUNT(*) FROM ledger_entries")).scalar()
    finally:
        store.dispose()
    assert set(committed) <= keys  # nothing seen committed is lost
    assert len(committed) > commits_before_kill / 2
    assert entries
